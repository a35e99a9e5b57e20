package tasks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync/atomic"
	"time"

	"transferhub/cloud/image"
	"transferhub/cloud/objstore"
	"transferhub/cloud/s3sync"
	"transferhub/cloud/spec"
	"transferhub/cloud/state"
	"transferhub/cloud/state/sqlite"
)

// runMode says what a run does.
type runMode int

const (
	modeStart     runMode = iota // a new run
	modeResume                   // continue the current run (stopped, failed or interrupted)
	modeRetry                    // the current run again, for its failed items only
	modeAuto                     // resume a run an earlier app left RUNNING
	modeScheduled                // a new run started by the schedule
)

func (m runMode) String() string {
	return [...]string{"start", "resume", "retry failed", "resume after restart", "scheduled run"}[m]
}

// Why a run's context ended.
var (
	errShutdown = errors.New("the app is closing")
	errStopped  = errors.New("stopped by the user")
	errDeleted  = errors.New("the task was deleted")
	errLeased   = errors.New("the task is running in another Transfer Hub window or thub process")
)

// run is an active run in this app.
type run struct {
	mode     runMode
	cancel   context.CancelCauseFunc
	done     chan struct{}
	stopping atomic.Bool
	bytes    atomic.Int64                    // image bytes sent in this run so far
	s3       atomic.Pointer[s3sync.Progress] // the S3 engine's latest snapshot
}

// Lease: one runner per task file, across app windows and processes. Short and renewed,
// so a killed app's lease lapses quickly and the next start resumes its run.
const (
	leaseName = "local-run"
	leaseTTL  = 15 * time.Second
	// The S3 engine's queue of a task (one queue per task file).
	s3Queue = "s3-jobs"
	// metaSelected records the run whose image selection was counted (found).
	metaSelected = "app-image-selected"
)

// Start begins a new run of the task.
func (m *Manager) Start(ctx context.Context, id string) error {
	return m.begin(ctx, id, modeStart)
}

// Resume continues the task's current run where it stopped.
func (m *Manager) Resume(ctx context.Context, id string) error {
	return m.begin(ctx, id, modeResume)
}

// RetryFailed copies the failed items of the current run again, in the same run: their
// records move from FAILED to DONE (or FAILED with the new error) and so do the counters.
func (m *Manager) RetryFailed(ctx context.Context, id string) error {
	return m.begin(ctx, id, modeRetry)
}

