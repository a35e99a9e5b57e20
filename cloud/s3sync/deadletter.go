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
	run, err := f.currentRunID(ctx)
	if err != nil || run == "" {
		return 0, err
	}
	settled := 0
	_, err = scanDeadLetters(ctx, f.DeadLetter, 100, func(ctx context.Context, msgs []queue.Message) ([]queue.Message, error) {
		n, err := f.settleDeadLetters(ctx, run, msgs)
		settled += n
		return nil, err // they stay for a person to redrive
	})
	return settled, err
}

// settleDeadLetters records FAILED the objects of msgs, dead letters of run, that have no
// final record of run.
func (f *Fleet) settleDeadLetters(ctx context.Context, run string, msgs []queue.Message) (int, error) {
	const why = "moved to the dead-letter queue by SQS after its last allowed delivery (a worker stopped during it)"
	w := f.Worker
	settled := 0
	var recs []state.Object
	for _, m := range msgs {
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
	return settled, nil
}

// scanDeadLetters reads dlq in rounds of up to 10 messages (SQS's limit), at most rounds
// of them, until a round brings no message not seen before. Each round's new messages go
// to visit once; those it returns are deleted, every other one is made visible again
// when the scan ends (hidden while read, so that the rounds reach the rest). It returns
// how many were deleted.
func scanDeadLetters(ctx context.Context, dlq queue.Queue, rounds int,
	visit func(context.Context, []queue.Message) (drop []queue.Message, err error)) (removed int, err error) {
	var kept []queue.Message
	defer func() {
		rctx, cancel := detached(ctx)
		defer cancel()
		for _, m := range kept {
			_ = dlq.Release(rctx, m)
		}
	}()
	seen := map[string]bool{}
	for range rounds {
		msgs, err := dlq.Receive(ctx, 10, time.Minute, 0)
		if err != nil {
			return removed, fmt.Errorf("read the dead-letter queue: %w", err)
		}
		var fresh []queue.Message
		for _, m := range msgs {
			if seen[m.ID] {
				kept = append(kept, m) // a second delivery: release this receipt too
				continue
			}
			seen[m.ID] = true
			fresh = append(fresh, m)
		}
		if len(fresh) == 0 {
			return removed, nil
		}
		drop, err := visit(ctx, fresh)
		if err != nil {
			kept = append(kept, fresh...)
			return removed, err
		}
		dropped := map[string]bool{}
		for _, m := range drop {
			dropped[m.ID] = true
		}
		for _, m := range fresh {
			if !dropped[m.ID] {
				kept = append(kept, m)
			}
		}
		if len(drop) > 0 {
			if err := dlq.Delete(ctx, drop...); err != nil {
				kept = append(kept, drop...)
				return removed, fmt.Errorf("delete redundant dead letters: %w", err)
			}
			removed += len(drop)
		}
	}
	return removed, nil
}
