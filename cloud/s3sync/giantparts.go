package s3sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"transferhub/cloud/internal/wait"
	"transferhub/cloud/objstore"
	"transferhub/cloud/state"
)

// The part jobs of a giant object (see giant.go): each uploads one part and records it;
// the one whose record makes the count complete completes the upload.

var errCompleting = errors.New("another worker is completing the upload")

func (f *Fleet) handlePart(ctx context.Context, d *delivery, pj PartJob) {
	if !f.partWanted(ctx, d, pj) {
		return
	}
	deliveries := pj.Attempt + d.m.Receives
	p, err := f.uploadPart(ctx, pj)
	if ctx.Err() != nil {
		d.release(ctx)
		return
	}
	if err != nil && errors.Is(err, objstore.ErrNotFound) && f.settleGone(ctx, d, pj, deliveries) {
		return
	}
	if err == nil {
		var handled bool
		if handled, err = f.recordPart(ctx, d, pj, p, deliveries); handled {
			return
		}
	}
	if err == nil {
		d.ack(ctx)
		return
	}
	f.partFailed(ctx, d, pj, deliveries, err)
}

// partWanted reports whether pj's part is still to be uploaded: the job is of the
// current run and its upload is still open. When it is not, the message is acknowledged
// (or left for another delivery when that could not be told).
func (f *Fleet) partWanted(ctx context.Context, d *delivery, pj PartJob) bool {
	cur, err := f.currentRun(ctx, pj.Run)
	if err == nil && !cur {
		f.stats.dropped.Add(1)
		d.ack(ctx)
		return false
	}
	live := false
	if err == nil {
		live, err = f.uploadLive(ctx, pj)
	}
	if err != nil {
		f.log().Warn("part not started", "key", pj.Object.Key, "err", err)
		d.retry(ctx, d.m.Receives)
		return false
	}
	if !live {
		f.dropLatePart(ctx, d, pj)
		return false
	}
	return true
}

// uploadPart copies pj's part under the worker's transfer limit.
func (f *Fleet) uploadPart(ctx context.Context, pj PartJob) (objstore.Part, error) {
	w := f.Worker
	if err := w.lim.acquire(ctx); err != nil {
		return objstore.Part{}, err
	}
	defer w.lim.release()
	off, n := pj.span()
	return w.copyPart(ctx, pj.Object, pj.UploadID, pj.Part, off, n, pj.CRC)
}

// settleGone handles a part whose upload is gone at the destination; false when the
// part failed after all.
func (f *Fleet) settleGone(ctx context.Context, d *delivery, pj PartJob, deliveries int) bool {
	// The upload may have been completed or given up meanwhile.
	live, lerr := f.uploadLive(ctx, pj)
	if lerr == nil && !live {
		f.stats.dropped.Add(1)
		d.ack(ctx)
		return true
	}
	// Still recorded as in progress, yet gone at the destination: a completer that died
	// between completing and recording it leaves exactly that. When every part is
	// recorded, completing again settles it (complete checks the destination).
	w := f.Worker
	if recs, perr := w.Store.ListParts(ctx, w.TaskID, pj.Object.Key, pj.UploadID); lerr == nil && perr == nil && len(recs) >= pj.Parts {
		handled, _ := f.tryComplete(ctx, d, pj, deliveries)
		return handled
	}
	return false
}

// recordPart records an uploaded part and completes the upload when it was the last.
// handled: the message is settled (acknowledged or left for a retry).
func (f *Fleet) recordPart(ctx context.Context, d *delivery, pj PartJob, p objstore.Part, deliveries int) (handled bool, err error) {
	// A duplicate part job can finish after the upload was completed (or given up). S3
	// refuses such a late part, but some stores take it into a new, orphaned upload under
	// the old id; abort that, and record nothing.
	if live, lerr := f.uploadLive(ctx, pj); lerr == nil && !live {
		f.dropLatePart(ctx, d, pj)
		return true, nil
	}
	w := f.Worker
	n, err := w.Store.PutPart(ctx, w.TaskID, pj.Object.Key, state.Part{UploadID: pj.UploadID, Number: pj.Part, Size: p.Size,
		ETag: p.ETag, Checksum: partChecksum(p.CRC64NVME)})
	if err != nil {
		return false, err
	}
	f.stats.parts.Add(1)
	f.log().Debug("part uploaded", "key", pj.Object.Key, "part", pj.Part, "parts", pj.Parts, "parts_done", n)
	if n < pj.Parts {
		return false, nil
	}
	return f.tryComplete(ctx, d, pj, deliveries)
}

// tryComplete completes the upload and settles the message; an error other than another
// completer's lease is returned with the message still to settle.
func (f *Fleet) tryComplete(ctx context.Context, d *delivery, pj PartJob, deliveries int) (handled bool, err error) {
	err = f.complete(ctx, pj, deliveries)
	switch {
	case errors.Is(err, errCompleting):
		// Another worker holds the completion, or died holding it: then its lease (30 s)
		// must lapse first. Back off as any retry does, so that a dead completer costs
		// this message a few deliveries, not one a second until it lands in the
		// dead-letter queue (CI saw that in the chaos run).
		d.retry(ctx, deliveries)
		return true, nil
	case err == nil:
		d.ackSettled(ctx)
		return true, nil
	}
	return false, err
}

