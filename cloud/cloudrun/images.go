package cloudrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

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

// ListImages expands the task's selection into batches of at most batchSize images and
// starts a run for them: found = the number of images, the "finder" done. The task
// record is created (named taskName) when it does not exist yet.
func ListImages(ctx context.Context, eng *image.Engine, spec image.Spec, st state.Store, taskID, taskName string, batchSize int, oneTime bool, log *slog.Logger) (ImageList, error) {
	if batchSize <= 0 {
		batchSize = 20
	}
	items, err := eng.Select(ctx, spec)
	if err != nil {
		return ImageList{}, fmt.Errorf("list images: %w", err)
	}
	if taskName == "" {
		taskName = "images → " + spec.Destination.String()
	}
	if _, err := taskrun.Ensure(ctx, st, state.Task{ID: taskID, Type: state.TaskImage, Name: taskName, Engine: state.EngineCloud}); err != nil {
		return ImageList{}, err
	}
	// A listing cannot continue where an earlier one stopped: a run left RUNNING is
	// superseded. Step Functions starts one listing per execution.
	b, err := taskrun.Begin(ctx, st, taskID, taskrun.BeginOptions{Resume: taskrun.ResumeNone, HonourStop: true, Log: log})
	if err != nil {
		return ImageList{}, err
	}
	t := b.Task
	out := ImageList{TaskID: taskID, RunID: t.RunID, Found: len(items), Batches: []ImageBatch{}}
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
	if _, _, err := taskrun.Finish(ctx, st, taskID, imageEnd(oneTime, log)); err != nil {
		return out, err
	}
	return out, nil
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
	return taskrun.End{IfComplete: true, Scheduled: !oneTime, Noun: "images", Log: log}
}
