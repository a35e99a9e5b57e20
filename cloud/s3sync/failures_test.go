package s3sync_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"transferhub/cloud/internal/s3test"
	"transferhub/cloud/objstore"
	"transferhub/cloud/s3sync"
	"transferhub/cloud/state"
	"transferhub/cloud/state/statetest"
	"transferhub/cloud/testenv"
)

// seedMany writes n small objects under prefix, 16 at a time.
func seedMany(t *testing.T, g *s3test.Gateway, bucket, prefix string, n int) {
	t.Helper()
	g.PutMany(t, bucket, n, nil, func(i int) (string, []byte) {
		return fmt.Sprintf("%sk%05d", prefix, i), []byte(fmt.Sprintf("object %d", i))
	})
}

// syncErr runs a sync that is expected to fail as a whole and returns its error.
func syncErr(t *testing.T, src, dst objstore.Location, opt s3sync.Options) error {
	t.Helper()
	_, err := syncOnce(t, src, dst, "", opt)
	require.Error(t, err)
	return err
}

// A destination that denies every write stops the run at the first denial, with one
// message, instead of trying each of 2,002 objects five times.
func TestSyncStopsWhenTheDestinationDeniesWrites(t *testing.T) {
	a, b := s3test.Gateways(t)
	sb, db := a.Bucket(t, "thub-src"), b.Bucket(t, "thub-ro")
	seedMany(t, a, sb, "", 2002)
	p := s3test.NewFaultProxy(t, b.Endpoint)
	var writes atomic.Int64
	p.Intercept = func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPut && r.Method != http.MethodPost {
			return false
		}
		writes.Add(1)
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)
		return true
	}
	var logs testenv.LogBuffer
	opt := s3sync.Options{Concurrency: 16, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	err := syncErr(t, a.Open(t, sb, "", ""), b.Open(t, db, "", p.URL), opt)
	var stop *s3sync.StopError
	require.ErrorAs(t, err, &stop, "%v", err)
	require.ErrorIs(t, err, objstore.ErrAccessDenied)
	require.Contains(t, err.Error(), "access denied before any object could be copied")
	require.Contains(t, err.Error(), "AccessDenied: Access Denied (HTTP 403")
	// Each object in flight is tried twice (renewed credentials may lift a denial), each
	// PUT sent directly and then through the SDK: at most 2 x 2 x 16 writes, not 2,002 x 5.
	require.LessOrEqual(t, writes.Load(), int64(4*16), "writes tried")
	require.Zero(t, strings.Count(logs.String(), "copy failed"), "per-object errors logged:\n%s", logs.String())
}

