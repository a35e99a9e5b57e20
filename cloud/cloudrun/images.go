package cloudrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"transferhub/cloud/image"
	"transferhub/cloud/state"
	"transferhub/cloud/taskrun"
)

// ImageBatch is one element of the image list's output: what one copier task copies
// (a Step Functions Map iterates over the batches). Items travel inline; when the whole
// output would pass the state machine's payload limit, each batch is kept in the store
// and only its Ref travels.
type ImageBatch struct {
	TaskID string       `json:"taskId"`
	RunID  string       `json:"runId"`
	Batch  int          `json:"batch"`
	Items  []image.Item `json:"items,omitempty"`
	Ref    string       `json:"ref,omitempty"`
}

// ImageList is the output of the image listing (the Lambda's response).
type ImageList struct {
	TaskID  string       `json:"taskId"`
	RunID   string       `json:"runId"`
	Found   int          `json:"found"`
	Batches []ImageBatch `json:"batches"`
}

// maxInlineOutput keeps the listing's output under Step Functions' 256 KiB payload
// limit with room for the execution's own fields.
const maxInlineOutput = 200 << 10

// ListOptions say how ListImages batches the images and which execution it runs for.
type ListOptions struct {
	BatchSize int  // 20 when 0
	OneTime   bool // no schedule: the run ends COMPLETED/FAILED instead of IDLE
	// Execution is the state machine execution the listing belongs to ($$.Execution.Id).
	// It takes the task's execution lease for that execution, which keeps it through
	// the copiers until ReleaseExecution (the execution's last step) or until LeaseTTL
	// lapses (an execution aborted or timed out has no last step). Empty: a listing run
	// by hand holds the lease only while it lists.
	Execution string
	// LeaseTTL: an execution's lease lapses this long after the listing took it (the
	// state machine's timeout and a margin); DefaultExecutionTTL when 0.
	LeaseTTL time.Duration
	// Ended says whether the execution holding the lease has ended (DescribeExecution),
	// so that its lease is taken over at once; nil, or an error: wait for it to lapse.
	Ended func(ctx context.Context, execution string) (bool, error)
	Log   *slog.Logger
}

// DefaultExecutionTTL is an execution lease's time to live when the state machine does
// not say (its default RunTimeoutSeconds and a margin).
const DefaultExecutionTTL = 12*time.Hour + 10*time.Minute

// ErrRunning: another execution of the image task holds its lease, so a listing starts
// nothing (errors.Is taskrun.ErrBusy holds too).
var ErrRunning = errors.New("another run of the task is under way: this one starts nothing and leaves it alone")

