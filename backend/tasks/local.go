package tasks

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"transferhub/cloud/s3sync"
	"transferhub/cloud/state"
	"transferhub/cloud/taskrun"
)

// LocalOptions build a LocalRunner.
type LocalOptions struct {
	// Credentials resolve the profiles of a task when its run starts.
	Credentials Credentials
	// DefaultConcurrency is used by S3 tasks that set none (the user's setting).
	DefaultConcurrency func() int
	// Observer hears when a run begins and ends, and its progress every second.
	Observer Observer
	Logger   *slog.Logger
	// Now is the clock of progress snapshots (tests); nil: time.Now.
	Now func() time.Time
	// LeaseTTL is how long a run's lease lasts unless renewed (tests); 0: taskrun's default.
	LeaseTTL time.Duration
}

// LocalRunner runs tasks inside this app (state.EngineLocal) on the engines `thub` uses
// (cloud/s3sync, cloud/image) over the task's SQLite file, with their life cycle
// (cloud/taskrun): one run per task file across app windows and processes (a lease; a run
// that loses it stops and its log says why); a run the app's exit interrupts stays
// RUNNING in the file and resumes when the app opens again (Reopen).
type LocalRunner struct {
	engines
	observer Observer
	now      func() time.Time
	leaseTTL time.Duration

	base     context.Context // parent of every run; canceled with errShutdown by Close
	shutdown context.CancelCauseFunc

	mu     sync.Mutex
	runs   map[string]*run // by task id
	closed bool
	wg     sync.WaitGroup
}

// run is an active run in this app.
type run struct {
	task     Task
	mode     Mode
	cancel   context.CancelCauseFunc
	done     chan struct{}
	stopping atomic.Bool
	bytes    atomic.Int64                    // image bytes sent in this run so far
	s3       atomic.Pointer[s3sync.Progress] // the S3 engine's latest snapshot
	last     atomic.Pointer[Progress]        // the latest snapshot reported
}

// NewLocalRunner builds the local runner.
func NewLocalRunner(opt LocalOptions) *LocalRunner {
	if opt.Observer == nil {
		opt.Observer = nobody{}
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	base, cancel := context.WithCancelCause(context.Background())
	return &LocalRunner{
		engines:  newEngines(opt.Credentials, opt.DefaultConcurrency, opt.Logger),
		observer: opt.Observer, now: opt.Now, leaseTTL: cmp.Or(opt.LeaseTTL, taskrun.DefaultTTL),
		base: base, shutdown: cancel, runs: map[string]*run{},
	}
}

// Engine implements Runner.
func (l *LocalRunner) Engine() state.Engine { return state.EngineLocal }

// Run implements Runner.
func (l *LocalRunner) Run(_ context.Context, t Task, mode Mode) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return errors.New("the app is closing")
	}
	if l.runs[t.ID] != nil {
		return fmt.Errorf("%w: %q is already running", ErrBusy, t.Name)
	}
	l.launch(t, mode)
	return nil
}

// launch starts a run goroutine; l.mu must be held and the task have no run.
func (l *LocalRunner) launch(t Task, mode Mode) {
	ctx, cancel := context.WithCancelCause(l.base)
	r := &run{task: t, mode: mode, cancel: cancel, done: make(chan struct{})}
	l.runs[t.ID] = r
	l.wg.Add(1)
	go l.execute(ctx, r)
}

// end asks the task's run to end for cause; nil when the task has none.
func (l *LocalRunner) end(id string, cause error) *run {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.runs[id]
	if r != nil {
		r.stopping.Store(true)
		r.cancel(cause)
	}
	return r
}

// Stop implements Runner.
func (l *LocalRunner) Stop(ctx context.Context, t Task) error {
	if l.end(t.ID, errStopped) == nil {
		// A run left RUNNING by an app that was killed, not running here: mark it stopped.
		err := t.Store.SetTaskStatus(ctx, t.ID, []state.TaskStatus{state.TaskRunning, state.TaskStopping}, state.TaskStopped, "")
		if errors.Is(err, state.ErrConflict) {
			return fmt.Errorf("%w: the task is not running", ErrBusy)
		}
		if err != nil {
			return fmt.Errorf("stop %s: %w", t.ID, err)
		}
		l.observer.TaskChanged(t.ID)
		return nil
	}
	if err := t.Store.SetTaskStatus(ctx, t.ID, []state.TaskStatus{state.TaskRunning}, state.TaskStopping, ""); err != nil && !errors.Is(err, state.ErrConflict) {
		return fmt.Errorf("stop %s: %w", t.ID, err)
	}
	l.observer.TaskChanged(t.ID)
	return nil
}

// Delete implements Runner: it stops the task's run and waits for it. The run's queue
// and records are in the task's file, which the Manager removes.
func (l *LocalRunner) Delete(ctx context.Context, t Task, _ DeleteOptions) error {
	r := l.end(t.ID, errDeleted)
	if r == nil {
		return nil
	}
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("delete %s: the run did not stop in time; try again", t.ID)
	}
}

// Reopen implements Runner: a run the previous app left RUNNING (it was closed or killed
// mid-run) resumes; one it left STOPPING is stopped.
func (l *LocalRunner) Reopen(ctx context.Context, t Task) error {
	rec, err := t.Store.GetTask(ctx, t.ID)
	if err != nil {
		return fmt.Errorf("read task %s: %w", t.ID, err)
	}
	switch rec.Status {
	case state.TaskStopping:
		return t.Store.SetTaskStatus(ctx, t.ID, []state.TaskStatus{state.TaskStopping}, state.TaskStopped, "")
	case state.TaskRunning:
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.closed || l.runs[t.ID] != nil {
			return nil
		}
		t.Log.Logger(slog.LevelInfo, nil, t.ID).Info("the app was closed during a run: resuming it")
		l.launch(t, modeReopen)
	}
	return nil
}

// Progress implements Runner.
func (l *LocalRunner) Progress(id string) (Progress, bool) {
	l.mu.Lock()
	r := l.runs[id]
	l.mu.Unlock()
	if r == nil {
		return Progress{}, false
	}
	if p := r.last.Load(); p != nil {
		return *p, true
	}
	return Progress{}, true
}

// Close implements Runner: every run is interrupted (it stays RUNNING in its file and
// resumes at the next start); Close waits for them until ctx ends.
func (l *LocalRunner) Close(ctx context.Context) {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.shutdown(errShutdown)
	done := make(chan struct{})
	go func() { l.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		l.log.Warn("closing while task runs are still stopping")
	}
}
