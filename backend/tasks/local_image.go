package tasks

import (
	"context"
	"fmt"
	"log/slog"

	"transferhub/cloud/image"
	"transferhub/cloud/state"
)

// metaSelected records the run whose image selection was counted (found).
const metaSelected = "app-image-selected"

func (l *LocalRunner) runImage(ctx context.Context, r *run, t state.Task, s ImageSpec, logger *slog.Logger) error {
	eng, spec, err := l.imageEngine(ctx, s, logger)
	if err != nil {
		return err
	}
	db, id := r.task.Store, t.ID
	switch r.mode {
	case ModeStart, ModeScheduled:
		if err := closePrevious(ctx, db, t); err != nil {
			return err
		}
		if _, err = db.StartRun(ctx, id); err != nil {
			return fmt.Errorf("start a run: %w", err)
		}
	case ModeResume, ModeRetry:
		if err := reopenRun(ctx, db, id); err != nil {
			return err
		}
	}
	if t, err = db.GetTask(ctx, id); err != nil {
		return fmt.Errorf("read the task: %w", err)
	}
	items, err := l.imageItems(ctx, r, t, eng, spec, logger)
	if err != nil {
		return err
	}
	_, err = eng.CopyItems(ctx, items, spec.Copy, image.RunOptions{
		Concurrency: l.imageConcurrency(s.Concurrency), Recorder: db, TaskID: id, RunID: t.RunID,
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
	if t, err = db.GetTask(ctx, id); err != nil {
		return fmt.Errorf("read the task: %w", err)
	}
	status, msg := state.TaskCompleted, ""
	if f := t.Counters.FailedObjects; f > 0 {
		status, msg = state.TaskFailed, fmt.Sprintf("%d of %d images failed", f, t.Counters.FoundObjects)
		logger.Warn("some images failed; see the Failed tab, fix the cause and retry them", "failed", f)
	}
	if err := db.SetTaskStatus(ctx, id, []state.TaskStatus{state.TaskRunning, state.TaskStopping}, status, msg); err != nil {
		return fmt.Errorf("finish the run: %w", err)
	}
	return nil
}

// imageItems are the images the run t copies: its failed ones for a retry; otherwise the
// selection, counted once per run (found) and, when the run resumes, without the images
// it already settled.
func (l *LocalRunner) imageItems(ctx context.Context, r *run, t state.Task, eng *image.Engine, spec image.Spec, logger *slog.Logger) ([]image.Item, error) {
	db, id, runID := r.task.Store, t.ID, t.RunID
	if r.mode == ModeRetry {
		items, err := failedImages(ctx, db, t)
		if err != nil {
			return nil, err
		}
		logger.Info("retrying failed images", "images", len(items))
		return items, nil
	}
	items, err := eng.Select(ctx, spec)
	if err != nil {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		return nil, fmt.Errorf("select images: %w", err)
	}
	counted, err := db.GetMeta(ctx, id, metaSelected)
	if err != nil {
		return nil, fmt.Errorf("read the run's selection: %w", err)
	}
	if counted != runID {
		if err := db.AddCounters(ctx, id, runID, state.Counters{FoundObjects: int64(len(items))}); err != nil {
			return nil, fmt.Errorf("count the selection: %w", err)
		}
		if err := db.SetMeta(ctx, id, metaSelected, runID); err != nil {
			return nil, fmt.Errorf("record the selection: %w", err)
		}
		if err := db.FinishFinder(ctx, id, runID); err != nil {
			return nil, fmt.Errorf("record the selection: %w", err)
		}
	} else if items, err = unsettled(ctx, db, t, items); err != nil {
		return nil, err
	}
	logger.Info("images selected", "images", len(items))
	return items, nil
}

// failedImages lists the current run's failed images as engine items.
func failedImages(ctx context.Context, db state.Store, t state.Task) ([]image.Item, error) {
	var items []image.Item
	err := eachPage(ctx, db.ListImages, t.ID, state.ItemFailed, "failed images", func(imgs []state.Image) error {
		for _, im := range imgs {
			if im.RunID == t.RunID {
				items = append(items, imageItem(im))
			}
		}
		return nil
	})
	return items, err
}

func imageItem(im state.Image) image.Item {
	return image.Item{Source: im.Source, Destination: im.Destination, Repository: im.Repository, Tag: im.Tag, Digest: im.Digest}
}

// unsettled drops the items a resumed run already settled.
func unsettled(ctx context.Context, db state.Store, t state.Task, items []image.Item) ([]image.Item, error) {
	settled := map[string]bool{}
	err := eachPage(ctx, db.ListImages, t.ID, "", "images", func(imgs []state.Image) error {
		for _, im := range imgs {
			if im.RunID == t.RunID && im.Status.Terminal() {
				settled[im.Source] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := items[:0:0]
	for _, it := range items {
		if !settled[it.Source] {
			out = append(out, it)
		}
	}
	return out, nil
}
