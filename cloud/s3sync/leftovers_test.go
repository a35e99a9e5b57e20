//go:build unix

package s3sync_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/internal/s3test"
	"transferhub/cloud/objstore"
	"transferhub/cloud/s3sync"
	"transferhub/cloud/state"
	"transferhub/cloud/state/sqlite"
)

// A temporary file a killed run left in a local destination is removed by the next run;
// one another process is still writing (it holds its lock) is left alone.
func TestSyncRemovesTempFilesOfKilledRuns(t *testing.T) {
	a, _ := s3test.Gateways(t)
	sb := a.Bucket(t, "thub-src")
	a.Put(t, sb, "sub/x.txt", []byte("x"), nil)
	a.Put(t, sb, "y.txt", []byte("y"), nil)
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
	old := time.Now().Add(-2 * time.Hour)
	stale := filepath.Join(dir, "sub", ".thub-tmp-123456")
	require.NoError(t, os.WriteFile(stale, make([]byte, 1<<20), 0o600))
	require.NoError(t, os.Chtimes(stale, old, old))
	live := filepath.Join(dir, ".thub-tmp-654321")
	f, err := os.Create(live)
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB))
	require.NoError(t, os.Chtimes(live, old, old))

	local, err := objstore.OpenLocal(dir)
	require.NoError(t, err)
	res := run(t, a.Open(t, sb, "", ""), local, "", s3sync.Options{})
	require.Equal(t, int64(2), res.Copied)
	require.NoFileExists(t, stale, "a killed run's temporary file survived a run")
	require.FileExists(t, live, "a temporary file being written was removed")
	require.NoError(t, f.Close())
}

// Another task (another state file, another tool) uploading the same key keeps its
// multipart upload: a run aborts only uploads its own task started.
func TestSyncLeavesOtherTasksUploads(t *testing.T) {
	a, b, sb, db := s3test.SrcDst(t)
	a.PutMultipart(t, sb, "big.bin", s3test.RandBytes(11<<20), 5<<20, nil)
	ctx := context.Background()
	other, err := b.Client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(db), Key: aws.String("big.bin")})
	require.NoError(t, err)
	res := run(t, a.Open(t, sb, "", ""), b.Open(t, db, "", ""), "", s3sync.Options{})
	require.Equal(t, int64(1), res.Copied)
	open := b.OpenUploads(t, db)
	require.Len(t, open, 1, "the other task's upload was aborted")
	require.Equal(t, aws.ToString(other.UploadId), aws.ToString(open[0].UploadId))
}

// A CreateMultipartUpload whose answer is lost is sent again by the SDK: the upload the
// first one created is aborted, not left behind with an id nobody knows.
func TestSyncAbortsUploadWhoseAnswerWasLost(t *testing.T) {
	a, b, sb, db := s3test.SrcDst(t)
	a.PutMultipart(t, sb, "big.bin", s3test.RandBytes(11<<20), 5<<20, nil)
	p := s3test.NewFaultProxy(t, b.Endpoint)
	var lost atomic.Int64
	p.LoseAnswer = func(r *http.Request) bool {
		return r.Method == http.MethodPost && r.URL.Query().Has("uploads") && lost.Add(1) == 1
	}
	res := run(t, a.Open(t, sb, "", ""), b.Open(t, db, "", p.URL), "", s3sync.Options{})
	require.Equal(t, int64(1), res.Copied)
	require.Equal(t, int64(2), lost.Load(), "CreateMultipartUpload requests")
	require.Empty(t, b.OpenUploads(t, db))
	s3test.Verify(t, a, sb, "", b, db, "", true)
}

// A run killed between asking for an upload and recording its id left an upload nobody
// knows: the intent recorded before it lets the next run find and abort it.
func TestSyncAbortsUploadOfAKilledRun(t *testing.T) {
	a, b, sb, db := s3test.SrcDst(t)
	a.PutMultipart(t, sb, "big.bin", s3test.RandBytes(11<<20), 5<<20, nil)
	ctx := context.Background()
	store, task := s3sync.StartedTask(t, ctx, "task")
	// What the killed run left: its intent, and the upload it created just after.
	require.NoError(t, store.PutObjects(ctx, "task", []state.Object{{Key: "big.bin", Size: 11 << 20, Status: state.ItemInProgress, RunID: task.RunID}}))
	_, err := b.Client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(db), Key: aws.String("big.bin")})
	require.NoError(t, err)
	res, err := s3sync.Sync(ctx, a.Open(t, sb, "", ""), b.Open(t, db, "", ""), store, store.Queue("s3-jobs", sqlite.QueueOptions{}), "task", s3sync.Options{})
	require.NoError(t, err)
	require.True(t, res.Resumed)
	require.Equal(t, int64(1), res.Copied)
	require.Empty(t, b.OpenUploads(t, db), "the killed run's upload is still open")
}
