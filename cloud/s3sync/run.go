package s3sync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"transferhub/cloud/internal/wait"
	"transferhub/cloud/objstore"
	"transferhub/cloud/queue"
	"transferhub/cloud/state"
	"transferhub/cloud/taskrun"
)

// Failure is one object that could not be copied.
type Failure struct {
	Key   string `json:"key"`
	Error string `json:"error"`
}

// Plan is what a dry run found.
type Plan struct {
	ToCopy      int64 `json:"toCopy"`
	ToCopyBytes int64 `json:"toCopyBytes"`
	ToDelete    int64 `json:"toDelete"`
	Archived    int64 `json:"archived"`
	EstRequests int64 `json:"estRequests"`
	ServerSide  bool  `json:"serverSide"`
	// DeleteKeys names the first 1,000 destination objects --delete would delete
	// (MoreDeleteKeys: there are more); DeleteRefused counts those --max-delete would
	// leave.
	DeleteKeys     []string `json:"deleteKeys,omitempty"`
	MoreDeleteKeys bool     `json:"moreDeleteKeys,omitempty"`
	DeleteRefused  int64    `json:"deleteRefused,omitempty"`
}

// Result sums up a run; its JSON form is the CLI's --json line.
type Result struct {
	TaskID       string `json:"task,omitempty"`
	RunID        string `json:"run,omitempty"`
	Found        int64  `json:"found"`
	FoundBytes   int64  `json:"foundBytes"`
	Copied       int64  `json:"copied"`
	Skipped      int64  `json:"skipped"`
	Failed       int64  `json:"failed"`
	Archived     int64  `json:"archived"`
	Deleted      int64  `json:"deleted"`
	DeleteFailed int64  `json:"deleteFailed,omitempty"`
	// DeleteRefused counts destination objects the source lacks that were not deleted
	// because of Options.MaxDelete (the run ends FAILED).
	DeleteRefused int64 `json:"deleteRefused,omitempty"`
	Bytes         int64 `json:"bytes"`
	// ProcessBytes are the bytes of objects this process finished: a resumed run's
	// Bytes include what the killed process had copied, its speed must not.
	ProcessBytes int64   `json:"processBytes"`
	Seconds      float64 `json:"seconds"`
	ServerSide   bool    `json:"serverSide"`
	Resumed      bool    `json:"resumed"`
	DryRun       bool    `json:"dryRun"`
	Interrupted  bool    `json:"interrupted,omitempty"` // stopped before the end (Ctrl-C): the run resumes later
	// --compare checksum: pairs compared by the full-object checksum both stores keep,
	// pairs compared by reading both sides, and the bytes read for them.
	ComparedByChecksum int64     `json:"comparedByChecksum,omitempty"`
	ComparedByData     int64     `json:"comparedByData,omitempty"`
	ComparedBytes      int64     `json:"comparedBytes,omitempty"`
	Plan               *Plan     `json:"plan,omitempty"`
	Failures           []Failure `json:"failures,omitempty"`
	MoreFailures       bool      `json:"moreFailures,omitempty"`
}

// compared copies how the finder compared content (--compare checksum).
func (r *Result) compared(st FinderStats) {
	r.ComparedByChecksum, r.ComparedByData, r.ComparedBytes = st.ComparedChecksums, st.ComparedData, st.ComparedBytes
}

// Check verifies both locations before anything is written: they exist, the credentials
// work, and they do not overlap.
func Check(ctx context.Context, src, dst objstore.Location) error {
	if objstore.Overlap(src, dst) {
		return fmt.Errorf("source %s and destination %s overlap: a sync would read its own output", src.URL(), dst.URL())
	}
	dstErr := make(chan error, 1)
	go func() { dstErr <- dst.Check(ctx, true) }()
	serr, derr := src.Check(ctx, false), <-dstErr
	if serr != nil {
		return &SideError{Side: "source", Err: serr}
	}
	if derr != nil {
		return &SideError{Side: "destination", Err: derr}
	}
	return nil
}

// SideError is a failed check of one side ("source" or "destination"), so that a caller
// can say which of its settings to fix.
type SideError struct {
	Side string
	Err  error
}

