// Package taskrun is the life cycle of a task's run over a state.Store, the same for
// every runner: thub s3 sync and image sync, the desktop, and the cloud run's finder,
// workers and image copiers.
//
//   - A lease says which process runs the task (Hold). It is renewed every third of its
//     TTL, so a killed process blocks the next run briefly at most; a local holder whose
//     process is gone is taken over at once. A run that loses its lease stops: its
//     context is cancelled with a *LeaseError that says who runs the task now, and
//     nothing more is recorded in its name.
//   - A run is begun (Begin): new, an interrupted one resumed, or an unfinished one
//     superseded, by the rules a runner chooses (Resume).
//   - A run is finished (Finish): COMPLETED, FAILED with what failed, STOPPED, or IDLE
//     for a scheduled task; conditional where several processes settle one run, so
//     exactly one of them ends it.
//
// Start puts the three together for a runner that holds the task for the whole run.
// cloud/docs/cloud-run.md ("Runs and completion") and the CLI pages describe them for
// users.
package taskrun

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"transferhub/cloud/state"
)

// Ensure creates the task from t when it does not exist yet (CreatedAt/UpdatedAt set
// now; Status as given, IDLE when empty) and returns the stored task. An existing task
// is returned as it is: whoever created it owns its name and definition.
func Ensure(ctx context.Context, st state.Store, t state.Task) (state.Task, error) {
	cur, err := st.GetTask(ctx, t.ID)
	if err == nil {
		return cur, nil
	}
	if !errors.Is(err, state.ErrNotFound) {
		return state.Task{}, fmt.Errorf("read task %s: %w", t.ID, err)
	}
	now := time.Now().UTC()
	t.CreatedAt, t.UpdatedAt = now, now
	if t.Status == "" {
		t.Status = state.TaskIdle
	}
	if err := st.PutTask(ctx, t); err != nil {
		return state.Task{}, fmt.Errorf("create task %s: %w", t.ID, err)
	}
	cur, err = st.GetTask(ctx, t.ID)
	if err != nil {
		return state.Task{}, fmt.Errorf("read task %s: %w", t.ID, err)
	}
	return cur, nil
}

// Resume says which unfinished run Begin continues rather than replaces.
type Resume int

const (
	// ResumeDefault: the runner's own rule (s3sync.Sync: ResumeInterrupted; an image
	// sync: ResumeNone). Begin itself treats it as ResumeNone.
	ResumeDefault Resume = iota
	// ResumeNone: always a new run; a RUNNING one (its process died) is superseded.
	// For runs whose selection cannot continue where it stopped (images).
	ResumeNone
	// ResumeListing: a RUNNING run whose finder did not finish is resumed (its listing
	// continues from a checkpoint); one whose finder finished is superseded, so a
	// scheduled run never waits behind a backlog: the new finder sends whatever is
	// still missing and workers drop the old run's jobs (the cloud finder).
	ResumeListing
	// ResumeInterrupted: a RUNNING (or STOPPING) run is resumed, whatever its finder
	// did: its jobs wait in the task's own queue (local runs).
	ResumeInterrupted
	// ResumeCurrent: the current run continues whatever its status; a STOPPED, FAILED,
	// COMPLETED or IDLE run is reopened (the desktop's Resume and Retry failed). A task
	// that never ran starts its first run.
	ResumeCurrent
)

// BeginOptions say how Begin picks the run.
type BeginOptions struct {
	Resume Resume
	// HonourStop: a STOPPING or STOPPED task starts nothing (a cloud task the user
	// stopped keeps its schedule from starting runs), and the refusal is a
	// state.ErrStopped. A stop that comes after the task was read is checked in the
	// write that begins the run (state.RefuseStopped). Without it a start is the user's
	// own request, and a STOPPING run left by a dead process counts as interrupted.
	HonourStop bool
	Log        *slog.Logger // nowhere when nil
}

