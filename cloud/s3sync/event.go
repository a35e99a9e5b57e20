package s3sync

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"transferhub/cloud/objstore"
	"transferhub/cloud/state"
)

// AppliedEvent is the last S3 event applied to one key.
type AppliedEvent struct {
	Sequencer string `json:"seq"`
	Removed   bool   `json:"removed,omitempty"`
}

// EventLog keeps, per source key, the last S3 event applied, so that an event that
// arrives after a newer one of the same key (SQS does not keep order) is ignored.
type EventLog interface {
	// LastEvent returns the last applied event of key (zero when none).
	LastEvent(ctx context.Context, key string) (AppliedEvent, error)
	// RecordEvent records ev unless a newer or equal event is recorded; then it reports
	// false with the recorded one.
	RecordEvent(ctx context.Context, key string, ev AppliedEvent) (bool, AppliedEvent, error)
}

// handleEvent applies the object events of one notification, every record of it
// (multi-record messages included). A message whose events partly failed comes back
// whole: the records already applied are then recognised by their sequencer.
func (f *Fleet) handleEvent(ctx context.Context, d *delivery) {
	w := f.Worker
	evs, err := ParseEvents(d.m.Body)
	if err != nil {
		f.log().Error("unreadable event moved to the dead-letter queue", "message", d.m.ID, "err", err)
		if f.deadLetter(ctx, d.m.Body) {
			d.ack(ctx)
		}
		return
	}
	run, err := f.currentRunID(ctx)
	if err != nil || run == "" {
		f.log().Warn("event not applied: the task has no run to record it in", "err", err)
		d.retry(ctx, d.m.Receives)
		return
	}
	deliveries := d.m.Receives
	final := deliveries >= f.MaxReceives
	var recs []state.Object
	var retry, dead bool
	for _, ev := range evs {
		rec, err := f.applyEvent(ctx, run, ev)
		if ctx.Err() != nil {
			d.release(ctx)
			return
		}
		if errors.Is(err, errSplitting) || err != nil && retryable(err) && !final {
			f.log().Warn("event failed, will be retried", "key", ev.Key, "event", ev.Name, "deliveries", deliveries, "err", err)
			retry = true
			continue
		}
		if err != nil && rec == nil {
			f.log().Error("event failed", "key", ev.Key, "event", ev.Name, "outcome", "FAILED", "err", err)
			dead = true
			continue
		}
		if rec != nil {
			rec.Attempts = deliveries
			if rec.Status == state.ItemFailed {
				dead = true
			}
			recs = append(recs, *rec)
		}
	}
	if len(recs) > 0 {
		wctx, cancel := detached(ctx)
		err := w.Store.PutObjects(wctx, w.TaskID, recs)
		cancel()
		if err != nil {
			f.log().Error("record event copies", "objects", len(recs), "err", err)
			d.retry(ctx, deliveries)
			return
		}
		for _, rec := range recs {
			f.logOutcome(rec, "event")
		}
		f.stats.objects.Add(int64(len(recs)))
	}
	if retry {
		d.retry(ctx, deliveries)
		return
	}
	if dead && !f.deadLetter(ctx, d.m.Body) {
		d.retry(ctx, deliveries)
		return
	}
	d.ack(ctx)
	if len(recs) > 0 && f.Settled != nil {
		f.Settled(ctx)
	}
}

// eventKey maps an event's bucket and key to a key of the source location; false for
// events of other buckets or outside the source prefix.
func (f *Fleet) eventKey(ev ObjectEvent) (string, bool) {
	src, ok := f.Worker.Src.(interface {
		Bucket() string
		Prefix() string
	})
	if !ok || ev.Bucket != src.Bucket() || !strings.HasPrefix(ev.Key, src.Prefix()) {
		return "", false
	}
	return strings.TrimPrefix(ev.Key, src.Prefix()), true
}

// applyEvent applies one event; the record (nil for removals and ignored events) is
// the object's outcome in run.
func (f *Fleet) applyEvent(ctx context.Context, run string, ev ObjectEvent) (*state.Object, error) {
	w := f.Worker
	key, ok := f.eventKey(ev)
	if !ok {
		f.log().Info("event outside the task's source ignored", "bucket", ev.Bucket, "key", ev.Key, "event", ev.Name)
		return nil, nil
	}
	if ev.Removed && !f.match.keyMatches(key) || !ev.Removed && !f.match.matches(objstore.Object{Key: key, Size: ev.Size}) {
		f.log().Info("event outside the task's selection ignored", "key", key, "event", ev.Name)
		return nil, nil
	}
	if f.Events != nil && ev.Sequencer != "" {
		last, err := f.Events.LastEvent(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("read event order of %s: %w", key, err)
		}
		if last.Sequencer != "" && CompareSequencers(ev.Sequencer, last.Sequencer) <= 0 {
			f.stats.stale.Add(1)
			f.log().Info("stale event ignored", "key", key, "event", ev.Name, "outcome", "STALE",
				"sequencer", ev.Sequencer, "applied", last.Sequencer)
			return nil, nil
		}
	}
	var rec *state.Object
	if ev.Removed {
		if err := f.applyRemoval(ctx, key, ev.Name); err != nil {
			return nil, err
		}
	} else {
		jo := JobObject{Key: key, Size: ev.Size, ETag: ev.ETag}
		var err error
		if f.GiantThreshold > 0 && ev.Size >= f.GiantThreshold {
			rec, err = f.split(ctx, run, jo, 1)
		} else {
			var r state.Object
			r, err = w.copyObject(ctx, run, jo)
			rec = &r
		}
		if errors.Is(err, objstore.ErrPrecondition) {
			// The source changed after this event: a later event carries the new version.
			f.stats.stale.Add(1)
			f.log().Info("event superseded by a newer version of the source", "key", key, "event", ev.Name, "outcome", "STALE")
			return nil, nil
		}
		if err != nil {
			return rec, err
		}
	}
	f.stats.events.Add(1)
	if f.Events == nil || ev.Sequencer == "" {
		return rec, nil
	}
	won, newest, err := f.Events.RecordEvent(ctx, key, AppliedEvent{Sequencer: ev.Sequencer, Removed: ev.Removed})
	if err != nil {
		return nil, fmt.Errorf("record event order of %s: %w", key, err)
	}
	if !won {
		// A newer event of this key was applied while this one ran: make the destination
		// match the newer one again (this copy or delete may have landed after it).
		f.log().Info("newer event applied meanwhile, re-applying it", "key", key, "event", ev.Name, "newer", newest.Sequencer)
		if newest.Removed {
			return nil, f.applyRemoval(ctx, key, "re-apply")
		}
		info, err := w.Src.Head(ctx, key, 0)
		if errors.Is(err, objstore.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		r, err := w.copyObject(ctx, run, JobObject{Key: key, Size: info.Size, ETag: info.ETag})
		return &r, err
	}
	return rec, nil
}

func (f *Fleet) applyRemoval(ctx context.Context, key, name string) error {
	if !f.DeleteOnRemove {
		f.log().Info("removal not replicated (the task keeps destination copies)", "key", key, "event", name, "outcome", "KEPT")
		return nil
	}
	if err := f.Worker.Dst.Delete(ctx, key); err != nil && !errors.Is(err, objstore.ErrNotFound) {
		return markDst(err)
	}
	f.log().Info("object deleted at the destination", "key", key, "event", name, "outcome", "DELETED")
	return nil
}
