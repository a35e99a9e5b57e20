package tasks

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/deploy"
	"transferhub/cloud/stack"
	"transferhub/cloud/state"
)

// fakeClock is a runner's clock the tests step.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// steppedRunner gives the fixture's runner a clock the test steps (set before the task's
// budget is made) and the stack it keeps, as a deploy leaves it; its queue names no
// queue, so the panels' reads fail (a problem in the panel, no change of the task).
func steppedRunner(t *testing.T, f *cloudFixture) *fakeClock {
	clk := &fakeClock{t: time.Now()}
	f.runner.now = clk.now
	raw, err := f.db.GetMeta(context.Background(), f.id, metaStack)
	require.NoError(t, err)
	var ts deploy.TaskStack
	require.NoError(t, json.Unmarshal([]byte(raw), &ts))
	ts.Kind = stack.KindS3Task
	ts.Outputs["QueueUrl"] = "http://localhost:1/000000000000/no-such-queue"
	ct := f.runner.task(f.id)
	ct.mu.Lock()
	ct.ts, ct.tsAt = &ts, clk.now()
	ct.mu.Unlock()
	return clk
}

func (r *recorder) changes(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.changed[id]
}

// Refresh signals a change of the task only when its record says something new: a
// record and panels read again unchanged are none (each change drops the monitor's page
// indexes, so "previous page" after a far jump was a long offset skip again after every
// read); a new run, its end, and figures that move while no run is active are. Against
// the AWS emulator.
func TestCloudRefreshSignalsOnlyChanges(t *testing.T) {
	ctx := context.Background()
	obs := newRecorder()
	f := newCloudFixture(t, obs)
	clk := steppedRunner(t, f)
	all := PartRecord | PartQueue | PartFleet | PartLogs | PartEvents
	refresh := func(parts Parts) {
		t.Helper()
		clk.advance(time.Minute) // a fresh budget each time
		require.NoError(t, f.runner.Refresh(ctx, f.task, parts, DefaultCallsPerMinute))
	}
	refresh(all)
	require.Equal(t, 1, obs.changes(f.id), "the first read of the record")
	require.NotNil(t, f.runner.Remote(f.id).Record)
	refresh(all)
	refresh(PartQueue | PartEvents)
	refresh(all)
	assert.Equal(t, 1, obs.changes(f.id), "the record and the panels read again, unchanged")
	assert.NotEmpty(t, f.runner.Panels(f.id).Problems["queue"], "the panels were read")

	r, err := f.writer.StartRun(ctx, f.id)
	require.NoError(t, err)
	refresh(all)
	assert.Equal(t, 2, obs.changes(f.id), "a new run")
	require.NoError(t, f.writer.PutJob(ctx, f.id, []state.Object{{Key: "n/1", Size: 1, Status: state.ItemPending}}))
	require.NoError(t, f.writer.PutObjects(ctx, f.id, []state.Object{{Key: "n/1", Size: 1, Status: state.ItemDone}}))
	refresh(all)
	refresh(all)
	assert.Equal(t, 2, obs.changes(f.id), "an active run's figures go as progress")
	assert.Len(t, obs.progressOf(f.id), 3)

	require.NoError(t, f.writer.FinishRun(ctx, f.id, r.RunID, []state.TaskStatus{state.TaskRunning}, state.TaskCompleted, ""))
	refresh(all)
	assert.Equal(t, 3, obs.changes(f.id), "the run's end")
	refresh(all)
	assert.Equal(t, 3, obs.changes(f.id))
	// A late outcome after the end moves the finished run's counters: the view shows them.
	require.NoError(t, f.writer.PutObjects(ctx, f.id, []state.Object{{Key: "n/1", Size: 1, Status: state.ItemFailed, Error: "late"}}))
	refresh(PartRecord)
	assert.Equal(t, 4, obs.changes(f.id), "figures of a finished run that moved")
	assert.Equal(t, int64(1), f.runner.Remote(f.id).Record.Counters.FailedObjects)
}

