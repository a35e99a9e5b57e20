package s3sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
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
		msgs, err := w.Queue.Receive(ctx, 1, w.Opt.JobVisibility, w.Opt.ReceiveWait)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
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

// units is a message's weight against the in-flight bound: its object count.
func (f *Fleet) units(m queue.Message) int64 {
	if k, err := Classify(m.Body); err == nil && k == KindJob {
		if j, err := DecodeJob(m.Body); err == nil && len(j.Objects) > 0 {
			return int64(len(j.Objects))
		}
	}
	return 1
}

// delivery is one received message being handled: heartbeat, then exactly one of
// ack, retry, release.
type delivery struct {
	f      *Fleet
	m      queue.Message
	stopHB func()
}

func (f *Fleet) begin(m queue.Message) *delivery {
	w := f.Worker
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		wait.Every(ctx, w.Opt.JobVisibility/3, func(ctx context.Context) {
			if err := w.Queue.Extend(ctx, m, w.Opt.JobVisibility); err != nil && ctx.Err() == nil {
				f.log().Warn("extend message visibility", "message", m.ID, "err", err)
			}
		})
	}()
	var once sync.Once
	return &delivery{f: f, m: m, stopHB: func() { once.Do(func() { cancel(); <-stopped }) }}
}

// detached is a context for the last writes of a message: they run even when the
// worker is stopping, with a bound.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 60*time.Second)
}

func (d *delivery) ack(ctx context.Context) {
	d.stopHB()
	ctx, cancel := detached(ctx)
	defer cancel()
	if err := d.f.Worker.Queue.Delete(ctx, d.m); err != nil {
		// The message comes back after its visibility timeout; handling is idempotent.
		d.f.log().Warn("acknowledge message", "message", d.m.ID, "err", err)
	}
}

// ackSettled acknowledges the message of objects that reached a final status and tells
// the fleet's Settled hook.
func (d *delivery) ackSettled(ctx context.Context) {
	d.ack(ctx)
	if d.f.Settled != nil {
		d.f.Settled(ctx)
	}
}

// retry leaves the message for another delivery after a delay growing with deliveries.
func (d *delivery) retry(ctx context.Context, deliveries int) {
	d.stopHB()
	d.f.stats.retried.Add(1)
	delay := d.f.RetryDelay * time.Duration(1<<min(max(deliveries-1, 0), 5))
	delay = min(delay, 15*time.Minute)
	delay += rand.N(delay/4 + 1)
	ctx, cancel := detached(ctx)
	defer cancel()
	if err := d.f.Worker.Queue.Extend(ctx, d.m, delay); err != nil {
		d.f.log().Warn("delay message for retry", "message", d.m.ID, "err", err)
	}
}

// release gives the message back at once (stopping mid-work).
func (d *delivery) release(ctx context.Context) {
	d.stopHB()
	d.f.stats.released.Add(1)
	ctx, cancel := detached(ctx)
	defer cancel()
	if err := d.f.Worker.Queue.Release(ctx, d.m); err != nil {
		d.f.log().Warn("release message", "message", d.m.ID, "err", err)
	}
}