// partFailed retries a failed part, or at its last delivery gives the object up and
// moves the part job to the dead-letter queue.
func (f *Fleet) partFailed(ctx context.Context, d *delivery, pj PartJob, deliveries int, err error) {
	key := pj.Object.Key
	if retryable(err) && deliveries < f.MaxReceives {
		f.log().Warn("part failed, will be retried", "key", key, "part", pj.Part, "deliveries", deliveries, "err", err)
		d.retry(ctx, deliveries)
		return
	}
	if ferr := f.failGiant(ctx, pj, deliveries, err); ferr != nil {
		f.log().Error("record failed object", "key", key, "err", ferr)
		d.retry(ctx, deliveries)
		return
	}
	body, _ := EncodePart(PartJob{Run: pj.Run, Object: pj.Object, UploadID: pj.UploadID, Part: pj.Part, Parts: pj.Parts,
		PartSize: pj.PartSize, Offset: pj.Offset, Length: pj.Length, SourceLayout: pj.SourceLayout})
	if !f.deadLetter(ctx, body) {
		d.retry(ctx, deliveries)
		return
	}
	d.ackSettled(ctx)
}

// uploadLive reports whether pj's upload is still the object's open upload (not
// completed, given up or replaced).
func (f *Fleet) uploadLive(ctx context.Context, pj PartJob) (bool, error) {
	rec, err := f.Worker.Store.GetObject(ctx, f.Worker.TaskID, pj.Object.Key)
	if errors.Is(err, state.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read record of %s: %w", pj.Object.Key, err)
	}
	return rec.UploadID == pj.UploadID && rec.Status == state.ItemInProgress, nil
}

// takeLease takes the task's lease name for this worker (state.ErrConflict: someone
// else holds it); release gives it back, even after ctx ends.
func (f *Fleet) takeLease(ctx context.Context, name string, ttl time.Duration) (release func(), err error) {
	w := f.Worker
	owner := fmt.Sprintf("%s/%d", f.Owner, time.Now().UnixNano())
	if err := w.Store.Lease(ctx, w.TaskID, name, owner, ttl); err != nil {
		return nil, err
	}
	return func() {
		rctx, cancel := detached(ctx)
		_ = w.Store.ReleaseLease(rctx, w.TaskID, name, owner)
		cancel()
	}, nil
}

// holdLease takes a lease as takeLease does and renews it until release.
func (f *Fleet) holdLease(ctx context.Context, name string, ttl time.Duration) (release func(), err error) {
	w := f.Worker
	owner := fmt.Sprintf("%s/%d", f.Owner, time.Now().UnixNano())
	if err := w.Store.Lease(ctx, w.TaskID, name, owner, ttl); err != nil {
		return nil, err
	}
	lctx, stopRenew := context.WithCancel(ctx)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		wait.Every(lctx, ttl/3, func(ctx context.Context) { _ = w.Store.Lease(ctx, w.TaskID, name, owner, ttl) })
	}()
	return func() {
		stopRenew()
		<-renewed
		rctx, cancel := detached(ctx)
		_ = w.Store.ReleaseLease(rctx, w.TaskID, name, owner)
		cancel()
	}, nil
}

// dropLatePart acknowledges a part job whose upload was settled (completed, given up or
// replaced) and aborts that upload id: S3 refuses a part that arrives after completion,
// but some stores take it into a new, orphaned upload under the old id. Aborting a
// completed upload changes nothing.
func (f *Fleet) dropLatePart(ctx context.Context, d *delivery, pj PartJob) {
	rctx, cancel := detached(ctx)
	defer cancel()
	rec, _ := f.Worker.Store.GetObject(rctx, f.Worker.TaskID, pj.Object.Key)
	f.log().Info("part of a settled upload dropped", "key", pj.Object.Key, "part", pj.Part, "upload", pj.UploadID,
		"record", string(rec.Status), "recorded_upload", rec.UploadID)
	f.abortUpload(rctx, pj, "abort a settled upload")
	f.stats.dropped.Add(1)
	d.ack(ctx)
}

// abortUpload aborts pj's upload (what: the warning when that fails).
func (f *Fleet) abortUpload(ctx context.Context, pj PartJob, what string) {
	if err := f.Worker.Dst.AbortUpload(ctx, pj.Object.Key, pj.UploadID); err != nil && !errors.Is(err, objstore.ErrNotFound) {
		f.log().Warn(what, "key", pj.Object.Key, "upload", pj.UploadID, "err", err)
	}
}

