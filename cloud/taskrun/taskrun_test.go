package taskrun

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/state"
	"transferhub/cloud/state/statetest"
	"transferhub/cloud/testenv"
)

// The life cycle runs over a real SQLite store in a temporary directory; faultStore
// makes chosen calls fail.

func testStore(t *testing.T) *faultStore {
	return &faultStore{Store: statetest.SQLite(t, ""), fail: map[string]error{}}
}

type faultStore struct {
	state.Store
	mu   sync.Mutex
	fail map[string]error
	// beforeStart runs before StartRun reaches the store (another process's write
	// landing between a caller's read and its start).
	beforeStart func()
}

func (f *faultStore) set(method string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[method] = err
}

func (f *faultStore) err(method string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fail[method]
}

func (f *faultStore) GetTask(ctx context.Context, id string) (state.Task, error) {
	if err := f.err("GetTask"); err != nil {
		return state.Task{}, err
	}
	return f.Store.GetTask(ctx, id)
}

func (f *faultStore) StartRun(ctx context.Context, id string, opts ...state.StartOption) (state.Task, error) {
	if err := f.err("StartRun"); err != nil {
		return state.Task{}, err
	}
	if f.beforeStart != nil {
		f.beforeStart()
	}
	return f.Store.StartRun(ctx, id, opts...)
}

func (f *faultStore) SetTaskStatus(ctx context.Context, id string, from []state.TaskStatus, to state.TaskStatus, msg string) error {
	if err := f.err("SetTaskStatus"); err != nil {
		return err
	}
	return f.Store.SetTaskStatus(ctx, id, from, to, msg)
}

func (f *faultStore) FinishRun(ctx context.Context, id, runID string, from []state.TaskStatus, to state.TaskStatus, msg string) error {
	if err := f.err("SetTaskStatus"); err != nil {
		return err
	}
	return f.Store.FinishRun(ctx, id, runID, from, to, msg)
}

func (f *faultStore) Lease(ctx context.Context, taskID, name, owner string, ttl time.Duration) error {
	if err := f.err("Lease"); err != nil {
		return err
	}
	return f.Store.Lease(ctx, taskID, name, owner, ttl)
}

func (f *faultStore) ReleaseLease(ctx context.Context, taskID, name, owner string) error {
	if err := f.err("ReleaseLease"); err != nil {
		return err
	}
	return f.Store.ReleaseLease(ctx, taskID, name, owner)
}

// taskStore is a test store holding one S3 task, "t".
func taskStore(t *testing.T) (*faultStore, state.Task) {
	st := testStore(t)
	tk, err := Ensure(context.Background(), st, state.Task{ID: "t", Type: state.TaskS3, Name: "n"})
	require.NoError(t, err)
	return st, tk
}

func TestEnsure(t *testing.T) {
	ctx := context.Background()
	st := testStore(t)
	tk, err := Ensure(ctx, st, state.Task{ID: "t", Type: state.TaskS3, Name: "first", Engine: state.EngineCloud})
	require.NoError(t, err)
	assert.Equal(t, state.TaskIdle, tk.Status)
	assert.False(t, tk.CreatedAt.IsZero())
	tk, err = Ensure(ctx, st, state.Task{ID: "t", Type: state.TaskS3, Name: "second"})
	require.NoError(t, err)
	assert.Equal(t, "first", tk.Name, "an existing task keeps what its creator wrote")

	st.set("GetTask", errors.New("disk on fire"))
	_, err = Ensure(ctx, st, state.Task{ID: "u"})
	require.ErrorContains(t, err, "disk on fire")
}

// A process that read the run just before it ended and a new run began does not end
// the new run with the old one's outcome.
func TestFinishLateForItsRun(t *testing.T) {
	ctx := context.Background()
	st, _ := taskStore(t)
	b, err := Begin(ctx, st, "t", BeginOptions{Resume: ResumeListing})
	require.NoError(t, err)
	require.NoError(t, st.AddCounters(ctx, "t", b.Task.RunID, state.Counters{FoundObjects: 1, FoundBytes: 1}))
	require.NoError(t, st.FinishFinder(ctx, "t", b.Task.RunID))
	require.NoError(t, st.PutObjects(ctx, "t", []state.Object{{Key: "a", Size: 1, Status: state.ItemFailed}}))
	late, err := st.GetTask(ctx, "t") // read while the old run is complete and RUNNING
	require.NoError(t, err)
	_, won, err := Finish(ctx, st, "t", End{IfComplete: true})
	require.NoError(t, err)
	require.True(t, won)
	next, err := Begin(ctx, st, "t", BeginOptions{})
	require.NoError(t, err)
	require.NotEqual(t, b.Task.RunID, next.Task.RunID)

	_, won, err = finish(ctx, st, late, End{IfComplete: true})
	require.NoError(t, err)
	require.False(t, won, "the old run's end is not the new run's")
	got, err := st.GetTask(ctx, "t")
	require.NoError(t, err)
	require.Equal(t, state.TaskRunning, got.Status)
	require.Equal(t, next.Task.RunID, got.RunID)
	require.Empty(t, got.LastError)
}

