package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"transferhub/cloud/internal/s3test"
)

// One runner per state file: a second `thub s3 sync` of the task is refused at once with
// a message that says who runs it; after kill -9 of the first, the next run takes the
// task over at once (saying so) and resumes the killed run.
func TestS3SyncOneRunnerPerState(t *testing.T) {
	a, b, sb, db := s3test.SrcDst(t)
	for i := 0; i < 5; i++ {
		a.Put(t, sb, fmt.Sprintf("k%d", i), []byte("x"), nil)
	}
	// The destination's writes hang until the test lets them through: the first run is
	// caught in the middle.
	var holding atomic.Bool
	holding.Store(true)
	var held atomic.Int32
	release := make(chan struct{})
	proxy := s3test.NewFaultProxy(t, b.Endpoint)
	proxy.Intercept = func(_ http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPut || !holding.Load() {
			return false
		}
		held.Add(1)
		_, _ = io.Copy(io.Discard, r.Body) // then the server notices when the client goes
		select {
		case <-r.Context().Done():
		case <-release:
		}
		return true
	}
	defer close(release)

	statePath := t.TempDir() + "/lease.db"
	args := append([]string{"s3", "sync", "s3://" + sb, "s3://" + db, "--state", statePath, "--json"}, endpoints(a.Endpoint, proxy.URL)...)
	first := exec.Command(thubBin, args...)
	first.Env = append(append(os.Environ(), "HOME="+t.TempDir()), s3Env(a, b)...)
	require.NoError(t, first.Start())
	defer first.Process.Kill()
	for deadline := time.Now().Add(time.Minute); held.Load() == 0; time.Sleep(10 * time.Millisecond) {
		require.True(t, time.Now().Before(deadline), "the first run never wrote")
	}

	r := thub(t, s3Env(a, b), args...)
	require.Equal(t, 2, r.code, r.stdout+r.stderr)
	host, _ := os.Hostname()
	require.Contains(t, r.stderr, "is held by another process: the task is being run by "+host+" (pid "+strconv.Itoa(first.Process.Pid)+") since ")
	require.Contains(t, r.stderr, "wait for it to finish or use another --state")

	require.NoError(t, first.Process.Signal(syscall.SIGKILL))
	_ = first.Wait()
	holding.Store(false)
	r = thub(t, s3Env(a, b), args...)
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	require.Contains(t, r.stderr, "taking the task over from a process that stopped without releasing it")
	m := lastJSON(t, r.stdout)
	require.Equal(t, true, m["resumed"], "the killed run continues")
	require.Equal(t, 5.0, m["found"])
	s3test.Verify(t, a, sb, "", b, db, "", true)
}