// ListImages takes the task's execution lease, expands the task's selection into
// batches of at most BatchSize images and begins a run for them: found = the number of
// images, the "finder" done. The task record is created (named taskName) when it does
// not exist yet. While another execution holds the lease (its copiers still record in
// its run) it returns an error that is ErrRunning and taskrun.ErrBusy, and changes
// nothing: a schedule firing during a run-now (or the other way round) does not replace
// a run that is under way, as the S3 task's finder lease does not.
func ListImages(ctx context.Context, eng *image.Engine, spec image.Spec, st state.Store, taskID, taskName string, o ListOptions) (out ImageList, err error) {
	batchSize := o.BatchSize
	if batchSize <= 0 {
		batchSize = 20
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if taskName == "" {
		taskName = "images → " + spec.Destination.String()
	}
	if _, err := taskrun.Ensure(ctx, st, state.Task{ID: taskID, Type: state.TaskImage, Name: taskName, Engine: state.EngineCloud}); err != nil {
		return ImageList{}, err
	}
	release, err := holdExecution(ctx, st, taskID, o, log)
	if err != nil {
		return ImageList{}, err
	}
	defer func() {
		// An execution keeps its lease through its copiers, unless its listing failed
		// (the execution ends there).
		if o.Execution == "" || err != nil {
			if rerr := release(); rerr != nil {
				log.Warn("release the execution lease", "err", rerr)
			}
		}
	}()
	items, err := eng.Select(ctx, spec)
	if err != nil {
		return ImageList{}, fmt.Errorf("list images: %w", err)
	}
	// A listing cannot continue where an earlier one stopped: a run left RUNNING (its
	// execution ended without settling it) is superseded. The lease makes sure no other
	// execution's copiers still work on it.
	b, err := taskrun.Begin(ctx, st, taskID, taskrun.BeginOptions{Resume: taskrun.ResumeNone, HonourStop: true, Log: log})
	if err != nil {
		return ImageList{}, err
	}
	t := b.Task
	out = ImageList{TaskID: taskID, RunID: t.RunID, Found: len(items), Batches: []ImageBatch{}}
	for i := 0; i < len(items); i += batchSize {
		out.Batches = append(out.Batches, ImageBatch{TaskID: taskID, RunID: t.RunID, Batch: len(out.Batches),
			Items: items[i:min(i+batchSize, len(items))]})
	}
	if b, _ := json.Marshal(out); len(b) > maxInlineOutput {
		for i := range out.Batches {
			b := &out.Batches[i]
			raw, err := json.Marshal(b.Items)
			if err != nil {
				return ImageList{}, err
			}
			b.Ref = fmt.Sprintf("image-batch/%s/%d", t.RunID, b.Batch)
			if err := st.SetMeta(ctx, taskID, b.Ref, string(raw)); err != nil {
				return ImageList{}, fmt.Errorf("store batch %d: %w", b.Batch, err)
			}
			b.Items = nil
		}
	}
	if len(items) > 0 {
		if err := st.AddCounters(ctx, taskID, t.RunID, state.Counters{FoundObjects: int64(len(items))}); err != nil {
			return ImageList{}, fmt.Errorf("record found images: %w", err)
		}
	}
	if err := st.FinishFinder(ctx, taskID, t.RunID); err != nil {
		return ImageList{}, fmt.Errorf("finish listing: %w", err)
	}
	log.Info("images listed", "run", t.RunID, "found", len(items), "batches", len(out.Batches))
	if _, _, err := taskrun.Finish(ctx, st, taskID, imageEnd(o.OneTime, log)); err != nil {
		return out, err
	}
	return out, nil
}

// holdExecution takes the task's execution lease for o.Execution (renewing it when the
// execution already holds it: a retried listing), or for this process while it lists.
// A lease held by an execution that Ended says is over is taken over.
func holdExecution(ctx context.Context, st state.Store, taskID string, o ListOptions, log *slog.Logger) (release func() error, err error) {
	if o.Execution == "" {
		_, l, err := taskrun.Hold(ctx, st, taskID, taskrun.LeaseOptions{Name: taskrun.ExecutionLease, Log: log})
		if err != nil {
			return nil, busy(err)
		}
		return l.Release, nil
	}
	ttl := o.LeaseTTL
	if ttl <= 0 {
		ttl = DefaultExecutionTTL
	}
	for takeovers := 0; ; takeovers++ {
		err := st.Lease(ctx, taskID, taskrun.ExecutionLease, o.Execution, ttl)
		if err == nil {
			break
		}
		if !errors.Is(err, state.ErrConflict) {
			return nil, fmt.Errorf("take the execution lease of task %s: %w", taskID, err)
		}
		held := &state.LeaseHeldError{}
		errors.As(err, &held)
		refused := &taskrun.LeaseError{TaskID: taskID, Lease: taskrun.ExecutionLease, Holder: held.Holder, Until: held.Until}
		// Only an execution's holder can be asked about (a listing run by hand renews its
		// lease while it lists).
		if o.Ended == nil || takeovers >= 3 || !strings.Contains(held.Holder, ":execution:") {
			return nil, busy(refused)
		}
		ended, eerr := o.Ended(ctx, held.Holder)
		if eerr != nil {
			log.Warn("cannot tell whether the execution holding the task has ended: its lease holds until it lapses",
				"holder", held.Holder, "until", held.Until, "err", eerr)
			return nil, busy(refused)
		}
		if !ended {
			return nil, busy(refused)
		}
		log.Warn("taking the task over from an execution that ended without releasing it (aborted or timed out)", "holder", held.Holder)
		// Conditional on that holder: when another execution was quicker, the next
		// attempt meets it.
		if err := st.ReleaseLease(ctx, taskID, taskrun.ExecutionLease, held.Holder); err != nil {
			return nil, fmt.Errorf("take over the execution lease of task %s: %w", taskID, err)
		}
	}
	return func() error { return ReleaseExecution(context.WithoutCancel(ctx), st, taskID, o.Execution) }, nil
}

// busy marks a refusal (a *taskrun.LeaseError) as ErrRunning too.
func busy(err error) error {
	if errors.Is(err, taskrun.ErrBusy) {
		return fmt.Errorf("%w: %w", ErrRunning, err)
	}
	return err
}

// ReleaseExecution drops the task's execution lease if execution holds it: the state
// machine's last step, whatever the run's outcome, so the next execution can start.
func ReleaseExecution(ctx context.Context, st state.Store, taskID, execution string) error {
	if execution == "" {
		return errors.New("release the execution lease: no execution given")
	}
	if err := st.ReleaseLease(ctx, taskID, taskrun.ExecutionLease, execution); err != nil {
		return fmt.Errorf("release the execution lease of task %s: %w", taskID, err)
	}
	return nil
}

// EndUnsettledRun is an execution's last step for its run (runID, the listing's): the
// copies are over, so a run still RUNNING will be settled by nobody (a copier died before
// it recorded its images, or its batch failed before the copier began). A run whose
// records say it is over is ended by its images' outcome; any other ends FAILED, saying
// how many images were left (IDLE with that error for a scheduled task, as a run whose
// images failed). Before, such a run stayed RUNNING until the next execution listed
// again. A run that is not the task's current one, or no longer RUNNING (stopped,
// ended), is left alone; ended says whether this call ended it.
func EndUnsettledRun(ctx context.Context, st state.Store, taskID, runID string, oneTime bool, log *slog.Logger) (ended bool, err error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t, err := st.GetTask(ctx, taskID)
	if err != nil {
		return false, fmt.Errorf("read task %s: %w", taskID, err)
	}
	if t.RunID != runID || t.Status != state.TaskRunning {
		return false, nil
	}
	if _, ended, err := taskrun.Finish(ctx, st, taskID, imageEnd(oneTime, log)); err != nil || ended {
		return ended, err
	}
	c := t.Counters
	left := c.FoundObjects - c.Settled()
	end := imageEnd(oneTime, log)
	end.IfComplete, end.Recovered = false, false
	end.Failure = fmt.Sprintf("the run's execution ended with %d of %d images not copied: a copier stopped before it recorded them (run again: what was copied is skipped)", left, c.FoundObjects)
	t, ended, err = taskrun.Finish(ctx, st, taskID, end)
	if errors.Is(err, state.ErrConflict) {
		return false, nil // ended meanwhile (a late copier, a stop)
	}
	if err != nil {
		return false, err
	}
	log.Warn("run ended by its execution's last step: images were left unsettled", "run", runID, "left", left, "status", string(t.Status))
	return ended, nil
}

// LoadBatch returns a batch's items, reading them from the store when it travelled by Ref.
func LoadBatch(ctx context.Context, st state.Store, b ImageBatch) ([]image.Item, error) {
	if b.Ref == "" {
		return b.Items, nil
	}
	raw, err := st.GetMeta(ctx, b.TaskID, b.Ref)
	if err != nil {
		return nil, fmt.Errorf("read batch %s: %w", b.Ref, err)
	}
	if raw == "" {
		return nil, fmt.Errorf("batch %s is not in the store (a newer listing replaced it?)", b.Ref)
	}
	var items []image.Item
	if err := json.Unmarshal([]byte(raw), &items); err != nil {
		return nil, fmt.Errorf("decode batch %s: %w", b.Ref, err)
	}
	return items, nil
}

// ErrStaleBatch: the batch belongs to a run that is no longer the task's current one.
var ErrStaleBatch = errors.New("batch of an earlier run")

// CopyImageBatch copies one batch, writing a record per image in the batch's run, and
// ends the run when this batch settled its last images.
func CopyImageBatch(ctx context.Context, eng *image.Engine, st state.Store, b ImageBatch, copt image.CopyOptions, concurrency int, oneTime bool, log *slog.Logger) (image.Summary, error) {
	if b.TaskID == "" || b.RunID == "" {
		return image.Summary{}, errors.New("image batch without taskId/runId: pass one element of the listing's batches")
	}
	t, err := st.GetTask(ctx, b.TaskID)
	if err != nil {
		return image.Summary{}, fmt.Errorf("read task %s: %w", b.TaskID, err)
	}
	if t.RunID != b.RunID {
		return image.Summary{TaskID: b.TaskID, RunID: b.RunID}, fmt.Errorf("%w: batch run %s, current run %s", ErrStaleBatch, b.RunID, t.RunID)
	}
	items, err := LoadBatch(ctx, st, b)
	if err != nil {
		return image.Summary{}, err
	}
	sum, err := eng.CopyItems(ctx, items, copt, image.RunOptions{Concurrency: concurrency, Recorder: st, TaskID: b.TaskID, RunID: b.RunID})
	if err != nil {
		return sum, err
	}
	if _, _, err := taskrun.Finish(ctx, st, b.TaskID, imageEnd(oneTime, log)); err != nil {
		return sum, err
	}
	return sum, nil
}

// imageEnd: whichever process settles a run's last image ends it (see
// taskrun.End.IfComplete).
func imageEnd(oneTime bool, log *slog.Logger) taskrun.End {
	return taskrun.End{IfComplete: true, Recovered: true, Scheduled: !oneTime, Noun: "images", Log: log}
}