// A page of a finished run's records reads no record of the task for the run (a GetItem
// a page): the run from the record the runner read moments ago stands in for it. A
// running run, a run asked for since the read, or a read too old: the page reads it.
// The pages list the same records either way. Against the AWS emulator.
func TestCloudPagesOfAFinishedRunReadNoRecord(t *testing.T) {
	ctx := context.Background()
	f := newCloudFixture(t, nil)
	clk := steppedRunner(t, f)
	page := func() (state.Page[state.Object], []string) {
		t.Helper()
		f.counter.take()
		st, err := f.runner.Store(ctx, f.task)
		require.NoError(t, err)
		p, err := st.ListObjects(ctx, f.id, state.ListOptions{Offset: 30, Limit: 25})
		require.NoError(t, err)
		return p, f.counter.take()
	}
	read := func() { // the record, as the monitor asks for it (a fresh minute of budget: the pages spend from it too)
		t.Helper()
		clk.advance(time.Minute)
		require.NoError(t, f.runner.Refresh(ctx, f.task, PartRecord, DefaultCallsPerMinute))
	}
	getItems := func(ops []string) int {
		return len(slices.DeleteFunc(slices.Clone(ops), func(op string) bool { return op != "GetItem" }))
	}
	want, ops := page()
	require.Len(t, want.Items, 25)
	assert.Equal(t, 1, getItems(ops), "no record read yet: the page reads the run: %v", ops)

	read()
	require.Equal(t, state.TaskCompleted, f.runner.Remote(f.id).Record.Status)
	for range 3 {
		got, ops := page()
		assert.Equal(t, want, got)
		assert.Zero(t, getItems(ops), "a finished run, its record read moments ago: %v", ops)
		assert.NotEmpty(t, ops, "the page's own queries")
	}

	// A run asked for from this app: the run may be another until the record is read.
	ct := f.runner.task(f.id)
	ct.mu.Lock()
	ct.runAsks++ // as Run does
	ct.mu.Unlock()
	_, ops = page()
	assert.Equal(t, 1, getItems(ops), "a run was asked for: %v", ops)
	read()
	_, ops = page()
	assert.Zero(t, getItems(ops), "read again: %v", ops)

	// The record read too long ago.
	clk.advance(knownRunFresh + time.Second)
	_, ops = page()
	assert.Equal(t, 1, getItems(ops), "an old read: %v", ops)

	// A running run: its record can change, the page reads it every time.
	r, err := f.writer.StartRun(ctx, f.id)
	require.NoError(t, err)
	read()
	require.Equal(t, state.TaskRunning, f.runner.Remote(f.id).Record.Status)
	for range 2 {
		_, ops = page()
		assert.Equal(t, 1, getItems(ops), "a running run: %v", ops)
	}
	require.NoError(t, f.writer.FinishRun(ctx, f.id, r.RunID, []state.TaskStatus{state.TaskRunning}, state.TaskCompleted, ""))
	read()
	_, ops = page()
	assert.Zero(t, getItems(ops), "the new run finished: %v", ops)
}

// The log panel shows the current run's lines: those from before its start (the
// previous run's) leave it as soon as the new run's record is read.
func TestCloudLogPanelShowsTheCurrentRunsLines(t *testing.T) {
	r := NewCloudRunner(CloudRunnerOptions{})
	t0 := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	line := func(min int, msg string) deploy.LogLine {
		return deploy.LogLine{Time: t0.Add(time.Duration(min) * time.Minute), Stream: "t/worker/i-1", Message: msg}
	}
	ct := r.task("t")
	ct.mu.Lock()
	ct.panels.Logs = []deploy.LogLine{line(0, "run 1 starts"), line(5, "run 1 ends"), line(10, "run 2 starts"), line(11, "copied")}
	ct.rec = &state.Task{ID: "t", RunID: "r1", Status: state.TaskCompleted, StartedAt: t0}
	ct.mu.Unlock()
	assert.Len(t, r.Panels("t").Logs, 4, "run 1 and what followed")
	ct.mu.Lock()
	ct.rec = &state.Task{ID: "t", RunID: "r2", Status: state.TaskRunning, StartedAt: t0.Add(10 * time.Minute)}
	ct.mu.Unlock()
	assert.Equal(t, []deploy.LogLine{line(10, "run 2 starts"), line(11, "copied")}, r.Panels("t").Logs)
	assert.Equal(t, []deploy.LogLine{line(10, "run 2 starts")},
		mergeLines(linesSince([]deploy.LogLine{line(5, "run 1 ends")}, t0.Add(10*time.Minute)), linesSince([]deploy.LogLine{line(10, "run 2 starts")}, t0.Add(10*time.Minute))))
}