// deadLetter sends body to the dead-letter queue; false when it could not (the caller
// then keeps the original message for another delivery).
func (f *Fleet) deadLetter(ctx context.Context, body []byte) bool {
	if f.DeadLetter == nil {
		return true
	}
	ctx, cancel := detached(ctx)
	defer cancel()
	if err := f.DeadLetter.Send(ctx, body); err != nil {
		f.log().Error("send to the dead-letter queue", "err", err)
		return false
	}
	f.stats.dead.Add(1)
	return true
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

type result struct {
	jo  JobObject
	rec *state.Object // nil: nothing to record now (split into part jobs, or already done)
	err error
}

func (f *Fleet) handleJob(ctx context.Context, d *delivery, job Job, done func()) {
	w := f.Worker
	cur, err := f.currentRun(ctx, job.Run)
	if err != nil {
		f.log().Warn("job not started", "err", err)
		d.retry(ctx, d.m.Receives)
		return
	}
	if !cur {
		f.stats.dropped.Add(1)
		f.log().Info("dropping a job of an earlier run", "run", job.Run, "objects", len(job.Objects))
		d.ack(ctx)
		return
	}
	deliveries := job.Attempt + d.m.Receives
	final := deliveries >= f.MaxReceives

	var small []JobObject
	var results []result
	for _, o := range job.Objects {
		if f.GiantThreshold > 0 && o.Size >= f.GiantThreshold {
			rec, err := f.split(ctx, job.Run, o, deliveries)
			results = append(results, result{jo: o, rec: rec, err: err})
			continue
		}
		small = append(small, o)
	}
	recs, errs := w.copyAll(ctx, job.Run, small, done)
	for i := range small {
		results = append(results, result{jo: small[i], rec: &recs[i], err: errs[i]})
	}
	if ctx.Err() != nil {
		d.release(ctx) // stopping: another worker takes the whole job
		return
	}

	var write []state.Object
	var retry, dead []JobObject
	for _, r := range results {
		if errors.Is(r.err, errSplitting) || r.err != nil && retryable(r.err) && !final {
			retry = append(retry, r.jo)
			f.log().Warn("object failed, will be retried", "key", r.jo.Key, "deliveries", deliveries, "err", r.err)
			continue
		}
		if r.rec == nil {
			if r.err != nil { // a giant object that could not be split
				rec := state.Object{Key: r.jo.Key, Size: r.jo.Size, ETag: r.jo.ETag, LastModified: r.jo.MTime,
					Status: state.ItemFailed, Error: r.err.Error(), RunID: job.Run}
				r.rec = &rec
			} else {
				continue
			}
		}
		r.rec.Attempts = deliveries
		if r.rec.Status == state.ItemFailed {
			dead = append(dead, r.jo)
		}
		write = append(write, *r.rec)
	}
	if len(write) > 0 {
		wctx, cancel := detached(ctx)
		err := w.Store.PutObjects(wctx, w.TaskID, write)
		cancel()
		if err != nil {
			// Not recorded, so not acknowledged: the copies are redone on the next delivery.
			f.log().Error("record objects", "objects", len(write), "err", err)
			d.retry(ctx, deliveries)
			return
		}
		for _, rec := range write {
			f.logOutcome(rec, "")
		}
		f.stats.objects.Add(int64(len(write)))
	}
	switch {
	case len(retry) == len(job.Objects):
		d.retry(ctx, deliveries)
		return
	case len(retry) > 0:
		body, err := EncodeJob(Job{Run: job.Run, Objects: retry, Attempt: deliveries})
		if err == nil {
			sctx, cancel := detached(ctx)
			err = w.Queue.Send(sctx, body)
			cancel()
		}
		if err != nil {
			f.log().Error("re-send failed objects", "objects", len(retry), "err", err)
			d.retry(ctx, deliveries) // the recorded ones are redone harmlessly
			return
		}
		f.stats.retried.Add(1)
	}
	if len(dead) > 0 {
		body, _ := EncodeJob(Job{Run: job.Run, Objects: dead})
		if !f.deadLetter(ctx, body) {
			d.retry(ctx, deliveries)
			return
		}
	}
	d.ack(ctx)
	if len(write) > 0 && f.Settled != nil {
		f.Settled(ctx)
	}
}

// SettleDeadLetters records FAILED the objects of dead-lettered messages of the current
// run that have no final record. SQS moves a message to the dead-letter queue by itself
// when a worker died during the message's last allowed delivery; without this the run
// would wait for those objects forever. Call it only while nothing is in flight (the
// queue is empty): the messages stay in the dead-letter queue for a person to redrive.
func (f *Fleet) SettleDeadLetters(ctx context.Context) (int, error) {
	if err := f.init(); err != nil || f.DeadLetter == nil {
		return 0, err
	}
	w := f.Worker
	run, err := f.currentRunID(ctx)
	if err != nil || run == "" {
		return 0, err
	}
	const why = "moved to the dead-letter queue by SQS after its last allowed delivery (a worker stopped during it)"
	seen := map[string]bool{}
	var read []queue.Message
	defer func() {
		// Hidden while scanned; visible again for people and redrives.
		rctx, cancel := detached(ctx)
		defer cancel()
		for _, m := range read {
			_ = f.DeadLetter.Release(rctx, m)
		}
	}()
	settled := 0
	for round := 0; round < 100; round++ {
		msgs, err := f.DeadLetter.Receive(ctx, 10, time.Minute, 0)
		if err != nil {
			return settled, fmt.Errorf("read the dead-letter queue: %w", err)
		}
		fresh := 0
		var recs []state.Object
		for _, m := range msgs {
			if seen[m.ID] {
				continue
			}
			seen[m.ID], fresh = true, fresh+1
			read = append(read, m)
			kind, err := Classify(m.Body)
			if err != nil {
				continue
			}
			switch kind {
			case KindJob:
				job, err := DecodeJob(m.Body)
				if err != nil || job.Run != run {
					continue
				}
				for _, o := range job.Objects {
					cur, err := w.Store.GetObject(ctx, w.TaskID, o.Key)
					if err == nil && cur.RunID == run && cur.Status.Terminal() {
						continue
					}
					if err != nil && !errors.Is(err, state.ErrNotFound) {
						return settled, err
					}
					recs = append(recs, state.Object{Key: o.Key, Size: o.Size, ETag: o.ETag, LastModified: o.MTime,
						Status: state.ItemFailed, Error: why, Attempts: job.Attempt + f.MaxReceives, RunID: run})
				}
			case KindPart:
				pj, err := DecodePart(m.Body)
				if err != nil || pj.Run != run {
					continue
				}
				if live, err := f.uploadLive(ctx, pj); err != nil || !live {
					continue
				}
				if err := f.failGiant(ctx, pj, pj.Attempt+f.MaxReceives, errors.New(why)); err != nil {
					return settled, err
				}
				settled++
			}
		}
		if len(recs) > 0 {
			if err := w.Store.PutObjects(ctx, w.TaskID, recs); err != nil {
				return settled, fmt.Errorf("record dead-lettered objects: %w", err)
			}
			for _, r := range recs {
				f.logOutcome(r, "dead-letter")
			}
			settled += len(recs)
		}
		if fresh == 0 {
			break
		}
	}
	return settled, nil
}
