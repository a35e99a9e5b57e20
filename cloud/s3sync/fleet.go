package s3sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"transferhub/cloud/internal/wait"
	"transferhub/cloud/objstore"
	"transferhub/cloud/queue"
	"transferhub/cloud/state"
)

// Fleet is one worker process of a fleet that shares a queue and a store (the cloud
// run: SQS and DynamoDB). Besides the finder's job batches it takes the part jobs of
// giant objects and S3 event notifications from the same queue.
//
// Failures are retried through redelivery: a failed batch is re-sent holding only its
// failed objects (a fully failed message is simply not acknowledged), each object's
// deliveries are counted across re-sends, and at MaxReceives the objects are recorded
// FAILED with their error and their job goes to the dead-letter queue. Nothing is
// acknowledged before its outcome is recorded, so a killed worker loses nothing: its
// messages come back after their visibility timeout.
type Fleet struct {
	// Worker copies the objects (Src, Dst, Store, Queue, TaskID, Opt). Its RunID is not
	// used: jobs of the task's current run are taken, older runs' jobs are dropped.
	Worker *Worker
	// DeadLetter receives the jobs of objects that failed for good (nil: they are only
	// recorded FAILED).
	DeadLetter queue.Queue
	// MaxReceives is the number of deliveries an object gets before it is given up
	// (default 5; the queue's redrive policy should allow at least as many).
	MaxReceives int
	// GiantThreshold: objects of at least this size are split into part jobs that the
	// whole fleet uploads (default 1 GiB; negative: never split).
	GiantThreshold int64
	// Events keeps the sequencer of the last S3 event applied per key (nil: events are
	// applied in arrival order).
	Events EventLog
	// DeleteOnRemove applies ObjectRemoved events: the destination copy is deleted.
	DeleteOnRemove bool
	// Grace is how long in-flight messages may finish after Serve's context ends; what
	// is still running then is released to other workers at once (default 20 s).
	Grace time.Duration
	// RetryDelay is the first wait before a failed message is delivered again; it grows
	// with each delivery (default 10 s).
	RetryDelay time.Duration
	// Settled is called after objects reached a final status: the cloud run marks the
	// task complete there when every found object is settled.
	Settled func(ctx context.Context)
	// Idle is called (at most every IdleEvery) while the queue is empty.
	Idle      func(ctx context.Context)
	IdleEvery time.Duration
	// Owner names this process in leases (default host/pid).
	Owner string

	once    sync.Once
	match   *matcher
	runMu   sync.Mutex
	run     string
	pending atomic.Int64
	stats   fleetCounters
}

// FleetStats count what one worker did.
type FleetStats struct {
	Messages     int64 `json:"messages"`
	Objects      int64 `json:"objects"` // objects recorded DONE/SKIPPED/FAILED by this worker
	Parts        int64 `json:"parts"`   // giant-object parts uploaded
	Events       int64 `json:"events"`  // S3 events applied
	Stale        int64 `json:"stale"`   // S3 events ignored as older than the recorded one
	Retried      int64 `json:"retried"` // messages left or re-sent for another delivery
	DeadLettered int64 `json:"deadLettered"`
	Dropped      int64 `json:"dropped"` // messages of older runs or finished uploads
	Released     int64 `json:"released"`
}

type fleetCounters struct {
	messages, objects, parts, events, stale, retried, dead, dropped, released atomic.Int64
}

// Stats returns the counts so far.
func (f *Fleet) Stats() FleetStats {
	s := &f.stats
	return FleetStats{Messages: s.messages.Load(), Objects: s.objects.Load(), Parts: s.parts.Load(), Events: s.events.Load(),
		Stale: s.stale.Load(), Retried: s.retried.Load(), DeadLettered: s.dead.Load(), Dropped: s.dropped.Load(), Released: s.released.Load()}
}

func (f *Fleet) init() error {
	var err error
	f.once.Do(func() {
		f.Worker.init()
		if f.MaxReceives <= 0 {
			f.MaxReceives = 5
		}
		if f.GiantThreshold == 0 {
			f.GiantThreshold = 1 << 30
		}
		if f.Grace <= 0 {
			f.Grace = 20 * time.Second
		}
		if f.RetryDelay <= 0 {
			f.RetryDelay = 10 * time.Second
		}
		if f.IdleEvery <= 0 {
			f.IdleEvery = 30 * time.Second
		}
		if f.Owner == "" {
			host, _ := os.Hostname()
			f.Owner = fmt.Sprintf("%s/%d", host, os.Getpid())
		}
		f.match, err = newMatcher(f.Worker.Opt.Selection)
	})
	return err
}

func (f *Fleet) log() *slog.Logger { return f.Worker.Opt.Logger }

