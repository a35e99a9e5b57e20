package s3sync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"transferhub/cloud/queue"
	"transferhub/cloud/state"
)

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