// A request the store refuses as such (HTTP 400 InvalidArgument) fails its object at
// once; the others are copied.
func TestSyncRefusedRequestFailsAtOnce(t *testing.T) {
	a, b, sb, db := s3test.SrcDst(t)
	for _, k := range []string{"a.txt", "bad.txt", "c.txt"} {
		a.Put(t, sb, k, []byte("data of "+k), nil)
	}
	p := s3test.NewFaultProxy(t, b.Endpoint)
	var bad atomic.Int64
	p.Intercept = func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPut || !strings.HasSuffix(r.URL.Path, "/bad.txt") {
			return false
		}
		bad.Add(1)
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidArgument</Code><Message>Invalid argument</Message></Error>`)
		return true
	}
	statePath := filepath.Join(t.TempDir(), "state.db")
	res := run(t, a.Open(t, sb, "", ""), b.Open(t, db, "", p.URL), statePath, s3sync.Options{})
	require.Equal(t, int64(2), res.Copied)
	require.Equal(t, int64(1), res.Failed)
	require.Equal(t, "bad.txt", res.Failures[0].Key)
	require.Contains(t, res.Failures[0].Error, "InvalidArgument")
	// One attempt: the direct PUT and the SDK's, which takes over any answer it did not
	// expect (not five attempts of two each).
	require.LessOrEqual(t, bad.Load(), int64(2), "PUTs of bad.txt")
	st := statetest.SQLite(t, statePath)
	rec, err := st.GetObject(context.Background(), "task", "bad.txt")
	require.NoError(t, err)
	require.Equal(t, 1, rec.Attempts)
}

// roDir returns a directory no file can be created in: a read-only tmpfs for root
// (whom permissions do not stop), else a directory without write permission.
func roDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ro")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	if os.Geteuid() == 0 {
		out, err := exec.Command("mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", dir).CombinedOutput()
		require.NoError(t, err, "mount a read-only tmpfs: %s", out)
		t.Cleanup(func() { _ = exec.Command("umount", dir).Run() })
		return dir
	}
	require.NoError(t, os.Chmod(dir, 0o555))
	t.Cleanup(func() { _ = os.Chmod(dir, 0o755) })
	return dir
}

// A local destination that takes no file is refused before anything is copied.
func TestSyncRefusesReadOnlyDirectory(t *testing.T) {
	a, _ := s3test.Gateways(t)
	sb := a.Bucket(t, "thub-src")
	a.Put(t, sb, "a.txt", []byte("a"), nil)
	dir := roDir(t)
	local, err := objstore.OpenLocal(dir)
	require.NoError(t, err)
	err = syncErr(t, a.Open(t, sb, "", ""), local, s3sync.Options{})
	var side *s3sync.SideError
	require.ErrorAs(t, err, &side)
	require.Equal(t, "destination", side.Side)
	require.Contains(t, err.Error(), "is not writable")
	require.True(t, errors.Is(err, objstore.ErrReadOnly) || errors.Is(err, objstore.ErrAccessDenied), "%v", err)
}

// A destination file system that fills up mid-run stops the run with one message; what
// was copied is kept and counted.
func TestSyncStopsWhenTheDestinationIsFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a 1 MiB tmpfs (the full destination); the classification is unit-tested in objstore")
	}
	a, _ := s3test.Gateways(t)
	sb := a.Bucket(t, "thub-src")
	for i := range 40 {
		a.Put(t, sb, fmt.Sprintf("k%02d", i), s3test.RandBytes(100<<10), nil)
	}
	dir := filepath.Join(t.TempDir(), "full")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir).CombinedOutput()
	require.NoError(t, err, "mount a small tmpfs: %s", out)
	t.Cleanup(func() { _ = exec.Command("umount", dir).Run() })
	local, err := objstore.OpenLocal(dir)
	require.NoError(t, err)
	var logs testenv.LogBuffer
	err = syncErr(t, a.Open(t, sb, "", ""), local, s3sync.Options{Concurrency: 4, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	var stop *s3sync.StopError
	require.ErrorAs(t, err, &stop, "%v", err)
	require.ErrorIs(t, err, objstore.ErrNoSpace)
	require.Contains(t, err.Error(), "the destination is full")
	require.Zero(t, strings.Count(logs.String(), "copy failed"), "per-object errors logged:\n%s", logs.String())
}

// --delete with a source that lists nothing (a mistyped prefix, the wrong bucket) is
// refused and deletes nothing, unless DeleteEmptySource allows it; MaxDelete bounds the
// deletions of a run; a dry run names what would go.
func TestSyncDeleteGuards(t *testing.T) {
	a, b := s3test.Gateways(t)
	sb := a.Bucket(t, "thub-src")
	a.Put(t, sb, "photos/keep.jpg", []byte("keep"), nil)
	seedDst := func() string {
		db := b.Bucket(t, "thub-dst")
		for i := range 10 {
			b.Put(t, db, fmt.Sprintf("old-%02d", i), []byte("old"), nil)
		}
		return db
	}
	ctx := context.Background()

	t.Run("empty source refused", func(t *testing.T) {
		db := seedDst()
		src := a.Open(t, sb, "fotos/", "") // the typo: no such prefix
		dry, err := s3sync.DryRun(ctx, src, b.Open(t, db, "", ""), s3sync.Options{Delete: true})
		require.ErrorIs(t, err, s3sync.ErrEmptySource, "the dry run says so too")
		require.Zero(t, dry.Found)
		err = syncErr(t, src, b.Open(t, db, "", ""), s3sync.Options{Delete: true})
		require.ErrorIs(t, err, s3sync.ErrEmptySource)
		require.Contains(t, err.Error(), "--delete-empty-source")
		require.Len(t, b.List(t, db, ""), 10, "nothing deleted")
		// A selection that matches nothing at the source is an empty source too.
		err = syncErr(t, a.Open(t, sb, "", ""), b.Open(t, db, "", ""), s3sync.Options{Delete: true,
			Selection: s3sync.Selection{Include: []string{"old-*"}}})
		require.ErrorIs(t, err, s3sync.ErrEmptySource)
		require.Len(t, b.List(t, db, ""), 10, "nothing deleted")

		res := run(t, src, b.Open(t, db, "", ""), "", s3sync.Options{Delete: true, DeleteEmptySource: true})
		require.Equal(t, int64(10), res.Deleted)
		require.Empty(t, b.List(t, db, ""))
	})

	t.Run("max delete", func(t *testing.T) {
		db := seedDst()
		src, dst := a.Open(t, sb, "", ""), b.Open(t, db, "", "")
		dry, err := s3sync.DryRun(ctx, src, dst, s3sync.Options{Delete: true, MaxDelete: 3})
		require.NoError(t, err)
		require.Equal(t, int64(3), dry.Plan.ToDelete)
		require.Equal(t, int64(7), dry.Plan.DeleteRefused)
		require.Equal(t, []string{"old-00", "old-01", "old-02"}, dry.Plan.DeleteKeys, "the dry run names what would go")
		require.Len(t, b.List(t, db, ""), 10, "a dry run deletes nothing")

		statePath := filepath.Join(t.TempDir(), "state.db")
		res := run(t, src, dst, statePath, s3sync.Options{Delete: true, MaxDelete: 3})
		require.Equal(t, int64(1), res.Copied)
		require.Equal(t, int64(3), res.Deleted)
		require.Equal(t, int64(7), res.DeleteRefused)
		require.Len(t, b.List(t, db, ""), 1+7)
		st := statetest.SQLite(t, statePath)
		task, err := st.GetTask(ctx, "task")
		require.NoError(t, err)
		require.Equal(t, state.TaskFailed, task.Status)
		require.Contains(t, task.LastError, "--max-delete 3 reached: 7 more")
	})
}