// Serve takes messages until ctx ends, then lets in-flight messages finish for Grace and
// releases the rest. Only a failure to start is returned; queue and store errors are
// logged and retried, as a long-running worker must.
func (f *Fleet) Serve(ctx context.Context) error {
	if err := f.init(); err != nil {
		return err
	}
	w := f.Worker
	// Work outlives ctx by the grace period: a stop request ends receiving at once.
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	var wg sync.WaitGroup
	var lastIdle time.Time
	failures := 0
	for ctx.Err() == nil {
		if f.pending.Load() >= int64(2*w.Opt.Concurrency) {
			_ = wait.Sleep(ctx, 5*time.Millisecond)
			continue
		}
		// A long poll under way when the stop comes is let finish (at most ReceiveWait):
		// an aborted poll may still take a message on the queue's side (the emulator
		// does), which would then stay hidden for the visibility timeout with no worker
		// holding it. What a poll brings after the stop is given back at once.
		msgs, err := w.Queue.Receive(workCtx, 1, w.Opt.JobVisibility, w.Opt.ReceiveWait)
		if ctx.Err() != nil {
			f.giveBack(workCtx, msgs)
			break
		}
		if err != nil {
			failures++
			f.log().Warn("receive failed", "err", err, "failures", failures)
			_ = wait.Sleep(ctx, min(time.Duration(failures)*time.Second, 30*time.Second))
			continue
		}
		failures = 0
		if len(msgs) == 0 {
			if f.Idle != nil && f.pending.Load() == 0 && time.Since(lastIdle) >= f.IdleEvery {
				lastIdle = time.Now()
				f.Idle(ctx)
			}
			continue
		}
		for _, m := range msgs {
			f.stats.messages.Add(1)
			units := f.units(m)
			f.pending.Add(units)
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Objects leave the in-flight count one by one, so the next job is taken
				// while this one's last objects copy and its records are written.
				var released atomic.Int64
				defer func() { f.pending.Add(released.Load() - units) }()
				f.process(workCtx, m, func() {
					if released.Load() < units {
						released.Add(1)
						f.pending.Add(-1)
					}
				})
			}()
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(f.Grace):
		f.log().Warn("stop: grace period over, releasing in-flight messages", "grace", f.Grace)
		cancelWork()
		<-done
	}
	return nil
}

// giveBack makes messages received during a stop visible again for other workers.
func (f *Fleet) giveBack(ctx context.Context, msgs []queue.Message) {
	for _, m := range msgs {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := f.Worker.Queue.Release(rctx, m); err != nil {
			f.log().Warn("stop: give back a message received while stopping", "err", err)
		} else {
			f.stats.released.Add(1)
		}
		cancel()
	}
}

// units is a message's weight against the in-flight bound: its object count.
func (f *Fleet) units(m queue.Message) int64 {
	if k, err := Classify(m.Body); err == nil && k == KindJob {
		if j, err := DecodeJob(m.Body); err == nil && len(j.Objects) > 0 {
			return int64(len(j.Objects))
		}
	}
	return 1
}

// process handles one message; done is called as each of a job's objects finishes.
func (f *Fleet) process(ctx context.Context, m queue.Message, done func()) {
	d := f.begin(m)
	kind, err := Classify(m.Body)
	if err != nil {
		// Nothing this build can do with it, ever: keep it where a person can look.
		f.log().Error("unreadable message moved to the dead-letter queue", "message", m.ID, "err", err)
		if f.deadLetter(ctx, m.Body) {
			d.ack(ctx)
		} else {
			d.retry(ctx, m.Receives)
		}
		return
	}
	switch kind {
	case KindTestEvent:
		d.ack(ctx)
	case KindJob:
		job, err := DecodeJob(m.Body)
		if err != nil {
			f.log().Error("unreadable job moved to the dead-letter queue", "message", m.ID, "err", err)
			if f.deadLetter(ctx, m.Body) {
				d.ack(ctx)
			}
			return
		}
		f.handleJob(ctx, d, job, done)
	case KindPart:
		pj, err := DecodePart(m.Body)
		if err != nil {
			f.log().Error("unreadable part job moved to the dead-letter queue", "message", m.ID, "err", err)
			if f.deadLetter(ctx, m.Body) {
				d.ack(ctx)
			}
			return
		}
		f.handlePart(ctx, d, pj)
	case KindEvent:
		f.handleEvent(ctx, d)
	}
}

// currentRun reports whether run is the task's current run (reading the task when the
// cached run differs).
func (f *Fleet) currentRun(ctx context.Context, run string) (bool, error) {
	f.runMu.Lock()
	cur := f.run
	f.runMu.Unlock()
	if run != "" && run == cur {
		return true, nil
	}
	t, err := f.Worker.Store.GetTask(ctx, f.Worker.TaskID)
	if err != nil {
		return false, fmt.Errorf("read task: %w", err)
	}
	f.runMu.Lock()
	f.run = t.RunID
	f.runMu.Unlock()
	return run == t.RunID, nil
}

// currentRunID is the run event-driven copies are recorded in.
func (f *Fleet) currentRunID(ctx context.Context) (string, error) {
	f.runMu.Lock()
	cur := f.run
	f.runMu.Unlock()
	if cur != "" {
		return cur, nil
	}
	if _, err := f.currentRun(ctx, ""); err != nil {
		return "", err
	}
	f.runMu.Lock()
	defer f.runMu.Unlock()
	return f.run, nil
}

// retryable reports whether another delivery may succeed where this one failed.
func retryable(err error) bool {
	return err != nil && !isPermanent(err) && !errors.Is(err, objstore.ErrPrecondition)
}

// logOutcome writes the one line per object that operators search for.
func (f *Fleet) logOutcome(rec state.Object, how string) {
	args := []any{"key", rec.Key, "outcome", string(rec.Status), "size", rec.Size, "deliveries", rec.Attempts}
	if how != "" {
		args = append(args, "path", how)
	}
	switch rec.Status {
	case state.ItemFailed:
		f.log().Error("object failed", append(args, "err", rec.Error)...)
	case state.ItemSkipped:
		f.log().Info("object skipped", append(args, "reason", rec.Error)...)
	default:
		f.log().Info("object copied", args...)
	}
}
