package tasks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"transferhub/cloud/state"
	"transferhub/cloud/taskrun"
)

// Why a run's context ended.
var (
	errShutdown = errors.New("the app is closing")
	errStopped  = errors.New("stopped by the user")
	errDeleted  = errors.New("the task was deleted")
	errLeased   = errors.New("the task is running in another Transfer Hub window or thub process")
)

// execute is a run's goroutine: it holds the task's lease (one run per task file, across
// app windows and processes) while the engine runs, and records how the run ended.
func (l *LocalRunner) execute(ctx context.Context, r *run) {
	defer l.wg.Done()
	id := r.task.ID
	logger := r.task.Log.Logger(slog.LevelInfo, l.log, id)
	defer func() {
		l.mu.Lock()
		delete(l.runs, id)
		l.mu.Unlock()
		close(r.done)
		l.observer.TaskChanged(id)
	}()
	l.observer.TaskChanged(id)
	logger.Info("run begins", "mode", r.mode.String())
	lopt := taskrun.LeaseOptions{Local: true, TTL: l.leaseTTL, Log: logger}
	if r.mode == modeReopen {
		// The previous app's lease may not have lapsed yet when its holder cannot be checked.
		lopt.Wait = l.leaseTTL + 5*time.Second
	}
	runCtx, lease, err := taskrun.Hold(ctx, r.task.Store, id, lopt)
	switch {
	case errors.Is(err, taskrun.ErrBusy):
		// Another app window or process runs the task: its status is its business.
		logger.Warn(fmt.Errorf("%w: %w", errLeased, err).Error())
		return
	case err != nil:
		l.finish(ctx, r, nil, err, logger)
		return
	}
	defer func() {
		if err := lease.Release(); err != nil {
			l.log.Warn("release the task's lease", "task", id, "err", err)
		}
	}()
	l.finish(ctx, r, lease, l.runEngine(runCtx, r, lease, logger), logger)
}

// runEngine runs the task's engine, which begins the run under the lease and ends it when
// it completes; a panic becomes an error (its stack goes to the app log only).
func (l *LocalRunner) runEngine(ctx context.Context, r *run, lease *taskrun.Lease, logger *slog.Logger) (err error) {
	defer func() {
		if p := recover(); p != nil {
			l.log.Error("task run panicked", "task", r.task.ID, "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("internal error in Transfer Hub (%v); the details are in the app log", p)
		}
	}()
	t, err := r.task.Store.GetTask(ctx, r.task.ID)
	if err != nil {
		return fmt.Errorf("read the task: %w", err)
	}
	d, err := DecodeDefinition(t.Definition)
	if err != nil {
		return err
	}
	stopProgress := l.reportProgress(ctx, r)
	defer stopProgress()
	// Between scheduled runs a task rests IDLE; failures stay visible until retried.
	run := taskrun.Options{Held: lease, Begin: taskrun.BeginOptions{Resume: resumeRule(r.mode), Log: logger},
		Scheduled: d.Schedule.Kind != ScheduleNone, KeepFailed: true}
	if d.S3 != nil {
		return l.runS3(ctx, r, run, *d.S3, logger)
	}
	return l.runImage(ctx, r, run, *d.Image, logger)
}

// resumeRule says which run a mode begins: a new one, the current one again, or the one
// the previous app left RUNNING.
func resumeRule(m Mode) taskrun.Resume {
	switch m {
	case ModeResume, ModeRetry:
		return taskrun.ResumeCurrent
	case modeReopen:
		return taskrun.ResumeInterrupted
	}
	return taskrun.ResumeNone
}

// reportProgress takes a snapshot every second until stopped and tells the observer
// (the chart keeps one sample a second; the engine's own counters move no faster).
func (l *LocalRunner) reportProgress(ctx context.Context, r *run) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tk := time.NewTicker(time.Second)
		defer tk.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tk.C:
				if p, ok := l.snapshot(ctx, r); ok {
					r.last.Store(&p)
					l.observer.TaskProgress(r.task.ID, p)
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}

func (l *LocalRunner) snapshot(ctx context.Context, r *run) (Progress, bool) {
	t, err := r.task.Store.GetTask(ctx, r.task.ID)
	if err != nil {
		return Progress{}, false
	}
	p := Progress{At: l.now(), RunID: t.RunID, Counters: t.Counters, FinderDone: t.FinderDone, BytesMoved: t.Counters.DoneBytes}
	if s := r.s3.Load(); s != nil {
		// The finder's live counts run ahead of its checkpoints in the store.
		p.Counters.FoundObjects = max(p.Counters.FoundObjects, s.Found)
		p.Counters.FoundBytes = max(p.Counters.FoundBytes, s.FoundBytes)
		p.Counters.SkippedObjects = max(p.Counters.SkippedObjects, s.Skipped)
		p.Counters.SkippedBytes = max(p.Counters.SkippedBytes, s.SkippedBytes)
		// Parts of big objects still copying count as they arrive.
		p.BytesMoved = max(p.BytesMoved, s.MovedBytes)
	}
	p.BytesMoved = max(p.BytesMoved, r.bytes.Load())
	return p, true
}

// finish records how the run ended. The engine ends a run that completes; one that was
// stopped or failed as a whole is ended here (a failure before any run began stays on
// the task as its last error); one whose lease was lost, or that the app's exit or the
// task's deletion interrupted, records nothing.
func (l *LocalRunner) finish(ctx context.Context, r *run, lease *taskrun.Lease, err error, logger *slog.Logger) {
	bg := context.WithoutCancel(ctx)
	st, id := r.task.Store, r.task.ID
	cause := context.Cause(ctx)
	end := taskrun.End{Log: logger}
	switch {
	case lease != nil && lease.Err() != nil:
		return // taskrun said why in the log: the task is another process's now
	case errors.Is(cause, errShutdown):
		logger.Info("paused: the app is closing; the run resumes when it opens again")
		return
	case errors.Is(cause, errDeleted):
		return
	case r.stopping.Load() || errors.Is(cause, errStopped):
		logger.Info("stopped by the user; resume to continue this run")
		end.Stopped = true
	case err != nil:
		logger.Error("run failed", "err", err.Error())
		end.Err = err
	default:
		return
	}
	_, _, ferr := taskrun.Finish(bg, st, id, end)
	if errors.Is(ferr, state.ErrConflict) && end.Err != nil {
		// No run is going (it failed before one began): the task says why all the same.
		ferr = st.SetTaskStatus(bg, id, nil, state.TaskFailed, end.Err.Error())
	}
	if ferr != nil && !errors.Is(ferr, state.ErrConflict) {
		l.log.Warn("record the end of the run", "task", id, "err", ferr)
	}
}
