package harness_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/deploy"
	"transferhub/cloud/internal/s3test"
	"transferhub/cloud/stack"
	"transferhub/cloud/state"
	"transferhub/cloud/taskrun"
	"transferhub/cloud/testenv"
)

// A stop that comes while a finder is starting: the finder has read the task (IDLE) and
// is about to begin its run when the user presses Stop (a finder launched by Run now or
// by the schedule just before the pause, whose StopTask or SIGTERM has not come yet).
// The race is made certain: the finder's DynamoDB calls go through a proxy that holds
// its first transaction (the write that begins the run) until the app's stop is in the
// table. The finder then begins nothing: it says so and exits 0, the task stays STOPPED
// with no run and nothing queued. Run now after that runs the task as usual.
// (Before, the held write began a run after the stop: the task showed RUNNING and the
// workers, once let go, copied a run the user had stopped.)
func TestStopWhileTheFinderStarts(t *testing.T) {
	env := testenv.Load(t)
	cfg := env.AWS2Config(t)
	c := newCloud(t, cfg)
	ctx := context.Background()
	a, b := s3test.Gateways(t)
	src, dst := a.Bucket(t, "th-h-race-src"), b.Bucket(t, "th-h-race-dst")
	smallObjects(t, a, src, "data/", 3)

	taskID := testenv.Name("t")
	o := c.deployTask(deploy.TaskRequest{Kind: stack.KindS3Task, TaskID: taskID, TaskName: "harness stop race",
		Env: map[string]string{"THUB_SRC": "s3://" + src + "/data/", "THUB_SRC_ENDPOINT": a.Endpoint, "THUB_DST": "s3://" + dst + "/copy/", "THUB_DST_ENDPOINT": b.Endpoint},
		Credentials: map[deploy.Side]deploy.Credentials{deploy.Source: {AccessKeyID: a.AccessKey, SecretAccessKey: a.SecretKey},
			deploy.Destination: {AccessKeyID: b.AccessKey, SecretAccessKey: b.SecretKey}},
		S3: deploy.S3Options{Fleet: stack.Fleet{MaxWorkers: 1, BacklogPerWorker: 2, Idle: time.Minute}}})
	gate := newStartGate(t, aws.ToString(cfg.BaseEndpoint), taskID)
	h := c.harnessEnv(false, time.Second, []string{"AWS_ENDPOINT_URL_DYNAMODB=" + gate.url})
	require.NoError(t, h.Play(ctx, c.stackName(taskID)))
	ts, err := c.d.TaskStack(ctx, c.cpName, taskID)
	require.NoError(t, err)
	st := c.store(o.Table)
	// The app creates the task's record before it runs or stops it.
	_, err = taskrun.Ensure(ctx, st, state.Task{ID: taskID, Type: state.TaskS3, Name: "harness stop race", Engine: state.EngineCloud, Status: state.TaskIdle})
	require.NoError(t, err)

	started, err := c.d.RunNow(ctx, ts)
	require.NoError(t, err)
	select {
	case <-gate.held:
	case <-time.After(3 * time.Minute):
		t.Fatal("the finder never began its run")
	}
	finder := h.Task(started.FinderTask)
	require.NotNil(t, finder, "the harness runs the finder")

	// Stop as the app does (backend/tasks CloudRunner.Stop): the task STOPPED first,
	// then the fleet to zero and the schedule paused. This finder escaped the StopTask.
	require.NoError(t, st.SetTaskStatus(ctx, taskID, []state.TaskStatus{state.TaskIdle}, state.TaskStopped, ""))
	require.NoError(t, c.d.ScaleWorkers(ctx, ts, true))
	require.NoError(t, c.d.PauseSchedule(ctx, ts, true))
	gate.release()

	select {
	case <-finder.Done():
	case <-time.After(2 * time.Minute):
		t.Fatalf("the finder still runs:\n%s", finder.Proc.Output())
	}
	require.Equal(t, 0, finder.ExitCode(), "a finder of a stopped task is no failure:\n%s", finder.Proc.Output())
	require.Contains(t, finder.Proc.Output(), "task is stopped: not starting a run")
	got, err := st.GetTask(ctx, taskID)
	require.NoError(t, err)
	require.Equal(t, state.TaskStopped, got.Status, "the task stays stopped")
	require.Empty(t, got.RunID, "no run began after the stop")
	q, err := c.d.Queue(ctx, ts)
	require.NoError(t, err)
	require.Zero(t, q.Visible+q.InFlight+q.Delayed, "nothing queued for the workers")

	// Run now as the app does: the task IDLE again, the fleet and schedule released.
	require.NoError(t, st.SetTaskStatus(ctx, taskID, []state.TaskStatus{state.TaskStopped}, state.TaskIdle, ""))
	require.NoError(t, c.d.ScaleWorkers(ctx, ts, false))
	require.NoError(t, c.d.PauseSchedule(ctx, ts, false))
	_, err = c.d.RunNow(ctx, ts)
	require.NoError(t, err)
	done := waitTask(t, st, taskID, 4*time.Minute, h)
	require.Equal(t, state.TaskCompleted, done.Status, "%+v", done)
	require.EqualValues(t, 3, done.Counters.FoundObjects)
	require.EqualValues(t, 3, done.Counters.DoneObjects)
	require.Empty(t, h.Problems())
}

// startGate passes the agents' DynamoDB requests to the emulator, and holds the first
// transaction that names the task (the finder's StartRun) until release.
type startGate struct {
	url     string
	held    chan struct{}
	release func()
}

func newStartGate(t *testing.T, emulator, taskID string) *startGate {
	t.Helper()
	p := s3test.NewFaultProxy(t, emulator) // no faults: only the hold below
	g := &startGate{url: p.URL, held: make(chan struct{})}
	let := make(chan struct{})
	var once, relOnce sync.Once
	g.release = func() { relOnce.Do(func() { close(let) }) }
	t.Cleanup(g.release)
	p.Intercept = func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".TransactWriteItems") {
			return false
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return true
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		hold := false
		if bytes.Contains(body, []byte(taskID)) {
			once.Do(func() { hold = true })
		}
		if hold {
			close(g.held)
			<-let
		}
		return false // forwarded
	}
	return g
}
