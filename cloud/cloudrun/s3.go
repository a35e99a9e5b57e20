package cloudrun

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"transferhub/cloud/objstore"
	"transferhub/cloud/queue"
	"transferhub/cloud/s3sync"
	"transferhub/cloud/state"
	"transferhub/cloud/taskrun"
)

// S3Task is what the finder and the workers of one S3 task share.
type S3Task struct {
	ID      string
	Name    string // for a task record created by the agent (the app normally creates it)
	OneTime bool   // no schedule: the run ends COMPLETED/FAILED instead of IDLE
	Src     objstore.Location
	Dst     objstore.Location
	Store   state.Store
	Queue   queue.Queue
	Opt     s3sync.Options
	Log     *slog.Logger
}

// record is the task record the agent creates when the app has not (yet).
func (t S3Task) record() state.Task {
	name := t.Name
	if name == "" {
		name = t.Src.URL() + " → " + t.Dst.URL()
	}
	return state.Task{ID: t.ID, Type: state.TaskS3, Name: name, Engine: state.EngineCloud}
}

// settle ends the run when the records say it is over (see taskrun.End.IfComplete).
func (t S3Task) settle(ctx context.Context, log *slog.Logger) error {
	_, _, err := taskrun.Finish(ctx, t.Store, t.ID, taskrun.End{IfComplete: true, Scheduled: !t.OneTime, Log: log})
	return err
}

// FindResult is one finder run's outcome.
type FindResult struct {
	TaskID   string             `json:"task"`
	RunID    string             `json:"run"`
	Resumed  bool               `json:"resumed"`
	Stats    s3sync.FinderStats `json:"stats"`
	Status   state.TaskStatus   `json:"status"`
	Counters state.Counters     `json:"counters"`
	Seconds  float64            `json:"seconds"`
}