// Many processes settle the last objects at once: exactly one ends the run.
func TestFinishHasOneWinner(t *testing.T) {
	ctx := context.Background()
	st, tk := taskStore(t)
	require.Equal(t, state.TaskIdle, tk.Status)
	b, err := Begin(ctx, st, "t", BeginOptions{Resume: ResumeListing})
	require.NoError(t, err)
	require.False(t, b.Resumed)
	runID := b.Task.RunID
	require.NoError(t, st.AddCounters(ctx, "t", runID, state.Counters{FoundObjects: 2, FoundBytes: 2}))
	complete := End{IfComplete: true}
	_, won, err := Finish(ctx, st, "t", complete)
	require.NoError(t, err)
	require.False(t, won, "the finder is not done yet")
	require.NoError(t, st.FinishFinder(ctx, "t", runID))
	require.NoError(t, st.PutObjects(ctx, "t", []state.Object{{Key: "a", Size: 1, Status: state.ItemDone}}))
	_, won, err = Finish(ctx, st, "t", complete)
	require.NoError(t, err)
	require.False(t, won, "one object still unsettled")
	require.NoError(t, st.PutObjects(ctx, "t", []state.Object{{Key: "b", Size: 1, Status: state.ItemDone}}))

	var wins sync.WaitGroup
	var mu sync.Mutex
	n := 0
	for i := 0; i < 16; i++ {
		wins.Add(1)
		go func() {
			defer wins.Done()
			_, w, err := Finish(ctx, st, "t", complete)
			assert.NoError(t, err)
			if w {
				mu.Lock()
				n++
				mu.Unlock()
			}
		}()
	}
	wins.Wait()
	require.Equal(t, 1, n)
	tk, err = st.GetTask(ctx, "t")
	require.NoError(t, err)
	require.Equal(t, state.TaskCompleted, tk.Status)
}

func TestFinishStatuses(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		end    End
		failed bool
		want   state.TaskStatus
		msg    string
	}{
		{"cloud one-time", End{IfComplete: true}, false, state.TaskCompleted, ""},
		{"cloud one-time, failures", End{IfComplete: true}, true, state.TaskFailed, "1 of 2 objects failed"},
		{"cloud scheduled, failures", End{IfComplete: true, Scheduled: true}, true, state.TaskIdle, "1 of 2 objects failed"},
		{"cloud scheduled", End{IfComplete: true, Scheduled: true}, false, state.TaskIdle, ""},
		{"images", End{Noun: "images"}, true, state.TaskFailed, "1 of 2 images failed"},
		{"local, own message", End{Failure: "1 objects failed"}, true, state.TaskFailed, "1 objects failed"},
		{"local scheduled keeps failures", End{Scheduled: true, KeepFailed: true}, true, state.TaskFailed, "1 of 2 objects failed"},
		{"local scheduled", End{Scheduled: true, KeepFailed: true}, false, state.TaskIdle, ""},
		{"run failed", End{Err: errors.New("listing denied"), Scheduled: true}, false, state.TaskFailed, "listing denied"},
		{"stopped", End{Stopped: true}, true, state.TaskStopped, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, _ := taskStore(t)
			b, err := Begin(ctx, st, "t", BeginOptions{})
			require.NoError(t, err)
			require.NoError(t, st.AddCounters(ctx, "t", b.Task.RunID, state.Counters{FoundObjects: 2}))
			second := state.ItemDone
			if c.failed {
				second = state.ItemFailed
			}
			require.NoError(t, st.PutObjects(ctx, "t", []state.Object{{Key: "a", Status: state.ItemDone}, {Key: "b", Status: second, Error: "x"}}))
			require.NoError(t, st.FinishFinder(ctx, "t", b.Task.RunID))
			got, won, err := Finish(ctx, st, "t", c.end)
			require.NoError(t, err)
			require.True(t, won)
			tk, err := st.GetTask(ctx, "t")
			require.NoError(t, err)
			require.Equal(t, c.want, tk.Status)
			require.Equal(t, c.msg, tk.LastError)
			require.Equal(t, c.want, got.Status)
		})
	}
}

