package tasks

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"transferhub/cloud/s3sync"
	"transferhub/cloud/state"
	"transferhub/cloud/state/sqlite"
	"transferhub/cloud/taskrun"
)

// s3Queue is the S3 engine's queue of a task (one queue per task file).
const s3Queue = "s3-jobs"

// queueFile is a local task's store: its SQLite file also holds the run's queue.
type queueFile interface {
	state.Store
	Queue(name string, opt sqlite.QueueOptions) *sqlite.Queue
}

// runS3 prepares the task's queue for the run under the lease (cleared for a new run,
// the failed objects for a retry) and runs the S3 engine, which begins the run.
func (l *LocalRunner) runS3(ctx context.Context, r *run, run taskrun.Options, s S3Spec, logger *slog.Logger) error {
	id := r.task.ID
	db, ok := r.task.Store.(queueFile)
	if !ok {
		return fmt.Errorf("task %s has no state file of its own: it cannot run on this computer", id)
	}
	conc := l.concurrency(s.Concurrency)
	th := &s3sync.Throttle{}
	src, dst, err := l.openS3(ctx, s, conc, th)
	if err != nil {
		return err
	}
	opt, err := s3Options(s, conc, logger)
	if err != nil {
		return err
	}
	opt.Throttle = th
	opt.Progress = func(p s3sync.Progress) { r.s3.Store(&p) }
	opt.Run = run
	// The app is the only process on the task's queue and Sends in the process wake its
	// receivers at once: polling the file for other writers can be slow.
	q := db.Queue(s3Queue, sqlite.QueueOptions{MaxReceives: 10, Poll: time.Second})
	switch r.mode {
	case ModeStart, ModeScheduled:
		// A new run: the jobs of an earlier one are gone.
		if err := q.Purge(ctx); err != nil {
			return fmt.Errorf("clear the job queue: %w", err)
		}
	case ModeRetry:
		// Check before queueing, so a credential problem leaves the run as it was.
		if err := s3sync.Check(ctx, src, dst); err != nil {
			return err
		}
		t, err := db.GetTask(ctx, id)
		if err != nil {
			return fmt.Errorf("read the task: %w", err)
		}
		// The local queue's dead letters are not shown, and a new run purges them.
		n, err := s3sync.EnqueueFailed(ctx, db, q, t)
		if err != nil {
			return err
		}
		logger.Info("retrying failed objects", "objects", n)
	}
	res, err := s3sync.Sync(ctx, src, dst, db, newQuietQueue(q, defaultQuiet), id, opt)
	if err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return err
	}
	if res.Failed > 0 {
		logger.Warn("some objects failed; see the Failed tab, fix the cause and retry them", "failed", res.Failed)
	}
	return nil
}
