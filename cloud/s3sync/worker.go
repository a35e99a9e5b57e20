package s3sync

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"transferhub/cloud/internal/wait"
	"transferhub/cloud/objstore"
	"transferhub/cloud/queue"
	"transferhub/cloud/state"
)

// Worker copies the objects of job messages and records each outcome in the store.
type Worker struct {
	Src, Dst objstore.Location
	Store    state.Store
	Queue    queue.Queue
	TaskID   string
	// RunID is the run whose jobs this worker takes; messages of other runs are dropped
	// (the current run's finder sends whatever is still missing).
	RunID string
	Opt   Options

	once    sync.Once
	lim     *limiter
	mem     *budget
	bufs    bufPool
	serverS bool

	// BytesSent counts bytes this worker read from the source and wrote to the
	// destination (zero for server-side copies).
	BytesSent atomic.Int64
	// BytesCopied counts bytes copied server-side (whole objects and parts).
	BytesCopied atomic.Int64

	pending atomic.Int64 // objects received by Serve and not yet finished
	// keyLocks serialises multipart copies of one key in this process (a job delivered
	// twice at once must not abort or complete the other delivery's upload).
	keyLocks sync.Map
	// srcOpaque: a source object was seen with SSE-KMS/SSE-C, so server-side copies from
	// it change ETags and carry the source ETag in metadata from the start.
	srcOpaque atomic.Bool
	// copiedOne: an object was copied, so an access denial is about that object (a
	// policy on a prefix), not the whole location.
	copiedOne atomic.Bool
	// tagsOff: a side refused tags (read or write) although it keeps objects: no more
	// tags this run (warned once).
	tagsOff atomic.Bool
	// halt, set by Serve, stops the run on a failure every object would meet.
	halt func(error)
}

func (w *Worker) init() {
	w.once.Do(func() {
		w.Opt = w.Opt.Defaults()
		if w.lim == nil {
			w.lim = newLimiter(w.Opt.Concurrency)
		}
		w.mem = newBudget(w.Opt.MaxMemory)
		if w.Opt.Throttle != nil {
			w.Opt.Throttle.lim.Store(w.lim)
		}
		if c, ok := w.Dst.(objstore.ServerCopier); ok && w.Opt.ServerSide != ServerSideNever {
			w.serverS = c.CanCopyFrom(w.Src)
		}
	})
}

// Throttled tells the worker the service asked it to slow down (wire it to
// objstore.S3Config.OnThrottle).
func (w *Worker) Throttled() {
	w.init()
	w.lim.throttled()
}

// ServerSide reports whether copies run server-side.
func (w *Worker) ServerSide() bool { w.init(); return w.serverS }

// Serve receives and handles jobs until ctx ends or idle reports true while nothing is
// in flight (the local run stops when its finder is done and the queue is empty).
func (w *Worker) Serve(ctx context.Context, idle func(ctx context.Context) (bool, error)) error {
	w.init()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	w.halt = func(err error) { cancel(&StopError{Err: err}) }
	var (
		wg      sync.WaitGroup
		errMu   sync.Mutex
		firstEr error
	)
	fail := func(err error) {
		errMu.Lock()
		if firstEr == nil {
			firstEr = err
		}
		errMu.Unlock()
	}
	defer wg.Wait()
	for ctx.Err() == nil {
		errMu.Lock()
		err := firstEr
		errMu.Unlock()
		if err != nil {
			return err
		}
		if w.pending.Load() >= int64(2*w.Opt.Concurrency) {
			_ = wait.Sleep(ctx, 5*time.Millisecond)
			continue
		}
		msgs, err := w.Queue.Receive(ctx, 1, w.Opt.JobVisibility, w.Opt.ReceiveWait)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			return fmt.Errorf("receive jobs: %w", err)
		}
		if len(msgs) == 0 {
			if w.pending.Load() == 0 && idle != nil {
				done, err := idle(ctx)
				if err != nil {
					return err
				}
				if done {
					break
				}
			}
			continue
		}
		for _, m := range msgs {
			job, err := DecodeJob(m.Body)
			if err != nil {
				// A message this build cannot read will never succeed: acknowledge it.
				w.Opt.Logger.Error("dropping unreadable job message", "id", m.ID, "err", err)
				if err := w.Queue.Delete(ctx, m); err != nil {
					return fmt.Errorf("delete job: %w", err)
				}
				continue
			}
			// Objects count as pending until each one finishes (not the whole job), so
			// the next job is taken while a job's last objects are still copying and
			// the transfers never drain between jobs.
			w.pending.Add(int64(len(job.Objects)))
			wg.Add(1)
			go func(m queue.Message, job Job) {
				defer wg.Done()
				if err := w.handle(ctx, m, job, true); err != nil && ctx.Err() == nil {
					fail(err)
				}
			}(m, job)
		}
	}
	wg.Wait()
	var stop *StopError
	if errors.As(context.Cause(ctx), &stop) {
		return stop
	}
	errMu.Lock()
	defer errMu.Unlock()
	if firstEr != nil {
		return firstEr
	}
	return ctx.Err()
}