func TestFinishErrors(t *testing.T) {
	ctx := context.Background()
	st, _ := taskStore(t)
	_, err := Begin(ctx, st, "t", BeginOptions{})
	require.NoError(t, err)
	st.set("SetTaskStatus", errors.New("disk full"))
	_, won, err := Finish(ctx, st, "t", End{})
	require.ErrorContains(t, err, "disk full")
	require.False(t, won)
	st.set("SetTaskStatus", nil)
	st.set("GetTask", errors.New("disk gone"))
	_, _, err = Finish(ctx, st, "t", End{IfComplete: true})
	require.ErrorContains(t, err, "disk gone")
	st.set("GetTask", nil)

	// A run that ended already is not ended twice by its holder.
	_, _, err = Finish(ctx, st, "t", End{})
	require.NoError(t, err)
	_, _, err = Finish(ctx, st, "t", End{})
	require.ErrorIs(t, err, state.ErrConflict)
}

func TestBegin(t *testing.T) {
	ctx := context.Background()
	st, _ := taskStore(t)
	listing := BeginOptions{Resume: ResumeListing, HonourStop: true}
	first, err := Begin(ctx, st, "t", listing)
	require.NoError(t, err)
	// The finder died before finishing: the next finder resumes the same run...
	again, err := Begin(ctx, st, "t", listing)
	require.NoError(t, err)
	require.True(t, again.Resumed)
	require.Equal(t, first.Task.RunID, again.Task.RunID)
	// ...unless its listing cannot resume (images): a new run.
	fresh, err := Begin(ctx, st, "t", BeginOptions{Resume: ResumeNone, HonourStop: true})
	require.NoError(t, err)
	require.False(t, fresh.Resumed)
	require.NotEqual(t, first.Task.RunID, fresh.Task.RunID)
	// A run whose finder finished but whose objects are still in flight is superseded.
	require.NoError(t, st.AddCounters(ctx, "t", fresh.Task.RunID, state.Counters{FoundObjects: 5}))
	require.NoError(t, st.FinishFinder(ctx, "t", fresh.Task.RunID))
	next, err := Begin(ctx, st, "t", listing)
	require.NoError(t, err)
	require.False(t, next.Resumed)
	require.NotEqual(t, fresh.Task.RunID, next.Task.RunID)
	require.Zero(t, next.Task.Counters.FoundObjects)
	// A local run resumes the interrupted run whatever its finder did.
	require.NoError(t, st.FinishFinder(ctx, "t", next.Task.RunID))
	local, err := Begin(ctx, st, "t", BeginOptions{Resume: ResumeInterrupted})
	require.NoError(t, err)
	require.True(t, local.Resumed)
	require.Equal(t, next.Task.RunID, local.Task.RunID)
	// A stopped task starts nothing where stops are honoured (cloud)...
	require.NoError(t, st.SetTaskStatus(ctx, "t", nil, state.TaskStopped, ""))
	_, err = Begin(ctx, st, "t", listing)
	require.ErrorContains(t, err, "is STOPPED")
	// ...and starts a new run when a user asks for one.
	started, err := Begin(ctx, st, "t", BeginOptions{Resume: ResumeInterrupted})
	require.NoError(t, err)
	require.False(t, started.Resumed)
	require.NotEqual(t, next.Task.RunID, started.Task.RunID)
	// A STOPPING run left by a dead local process is interrupted, not stopped.
	require.NoError(t, st.SetTaskStatus(ctx, "t", nil, state.TaskStopping, ""))
	again, err = Begin(ctx, st, "t", BeginOptions{Resume: ResumeInterrupted})
	require.NoError(t, err)
	require.True(t, again.Resumed)
	// The desktop's Resume reopens a stopped or failed run in place.
	require.NoError(t, st.SetTaskStatus(ctx, "t", nil, state.TaskFailed, "3 objects failed"))
	reopened, err := Begin(ctx, st, "t", BeginOptions{Resume: ResumeCurrent})
	require.NoError(t, err)
	require.True(t, reopened.Resumed)
	require.Equal(t, started.Task.RunID, reopened.Task.RunID)
	require.Equal(t, state.TaskRunning, reopened.Task.Status)
	// A task being deleted starts nothing, whatever the rules.
	require.NoError(t, st.SetTaskStatus(ctx, "t", nil, state.TaskDeleting, ""))
	_, err = Begin(ctx, st, "t", BeginOptions{Resume: ResumeInterrupted})
	require.ErrorContains(t, err, "is DELETING")
}

