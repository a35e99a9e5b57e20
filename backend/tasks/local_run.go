package tasks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"transferhub/cloud/state"
)

// Why a run's context ended.
var (
	errShutdown = errors.New("the app is closing")
	errStopped  = errors.New("stopped by the user")
	errDeleted  = errors.New("the task was deleted")
	errLeased   = errors.New("the task is running in another Transfer Hub window or thub process")
)

// Lease: one runner per task file, across app windows and processes. Short and renewed,
// so a killed app's lease lapses quickly and the next start resumes its run.
const (
	leaseName = "local-run"
	leaseTTL  = 15 * time.Second
)

// execute is a run's goroutine.
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
	err := l.runOnce(ctx, r, logger)
	l.finish(ctx, r, err, logger)
}

// runOnce takes the lease and runs the engine; a panic becomes an error (its stack goes
// to the app log only).
func (l *LocalRunner) runOnce(ctx context.Context, r *run, logger *slog.Logger) (err error) {
	st, id := r.task.Store, r.task.ID
	defer func() {
		if p := recover(); p != nil {
			l.log.Error("task run panicked", "task", id, "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("internal error in Transfer Hub (%v); the details are in the app log", p)
		}
	}()
	if err := l.takeLease(ctx, r.task, r.mode == modeReopen); err != nil {
		return err
	}
	leaseCtx, stopLease := context.WithCancel(ctx)
	go l.keepLease(leaseCtx, r.task)
	defer func() {
		stopLease()
		_ = st.ReleaseLease(context.WithoutCancel(ctx), id, leaseName, l.owner)
	}()

	t, err := st.GetTask(ctx, id)
	if err != nil {
		return fmt.Errorf("read the task: %w", err)
	}
	d, err := DecodeDefinition(t.Definition)
	if err != nil {
		return err
	}
	stopProgress := l.reportProgress(ctx, r)
	defer stopProgress()
	if d.S3 != nil {
		return l.runS3(ctx, r, t, *d.S3, logger)
	}
	return l.runImage(ctx, r, t, *d.Image, logger)
}

func (l *LocalRunner) takeLease(ctx context.Context, t Task, wait bool) error {
	deadline := time.Now().Add(leaseTTL + 5*time.Second)
	for {
		err := t.Store.Lease(ctx, t.ID, leaseName, l.owner, leaseTTL)
		if err == nil {
			return nil
		}
		if !errors.Is(err, state.ErrConflict) {
			return fmt.Errorf("lock the task: %w", err)
		}
		if !wait || time.Now().After(deadline) {
			return errLeased
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(time.Second):
		}
	}
}

func (l *LocalRunner) keepLease(ctx context.Context, t Task) {
	tk := time.NewTicker(leaseTTL / 3)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
			if err := t.Store.Lease(ctx, t.ID, leaseName, l.owner, leaseTTL); err != nil && ctx.Err() == nil {
				l.log.Warn("renew task lease", "task", t.ID, "err", err)
			}
		}
	}
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

// finish records how the run ended.
func (l *LocalRunner) finish(ctx context.Context, r *run, err error, logger *slog.Logger) {
	bg := context.WithoutCancel(ctx)
	st, id := r.task.Store, r.task.ID
	cause := context.Cause(ctx)
	switch {
	case errors.Is(cause, errShutdown):
		logger.Info("paused: the app is closing; the run resumes when it opens again")
	case errors.Is(cause, errDeleted):
	case r.stopping.Load() || errors.Is(cause, errStopped):
		if err := st.SetTaskStatus(bg, id, []state.TaskStatus{state.TaskRunning, state.TaskStopping}, state.TaskStopped, ""); err != nil && !errors.Is(err, state.ErrConflict) {
			l.log.Warn("record stop", "task", id, "err", err)
		}
		logger.Info("stopped by the user; resume to continue this run")
	case errors.Is(err, errLeased):
		// Another app window or process owns the run: its status is its business.
		logger.Warn(err.Error())
	case err != nil:
		msg := err.Error()
		logger.Error("run failed", "err", msg)
		if err := st.SetTaskStatus(bg, id, nil, state.TaskFailed, msg); err != nil {
			l.log.Warn("record failure", "task", id, "err", err)
		}
	default:
		t, err := st.GetTask(bg, id)
		if err != nil {
			return
		}
		c := t.Counters
		logger.Info("run finished", "status", string(t.Status), "found", c.FoundObjects, "done", c.DoneObjects,
			"skipped", c.SkippedObjects, "failed", c.FailedObjects, "bytes", c.DoneBytes)
		if d, err := DecodeDefinition(t.Definition); err == nil && d.Schedule.Kind != ScheduleNone && t.Status == state.TaskCompleted {
			// Between scheduled runs a task is IDLE; failures stay visible.
			_ = st.SetTaskStatus(bg, id, []state.TaskStatus{state.TaskCompleted}, state.TaskIdle, "")
		}
	}
}