// StopError ends a run early: a failure that every object would meet (a read-only or
// full destination, a bucket that is gone, access denied before any object could be
// copied). It is said once, instead of once per object.
type StopError struct{ Err error }

func (e *StopError) Unwrap() error { return e.Err }

func (e *StopError) Error() string {
	var why string
	switch {
	case errors.Is(e.Err, objstore.ErrReadOnly):
		why = "the destination is read-only"
	case errors.Is(e.Err, objstore.ErrNoSpace):
		why = "the destination is full (what was copied is kept; free space and run again to continue)"
	case errors.Is(e.Err, objstore.ErrNoBucket):
		why = "a bucket does not exist"
	default:
		why = "access denied before any object could be copied (check that the credentials may read the source's objects and write the destination's)"
	}
	return "run stopped, no object can be copied: " + why + ": " + e.Err.Error()
}

// stopsRun reports whether err will hit every object of the run. An access denial does
// when no object of the run was copied yet; it is tried twice first (copyObject), so
// that credentials renewed meanwhile are used.
func (w *Worker) stopsRun(err error) bool {
	switch {
	case errors.Is(err, objstore.ErrReadOnly), errors.Is(err, objstore.ErrNoSpace), errors.Is(err, objstore.ErrNoBucket):
		return true
	case errors.Is(err, objstore.ErrAccessDenied):
		return !w.copiedOne.Load()
	}
	return false
}

// Handle copies the objects of one job, writes their records in one batch and then
// acknowledges the message. A redelivered or duplicated job does the same again: copies
// are overwrites with identical content and records are idempotent per run.
func (w *Worker) Handle(ctx context.Context, m queue.Message, job Job) error {
	return w.handle(ctx, m, job, false)
}

func (w *Worker) handle(ctx context.Context, m queue.Message, job Job, counted bool) error {
	w.init()
	var released atomic.Int64
	done := func() {
		if counted {
			released.Add(1)
			w.pending.Add(-1)
		}
	}
	if counted {
		defer func() { w.pending.Add(released.Load() - int64(len(job.Objects))) }()
	}
	if w.RunID != "" && job.Run != w.RunID {
		return w.Queue.Delete(ctx, m)
	}
	hbCtx, stopHB := context.WithCancel(ctx)
	defer stopHB()
	go wait.Every(hbCtx, w.Opt.JobVisibility/3, func(ctx context.Context) {
		if err := w.Queue.Extend(ctx, m, w.Opt.JobVisibility); err != nil && ctx.Err() == nil {
			w.Opt.Logger.Warn("extend job visibility", "err", err)
		}
	})
	recs, _ := w.copyAll(ctx, job.Run, job.Objects, done)
	if ctx.Err() != nil {
		// Stopped mid-job: the message comes back after its visibility timeout. What
		// finished is recorded (true, and idempotent when the job is done again), so
		// that the run's summary counts it.
		var settled []state.Object
		for _, r := range recs {
			if r.Status != "" {
				settled = append(settled, r)
			}
		}
		if len(settled) > 0 {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			_ = w.Store.PutObjects(rctx, w.TaskID, settled)
			cancel()
		}
		return ctx.Err()
	}
	if err := w.Store.PutObjects(ctx, w.TaskID, recs); err != nil {
		return fmt.Errorf("record %d objects: %w", len(recs), err)
	}
	stopHB()
	if err := w.Queue.Delete(ctx, m); err != nil {
		return fmt.Errorf("acknowledge job: %w", err)
	}
	return nil
}

// copyAll copies objs and returns their records and errors (see copyObject), calling
// done after each object. A few long-lived goroutines take the objects in turn: their
// stacks, grown deep by the SDK once, are reused instead of grown again for every object.
func (w *Worker) copyAll(ctx context.Context, runID string, objs []JobObject, done func()) ([]state.Object, []error) {
	recs := make([]state.Object, len(objs))
	errs := make([]error, len(objs))
	var wg sync.WaitGroup
	var next atomic.Int64
	for g := 0; g < min(len(objs), w.Opt.Concurrency); g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(objs) {
					return
				}
				recs[i], errs[i] = w.copyObject(ctx, runID, objs[i])
				if done != nil {
					done()
				}
			}
		}()
	}
	wg.Wait()
	return recs, errs
}