// complete finishes a giant object's upload once every part is recorded.
func (f *Fleet) complete(ctx context.Context, pj PartJob, deliveries int) error {
	w := f.Worker
	key := pj.Object.Key
	release, err := f.holdLease(ctx, "complete/"+pj.UploadID, completionLease)
	if errors.Is(err, state.ErrConflict) {
		return errCompleting
	}
	if err != nil {
		return fmt.Errorf("take completion lease of %s: %w", key, err)
	}
	defer release()
	if live, err := f.uploadLive(ctx, pj); err != nil || !live {
		if err == nil {
			// Settled meanwhile: nothing to complete. This part may have arrived after
			// the completion (see dropLatePart).
			rctx, cancel := detached(ctx)
			f.abortUpload(rctx, pj, "abort a settled upload")
			cancel()
		}
		return err
	}
	parts, err := f.recordedParts(ctx, pj)
	if err != nil {
		return err
	}
	c, err := w.checkParts(pj.plan(), parts)
	if err != nil {
		return errPermanent{err}
	}
	etag, err := f.completeUpload(ctx, pj, parts, c)
	if err != nil {
		return markDst(err)
	}
	if err := w.checkCompleted(ctx, key, etag, c.expect); err != nil {
		return err
	}
	rec := state.Object{Key: key, Size: pj.Object.Size, ETag: pj.Object.ETag, LastModified: pj.Object.MTime,
		Status: state.ItemDone, DestETag: etag, Checksum: c.checksum, UploadID: pj.UploadID, PartsTotal: pj.Parts, PartsDone: pj.Parts,
		Attempts: deliveries, RunID: pj.Run}
	if err := f.settleGiant(ctx, pj, rec); err != nil {
		return fmt.Errorf("record %s: %w", key, err)
	}
	return nil
}

// recordedParts reads the parts the fleet recorded for pj's upload, in order; every
// part must be there.
func (f *Fleet) recordedParts(ctx context.Context, pj PartJob) ([]objstore.Part, error) {
	w := f.Worker
	key := pj.Object.Key
	recs, err := w.Store.ListParts(ctx, w.TaskID, key, pj.UploadID)
	if err != nil {
		return nil, fmt.Errorf("read parts of %s: %w", key, err)
	}
	slices.SortFunc(recs, func(a, b state.Part) int { return a.Number - b.Number })
	if len(recs) != pj.Parts {
		return nil, fmt.Errorf("complete %s: %d of %d parts recorded", key, len(recs), pj.Parts)
	}
	parts := make([]objstore.Part, len(recs))
	for i, p := range recs {
		if p.Number != i+1 {
			return nil, fmt.Errorf("complete %s: part %d missing", key, i+1)
		}
		parts[i] = objstore.Part{Number: p.Number, Size: p.Size, ETag: p.ETag, CRC64NVME: strings.TrimPrefix(p.Checksum, crcPrefix)}
	}
	return parts, nil
}

// completeUpload completes pj's upload. An upload already completed by an earlier
// completer that died before recording it counts when the destination object is the
// one the parts make.
func (f *Fleet) completeUpload(ctx context.Context, pj PartJob, parts []objstore.Part, c completion) (string, error) {
	w := f.Worker
	key := pj.Object.Key
	etag, err := w.Dst.CompleteUpload(ctx, key, pj.UploadID, parts, c.full)
	if !errors.Is(err, objstore.ErrNotFound) {
		return etag, err
	}
	info, herr := w.Dst.Head(ctx, key, 0)
	ours := herr == nil && info.Size == pj.Object.Size && metaValue(info.Metadata, MetaSrcETag) == pj.Object.ETag
	if herr == nil && (c.expect != "" && !info.OpaqueETag() && info.ETag == c.expect || info.OpaqueETag() && ours) {
		return info.ETag, nil
	}
	return etag, err
}

// failGiant gives a giant object up: FAILED with the part's error, upload aborted.
func (f *Fleet) failGiant(ctx context.Context, pj PartJob, deliveries int, cause error) error {
	rec := state.Object{Key: pj.Object.Key, Size: pj.Object.Size, ETag: pj.Object.ETag, LastModified: pj.Object.MTime,
		Status: state.ItemFailed, Error: fmt.Sprintf("part %d of %d: %v", pj.Part, pj.Parts, cause),
		UploadID: pj.UploadID, PartsTotal: pj.Parts, Attempts: deliveries, RunID: pj.Run}
	return f.settleGiant(ctx, pj, rec)
}

// settleGiant records a giant object's final outcome rec, aborts a failed object's
// upload and drops the part records. These last writes run even when the worker is
// stopping; only the record's error is returned.
func (f *Fleet) settleGiant(ctx context.Context, pj PartJob, rec state.Object) error {
	w := f.Worker
	ctx, cancel := detached(ctx)
	defer cancel()
	if err := w.Store.PutObjects(ctx, w.TaskID, []state.Object{rec}); err != nil {
		return err
	}
	f.stats.objects.Add(1)
	f.logOutcome(rec, "giant")
	if rec.Status == state.ItemFailed {
		f.abortUpload(ctx, pj, "abort upload of failed object")
	}
	if err := w.Store.DeleteParts(ctx, w.TaskID, rec.Key, pj.UploadID); err != nil {
		f.log().Warn("delete part records", "key", rec.Key, "err", err)
	}
	return nil
}
