package main

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"transferhub/cloud/internal/s3test"
)

// Ctrl-C: no object is reported as failed, the summary and the --json line say what was
// done, the exit status is 130; the next run resumes, and its speed counts only what it
// copied itself.
func TestS3SyncInterrupt(t *testing.T) {
	a, b, sb, db := s3test.SrcDst(t)
	for i := range 200 {
		a.Put(t, sb, fmt.Sprintf("k%03d", i), s3test.RandBytes(2000), nil)
	}
	slow := s3test.NewFaultProxy(t, b.Endpoint)
	slow.Intercept = func(_ http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPut {
			time.Sleep(30 * time.Millisecond)
		}
		return false
	}
	statePath := filepath.Join(t.TempDir(), "int.db")
	args := append([]string{"s3", "sync", "s3://" + sb, "s3://" + db, "--state", statePath, "--json", "--concurrency", "2"},
		endpoints(a.Endpoint, slow.URL)...)
	cmd := exec.Command(thubBin, args...)
	cmd.Env = append(append(os.Environ(), "HOME="+t.TempDir()), s3Env(a, b)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	require.NoError(t, cmd.Start())
	deadline := time.Now().Add(time.Minute)
	for len(b.List(t, db, "")) < 20 {
		require.True(t, time.Now().Before(deadline), "nothing copied: %s", errOut.String())
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	err := cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	require.True(t, ok, "exit: %v\n%s", err, errOut.String())
	require.Equal(t, 130, ee.ExitCode(), errOut.String())
	require.NotContains(t, errOut.String(), "copy failed", "false failures on Ctrl-C")
	require.Contains(t, errOut.String(), "interrupted")
	m := lastJSON(t, out.String())
	require.Equal(t, true, m["interrupted"])
	require.Equal(t, 0.0, m["failed"])
	first := m["copied"].(float64)
	require.GreaterOrEqual(t, first, 20.0)
	require.Less(t, first, 200.0)

	r := thub(t, s3Env(a, b), args...)
	require.Equal(t, 0, r.code, r.stderr)
	m = lastJSON(t, r.stdout)
	require.Equal(t, true, m["resumed"])
	require.Equal(t, 200.0, m["copied"], "the run's count includes the interrupted process's")
	require.Equal(t, 200*2000.0, m["bytes"])
	require.Less(t, m["processBytes"].(float64), m["bytes"].(float64), "this process's own bytes")
	require.GreaterOrEqual(t, m["processBytes"].(float64), (200-first-2)*2000.0)
	s3test.VerifyData(t, a, sb, "", b, db, "")
}

// With --json, a failure of the whole command (exit status 2) is a JSON object on the
// last line of stdout too.
func TestS3SyncJSONError(t *testing.T) {
	a, b := s3test.Gateways(t)
	db := b.Bucket(t, "thub-err")
	r := thub(t, s3Env(a, b), append([]string{"s3", "sync", "s3://thub-no-such-bucket-4711", "s3://" + db, "--json",
		"--state", filepath.Join(t.TempDir(), "s.db")}, endpoints(a.Endpoint, b.Endpoint)...)...)
	require.Equal(t, 2, r.code, r.stderr)
	m := lastJSON(t, r.stdout)
	require.Equal(t, 2.0, m["exitCode"])
	require.Contains(t, m["error"], "does not exist")
	r = thub(t, nil, "s3", "sync", t.TempDir(), "s3://"+db, "--json", "--concurrency", "0")
	require.Equal(t, 2, r.code, r.stderr)
	require.Contains(t, lastJSON(t, r.stdout)["error"], "--concurrency")
}

// --delete: the dry run names what would go; an empty source is refused (exit 2, nothing
// deleted); --max-delete leaves the rest and fails the run (exit 1).
func TestS3SyncDeleteGuards(t *testing.T) {
	a, b, sb, db := s3test.SrcDst(t)
	a.Put(t, sb, "data/keep.txt", []byte("keep"), nil)
	for i := range 5 {
		b.Put(t, db, fmt.Sprintf("extra-%d.txt", i), []byte("x"), nil)
	}
	base := func(src string, extra ...string) []string {
		return append(append([]string{"s3", "sync", src, "s3://" + db, "--delete", "--state", filepath.Join(t.TempDir(), "s.db")},
			endpoints(a.Endpoint, b.Endpoint)...), extra...)
	}
	r := thub(t, s3Env(a, b), base("s3://"+sb+"/data", "--dry-run")...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "5 to delete")
	require.Contains(t, r.stdout, "would delete:\n  \"extra-0.txt\"\n")

	r = thub(t, s3Env(a, b), base("s3://"+sb+"/dta")...) // the typo
	require.Equal(t, 2, r.code, r.stdout)
	require.Contains(t, r.stderr, "the source lists no object")
	require.Contains(t, r.stderr, "--delete-empty-source")
	require.Len(t, b.List(t, db, ""), 5, "nothing deleted")

	r = thub(t, s3Env(a, b), base("s3://"+sb+"/data", "--max-delete", "2")...)
	require.Equal(t, 1, r.code, r.stderr)
	require.Contains(t, r.stdout, "deleted 2 (3 more not deleted: --max-delete)")
	require.Len(t, b.List(t, db, ""), 1+3)
	r = thub(t, s3Env(a, b), base("s3://"+sb+"/dta", "--delete-empty-source", "--json")...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, 4.0, lastJSON(t, r.stdout)["deleted"])
	require.Empty(t, b.List(t, db, ""))
	r = thub(t, nil, "s3", "sync", t.TempDir(), "s3://"+db, "--max-delete", "3")
	require.Equal(t, 2, r.code)
	require.True(t, strings.Contains(r.stderr, "invalid --max-delete: applies only with --delete"), r.stderr)
}