// copyObject copies one object with retries and returns its record and the last error
// (nil when the record is DONE or SKIPPED).
func (w *Worker) copyObject(ctx context.Context, runID string, jo JobObject) (state.Object, error) {
	rec := state.Object{Key: jo.Key, Size: jo.Size, ETag: jo.ETag, LastModified: jo.MTime, RunID: runID}
	var err error
	var c copied
	for attempt := 1; attempt <= w.Opt.Attempts; attempt++ {
		rec.Attempts = attempt
		c, err = w.copyOnce(ctx, runID, jo)
		if err == nil || ctx.Err() != nil || errors.Is(err, objstore.ErrNotFound) && !errors.Is(err, errDestination) || errors.Is(err, objstore.ErrPrecondition) || isPermanent(err) {
			break
		}
		if w.halt != nil && w.stopsRun(err) {
			if attempt >= 2 {
				break // denied again after a retry, before anything was copied: stop
			}
			// Not logged: the run may stop with one message.
		} else {
			w.Opt.Logger.Warn("copy failed, retrying", "key", jo.Key, "attempt", attempt, "err", err)
		}
		_ = wait.Sleep(ctx, time.Duration(attempt)*300*time.Millisecond)
	}
	switch {
	case err == nil:
		w.copiedOne.Store(true)
		rec.Status, rec.DestETag, rec.Checksum = state.ItemDone, c.etag, c.checksum
		w.Opt.Logger.Debug("copied", "key", jo.Key, "size", jo.Size)
	case errors.Is(err, objstore.ErrNotFound) && !errors.Is(err, errDestination):
		rec.Status, rec.Error = state.ItemSkipped, "source object no longer exists"
	case ctx.Err() != nil:
		// Stopped (Ctrl-C, a lost lease, a run stopped early): no outcome (no status),
		// and nothing to report: the job comes back to the next run.
		return rec, err
	case w.halt != nil && w.stopsRun(err):
		w.halt(err)
		return rec, err // no outcome: the run stops, this object is tried again when it resumes
	default:
		rec.Status, rec.Error = state.ItemFailed, err.Error()
		w.Opt.Logger.Error("copy failed", "key", jo.Key, "err", err)
		if ctx.Err() == nil && (jo.Size > w.Opt.MultipartThreshold || isMultipartETag(jo.ETag)) {
			// A failed object keeps no open upload of ours behind (the next run starts
			// afresh).
			if aerr := w.abandonUploads(ctx, jo.Key); aerr != nil {
				w.Opt.Logger.Warn("abort the uploads of a failed object", "key", jo.Key, "err", aerr)
			}
		}
	}
	if rec.Status != state.ItemFailed {
		return rec, nil
	}
	return rec, err
}

var errDestination = errors.New("destination")

// errPermanent marks failures a retry cannot fix (bad key for the destination, data
// that does not match its ETag twice).
type errPermanent struct{ error }

func (e errPermanent) Unwrap() error { return e.error }

// isPermanent reports failures that fail an object at once: the engine's own, and the
// store answers no retry changes (objstore.ErrPermanent: a read-only or full
// destination, a bucket gone, a request the store refuses as such, a directory that
// refuses the file). S3's access denials are retried: renewed credentials or a policy
// taking effect may lift them.
func isPermanent(err error) bool {
	var p errPermanent
	return errors.As(err, &p) || errors.Is(err, objstore.ErrInvalidKey) || errors.Is(err, objstore.ErrPermanent)
}

// copied is what a copy made: the destination ETag and, when it was computed, the
// content's full-object checksum ("CRC64NVME:<base64>", equal to the source's where it
// has one).
type copied struct{ etag, checksum string }

// Sweep aborts the open uploads of objects left IN_PROGRESS (their job failed for good or
// their source vanished): nobody will complete them. Only uploads this task started are
// touched (uploads.go).
func (w *Worker) Sweep(ctx context.Context) error {
	w.init()
	after := ""
	for {
		page, err := w.Store.ListObjects(ctx, w.TaskID, state.ListOptions{Status: state.ItemInProgress, After: after, Limit: 500})
		if err != nil {
			return fmt.Errorf("list objects in progress: %w", err)
		}
		for _, o := range page.Items {
			ups, err := w.Dst.ListUploads(ctx, o.Key)
			if err != nil {
				return err
			}
			if err := w.abortOwn(ctx, o, ups, ""); err != nil {
				return err
			}
		}
		if page.Next == "" {
			return nil
		}
		after = page.Next
	}
}