// Begun is the run Begin picked.
type Begun struct {
	Task    state.Task // the task with its current run (RunID, counters so far)
	Resumed bool       // an existing run continues
}

// Begin picks the run a runner works on, by opt's rules; call it under the task's lease
// (or where a scheduler guarantees one starter at a time). A DELETING task starts
// nothing.
func Begin(ctx context.Context, st state.Store, taskID string, opt BeginOptions) (Begun, error) {
	log := logger(opt.Log)
	t, err := st.GetTask(ctx, taskID)
	if err != nil {
		return Begun{}, fmt.Errorf("read task %s: %w", taskID, err)
	}
	switch {
	case t.Status == state.TaskDeleting:
		return Begun{Task: t}, fmt.Errorf("task %s is %s: not starting a run", taskID, t.Status)
	case opt.HonourStop && (t.Status == state.TaskStopping || t.Status == state.TaskStopped):
		return Begun{Task: t}, fmt.Errorf("task %s is %s: not starting a run: %w", taskID, t.Status, state.ErrStopped)
	}
	running := t.Status == state.TaskRunning || t.Status == state.TaskStopping
	switch {
	case running && (opt.Resume == ResumeInterrupted || opt.Resume == ResumeCurrent ||
		opt.Resume == ResumeListing && !t.FinderDone):
		log.Info("resuming the run that did not finish", "task", taskID, "run", t.RunID, "finder_done", t.FinderDone)
		return Begun{Task: t, Resumed: true}, nil
	case running:
		log.Warn("superseding the previous run, which did not finish", "task", taskID, "run", t.RunID,
			"settled", t.Counters.Settled(), "found", t.Counters.FoundObjects, "finder_done", t.FinderDone)
		err := st.SetTaskStatus(ctx, taskID, []state.TaskStatus{state.TaskRunning, state.TaskStopping}, state.TaskIdle,
			fmt.Sprintf("run %s superseded by a new run before it settled", t.RunID))
		if err != nil && !errors.Is(err, state.ErrConflict) {
			return Begun{Task: t}, fmt.Errorf("supersede run %s of task %s: %w", t.RunID, taskID, err)
		}
	case opt.Resume == ResumeCurrent && t.RunID != "":
		err := st.SetTaskStatus(ctx, taskID, []state.TaskStatus{state.TaskStopped, state.TaskFailed, state.TaskCompleted, state.TaskIdle},
			state.TaskRunning, "")
		if err != nil && !errors.Is(err, state.ErrConflict) {
			return Begun{Task: t}, fmt.Errorf("reopen run %s of task %s: %w", t.RunID, taskID, err)
		}
		if t, err = st.GetTask(ctx, taskID); err != nil {
			return Begun{}, fmt.Errorf("read task %s: %w", taskID, err)
		}
		log.Info("reopening the current run", "task", taskID, "run", t.RunID)
		return Begun{Task: t, Resumed: true}, nil
	}
	var startOpts []state.StartOption
	if opt.HonourStop {
		// Checked again in the write that begins the run: the user may have stopped the
		// task since it was read above.
		startOpts = append(startOpts, state.RefuseStopped)
	}
	t, err = st.StartRun(ctx, taskID, startOpts...)
	if errors.Is(err, state.ErrStopped) {
		return Begun{}, fmt.Errorf("task %s is %s: not starting a run: %w", taskID, state.TaskStopped, state.ErrStopped)
	}
	if err != nil {
		return Begun{Task: t}, fmt.Errorf("start a run of task %s: %w", taskID, err)
	}
	return Begun{Task: t}, nil
}

