package harness_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/regclient/regclient/types/ref"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/deploy/harness"
	"transferhub/cloud/image/imagetest"
	"transferhub/cloud/state"
	"transferhub/cloud/taskrun"
	"transferhub/cloud/testenv"
)

// Stop and resume of an image task as the app does them (deploy.Deployer StopRuns and
// RunNow), with the harness honouring StopExecution as Step Functions does: a run whose
// copiers hold two images that the source does not serve yet is stopped once the two
// others are copied. The execution ends ABORTED (DescribeExecution and ListExecutions
// say so, with its stop date), its copiers are stopped and no further state runs: the
// two images stay PENDING and the execution lease stays with the stopped execution.
// The execution that resumes takes the lease over, lists again and copies only what is
// left (the two copied images are skipped); every image at the destination has its
// source's digest.
func TestImageTaskStopAndResume(t *testing.T) {
	ctx := context.Background()
	c, open, oci, rc, ns := newImageCloud(ctx, t)

	// The task reads the source through a proxy that holds every request for the "slow"
	// repository until released.
	src := newHoldingProxy(t, open, "/"+ns+"/slow/")
	pushed := map[string]string{} // source reference (through the proxy) → digest
	var refs []string
	for i, r := range []string{"fast:1", "fast:2", "slow:1", "slow:2"} {
		img, err := imagetest.Push(ctx, rc, open+"/"+ns+"/"+r, imagetest.Spec{Layers: []int64{int64(8<<10 + i*1024)}, Seed: uint64(700 + i)})
		require.NoError(t, err)
		full := src.host + "/" + ns + "/" + r
		pushed[full] = img.Digest
		refs = append(refs, full)
	}

	taskID := testenv.Name("t")
	o, name, h := c.playImageTask(taskID, "harness images stop", src.host, oci, 1, 4, refs)
	sm := sfn.NewFromConfig(c.cfg)
	st := c.store(o.Table)
	ts, err := c.d.TaskStack(ctx, c.cpName, taskID)
	require.NoError(t, err)

	started, err := c.d.RunNow(ctx, ts)
	require.NoError(t, err)
	first := started.Execution
	imagesOf := func() map[string]state.Image {
		page, err := st.ListImages(ctx, taskID, state.ListOptions{})
		require.NoError(t, err)
		out := map[string]state.Image{}
		for _, im := range page.Items {
			out[im.Source] = im
		}
		return out
	}
	waitFor(t, 3*time.Minute, h, "the fast images copied while both slow ones are held", func() bool {
		ims := imagesOf()
		return src.held() >= 2 && ims[refs[0]].Status == state.ItemDone && ims[refs[1]].Status == state.ItemDone
	})
	tk, err := st.GetTask(ctx, taskID)
	require.NoError(t, err)
	stoppedRun := tk.RunID

	// Stopped as the app stops it.
	n, err := c.d.StopRuns(ctx, ts, "stopped by the test")
	require.NoError(t, err)
	require.Equal(t, 1, n, "executions stopped")
	var ex *harness.Execution
	for _, x := range h.Executions(name) {
		if x.ARN == first {
			ex = x
		}
	}
	require.NotNil(t, ex, "the harness ran the execution")
	select {
	case <-ex.Done():
	case <-time.After(2 * time.Minute):
		t.Fatal("the harness did not end the stopped execution")
	}
	require.Equal(t, "ABORTED", ex.Status)
	e, err := sm.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(first)})
	require.NoError(t, err)
	require.Equal(t, sfntypes.ExecutionStatusAborted, e.Status, "the stop stands: the harness did not record another outcome")
	require.NotNil(t, e.StopDate)
	aborted, err := sm.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(o.Outputs["StateMachineArn"]), StatusFilter: sfntypes.ExecutionStatusAborted})
	require.NoError(t, err)
	require.Len(t, aborted.Executions, 1)
	require.Equal(t, first, aws.ToString(aborted.Executions[0].ExecutionArn))
	require.NotNil(t, aborted.Executions[0].StopDate)
	copiers := h.Tasks(name)
	require.Len(t, copiers, 4, "a copier per image")
	for _, ct := range copiers {
		select {
		case <-ct.Done():
		case <-time.After(time.Minute):
			t.Fatalf("copier %s still runs after its execution was stopped", ct.ARN)
		}
	}
	for _, x := range ex.Events() {
		require.NotEqual(t, "Release", x.State, "no state runs after the stop (event %+v)", x)
	}
	ims := imagesOf()
	for i, r := range refs {
		want := state.ItemDone
		if i >= 2 {
			want = state.ItemPending
		}
		require.Equal(t, want, ims[r].Status, "%s in the stopped run", r)
		require.Equal(t, stoppedRun, ims[r].RunID, r)
	}
	tk, err = st.GetTask(ctx, taskID)
	require.NoError(t, err)
	require.Equal(t, stoppedRun, tk.RunID)
	require.Equal(t, state.Counters{FoundObjects: 4, DoneObjects: 2}, zeroBytes(tk.Counters), "the stopped run's counters")
	err = st.Lease(ctx, taskID, taskrun.ExecutionLease, "probe", time.Minute)
	require.ErrorIs(t, err, state.ErrConflict, "the stopped execution never reached its last step: it still holds the task")

	// Resumed as the app resumes an image run: a new execution for what is left.
	src.release()
	started, err = c.d.RunNow(ctx, ts)
	require.NoError(t, err)
	e = waitExecution(t, h, sm, name, started.Execution)
	require.Equal(t, sfntypes.ExecutionStatusSucceeded, e.Status, "%s: %s", aws.ToString(e.Error), aws.ToString(e.Cause))
	tk, err = st.GetTask(ctx, taskID)
	require.NoError(t, err)
	require.Equal(t, state.TaskCompleted, tk.Status, tk.LastError)
	require.NotEqual(t, stoppedRun, tk.RunID, "the resumed execution listed again")
	require.Equal(t, state.Counters{FoundObjects: 4, DoneObjects: 2, SkippedObjects: 2}, zeroBytes(tk.Counters), "only what was left is copied")
	ims = imagesOf()
	for i, r := range refs {
		want := state.ItemDone
		if i < 2 {
			want = state.ItemSkipped
		}
		im := ims[r]
		require.Equal(t, want, im.Status, "%s: %s", r, im.Error)
		require.Equal(t, tk.RunID, im.RunID, r)
		require.Equal(t, pushed[r], im.Digest, r)
		dst, err := ref.New(im.Destination)
		require.NoError(t, err)
		m, err := rc.ManifestHead(ctx, dst)
		require.NoError(t, err, im.Destination)
		require.Equal(t, pushed[r], m.GetDescriptor().Digest.String(), "digest at %s", im.Destination)
	}
	// The executions as the task page reads them (deploy.Deployer RecentExecutions):
	// newest first, the stopped one ABORTED with its stop.
	exs, err := c.d.RecentExecutions(ctx, ts, 10)
	require.NoError(t, err)
	require.Len(t, exs, 2)
	require.Equal(t, started.Execution, exs[0].ARN)
	require.Equal(t, "SUCCEEDED", exs[0].Status)
	require.Equal(t, first, exs[1].ARN)
	require.Equal(t, "ABORTED", exs[1].Status)
	require.False(t, exs[1].Stop.IsZero())
	require.False(t, exs[1].Stop.Before(exs[1].Start))
	require.Equal(t, lastPart(first), exs[1].Name)
	require.NoError(t, st.Lease(ctx, taskID, taskrun.ExecutionLease, "probe", time.Minute), "the resumed execution released the task")
	require.NoError(t, st.ReleaseLease(ctx, taskID, taskrun.ExecutionLease, "probe"))
	require.Empty(t, h.Problems())
}

// holdingProxy forwards to a registry, holding each request whose path contains a
// prefix until release (or until its client gives up).
type holdingProxy struct {
	host    string
	mu      sync.Mutex
	waiting map[*http.Request]bool
	open    chan struct{}
	once    sync.Once
}

func newHoldingProxy(t *testing.T, upstream, hold string) *holdingProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &holdingProxy{host: l.Addr().String(), waiting: map[*http.Request]bool{}, open: make(chan struct{})}
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: upstream})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, hold) {
			p.mu.Lock()
			p.waiting[r] = true
			p.mu.Unlock()
			select {
			case <-p.open:
			case <-r.Context().Done():
			}
			p.mu.Lock()
			delete(p.waiting, r)
			p.mu.Unlock()
			if r.Context().Err() != nil {
				return
			}
		}
		rp.ServeHTTP(w, r)
	}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() {
		p.release()
		_ = srv.Close()
	})
	return p
}

// held is how many requests wait now.
func (p *holdingProxy) held() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.waiting)
}

func lastPart(arn string) string { return arn[strings.LastIndex(arn, ":")+1:] }

func (p *holdingProxy) release() { p.once.Do(func() { close(p.open) }) }
