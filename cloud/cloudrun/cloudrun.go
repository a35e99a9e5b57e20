// Package cloudrun wires the engines into the processes of a cloud run: finder and
// worker processes that cooperate through Amazon SQS and a DynamoDB table (the task's
// Store), image copiers fed by a Step Functions Map, and the Lambda that lists images.
// Configuration comes from environment variables and flags as the task's stack sets
// them (cloud/docs/cloud-run.md); far-side credentials come from Secrets Manager.
//
// What it adds to the engines is the run's life cycle across processes: one finder per
// task at a time (a lease), runs resumed or superseded, and the task marked COMPLETED by
// whichever process settles its last object, derived from the Store's records alone.
package cloudrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"transferhub/cloud/state"
)

// NewLogger returns the agent's structured logger: JSON lines (CloudWatch Logs parses
// them) or text, every line tagged with attrs (task id, role).
func NewLogger(w io.Writer, level, format string, attrs ...any) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	var h slog.Handler
	switch strings.ToLower(format) {
	case "", "json":
		h = slog.NewJSONHandler(w, opts)
	case "text":
		h = slog.NewTextHandler(w, opts)
	default:
		return nil, fmt.Errorf("log format %q: use json or text", format)
	}
	return slog.New(h).With(attrs...), nil
}

// EnsureTask creates the task record when it does not exist yet (a stack's first
// finder or worker) and returns the stored task.
func EnsureTask(ctx context.Context, st state.Store, t state.Task) (state.Task, error) {
	cur, err := st.GetTask(ctx, t.ID)
	if err == nil {
		return cur, nil
	}
	if !errors.Is(err, state.ErrNotFound) {
		return state.Task{}, fmt.Errorf("read task %s: %w", t.ID, err)
	}
	now := time.Now().UTC()
	t.Status, t.Engine, t.CreatedAt, t.UpdatedAt = state.TaskIdle, state.EngineCloud, now, now
	if err := st.PutTask(ctx, t); err != nil {
		return state.Task{}, fmt.Errorf("create task %s: %w", t.ID, err)
	}
	cur, err = st.GetTask(ctx, t.ID)
	if err != nil {
		return state.Task{}, fmt.Errorf("read task %s: %w", t.ID, err)
	}
	return cur, nil
}

// BeginRun picks the run a finder works on, under the finder lease:
//   - a RUNNING run whose finder never finished (its process died) is resumed when
//     resumeUnfinished (the S3 finder continues from its checkpoint; a listing that
//     cannot resume starts over in a new run instead);
//   - a RUNNING run whose finder finished but whose objects are still in flight is
//     superseded (IDLE), so a scheduled run never waits for a backlog: the new run's
//     finder sends whatever is still missing and workers drop the old run's jobs;
//   - otherwise a new run starts.
func BeginRun(ctx context.Context, st state.Store, taskID string, resumeUnfinished bool, log *slog.Logger) (t state.Task, resumed bool, err error) {
	t, err = st.GetTask(ctx, taskID)
	if err != nil {
		return t, false, fmt.Errorf("read task %s: %w", taskID, err)
	}
	switch t.Status {
	case state.TaskStopping, state.TaskStopped, state.TaskDeleting:
		return t, false, fmt.Errorf("task %s is %s: not starting a run", taskID, t.Status)
	case state.TaskRunning:
		if !t.FinderDone && resumeUnfinished {
			log.Info("resuming the run whose finder did not finish", "run", t.RunID)
			return t, true, nil
		}
		log.Warn("superseding the previous run: its objects are still in flight", "run", t.RunID,
			"settled", t.Counters.Settled(), "found", t.Counters.FoundObjects)
		if err := st.SetTaskStatus(ctx, taskID, []state.TaskStatus{state.TaskRunning}, state.TaskIdle,
			fmt.Sprintf("run %s superseded by a new run before it settled", t.RunID)); err != nil && !errors.Is(err, state.ErrConflict) {
			return t, false, fmt.Errorf("supersede run: %w", err)
		}
	}
	t, err = st.StartRun(ctx, taskID)
	if err != nil {
		return t, false, fmt.Errorf("start run of task %s: %w", taskID, err)
	}
	return t, false, nil
}

// FinishIfComplete ends the task's current run when it is over: its finder finished
// and every found item is DONE, SKIPPED or FAILED (Task.Complete, from the Store's
// counters, which change only with record transitions). Every process that settles
// items calls it; the status change is conditional on RUNNING, so exactly one caller
// wins and the others see a conflict. Because each caller writes its records before it
// reads the task, the last writer always sees them all: nobody is left waiting.
//
// A one-time task becomes COMPLETED, or FAILED when items failed (as local runs do); a
// scheduled task becomes IDLE until its next run. It reports whether this call ended it.
func FinishIfComplete(ctx context.Context, st state.Store, taskID string, oneTime bool, log *slog.Logger) (bool, error) {
	t, err := st.GetTask(ctx, taskID)
	if err != nil {
		return false, fmt.Errorf("read task %s: %w", taskID, err)
	}
	if t.Status != state.TaskRunning || !t.Complete() {
		return false, nil
	}
	c := t.Counters
	to, msg := state.TaskCompleted, ""
	if c.FailedObjects > 0 {
		msg = fmt.Sprintf("%d of %d objects failed", c.FailedObjects, c.FoundObjects)
		to = state.TaskFailed
	}
	if !oneTime {
		to = state.TaskIdle
	}
	err = st.SetTaskStatus(ctx, taskID, []state.TaskStatus{state.TaskRunning}, to, msg)
	if errors.Is(err, state.ErrConflict) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("finish run of task %s: %w", taskID, err)
	}
	log.Info("run finished", "run", t.RunID, "status", string(to), "found", c.FoundObjects, "done", c.DoneObjects,
		"skipped", c.SkippedObjects, "failed", c.FailedObjects, "done_bytes", c.DoneBytes,
		"seconds", time.Since(t.StartedAt).Round(time.Millisecond).Seconds())
	return true, nil
}

// ErrBusy: another process holds the lease.
var ErrBusy = errors.New("held by another process")

// HoldLease takes the lease and renews it every ttl/3 until the returned stop is
// called (which releases it). A renewal that fails because another owner took the
// lease cancels lost.
func HoldLease(ctx context.Context, st state.Store, taskID, name, owner string, ttl time.Duration, log *slog.Logger) (stop func(), lost <-chan struct{}, err error) {
	if err := st.Lease(ctx, taskID, name, owner, ttl); err != nil {
		if errors.Is(err, state.ErrConflict) {
			return nil, nil, fmt.Errorf("the %s lease of task %s is %w (it is renewed while that process runs and lapses %s after it stops)", name, taskID, ErrBusy, ttl)
		}
		return nil, nil, fmt.Errorf("take the %s lease of task %s: %w", name, taskID, err)
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	lostCh := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-rctx.Done():
				return
			case <-t.C:
				err := st.Lease(rctx, taskID, name, owner, ttl)
				if errors.Is(err, state.ErrConflict) {
					log.Error("lease lost to another process", "lease", name)
					close(lostCh)
					return
				}
				if err != nil && rctx.Err() == nil {
					log.Warn("renew lease", "lease", name, "err", err)
				}
			}
		}
	}()
	return func() {
		cancel()
		<-done
		rctx, c := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer c()
		_ = st.ReleaseLease(rctx, taskID, name, owner)
	}, lostCh, nil
}