// A stop that lands after a finder read the task and before it begins its run (the
// user pressed Stop while the finder started) is honoured: the finder begins nothing
// (state.ErrStopped) and the task stays STOPPED with the run it had. For a finder that
// supersedes a run whose listing finished, too.
func TestBeginHonoursAStopAfterItsRead(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name string
		prep func(t *testing.T, st *faultStore) string // the run the task has
	}{
		{"idle task", func(t *testing.T, st *faultStore) string { return "" }},
		{"run superseded", func(t *testing.T, st *faultStore) string {
			b, err := Begin(ctx, st, "t", BeginOptions{Resume: ResumeListing, HonourStop: true})
			require.NoError(t, err)
			require.NoError(t, st.AddCounters(ctx, "t", b.Task.RunID, state.Counters{FoundObjects: 5}))
			require.NoError(t, st.FinishFinder(ctx, "t", b.Task.RunID))
			return b.Task.RunID
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, _ := taskStore(t)
			run := c.prep(t, st)
			stops := 0
			st.beforeStart = func() {
				stops++
				require.NoError(t, st.SetTaskStatus(ctx, "t", nil, state.TaskStopped, ""))
			}
			_, err := Begin(ctx, st, "t", BeginOptions{Resume: ResumeListing, HonourStop: true})
			require.ErrorIs(t, err, state.ErrStopped)
			require.ErrorContains(t, err, "not starting a run")
			require.Equal(t, 1, stops)
			got, err := st.GetTask(ctx, "t")
			require.NoError(t, err)
			assert.Equal(t, state.TaskStopped, got.Status, "the stop stands")
			assert.Equal(t, run, got.RunID, "no run begun after the stop")

			// Resume / Run now make the task IDLE again: the next finder begins its run.
			st.beforeStart = nil
			require.NoError(t, st.SetTaskStatus(ctx, "t", []state.TaskStatus{state.TaskStopped}, state.TaskIdle, ""))
			b, err := Begin(ctx, st, "t", BeginOptions{Resume: ResumeListing, HonourStop: true})
			require.NoError(t, err)
			assert.Equal(t, state.TaskRunning, b.Task.Status)
			assert.NotEqual(t, run, b.Task.RunID)
		})
	}
}

func TestBeginStoreErrors(t *testing.T) {
	ctx := context.Background()
	st, _ := taskStore(t)
	st.set("StartRun", errors.New("no space left"))
	_, err := Begin(ctx, st, "t", BeginOptions{})
	require.ErrorContains(t, err, "no space left")
	st.set("StartRun", nil)
	_, err = Begin(ctx, st, "t", BeginOptions{})
	require.NoError(t, err)
	st.set("SetTaskStatus", errors.New("read-only"))
	_, err = Begin(ctx, st, "t", BeginOptions{Resume: ResumeNone})
	require.ErrorContains(t, err, "read-only", "a failed supersede is not passed over")
}

func TestOwner(t *testing.T) {
	o := NewOwner()
	p, ok := ParseOwner(o.String())
	require.True(t, ok)
	require.Equal(t, o.Host, p.Host)
	require.Equal(t, o.PID, p.PID)
	require.True(t, o.Since.Equal(p.Since))
	p, ok = ParseOwner("ip-10-0-0-1.ec2.internal/7/1700000000000000000")
	require.True(t, ok)
	require.Equal(t, "ip-10-0-0-1.ec2.internal", p.Host)
	for _, bad := range []string{"", "another-finder", "app-123-abcd", "thub-12-34", "/1/2", "h/x/2", "h/1/y"} {
		_, ok := ParseOwner(bad)
		require.False(t, ok, bad)
	}
}