func (e *SideError) Error() string { return e.Side + ": " + e.Err.Error() }
func (e *SideError) Unwrap() error { return e.Err }

// DryRun lists and compares without copying or recording anything.
func DryRun(ctx context.Context, src, dst objstore.Location, opt Options) (Result, error) {
	opt = opt.Defaults()
	start := time.Now()
	if err := Check(ctx, src, dst); err != nil {
		return Result{}, err
	}
	opt.DryRun = true
	f := &Finder{Src: src, Dst: dst, Opt: opt}
	stop := reportProgress(ctx, opt, func() Progress {
		found, skipped, _, archived := f.Live()
		return Progress{Found: found, Skipped: skipped, Archived: archived}
	})
	st, err := f.Run(ctx, "dry-run")
	stop()
	if err != nil {
		return Result{}, err
	}
	w := &Worker{Src: src, Dst: dst, Opt: opt}
	res := Result{DryRun: true, Found: st.Found, FoundBytes: st.FoundBytes, Skipped: st.Skipped, Archived: st.Archived,
		Seconds: time.Since(start).Seconds(), ServerSide: w.ServerSide(),
		Plan: &Plan{ToCopy: st.Queued, ToCopyBytes: st.QueuedBytes, ToDelete: st.Deleted, Archived: st.Archived,
			EstRequests: st.EstRequests, ServerSide: w.ServerSide(), DeleteRefused: st.DeleteRefused}}
	res.Plan.DeleteKeys, res.Plan.MoreDeleteKeys = f.PlannedDeletes()
	res.compared(st)
	if opt.Progress != nil {
		opt.Progress(Progress{Found: st.Found, FoundBytes: st.FoundBytes, Skipped: st.Skipped, Archived: st.Archived, FinderDone: true, Elapsed: time.Since(start)})
	}
	return res, nil
}

func reportProgress(ctx context.Context, opt Options, snap func() Progress) (stop func()) {
	if opt.Progress == nil {
		return func() {}
	}
	start := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		wait.Every(ctx, 500*time.Millisecond, func(context.Context) {
			p := snap()
			p.Elapsed = time.Since(start)
			opt.Progress(p)
		})
	}()
	return func() { cancel(); <-done }
}

// orphanReleaser is a queue whose in-flight messages a sole owner can take back at once.
type orphanReleaser interface {
	ReleaseOrphans(ctx context.Context) (int64, error)
}