// End says how a run ended, as its runner saw it, and what the task does next.
type End struct {
	// Err: the run failed as a whole: FAILED, with Err's message.
	Err error
	// Stopped: the user stopped the run: STOPPED (it can be resumed).
	Stopped bool
	// Failure: items (or deletions) failed: FAILED with this message. When empty, the
	// store's counters decide: "N of M <Noun> failed".
	Failure string
	Noun    string // "objects" when empty
	// IfComplete: end the run only when the store's records say it is over
	// (state.Task.Complete), and only from RUNNING: for the processes that each settle a
	// part of one run (cloud workers and copiers, and the finder at its end). Each writes
	// its records first, then calls Finish: the last writer sees them all, and the status
	// change is conditional, so exactly one caller ends the run.
	IfComplete bool
	// Recovered (with IfComplete): a run that already ended FAILED because some items
	// failed becomes COMPLETED (IDLE when Scheduled) once a later attempt of the same
	// run settled every item with none failed: an image task's state machine retries a
	// failed batch after the copier that settled the run's last image ended it. A
	// Scheduled run whose failures left the task IDLE with their LastError loses it
	// likewise.
	Recovered bool
	// Scheduled: the task runs again on a schedule: a run that completed leaves it IDLE.
	// So does one whose items failed, unless KeepFailed (the desktop shows failures until
	// they are retried; a cloud task's LastError tells them while it rests IDLE).
	Scheduled  bool
	KeepFailed bool
	Log        *slog.Logger // nowhere when nil
}

// Finish records the end of the task's current run by end's rules. ended reports
// whether this call ended it (false, with no error, when IfComplete finds the run not
// over or another caller first). A run already ended otherwise (no longer RUNNING or
// STOPPING) is a conflict: an error.
func Finish(ctx context.Context, st state.Store, taskID string, end End) (t state.Task, ended bool, err error) {
	t, err = st.GetTask(ctx, taskID)
	if err != nil {
		return t, false, fmt.Errorf("read task %s: %w", taskID, err)
	}
	return finish(ctx, st, t, end)
}

func finish(ctx context.Context, st state.Store, t state.Task, end End) (state.Task, bool, error) {
	from := []state.TaskStatus{state.TaskRunning, state.TaskStopping}
	if end.IfComplete {
		failedEnd := t.Status == state.TaskFailed || end.Scheduled && t.Status == state.TaskIdle && t.LastError != ""
		recovered := end.Recovered && failedEnd && t.Counters.FailedObjects == 0
		if t.Status != state.TaskRunning && !recovered || !t.Complete() {
			return t, false, nil
		}
		from = []state.TaskStatus{t.Status}
	}
	c := t.Counters
	to, msg := state.TaskCompleted, ""
	switch {
	case end.Stopped:
		to = state.TaskStopped
	case end.Err != nil:
		to, msg = state.TaskFailed, end.Err.Error()
	case end.Failure != "":
		to, msg = state.TaskFailed, end.Failure
	case c.FailedObjects > 0:
		noun := end.Noun
		if noun == "" {
			noun = "objects"
		}
		to, msg = state.TaskFailed, fmt.Sprintf("%d of %d %s failed", c.FailedObjects, c.FoundObjects, noun)
	}
	if end.Scheduled && (to == state.TaskCompleted || to == state.TaskFailed && end.Err == nil && !end.KeepFailed) {
		to = state.TaskIdle
	}
	// On the run read: a run begun since (by another finder or computer) is not ended
	// with this one's outcome.
	var err error
	if t.RunID != "" {
		err = st.FinishRun(ctx, t.ID, t.RunID, from, to, msg)
	} else {
		err = st.SetTaskStatus(ctx, t.ID, from, to, msg)
	}
	if end.IfComplete && errors.Is(err, state.ErrConflict) {
		return t, false, nil
	}
	if err != nil {
		return t, false, fmt.Errorf("finish run %s of task %s: %w", t.RunID, t.ID, err)
	}
	t.Status, t.LastError = to, msg
	logger(end.Log).Info("run finished", "task", t.ID, "run", t.RunID, "status", string(to), "found", c.FoundObjects,
		"done", c.DoneObjects, "skipped", c.SkippedObjects, "failed", c.FailedObjects, "done_bytes", c.DoneBytes,
		"seconds", time.Since(t.StartedAt).Round(time.Millisecond).Seconds())
	return t, true, nil
}