// A second runner is refused while the first holds the lease, with a message that says
// who runs the task; once released, the lease can be taken.
func TestSecondRunnerRefused(t *testing.T) {
	ctx := context.Background()
	st, _ := taskStore(t)
	_, one, err := Hold(ctx, st, "t", LeaseOptions{Name: FinderLease, TTL: time.Minute})
	require.NoError(t, err)
	_, _, err = Hold(ctx, st, "t", LeaseOptions{Name: FinderLease, TTL: time.Minute})
	require.ErrorIs(t, err, ErrBusy)
	require.ErrorIs(t, err, state.ErrConflict)
	var le *LeaseError
	require.ErrorAs(t, err, &le)
	require.Equal(t, one.Owner(), le.Holder)
	host, _ := os.Hostname()
	require.ErrorContains(t, err, "lease of task t is held by another process: the task is being run by "+host)
	require.ErrorContains(t, err, "since ")
	require.NoError(t, one.Err(), "not lost while renewed")
	require.NoError(t, one.Release())
	_, two, err := Hold(ctx, st, "t", LeaseOptions{Name: FinderLease, TTL: time.Minute})
	require.NoError(t, err, "released on stop")
	require.NoError(t, two.Release())
}

// The lease is renewed while held: its expiry moves on.
func TestLeaseRenewed(t *testing.T) {
	ctx := context.Background()
	st, _ := taskStore(t)
	_, l, err := Hold(ctx, st, "t", LeaseOptions{TTL: 600 * time.Millisecond})
	require.NoError(t, err)
	defer l.Release()
	until := func() time.Time {
		var held *state.LeaseHeldError
		require.ErrorAs(t, st.Lease(ctx, "t", RunLease, "someone-else", time.Minute), &held)
		return held.Until
	}
	first := until()
	require.Eventually(t, func() bool { return until().After(first) }, time.Minute, 50*time.Millisecond)
	require.NoError(t, l.Err())
}