// Sync runs a local sync of src into dst: finder and workers in this process over the
// given store and queue (the task's embedded state, a file on this computer).
//
// The run's life cycle is taskrun's, with opt.Run's rules: Sync creates the task when
// the store has none, holds its lease (a second Sync of the task is refused with a
// *taskrun.LeaseError; a lease left by a killed process on this computer is taken over
// at once, one that cannot be checked is waited for up to its TTL + 5 s), and by default
// resumes a run that a killed process left RUNNING: the finder continues from its
// checkpoint, unacknowledged jobs come back from the queue and open multipart uploads are
// resumed. A run that loses its lease stops with that error. A run that ends records
// COMPLETED, or FAILED with what failed; one that fails or is cancelled stays RUNNING, to
// be resumed.
func Sync(ctx context.Context, src, dst objstore.Location, store state.Store, q queue.Queue, taskID string, opt Options) (_ Result, err error) {
	if opt.JobVisibility <= 0 {
		// One process owns the local queue: a short visibility brings a killed run's
		// jobs back quickly, and heartbeats on a local file cost nothing.
		opt.JobVisibility = 6 * time.Second
	}
	if opt.ReceiveWait <= 0 {
		// Polling the local file is cheap; a short wait notices the end of the run at once.
		opt.ReceiveWait = 20 * time.Millisecond
	}
	opt = opt.Defaults()
	if opt.DryRun {
		return DryRun(ctx, src, dst, opt)
	}
	start := time.Now()
	if err := Check(ctx, src, dst); err != nil {
		return Result{}, err
	}
	tmpl := state.Task{ID: taskID, Type: state.TaskS3, Name: src.URL() + " → " + dst.URL(), Engine: state.EngineLocal,
		Definition: opt.Definition, Status: state.TaskDraft}
	ctx, run, err := taskrun.Start(ctx, store, tmpl, opt.Run.Local(opt.Logger, taskrun.ResumeInterrupted))
	if err != nil {
		return Result{}, err
	}
	defer func() {
		if cerr := run.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	task, resumed := run.Task, run.Resumed
	if resumed {
		if o, ok := q.(orphanReleaser); ok {
			// This process alone runs the task (it holds the lease): jobs the interrupted
			// process held are taken again now, not after their visibility timeout.
			if n, err := o.ReleaseOrphans(ctx); err != nil {
				return Result{}, err
			} else if n > 0 {
				opt.Logger.Info("jobs of the interrupted process taken back", "jobs", n)
			}
		}
	}
	l := &localSync{store: store, q: q, taskID: taskID, runID: task.RunID, opt: opt, start: start,
		movedBase: task.Counters.DoneBytes, // what earlier processes of this run finished
		doneBase:  task.Counters.DoneBytes,
		f:         &Finder{Src: src, Dst: dst, Store: store, Queue: q, TaskID: taskID, Opt: opt},
		w:         &Worker{Src: src, Dst: dst, Store: store, Queue: q, TaskID: taskID, RunID: task.RunID, Opt: opt}}
	opt.Logger.Debug("run started", "run", task.RunID, "resumed", resumed, "elapsed", time.Since(start))
	ferr, werr := l.work(ctx)
	switch {
	case run.Err() != nil:
		return Result{}, run.Err() // the lease is lost: the task is another process's now
	case ferr != nil && !errors.Is(ferr, context.Canceled):
		return Result{}, fmt.Errorf("finder: %w", ferr)
	case errors.As(werr, new(*StopError)):
		return Result{}, werr // one message that says it all
	case werr != nil && !errors.Is(werr, context.Canceled):
		return Result{}, fmt.Errorf("worker: %w", werr)
	case ctx.Err() != nil:
		// Interrupted: what this run did so far, for the summary; it stays RUNNING, to
		// be resumed.
		res, _, rerr := l.result(context.WithoutCancel(ctx), resumed)
		if rerr != nil {
			return Result{}, context.Cause(ctx)
		}
		res.Interrupted, res.Seconds = true, time.Since(start).Seconds()
		return res, context.Cause(ctx)
	}
	if err := l.w.Sweep(ctx); err != nil {
		opt.Logger.Warn("abort abandoned uploads", "err", err)
	}
	res, c, err := l.result(ctx, resumed)
	if err != nil {
		return Result{}, err
	}
	end := taskrun.End{}
	switch {
	case res.Failed > 0:
		end.Failure = fmt.Sprintf("%d objects failed", res.Failed)
	case res.DeleteFailed > 0:
		end.Failure = fmt.Sprintf("%d destination objects could not be deleted (see the log)", res.DeleteFailed)
	case res.DeleteRefused > 0:
		end.Failure = fmt.Sprintf("--max-delete %d reached: %d more destination objects the source lacks were not deleted", opt.MaxDelete, res.DeleteRefused)
	}
	if _, err := run.Finish(ctx, end); err != nil {
		return res, err
	}
	res.Seconds = time.Since(start).Seconds()
	if opt.Progress != nil {
		opt.Progress(Progress{Found: c.FoundObjects, FoundBytes: c.FoundBytes, Copied: c.DoneObjects, CopiedBytes: c.DoneBytes,
			Skipped: c.SkippedObjects, SkippedBytes: c.SkippedBytes, Failed: c.FailedObjects, FailedBytes: c.FailedBytes,
			Archived: res.Archived, FinderDone: true, Elapsed: time.Since(start), MovedBytes: max(c.DoneBytes, l.moved())})
	}
	return res, nil
}

// localSync is one process's part of a local run: the finder and the workers over the
// task's own store and queue.
type localSync struct {
	store     state.Store
	q         queue.Queue
	taskID    string
	runID     string
	opt       Options
	start     time.Time
	movedBase int64
	doneBase  int64 // bytes of objects earlier processes of this run finished
	f         *Finder
	w         *Worker
	fstats    FinderStats // what the finder saw, once it is done
}

// moved is the bytes that reached the destination in this run, parts included.
func (l *localSync) moved() int64 {
	return l.movedBase + l.w.BytesSent.Load() + l.w.BytesCopied.Load()
}

// work runs the finder and the workers until the queue is drained after the finder
// finished, or the finder failed, or ctx ended.
func (l *localSync) work(ctx context.Context) (ferr, werr error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	finderErr := make(chan error, 1)
	var finderDone bool
	go func() {
		st, err := l.f.Run(ctx, l.runID)
		if err != nil {
			cancel()
		}
		l.fstats = st
		l.opt.Logger.Debug("finder done", "found", st.Found, "queued", st.Queued, "skipped", st.Skipped, "elapsed", time.Since(l.start), "err", err)
		finderErr <- err
	}()
	idle := func(ctx context.Context) (bool, error) {
		if !finderDone {
			select {
			case ferr = <-finderErr:
				finderDone = true
				if ferr != nil {
					return true, nil
				}
			default:
				return false, nil
			}
		}
		vis, inflight, err := l.q.Depth(ctx)
		if err != nil {
			return false, fmt.Errorf("queue depth: %w", err)
		}
		return vis == 0 && inflight == 0, nil
	}
	stopProgress := reportProgress(ctx, l.opt, func() Progress {
		p := Progress{}
		if t, err := l.store.GetTask(ctx, l.taskID); err == nil {
			c := t.Counters
			p = Progress{Found: c.FoundObjects, FoundBytes: c.FoundBytes, Copied: c.DoneObjects, CopiedBytes: c.DoneBytes,
				Skipped: c.SkippedObjects, SkippedBytes: c.SkippedBytes, Failed: c.FailedObjects, FailedBytes: c.FailedBytes, FinderDone: t.FinderDone}
		}
		found, skipped, _, _ := l.f.Live()
		p.Found = max(p.Found, found)
		p.Skipped = max(p.Skipped, skipped)
		p.MovedBytes = max(p.CopiedBytes, l.moved())
		return p
	})
	werr = l.w.Serve(ctx, idle)
	if werr != nil {
		cancel() // the workers stopped the run (a StopError): the finder need not go on
	}
	stopProgress()
	l.opt.Logger.Debug("workers done", "elapsed", time.Since(l.start))
	if !finderDone {
		ferr = <-finderErr
	}
	return ferr, werr
}

// result sums the run up from the store's counters and the finder's own counts.
func (l *localSync) result(ctx context.Context, resumed bool) (Result, state.Counters, error) {
	task, err := l.store.GetTask(ctx, l.taskID)
	if err != nil {
		return Result{}, state.Counters{}, fmt.Errorf("read task: %w", err)
	}
	c := task.Counters
	res := Result{TaskID: l.taskID, RunID: l.runID, Found: c.FoundObjects, FoundBytes: c.FoundBytes, Copied: c.DoneObjects,
		Skipped: c.SkippedObjects, Failed: c.FailedObjects, Bytes: c.DoneBytes, ProcessBytes: max(0, c.DoneBytes-l.doneBase),
		ServerSide: l.w.ServerSide(), Resumed: resumed}
	_, _, _, res.Archived = l.f.Live()
	res.Deleted, res.DeleteFailed, res.DeleteRefused = l.f.Deletions()
	res.compared(l.fstats)
	if res.Failed > 0 {
		page, err := l.store.ListObjects(ctx, l.taskID, state.ListOptions{Status: state.ItemFailed, Limit: 1000})
		if err != nil {
			// The counts stand; the names are in the state file (thub s3 report).
			l.opt.Logger.Warn("list failed objects", "err", err)
		}
		for _, o := range page.Items {
			res.Failures = append(res.Failures, Failure{Key: o.Key, Error: o.Error})
		}
		res.MoreFailures = page.Next != ""
	}
	return res, c, nil
}
