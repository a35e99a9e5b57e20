package s3sync

import (
	"context"
	"errors"

	"transferhub/cloud/state"
)

// The finder's job batches on a fleet: copied by the worker that receives them, giant
// objects split into part jobs (giant.go).

// result is the outcome of one object of a job.
type result struct {
	jo  JobObject
	rec *state.Object // nil: nothing to record now (split into part jobs, or already done)
	err error
}

func (f *Fleet) handleJob(ctx context.Context, d *delivery, job Job, done func()) {
	cur, err := f.currentRun(ctx, job.Run)
	if err != nil {
		f.log().Warn("job not started", "err", err)
		d.retry(ctx, d.m.Receives)
		return
	}
	if !cur {
		f.stats.dropped.Add(1)
		f.log().Info("dropping a job of an earlier run", "run", job.Run, "objects", len(job.Objects))
		d.ack(ctx)
		return
	}
	deliveries := job.Attempt + d.m.Receives
	results := f.copyJob(ctx, job, deliveries, done)
	if ctx.Err() != nil {
		d.release(ctx) // stopping: another worker takes the whole job
		return
	}
	f.settleJob(ctx, d, job, deliveries, results)
}

// copyJob copies a job's objects: giant ones are split into part jobs, the others
// copied here.
func (f *Fleet) copyJob(ctx context.Context, job Job, deliveries int, done func()) []result {
	var small []JobObject
	var results []result
	for _, o := range job.Objects {
		if f.GiantThreshold > 0 && o.Size >= f.GiantThreshold {
			rec, err := f.split(ctx, job.Run, o, deliveries)
			results = append(results, result{jo: o, rec: rec, err: err})
			continue
		}
		small = append(small, o)
	}
	recs, errs := f.Worker.copyAll(ctx, job.Run, small, done)
	for i := range small {
		results = append(results, result{jo: small[i], rec: &recs[i], err: errs[i]})
	}
	return results
}

// settleJob records the objects that reached a final status, re-sends those to retry
// and dead-letters the failed ones; the message is acknowledged only when all of that
// is done (else it comes back and the recorded objects are redone harmlessly).
func (f *Fleet) settleJob(ctx context.Context, d *delivery, job Job, deliveries int, results []result) {
	w := f.Worker
	write, retry, dead := f.sortResults(job, deliveries, results)
	if len(write) > 0 {
		wctx, cancel := detached(ctx)
		err := w.Store.PutObjects(wctx, w.TaskID, write)
		cancel()
		if err != nil {
			// Not recorded, so not acknowledged: the copies are redone on the next delivery.
			f.log().Error("record objects", "objects", len(write), "err", err)
			d.retry(ctx, deliveries)
			return
		}
		for _, rec := range write {
			f.logOutcome(rec, "")
		}
		f.stats.objects.Add(int64(len(write)))
	}
	switch {
	case len(retry) == len(job.Objects):
		d.retry(ctx, deliveries)
		return
	case len(retry) > 0:
		body, err := EncodeJob(Job{Run: job.Run, Objects: retry, Attempt: deliveries})
		if err == nil {
			sctx, cancel := detached(ctx)
			err = w.Queue.Send(sctx, body)
			cancel()
		}
		if err != nil {
			f.log().Error("re-send failed objects", "objects", len(retry), "err", err)
			d.retry(ctx, deliveries) // the recorded ones are redone harmlessly
			return
		}
		f.stats.retried.Add(1)
	}
	if len(dead) > 0 {
		body, _ := EncodeJob(Job{Run: job.Run, Objects: dead})
		if !f.deadLetter(ctx, body) {
			d.retry(ctx, deliveries)
			return
		}
	}
	if len(write) > 0 {
		d.ackSettled(ctx)
		return
	}
	d.ack(ctx)
}

// sortResults sorts a job's outcomes: records to write, objects to retry (in a later
// delivery, while deliveries are left) and failed objects for the dead-letter queue.
func (f *Fleet) sortResults(job Job, deliveries int, results []result) (write []state.Object, retry, dead []JobObject) {
	final := deliveries >= f.MaxReceives
	for _, r := range results {
		if errors.Is(r.err, errSplitting) || r.err != nil && retryable(r.err) && !final {
			retry = append(retry, r.jo)
			f.log().Warn("object failed, will be retried", "key", r.jo.Key, "deliveries", deliveries, "err", r.err)
			continue
		}
		if r.rec == nil {
			if r.err == nil {
				continue
			}
			// A giant object that could not be split.
			r.rec = &state.Object{Key: r.jo.Key, Size: r.jo.Size, ETag: r.jo.ETag, LastModified: r.jo.MTime,
				Status: state.ItemFailed, Error: r.err.Error(), RunID: job.Run}
		}
		r.rec.Attempts = deliveries
		if r.rec.Status == state.ItemFailed {
			dead = append(dead, r.jo)
		}
		write = append(write, *r.rec)
	}
	return write, retry, dead
}
