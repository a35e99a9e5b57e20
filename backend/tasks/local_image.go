package tasks

import (
	"context"
	"log/slog"

	"transferhub/cloud/image"
	"transferhub/cloud/taskrun"
)

// runImage runs the image engine's sync, which begins the run under the lease: it
// selects the images (a resumed run skips those it settled, a retry takes its failed
// ones), copies them and ends the run.
func (l *LocalRunner) runImage(ctx context.Context, r *run, run taskrun.Options, s ImageSpec, logger *slog.Logger) error {
	eng, spec, err := l.imageEngine(ctx, s, logger)
	if err != nil {
		return err
	}
	sum, err := eng.Sync(ctx, spec, r.task.Store, r.task.ID, image.SyncOptions{
		Concurrency: l.imageConcurrency(s.Concurrency), RetryFailed: r.mode == ModeRetry, Run: run,
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
	if sum.Failed > 0 {
		logger.Warn("some images failed; see the Failed tab, fix the cause and retry them", "failed", sum.Failed)
	}
	return nil
}
