package s3sync

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"transferhub/cloud/objstore"
	"transferhub/cloud/state"
)

// KeyEvent is the latest S3 event claimed for one key.
type KeyEvent struct {
	Sequencer string `json:"seq"`
	Removed   bool   `json:"removed,omitempty"`
	Applied   bool   `json:"applied,omitempty"` // its effect reached the destination
}

// EventLog orders the S3 events of each source key (SQS does not keep order). An event
// claims its key before it is applied; an event older than the claimed one is stale and
// ignored. Because an older event's copy or delete can still land after a newer one's,
// each event reads the log again after applying itself and re-applies the newest event
// when one claimed the key meanwhile: the last effect on the destination is always the
// newest event's.
type EventLog interface {
	// ClaimEvent makes ev the key's latest event when it is newer than the claimed one.
	// A redelivery of a claim that was never marked applied is claimed again. Otherwise
	// it reports false and the claimed event.
	ClaimEvent(ctx context.Context, key string, ev KeyEvent) (bool, KeyEvent, error)
	// LatestEvent returns the key's latest claimed event (zero when none).
	LatestEvent(ctx context.Context, key string) (KeyEvent, error)
	// MarkApplied records that ev's effect is done, if ev is still the latest.
	MarkApplied(ctx context.Context, key string, ev KeyEvent) error
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
	src, ok := f.Worker.Src.(objstore.BucketLocation)
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
	ordered := f.Events != nil && ev.Sequencer != ""
	mine := KeyEvent{Sequencer: ev.Sequencer, Removed: ev.Removed}
	if ordered {
		claimed, cur, err := f.Events.ClaimEvent(ctx, key, mine)
		if err != nil {
			return nil, fmt.Errorf("order event of %s: %w", key, err)
		}
		if !claimed {
			f.stats.stale.Add(1)
			f.log().Info("stale event ignored", "key", key, "event", ev.Name, "outcome", "STALE",
				"sequencer", ev.Sequencer, "latest", strings.TrimLeft(cur.Sequencer, "0"))
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
		switch {
		case errors.Is(err, objstore.ErrPrecondition):
			// The source changed after this event: a later event carries the new version.
			f.stats.stale.Add(1)
			f.log().Info("event superseded by a newer version of the source", "key", key, "event", ev.Name, "outcome", "STALE")
			rec = nil
		case err != nil:
			return rec, err
		}
	}
	f.stats.events.Add(1)
	if !ordered {
		return rec, nil
	}
	latest, err := f.Events.LatestEvent(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("order event of %s: %w", key, err)
	}
	if CompareSequencers(latest.Sequencer, ev.Sequencer) > 0 {
		// A newer event claimed the key while this one ran, and this copy or delete may
		// have landed after it: make the destination match the newer event again.
		f.log().Info("newer event claimed the key meanwhile, re-applying it", "key", key, "event", ev.Name,
			"newer", strings.TrimLeft(latest.Sequencer, "0"))
		if latest.Removed {
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
	if err := f.Events.MarkApplied(ctx, key, mine); err != nil {
		return nil, fmt.Errorf("order event of %s: %w", key, err)
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