func (m *Manager) begin(ctx context.Context, id string, mode runMode) error {
	e, err := m.get(id)
	if err != nil {
		return err
	}
	if err := e.usable(); err != nil {
		return err
	}
	v := m.view(ctx, e)
	if v.Problem != "" {
		return fmt.Errorf("%w: %s", ErrBusy, v.Problem)
	}
	switch mode {
	case modeStart, modeScheduled:
		if !v.CanStart {
			return fmt.Errorf("%w: %q is already running", ErrBusy, v.Name)
		}
	case modeResume:
		if !v.CanResume {
			return fmt.Errorf("%w: %q has no unfinished run to resume; start a new run instead", ErrBusy, v.Name)
		}
	case modeRetry:
		if !v.CanRetry {
			return fmt.Errorf("%w: %q has no failed items to retry", ErrBusy, v.Name)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return errors.New("the app is closing")
	}
	if e.run != nil {
		return fmt.Errorf("%w: %q is already running", ErrBusy, v.Name)
	}
	m.launch(e, mode)
	return nil
}

// launch starts a run goroutine; m.mu must be held and e.run nil.
func (m *Manager) launch(e *entry, mode runMode) {
	ctx, cancel := context.WithCancelCause(m.base)
	r := &run{mode: mode, cancel: cancel, done: make(chan struct{})}
	e.run = r
	m.runs.Add(1)
	go m.execute(ctx, e, r)
}

// Stop asks the task's run to stop; it ends STOPPED and can be resumed.
func (m *Manager) Stop(ctx context.Context, id string) error {
	e, err := m.get(id)
	if err != nil {
		return err
	}
	if err := e.usable(); err != nil {
		return err
	}
	m.mu.Lock()
	r := e.run
	if r != nil {
		r.stopping.Store(true)
		r.cancel(errStopped)
	}
	m.mu.Unlock()
	if r == nil {
		// A run left RUNNING by an app that was killed, not running here: mark it stopped.
		err := e.db.SetTaskStatus(ctx, id, []state.TaskStatus{state.TaskRunning, state.TaskStopping}, state.TaskStopped, "")
		if errors.Is(err, state.ErrConflict) {
			return fmt.Errorf("%w: the task is not running", ErrBusy)
		}
		if err != nil {
			return fmt.Errorf("stop %s: %w", id, err)
		}
		m.changed(id)
		return nil
	}
	if err := e.db.SetTaskStatus(ctx, id, []state.TaskStatus{state.TaskRunning}, state.TaskStopping, ""); err != nil && !errors.Is(err, state.ErrConflict) {
		return fmt.Errorf("stop %s: %w", id, err)
	}
	m.changed(id)
	return nil
}

// execute is a run's goroutine.
func (m *Manager) execute(ctx context.Context, e *entry, r *run) {
	defer m.runs.Done()
	logger := e.log.Logger(slog.LevelInfo, m.log, e.id)
	defer func() {
		m.mu.Lock()
		e.run = nil
		closed := m.closed
		m.mu.Unlock()
		close(r.done)
		if closed {
			e.close()
		}
		m.changed(e.id)
	}()
	m.changed(e.id)
	logger.Info("run begins", "mode", r.mode.String())
	err := m.runOnce(ctx, e, r, logger)
	m.finish(ctx, e, r, err, logger)
}

// runOnce takes the lease and runs the engine; a panic becomes an error (its stack goes
// to the app log only).
func (m *Manager) runOnce(ctx context.Context, e *entry, r *run, logger *slog.Logger) (err error) {
	defer func() {
		if p := recover(); p != nil {
			m.log.Error("task run panicked", "task", e.id, "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("internal error in Transfer Hub (%v); the details are in the app log", p)
		}
	}()
	if err := m.takeLease(ctx, e, r.mode == modeAuto); err != nil {
		return err
	}
	leaseCtx, stopLease := context.WithCancel(ctx)
	go m.keepLease(leaseCtx, e)
	defer func() {
		stopLease()
		_ = e.db.ReleaseLease(context.WithoutCancel(ctx), e.id, leaseName, m.owner)
	}()

	t, err := e.db.GetTask(ctx, e.id)
	if err != nil {
		return fmt.Errorf("read the task: %w", err)
	}
	d, err := DecodeDefinition(t.Definition)
	if err != nil {
		return err
	}
	stopProgress := m.reportProgress(ctx, e, r)
	defer stopProgress()
	if d.S3 != nil {
		return m.runS3(ctx, e, r, t, *d.S3, logger)
	}
	return m.runImage(ctx, e, r, t, *d.Image, logger)
}

func (m *Manager) takeLease(ctx context.Context, e *entry, wait bool) error {
	deadline := time.Now().Add(leaseTTL + 5*time.Second)
	for {
		err := e.db.Lease(ctx, e.id, leaseName, m.owner, leaseTTL)
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

func (m *Manager) keepLease(ctx context.Context, e *entry) {
	tk := time.NewTicker(leaseTTL / 3)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
			if err := e.db.Lease(ctx, e.id, leaseName, m.owner, leaseTTL); err != nil && ctx.Err() == nil {
				m.log.Warn("renew task lease", "task", e.id, "err", err)
			}
		}
	}
}

// reportProgress sends the observer a snapshot every second until stopped (the chart
// keeps one sample a second; the engine's own counters move no faster).
func (m *Manager) reportProgress(ctx context.Context, e *entry, r *run) (stop func()) {
	if m.observer == nil {
		return func() {}
	}
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
				if p, ok := m.snapshot(ctx, e, r); ok {
					m.observer.TaskProgress(e.id, p)
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}

func (m *Manager) snapshot(ctx context.Context, e *entry, r *run) (Progress, bool) {
	t, err := e.db.GetTask(ctx, e.id)
	if err != nil {
		return Progress{}, false
	}
	p := Progress{At: m.now(), RunID: t.RunID, Counters: t.Counters, FinderDone: t.FinderDone, BytesMoved: t.Counters.DoneBytes}
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
func (m *Manager) finish(ctx context.Context, e *entry, r *run, err error, logger *slog.Logger) {
	bg := context.WithoutCancel(ctx)
	cause := context.Cause(ctx)
	switch {
	case errors.Is(cause, errShutdown):
		logger.Info("paused: the app is closing; the run resumes when it opens again")
	case errors.Is(cause, errDeleted):
	case r.stopping.Load() || errors.Is(cause, errStopped):
		if err := e.db.SetTaskStatus(bg, e.id, []state.TaskStatus{state.TaskRunning, state.TaskStopping}, state.TaskStopped, ""); err != nil && !errors.Is(err, state.ErrConflict) {
			m.log.Warn("record stop", "task", e.id, "err", err)
		}
		logger.Info("stopped by the user; resume to continue this run")
	case errors.Is(err, errLeased):
		// Another app window or process owns the run: its status is its business.
		logger.Warn(err.Error())
	case err != nil:
		msg := err.Error()
		logger.Error("run failed", "err", msg)
		if err := e.db.SetTaskStatus(bg, e.id, nil, state.TaskFailed, msg); err != nil {
			m.log.Warn("record failure", "task", e.id, "err", err)
		}
	default:
		t, err := e.db.GetTask(bg, e.id)
		if err != nil {
			return
		}
		c := t.Counters
		logger.Info("run finished", "status", string(t.Status), "found", c.FoundObjects, "done", c.DoneObjects,
			"skipped", c.SkippedObjects, "failed", c.FailedObjects, "bytes", c.DoneBytes)
		if d, err := DecodeDefinition(t.Definition); err == nil && d.Schedule.Kind != ScheduleNone && t.Status == state.TaskCompleted {
			// Between scheduled runs a task is IDLE (DESIGN §5); failures stay visible.
			_ = e.db.SetTaskStatus(bg, e.id, []state.TaskStatus{state.TaskCompleted}, state.TaskIdle, "")
		}
	}
}

// --- S3 --------------------------------------------------------------------------------

// openS3 resolves credentials and opens both ends of an S3 task.
func (m *Manager) openS3(ctx context.Context, s S3Spec, conc int, th *s3sync.Throttle) (src, dst objstore.Location, err error) {
	t := spec.Tuning{Concurrency: conc}
	if th != nil {
		t.OnThrottle = th.Signal
	}
	return s.Spec().OpenBoth(ctx, t, profileAccess{m: m, src: s.Source.ProfileID, dst: s.Destination.ProfileID})
}

// s3Options maps the definition onto the engine's options (validated before).
func s3Options(s S3Spec, conc int, logger *slog.Logger) (s3sync.Options, error) {
	o, err := s.Spec().EngineOptions(logger)
	o.Concurrency = conc
	return o, err
}

func (m *Manager) concurrency(n int) int {
	if n > 0 {
		return n
	}
	return max(MinConcurrency, min(m.defConc(), MaxConcurrency))
}

func (m *Manager) runS3(ctx context.Context, e *entry, r *run, t state.Task, s S3Spec, logger *slog.Logger) error {
	conc := m.concurrency(s.Concurrency)
	th := &s3sync.Throttle{}
	src, dst, err := m.openS3(ctx, s, conc, th)
	if err != nil {
		return err
	}
	opt, err := s3Options(s, conc, logger)
	if err != nil {
		return err
	}
	opt.Throttle = th
	opt.Progress = func(p s3sync.Progress) { r.s3.Store(&p) }
	// The app is the only process on the task's queue and Sends in the process wake its
	// receivers at once: polling the file for other writers can be slow.
	q := e.db.Queue(s3Queue, sqlite.QueueOptions{MaxReceives: 10, Poll: time.Second})
	running := []state.TaskStatus{state.TaskRunning, state.TaskStopping}
	switch r.mode {
	case modeStart, modeScheduled:
		// Sync resumes a RUNNING run; a new run needs the old one closed and its jobs gone.
		if t.Status == state.TaskRunning || t.Status == state.TaskStopping {
			if err := e.db.SetTaskStatus(ctx, e.id, running, state.TaskStopped, ""); err != nil && !errors.Is(err, state.ErrConflict) {
				return fmt.Errorf("close the previous run: %w", err)
			}
		}
		if err := q.Purge(ctx); err != nil {
			return fmt.Errorf("clear the job queue: %w", err)
		}
	case modeResume, modeRetry:
		// Check before reopening the run, so a credential problem leaves the run as it was.
		if err := s3sync.Check(ctx, src, dst); err != nil {
			return err
		}
		if r.mode == modeRetry {
			n, err := enqueueFailed(ctx, e.db, q, t)
			if err != nil {
				return err
			}
			logger.Info("retrying failed objects", "objects", n)
		}
		if err := e.db.SetTaskStatus(ctx, e.id, []state.TaskStatus{state.TaskStopped, state.TaskFailed, state.TaskCompleted, state.TaskIdle}, state.TaskRunning, ""); err != nil && !errors.Is(err, state.ErrConflict) {
			return fmt.Errorf("reopen the run: %w", err)
		}
	}
	res, err := s3sync.Sync(ctx, src, dst, e.db, newQuietQueue(q, defaultQuiet), e.id, opt)
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

// enqueueFailed sends the current run's failed objects to the queue as engine jobs, so
// the resumed run copies them again (the finder of that run is done).
func enqueueFailed(ctx context.Context, db *sqlite.DB, q *sqlite.Queue, t state.Task) (int, error) {
	const batch = 200
	n := 0
	after := ""
	for {
		page, err := db.ListObjects(ctx, t.ID, state.ListOptions{Status: state.ItemFailed, After: after, Limit: 1000})
		if err != nil {
			return n, fmt.Errorf("list failed objects: %w", err)
		}
		var bodies [][]byte
		job := s3sync.Job{V: s3sync.JobVersion, Run: t.RunID}
		flush := func() error {
			if len(job.Objects) == 0 {
				return nil
			}
			b, err := s3sync.EncodeJob(job)
			if err != nil {
				return err
			}
			bodies = append(bodies, b)
			job.Objects = nil
			return nil
		}
		for _, o := range page.Items {
			if o.RunID != t.RunID {
				continue // failed in an older run; the current run's finder decided about it
			}
			job.Objects = append(job.Objects, s3sync.JobObject{Key: o.Key, Size: o.Size, ETag: o.ETag, MTime: o.LastModified})
			n++
			if len(job.Objects) >= batch {
				if err := flush(); err != nil {
					return n, err
				}
			}
		}
		if err := flush(); err != nil {
			return n, err
		}
		if len(bodies) > 0 {
			if err := q.Send(ctx, bodies...); err != nil {
				return n, fmt.Errorf("queue failed objects: %w", err)
			}
		}
		if page.Next == "" {
			return n, nil
		}
		after = page.Next
	}
}

// --- images ------------------------------------------------------------------------------

func (m *Manager) imageEngine(ctx context.Context, s ImageSpec, logger *slog.Logger) (*image.Engine, image.Spec, error) {
	set, err := m.imageConfig(ctx, s)
	if err != nil {
		return nil, image.Spec{}, err
	}
	set.cfg.Log = logger
	eng, err := image.New(ctx, set.cfg)
	if err != nil {
		return nil, image.Spec{}, err
	}
	spec, err := imageSpec(set, eng)
	if err != nil {
		return nil, spec, err
	}
	return eng, spec, nil
}

func (m *Manager) runImage(ctx context.Context, e *entry, r *run, t state.Task, s ImageSpec, logger *slog.Logger) error {
	eng, spec, err := m.imageEngine(ctx, s, logger)
	if err != nil {
		return err
	}
	db := e.db
	running := []state.TaskStatus{state.TaskRunning, state.TaskStopping}
	switch r.mode {
	case modeStart, modeScheduled:
		if t.Status == state.TaskRunning || t.Status == state.TaskStopping {
			if err := db.SetTaskStatus(ctx, e.id, running, state.TaskStopped, ""); err != nil && !errors.Is(err, state.ErrConflict) {
				return fmt.Errorf("close the previous run: %w", err)
			}
		}
		if t, err = db.StartRun(ctx, e.id); err != nil {
			return fmt.Errorf("start a run: %w", err)
		}
	case modeResume, modeRetry:
		if err := db.SetTaskStatus(ctx, e.id, []state.TaskStatus{state.TaskStopped, state.TaskFailed, state.TaskCompleted, state.TaskIdle}, state.TaskRunning, ""); err != nil && !errors.Is(err, state.ErrConflict) {
			return fmt.Errorf("reopen the run: %w", err)
		}
	}
	if t, err = db.GetTask(ctx, e.id); err != nil {
		return fmt.Errorf("read the task: %w", err)
	}
	runID := t.RunID

	var items []image.Item
	if r.mode == modeRetry {
		if items, err = failedImages(ctx, db, t); err != nil {
			return err
		}
		logger.Info("retrying failed images", "images", len(items))
	} else {
		if items, err = eng.Select(ctx, spec); err != nil {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			return fmt.Errorf("select images: %w", err)
		}
		counted, err := db.GetMeta(ctx, e.id, metaSelected)
		if err != nil {
			return fmt.Errorf("read the run's selection: %w", err)
		}
		if counted != runID {
			if err := db.AddCounters(ctx, e.id, runID, state.Counters{FoundObjects: int64(len(items))}); err != nil {
				return fmt.Errorf("count the selection: %w", err)
			}
			if err := db.SetMeta(ctx, e.id, metaSelected, runID); err != nil {
				return fmt.Errorf("record the selection: %w", err)
			}
			if err := db.FinishFinder(ctx, e.id, runID); err != nil {
				return fmt.Errorf("record the selection: %w", err)
			}
		} else if items, err = unsettled(ctx, db, t, items); err != nil {
			return err
		}
		logger.Info("images selected", "images", len(items))
	}
	_, err = eng.CopyItems(ctx, items, spec.Copy, image.RunOptions{
		Concurrency: m.imageConcurrency(s.Concurrency), Recorder: db, TaskID: e.id, RunID: runID,
		OnEvent: func(ev image.Event) {
			if ev.Kind == image.EventBytes {
				r.bytes.Add(ev.Bytes)
			}
		},
	})
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if err != nil {
		return err
	}
	if t, err = db.GetTask(ctx, e.id); err != nil {
		return fmt.Errorf("read the task: %w", err)
	}
	status, msg := state.TaskCompleted, ""
	if f := t.Counters.FailedObjects; f > 0 {
		status, msg = state.TaskFailed, fmt.Sprintf("%d of %d images failed", f, t.Counters.FoundObjects)
		logger.Warn("some images failed; see the Failed tab, fix the cause and retry them", "failed", f)
	}
	if err := db.SetTaskStatus(ctx, e.id, running, status, msg); err != nil {
		return fmt.Errorf("finish the run: %w", err)
	}
	return nil
}

func (m *Manager) imageConcurrency(n int) int {
	if n > 0 {
		return n
	}
	return image.DefaultImageConcurrency
}

// failedImages lists the current run's failed images as engine items.
func failedImages(ctx context.Context, db state.Store, t state.Task) ([]image.Item, error) {
	var items []image.Item
	after := ""
	for {
		page, err := db.ListImages(ctx, t.ID, state.ListOptions{Status: state.ItemFailed, After: after, Limit: 1000})
		if err != nil {
			return nil, fmt.Errorf("list failed images: %w", err)
		}
		for _, im := range page.Items {
			if im.RunID == t.RunID {
				items = append(items, imageItem(im))
			}
		}
		if page.Next == "" {
			return items, nil
		}
		after = page.Next
	}
}

func imageItem(im state.Image) image.Item {
	return image.Item{Source: im.Source, Destination: im.Destination, Repository: im.Repository, Tag: im.Tag, Digest: im.Digest}
}

// unsettled drops the items a resumed run already settled.
func unsettled(ctx context.Context, db state.Store, t state.Task, items []image.Item) ([]image.Item, error) {
	settled := map[string]bool{}
	after := ""
	for {
		page, err := db.ListImages(ctx, t.ID, state.ListOptions{After: after, Limit: 1000})
		if err != nil {
			return nil, fmt.Errorf("list images: %w", err)
		}
		for _, im := range page.Items {
			if im.RunID == t.RunID && im.Status.Terminal() {
				settled[im.Source] = true
			}
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	out := items[:0:0]
	for _, it := range items {
		if !settled[it.Source] {
			out = append(out, it)
		}
	}
	return out, nil
}
