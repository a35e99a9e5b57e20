package harness_test

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"transferhub/cloud/deploy"
	"transferhub/cloud/internal/s3test"
	"transferhub/cloud/stack"
	"transferhub/cloud/testenv"
)

// A finder the app stops (deploy.Deployer StopRuns: ECS StopTask) while its process
// runs gets SIGTERM and ends, as ECS stops a task. The finder here waits on a source
// that accepts its connections and never answers, so nothing but the stop ends it.
// (The harness let stopped finders run on: one the app stopped right after asking for a
// run began that run after the app resumed the task, beside the resumed run's finder,
// a second run that nobody asked for.)
func TestStoppedFinderStops(t *testing.T) {
	env := testenv.Load(t)
	c := newCloud(t, env.AWS2Config(t))
	ctx := context.Background()
	a, b := s3test.Gateways(t)
	src, dst := a.Bucket(t, "th-h-stop-src"), b.Bucket(t, "th-h-stop-dst")
	silent := newSilentServer(t)

	taskID := testenv.Name("t")
	c.deployTask(deploy.TaskRequest{Kind: stack.KindS3Task, TaskID: taskID, TaskName: "harness stop",
		Env: map[string]string{"THUB_SRC": "s3://" + src + "/data/", "THUB_SRC_ENDPOINT": "http://" + silent.addr, "THUB_DST": "s3://" + dst + "/copy/", "THUB_DST_ENDPOINT": b.Endpoint},
		Credentials: map[deploy.Side]deploy.Credentials{deploy.Source: {AccessKeyID: a.AccessKey, SecretAccessKey: a.SecretKey},
			deploy.Destination: {AccessKeyID: b.AccessKey, SecretAccessKey: b.SecretKey}},
		S3: deploy.S3Options{Fleet: stack.Fleet{MaxWorkers: 1, BacklogPerWorker: 2, Idle: time.Minute}}})
	name := c.stackName(taskID)
	h := c.harness(false, time.Second)
	require.NoError(t, h.Play(ctx, name))
	ts, err := c.d.TaskStack(ctx, c.cpName, taskID)
	require.NoError(t, err)

	started, err := c.d.RunNow(ctx, ts)
	require.NoError(t, err)
	waitFor(t, 3*time.Minute, h, "the finder waiting on the source", func() bool { return silent.accepted.Load() > 0 })
	finder := h.Task(started.FinderTask)
	require.NotNil(t, finder, "the harness runs the finder")
	require.NotNil(t, finder.Proc)
	_, exited := finder.Proc.Exited()
	require.False(t, exited, "the finder still waits on the source")

	n, err := c.d.StopRuns(ctx, ts, "stopped by the test")
	require.NoError(t, err)
	require.Equal(t, 1, n, "finders stopped")
	select {
	case <-finder.Done():
	case <-time.After(time.Minute):
		t.Fatalf("the stopped finder still runs:\n%s", finder.Proc.Output())
	}
	// 130: thub's exit when SIGTERM interrupted it (a finder failing on its own ends 2).
	require.Equal(t, 130, finder.ExitCode(), "interrupted by the stop:\n%s", finder.Proc.Output())
	require.Empty(t, h.Problems())
}

// silentServer accepts connections and never answers on them.
type silentServer struct {
	addr     string
	accepted atomic.Int64
}

func newSilentServer(t *testing.T) *silentServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &silentServer{addr: ln.Addr().String()}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
			s.accepted.Add(1)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return s
}