// Find runs one finder run: it checks both locations, takes the task's finder lease
// (a second concurrent finder of the task is refused with ErrBusy), starts or resumes
// the run, lists and compares, sends job batches and writes the found counts to the
// task, and ends the run itself when nothing was left to copy. A finder that loses its
// lease stops and says who runs the task now.
func (t S3Task) Find(ctx context.Context, leaseTTL time.Duration) (res FindResult, err error) {
	start := time.Now()
	if err := s3sync.Check(ctx, t.Src, t.Dst); err != nil {
		return FindResult{}, err
	}
	if leaseTTL <= 0 {
		leaseTTL = time.Minute
	}
	ctx, run, err := taskrun.Start(ctx, t.Store, t.record(), taskrun.Options{
		Lease: taskrun.LeaseOptions{Name: taskrun.FinderLease, TTL: leaseTTL, Log: t.Log},
		Begin: taskrun.BeginOptions{Resume: taskrun.ResumeListing, HonourStop: true},
	})
	if err != nil {
		return FindResult{}, err
	}
	defer func() {
		if cerr := run.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	task, resumed := run.Task, run.Resumed
	log := t.Log.With("run", task.RunID)
	log.Info("finder started", "resumed", resumed, "source", t.Src.URL(), "destination", t.Dst.URL())
	f := &s3sync.Finder{Src: t.Src, Dst: t.Dst, Store: t.Store, Queue: t.Queue, TaskID: t.ID, Opt: t.Opt}
	stats, err := f.Run(ctx, task.RunID)
	if lost := run.Err(); lost != nil {
		return FindResult{}, fmt.Errorf("finder stopped: %w", lost)
	}
	if err != nil {
		return FindResult{}, fmt.Errorf("finder: %w", err)
	}
	if task, err = run.Finish(ctx, taskrun.End{IfComplete: true, Scheduled: !t.OneTime, Log: log}); err != nil {
		return FindResult{}, err
	}
	res = FindResult{TaskID: t.ID, RunID: task.RunID, Resumed: resumed, Stats: stats, Status: task.Status,
		Counters: task.Counters, Seconds: time.Since(start).Seconds()}
	log.Info("finder done", "found", stats.Found, "queued", stats.Queued, "skipped", stats.Skipped,
		"archived", stats.Archived, "deleted", stats.Deleted, "delete_refused", stats.DeleteRefused, "messages", stats.Messages, "seconds", res.Seconds)
	return res, nil
}

// FleetConfig tunes a worker of the fleet (see s3sync.Fleet).
type FleetConfig struct {
	DeadLetter     queue.Queue
	MaxReceives    int
	GiantThreshold int64
	Events         s3sync.EventLog
	// EventMode is "none", "create" or "create-and-delete" (DTH's srcEvent).
	EventMode  string
	Grace      time.Duration
	RetryDelay time.Duration
	// IdleCheck: while the queue is empty, this often the worker checks whether the run
	// is over (and settles what SQS dead-lettered by itself).
	IdleCheck time.Duration
}

// Work runs a worker until ctx ends (SIGTERM): it takes job batches, part jobs and S3
// events from the queue, records every outcome, and ends the run when it settles the
// last object. In-flight messages get the grace period to finish and are released after.
func (t S3Task) Work(ctx context.Context, fc FleetConfig) (s3sync.FleetStats, error) {
	for _, l := range []objstore.Location{t.Src, t.Dst} {
		// As the finder's Check does: a bucket opened without a region is found.
		if d, ok := l.(interface{ DetectRegion(context.Context) }); ok {
			d.DetectRegion(ctx)
		}
	}
	task, err := taskrun.Ensure(ctx, t.Store, t.record())
	if err != nil {
		return s3sync.FleetStats{}, err
	}
	if fc.EventMode != "" && fc.EventMode != "none" && task.RunID == "" {
		// Event-driven copies are recorded in a run; a task fed only by events needs one.
		if _, err := t.Store.StartRun(ctx, t.ID); err != nil && !errors.Is(err, state.ErrConflict) {
			return s3sync.FleetStats{}, fmt.Errorf("start a run for events: %w", err)
		}
	}
	settle := func(ctx context.Context) {
		if err := t.settle(ctx, t.Log); err != nil {
			t.Log.Warn("check run completion", "err", err)
		}
	}
	w := &s3sync.Worker{Src: t.Src, Dst: t.Dst, Store: t.Store, Queue: t.Queue, TaskID: t.ID, Opt: t.Opt}
	fl := &s3sync.Fleet{Worker: w, DeadLetter: fc.DeadLetter, MaxReceives: fc.MaxReceives, GiantThreshold: fc.GiantThreshold,
		Events: fc.Events, DeleteOnRemove: fc.EventMode == "create-and-delete", Grace: fc.Grace, RetryDelay: fc.RetryDelay,
		Settled: settle, IdleEvery: fc.IdleCheck}
	fl.Idle = func(ctx context.Context) {
		settle(ctx)
		// A run whose finder is done, with nothing queued or in flight, that is still
		// not complete lost messages to the dead-letter queue without records.
		task, err := t.Store.GetTask(ctx, t.ID)
		if err != nil || task.Status != state.TaskRunning || !task.FinderDone || task.Complete() {
			return
		}
		if vis, inflight, err := t.Queue.Depth(ctx); err != nil || vis+inflight > 0 {
			return
		}
		n, err := fl.SettleDeadLetters(ctx)
		if err != nil {
			t.Log.Warn("settle dead-lettered objects", "err", err)
			return
		}
		if n > 0 {
			t.Log.Warn("objects dead-lettered by SQS recorded FAILED", "objects", n)
			settle(ctx)
		}
	}
	t.Log.Info("worker started", "source", t.Src.URL(), "destination", t.Dst.URL(), "server_side", w.ServerSide(),
		"max_receives", fc.MaxReceives, "giant_threshold", fc.GiantThreshold, "events", fc.EventMode)
	err = fl.Serve(ctx)
	st := fl.Stats()
	t.Log.Info("worker stopped", "messages", st.Messages, "objects", st.Objects, "parts", st.Parts, "events", st.Events,
		"stale", st.Stale, "retried", st.Retried, "deadLettered", st.DeadLettered, "dropped", st.Dropped, "released", st.Released)
	return st, err
}