// A run whose lease is taken over stops: its context is cancelled with a cause that says
// who runs the task, and it records nothing more.
func TestLeaseLostStopsRun(t *testing.T) {
	ctx := context.Background()
	st := testStore(t)
	tmpl := state.Task{ID: "t", Type: state.TaskS3, Name: "n"}
	var logs testenv.LogBuffer
	runCtx, run, err := Start(ctx, st, tmpl, Options{Lease: LeaseOptions{TTL: 300 * time.Millisecond, Log: slog.New(slog.NewTextHandler(&logs, nil))}})
	require.NoError(t, err)
	defer run.Close()
	require.Equal(t, state.TaskRunning, run.Task.Status)

	// Another process takes the task (as if this one had been paused past its lease).
	other := Owner{Host: "elsewhere", PID: 4242, Since: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	require.NoError(t, st.ReleaseLease(ctx, "t", RunLease, run.lease.Owner()))
	require.NoError(t, st.Lease(ctx, "t", RunLease, other.String(), time.Minute))

	<-runCtx.Done()
	cause := context.Cause(runCtx)
	var le *LeaseError
	require.ErrorAs(t, cause, &le)
	require.True(t, le.Lost)
	require.Equal(t, other.String(), le.Holder)
	require.ErrorIs(t, cause, ErrBusy)
	require.ErrorContains(t, cause, "lost the run lease of task t: the task is being run by elsewhere (pid 4242) since ")
	require.Equal(t, cause, run.Err())
	require.Contains(t, logs.String(), "the run stops: lost the run lease", "the log says why")

	_, err = run.Finish(ctx, End{})
	require.Equal(t, cause, err, "a run that lost its lease records nothing")
	tk, err := st.GetTask(ctx, "t")
	require.NoError(t, err)
	require.Equal(t, state.TaskRunning, tk.Status, "the new holder's business")
	require.NoError(t, run.Close())
	var held *state.LeaseHeldError
	require.ErrorAs(t, st.Lease(ctx, "t", RunLease, "third", time.Minute), &held)
	require.Equal(t, other.String(), held.Holder, "closing a lost run leaves the new holder's lease alone")
}

// Renewals that keep failing for a whole TTL stop the run: it can no longer tell that it
// holds the task. The cause carries the store's error.
func TestLeaseRenewalErrorsStopRun(t *testing.T) {
	ctx := context.Background()
	st, _ := taskStore(t)
	runCtx, l, err := Hold(ctx, st, "t", LeaseOptions{TTL: 300 * time.Millisecond})
	require.NoError(t, err)
	boom := errors.New("database is locked")
	st.set("Lease", boom)
	<-runCtx.Done()
	cause := context.Cause(runCtx)
	require.ErrorIs(t, cause, boom)
	require.NotErrorIs(t, cause, ErrBusy)
	require.ErrorContains(t, cause, "lost the run lease of task t: it could not be renewed for 300ms")
	st.set("Lease", nil)
	require.NoError(t, l.Release())
}

func TestReleaseError(t *testing.T) {
	ctx := context.Background()
	st, _ := taskStore(t)
	_, l, err := Hold(ctx, st, "t", LeaseOptions{})
	require.NoError(t, err)
	st.set("ReleaseLease", errors.New("disk unplugged"))
	require.ErrorContains(t, l.Release(), "disk unplugged")
	require.ErrorContains(t, l.Release(), "disk unplugged", "the first result, again")
}

// kill -9 leaves a lease behind: a local holder whose process is gone is taken over at
// once, and the log says so.
func TestTakeOverDeadLocalHolder(t *testing.T) {
	ctx := context.Background()
	st, _ := taskStore(t)
	dead := exec.Command(os.Args[0], "-test.run=^$")
	require.NoError(t, dead.Run())
	host, _ := os.Hostname()
	gone := Owner{Host: host, PID: dead.Process.Pid, Since: time.Now().Add(-time.Second)}
	require.NoError(t, st.Lease(ctx, "t", RunLease, gone.String(), time.Hour))

	var logs testenv.LogBuffer
	_, l, err := Hold(ctx, st, "t", LeaseOptions{Local: true, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err, "taken over without waiting an hour")
	defer l.Release()
	require.Contains(t, logs.String(), "taking the task over from a process that stopped without releasing it")
	require.Contains(t, logs.String(), strconv.Itoa(dead.Process.Pid))

	// Not for shared stores: there the holder may be another machine of the same name.
	require.NoError(t, l.Release())
	require.NoError(t, st.Lease(ctx, "t", RunLease, gone.String(), time.Hour))
	_, _, err = Hold(ctx, st, "t", LeaseOptions{})
	require.ErrorIs(t, err, ErrBusy)
}

// A live local holder is refused at once, however long the runner would wait for a
// holder it cannot check.
func TestLiveLocalHolderRefused(t *testing.T) {
	ctx := context.Background()
	st, _ := taskStore(t)
	_, one, err := Hold(ctx, st, "t", LeaseOptions{Local: true})
	require.NoError(t, err)
	defer one.Release()
	_, _, err = Hold(ctx, st, "t", LeaseOptions{Local: true, Wait: time.Hour})
	require.ErrorIs(t, err, ErrBusy)
	require.ErrorContains(t, err, "is being run by ")
}

// A holder that cannot be checked (another host) is waited for until its lease lapses,
// and the log says why the runner waits.
func TestWaitForHolderElsewhere(t *testing.T) {
	ctx := context.Background()
	st, _ := taskStore(t)
	other := Owner{Host: "elsewhere", PID: 1, Since: time.Now()}
	require.NoError(t, st.Lease(ctx, "t", RunLease, other.String(), 300*time.Millisecond))
	var logs testenv.LogBuffer
	_, l, err := Hold(ctx, st, "t", LeaseOptions{Local: true, Wait: time.Minute, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	defer l.Release()
	require.Contains(t, logs.String(), "waiting for its lease to lapse")
	require.Contains(t, logs.String(), "elsewhere (pid 1)")

	// Without a wait, the same holder is refused at once.
	require.NoError(t, l.Release())
	require.NoError(t, st.Lease(ctx, "t", RunLease, other.String(), time.Hour))
	_, _, err = Hold(ctx, st, "t", LeaseOptions{Local: true})
	require.ErrorIs(t, err, ErrBusy)
	require.ErrorContains(t, err, "the task is being run by elsewhere (pid 1) since ")
}

func TestStart(t *testing.T) {
	ctx := context.Background()
	st := testStore(t)
	tmpl := state.Task{ID: "t", Type: state.TaskImage, Name: "images", Engine: state.EngineLocal}
	_, run, err := Start(ctx, st, tmpl, Options{Begin: BeginOptions{Resume: ResumeInterrupted}})
	require.NoError(t, err)
	require.False(t, run.Resumed)
	// A second runner is refused while the first runs.
	_, _, err = Start(ctx, st, tmpl, Options{})
	require.ErrorIs(t, err, ErrBusy)
	require.NoError(t, run.Close())

	// The first process died: the next one resumes its run.
	_, again, err := Start(ctx, st, tmpl, Options{Begin: BeginOptions{Resume: ResumeInterrupted}})
	require.NoError(t, err)
	require.True(t, again.Resumed)
	require.Equal(t, run.Task.RunID, again.Task.RunID)
	tk, err := again.Finish(ctx, End{Noun: "images"})
	require.NoError(t, err)
	require.Equal(t, state.TaskCompleted, tk.Status)
	require.NoError(t, again.Close())

	// A begin that fails releases the lease it took, and says why it failed.
	st.set("StartRun", errors.New("no space left"))
	_, _, err = Start(ctx, st, tmpl, Options{})
	require.ErrorContains(t, err, "no space left")
	st.set("StartRun", nil)
	_, ok, err := Start(ctx, st, tmpl, Options{})
	require.NoError(t, err, "the lease was released")

	// A held lease is used, and left to its holder.
	require.NoError(t, ok.Close())
	runCtx, l, err := Hold(ctx, st, "t", LeaseOptions{})
	require.NoError(t, err)
	_, held, err := Start(runCtx, st, tmpl, Options{Held: l})
	require.NoError(t, err)
	require.NoError(t, held.Close())
	_, _, err = Hold(ctx, st, "t", LeaseOptions{})
	require.ErrorIs(t, err, ErrBusy, "still the caller's")
	require.NoError(t, l.Release())
}

// oneOfTwoFailed begins a run of task "t" whose finder is done, having found two items:
// one done, one failed.
func oneOfTwoFailed(t *testing.T) (*faultStore, string) {
	t.Helper()
	ctx := context.Background()
	st, _ := taskStore(t)
	b, err := Begin(ctx, st, "t", BeginOptions{})
	require.NoError(t, err)
	run := b.Task.RunID
	require.NoError(t, st.AddCounters(ctx, "t", run, state.Counters{FoundObjects: 2, DoneObjects: 1, FailedObjects: 1}))
	require.NoError(t, st.FinishFinder(ctx, "t", run))
	return st, run
}

// A run that ended because an item failed, whose item a later attempt of the same run
// then copied (an image task's state machine retries a failed batch after the run
// ended): a run that ended FAILED becomes COMPLETED with Recovered; a scheduled one
// rests IDLE with its LastError, which the recovery clears (before, the stale "1 of 2
// images failed" stayed beside counters saying none failed). Without Recovered, or while
// an item is still failed, the run is left alone; a recovered run rests.
func TestFinishRecoveredRun(t *testing.T) {
	for _, c := range []struct {
		name      string
		end       End
		ended     state.TaskStatus // after the first Finish
		lastError string           // of the first Finish ("": not checked)
		recovered state.TaskStatus
	}{
		{"once", End{IfComplete: true, Recovered: true}, state.TaskFailed, "", state.TaskCompleted},
		{"scheduled", End{IfComplete: true, Recovered: true, Scheduled: true, Noun: "images"}, state.TaskIdle, "1 of 2 images failed", state.TaskIdle},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			st, run := oneOfTwoFailed(t)
			tk, won, err := Finish(ctx, st, "t", c.end)
			require.NoError(t, err)
			require.True(t, won)
			require.Equal(t, c.ended, tk.Status)
			if c.lastError != "" {
				require.Equal(t, c.lastError, tk.LastError)
			}

			_, won, err = Finish(ctx, st, "t", c.end)
			require.NoError(t, err)
			assert.False(t, won, "still one failed: the run stays as it ended")

			require.NoError(t, st.AddCounters(ctx, "t", run, state.Counters{DoneObjects: 1, FailedObjects: -1}))
			noRecovery := c.end
			noRecovery.Recovered = false
			_, won, err = Finish(ctx, st, "t", noRecovery)
			require.NoError(t, err)
			assert.False(t, won, "without Recovered the run is not ended again")
			tk, won, err = Finish(ctx, st, "t", c.end)
			require.NoError(t, err)
			require.True(t, won)
			assert.Equal(t, c.recovered, tk.Status)
			got, err := st.GetTask(ctx, "t")
			require.NoError(t, err)
			assert.Equal(t, c.recovered, got.Status)
			assert.Empty(t, got.LastError, "the recovery clears the stale error")
			assert.Equal(t, run, got.RunID)

			_, won, err = Finish(ctx, st, "t", c.end)
			require.NoError(t, err)
			assert.False(t, won, "a recovered run rests: nothing to end again")
		})
	}
}