// Options say how Start takes the task and begins its run.
type Options struct {
	Lease LeaseOptions
	// Held is a lease the caller took itself, to do work under it before the run begins:
	// Start uses it and leaves its release to the caller (Run.Close does not release it).
	Held  *Lease
	Begin BeginOptions
	// Scheduled and KeepFailed are the task's rules for every end of its runs (see
	// End): Run.Finish applies them.
	Scheduled  bool
	KeepFailed bool
}

// Local completes o with the rules of a run over a state file on this computer (thub s3
// sync, thub image sync, the desktop): holders on this computer are checked
// (LeaseOptions.Local), a busy lease that cannot be checked is waited for up to its TTL
// + 5 s, log is the lease's logger and resume the begin rule, unless o sets them.
func (o Options) Local(log *slog.Logger, resume Resume) Options {
	o.Lease.Local = true
	if o.Lease.TTL <= 0 {
		o.Lease.TTL = DefaultTTL
	}
	if o.Lease.Wait <= 0 {
		o.Lease.Wait = o.Lease.TTL + 5*time.Second
	}
	if o.Lease.Log == nil {
		o.Lease.Log = log
	}
	if o.Begin.Resume == ResumeDefault {
		o.Begin.Resume = resume
	}
	return o
}

// Run is a run of a task held under its lease from Start to Close.
type Run struct {
	Begun
	st    state.Store
	lease *Lease
	own   bool
	opt   Options
}

// Start creates the task from tmpl when it does not exist (Ensure), takes its lease
// (Hold, unless opt.Held) and begins a run (Begin). The returned context is the run's:
// it ends when ctx does or when the lease is lost (its cause a *LeaseError). Close the
// run when done, whatever happened.
func Start(ctx context.Context, st state.Store, tmpl state.Task, opt Options) (context.Context, *Run, error) {
	if _, err := Ensure(ctx, st, tmpl); err != nil {
		return ctx, nil, err
	}
	if opt.Begin.Log == nil {
		opt.Begin.Log = opt.Lease.Log
	}
	r := &Run{st: st, lease: opt.Held, opt: opt}
	runCtx := ctx
	if r.lease == nil {
		var err error
		if runCtx, r.lease, err = Hold(ctx, st, tmpl.ID, opt.Lease); err != nil {
			return ctx, nil, err
		}
		r.own = true
	}
	b, err := Begin(runCtx, st, tmpl.ID, opt.Begin)
	if err != nil {
		return ctx, nil, errors.Join(err, r.Close())
	}
	r.Begun = b
	return runCtx, r, nil
}

// Err is nil while the run holds its lease, and the *LeaseError that stopped it after.
func (r *Run) Err() error { return r.lease.Err() }

// Finish records the run's end (see the package function), even when ctx has ended:
// the outcome is known. Once the lease is lost it records nothing and returns the
// lease's error: the task is another process's now.
func (r *Run) Finish(ctx context.Context, end End) (state.Task, error) {
	if err := r.Err(); err != nil {
		return r.Task, err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	t, err := r.st.GetTask(ctx, r.Task.ID)
	if err != nil {
		return r.Task, fmt.Errorf("read task %s: %w", r.Task.ID, err)
	}
	if t.RunID != r.Task.RunID {
		return t, fmt.Errorf("finish run %s of task %s: run %s replaced it: %w", r.Task.RunID, t.ID, t.RunID, state.ErrConflict)
	}
	end.Scheduled = end.Scheduled || r.opt.Scheduled
	end.KeepFailed = end.KeepFailed || r.opt.KeepFailed
	if end.Log == nil {
		end.Log = r.opt.Begin.Log
	}
	t, _, err = finish(ctx, r.st, t, end)
	return t, err
}

// Close releases the lease Start took (not a Held one) and ends the run's context.
func (r *Run) Close() error {
	if !r.own {
		return nil
	}
	return r.lease.Release()
}

func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
