package s3sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"transferhub/cloud/objstore"
	"transferhub/cloud/state"
)

// Giant objects are copied by the whole fleet: the worker that receives the object
// opens (or resumes) the multipart upload, records it IN_PROGRESS with its upload id
// and part count, and queues one part job per missing part. Whoever takes a part
// uploads it and records it with Store.PutPart, which counts distinct parts; the worker
// whose part makes the count equal the part count completes the upload under a
// short lease, so a duplicate delivery of the last part cannot complete it twice. A
// part that keeps failing fails the object and aborts the upload; the other parts'
// jobs then find the object settled and are dropped. Nothing polls.

// completionLease bounds how long a dead completer blocks the next one; splitLease how
// long a dead splitter blocks the next delivery of the object's job.
const (
	completionLease = 30 * time.Second
	splitLease      = time.Minute
)

// errSplitting: another delivery of the object's job is splitting it right now; this one
// comes back later (and then resumes the recorded upload). Never a failure.
var errSplitting = errors.New("another worker is splitting this object")

// split prepares a giant object and queues its missing parts. It returns a record only
// when the object settles here (its source vanished).
func (f *Fleet) split(ctx context.Context, runID string, jo JobObject, deliveries int) (*state.Object, error) {
	w := f.Worker
	part := 0
	if isMultipartETag(jo.ETag) {
		part = 1
	}
	info, err := w.Src.Head(ctx, jo.Key, part)
	if errors.Is(err, objstore.ErrNotFound) {
		rec := state.Object{Key: jo.Key, Size: jo.Size, ETag: jo.ETag, LastModified: jo.MTime, RunID: runID,
			Status: state.ItemSkipped, Error: "source object no longer exists"}
		return &rec, nil
	}
	if err != nil {
		return nil, err
	}
	if jo.ETag != "" && info.ETag != "" && info.ETag != jo.ETag {
		return nil, fmt.Errorf("%w: %s has ETag %s, listed with %s", objstore.ErrPrecondition, jo.Key, info.ETag, jo.ETag)
	}
	lay := w.planLayout(jo, info)
	h := copyHeaders(info, jo)
	addSrcETag(h, jo.ETag)
	srcCRC := ""
	if !w.serverS {
		if srcCRC, err = w.sourceCRC(ctx, jo.Key, info, part); err != nil {
			return nil, err
		}
	}
	withCRC := !w.serverS && (srcCRC != "" || objstore.TakesChecksums(w.Dst))
	// One split at a time per object: two deliveries of its job splitting at once would
	// each open an upload, and the one not recorded would stay open.
	release, err := f.takeLease(ctx, "split/"+jo.Key, splitLease)
	if errors.Is(err, state.ErrConflict) {
		return nil, errSplitting
	}
	if err != nil {
		return nil, fmt.Errorf("take split lease of %s: %w", jo.Key, err)
	}
	defer release()
	rec, err := w.Store.GetObject(ctx, w.TaskID, jo.Key)
	if err != nil && !errors.Is(err, state.ErrNotFound) {
		return nil, fmt.Errorf("read record of %s: %w", jo.Key, err)
	}
	same := rec.ETag == jo.ETag && rec.Size == jo.Size && rec.PartsTotal == lay.n && rec.RunID == runID
	if rec.Status == state.ItemDone && same {
		return nil, nil // a duplicate delivery of an object the fleet already copied
	}
	uploads, err := w.Dst.ListUploads(ctx, jo.Key)
	if err != nil {
		return nil, markDst(err)
	}
	uploadID := ""
	if rec.Status == state.ItemInProgress && same && rec.UploadID != "" {
		for _, u := range uploads {
			if u.ID == rec.UploadID {
				uploadID = u.ID
			}
		}
		if uploadID == "" {
			// The recorded upload is gone: completed by a completer that has not yet
			// recorded DONE, or abandoned. A new upload opened while that completer
			// finishes would be overwritten by its DONE record and stay open, so wait
			// for it: hold its lease, then look at the record again.
			release, err := f.takeLease(ctx, "complete/"+rec.UploadID, completionLease)
			if errors.Is(err, state.ErrConflict) {
				return nil, errSplitting
			}
			if err != nil {
				return nil, fmt.Errorf("take completion lease of %s: %w", jo.Key, err)
			}
			defer release()
			now, err := w.Store.GetObject(ctx, w.TaskID, jo.Key)
			if err != nil && !errors.Is(err, state.ErrNotFound) {
				return nil, fmt.Errorf("read record of %s: %w", jo.Key, err)
			}
			if now.Status == state.ItemDone && now.ETag == jo.ETag && now.Size == jo.Size && now.RunID == runID {
				return nil, nil // completed meanwhile: a duplicate delivery
			}
		}
	}
	for _, u := range uploads {
		if u.ID != uploadID {
			// Opened by an attempt that died before recording it: nobody completes it.
			if err := w.Dst.AbortUpload(ctx, jo.Key, u.ID); err != nil && !errors.Is(err, objstore.ErrNotFound) {
				return nil, markDst(err)
			}
		}
	}
	have := map[int]bool{}
	if uploadID != "" {
		parts, err := w.Store.ListParts(ctx, w.TaskID, jo.Key, uploadID)
		if err != nil {
			return nil, fmt.Errorf("read parts of %s: %w", jo.Key, err)
		}
		for _, p := range parts {
			have[p.Number] = true
		}
		f.log().Info("resuming giant object", "key", jo.Key, "parts_done", len(have), "parts", lay.n)
	} else {
		if uploadID, err = w.Dst.CreateUpload(ctx, jo.Key, h, withCRC); err != nil {
			return nil, markDst(err)
		}
		f.log().Info("multipart upload opened", "key", jo.Key, "upload", uploadID, "record", string(rec.Status), "recorded_upload", rec.UploadID)
		err = w.Store.PutObjects(ctx, w.TaskID, []state.Object{{Key: jo.Key, Size: jo.Size, ETag: jo.ETag,
			LastModified: jo.MTime, Status: state.ItemInProgress, UploadID: uploadID, PartsTotal: lay.n,
			Attempts: deliveries, RunID: runID}})
		if err != nil {
			_ = w.Dst.AbortUpload(context.WithoutCancel(ctx), jo.Key, uploadID)
			return nil, fmt.Errorf("record upload of %s: %w", jo.Key, err)
		}
	}
	var bodies [][]byte
	for i := 1; i <= lay.n; i++ {
		if have[i] {
			continue
		}
		b, err := EncodePart(PartJob{Run: runID, Object: jo, UploadID: uploadID, Part: i, Parts: lay.n,
			PartSize: lay.partSize, SourceLayout: lay.reproduced, SourceOpaque: info.OpaqueETag(),
			CRC: withCRC, SourceCRC: srcCRC})
		if err != nil {
			return nil, err
		}
		bodies = append(bodies, b)
	}
	if err := w.Queue.Send(ctx, bodies...); err != nil {
		return nil, fmt.Errorf("queue parts of %s: %w", jo.Key, err)
	}
	f.log().Info("giant object split into part jobs", "key", jo.Key, "size", jo.Size, "parts", lay.n,
		"queued", len(bodies), "part_size", lay.partSize, "source_layout", lay.reproduced)
	return nil, nil
}

func (f *Fleet) handlePart(ctx context.Context, d *delivery, pj PartJob) {
	w := f.Worker
	key := pj.Object.Key
	cur, err := f.currentRun(ctx, pj.Run)
	if err != nil {
		f.log().Warn("part not started", "key", key, "err", err)
		d.retry(ctx, d.m.Receives)
		return
	}
	if !cur {
		f.stats.dropped.Add(1)
		d.ack(ctx)
		return
	}
	live, err := f.uploadLive(ctx, pj)
	if err != nil {
		f.log().Warn("part not started", "key", key, "err", err)
		d.retry(ctx, d.m.Receives)
		return
	}
	if !live {
		f.dropLatePart(ctx, d, pj)
		return
	}
	deliveries := pj.Attempt + d.m.Receives
	final := deliveries >= f.MaxReceives

	err = w.lim.acquire(ctx)
	var p objstore.Part
	if err == nil {
		p, err = w.copyPart(ctx, pj.Object, pj.UploadID, pj.layout(), pj.Part, pj.CRC)
		w.lim.release()
	}
	if ctx.Err() != nil {
		d.release(ctx)
		return
	}
	if err != nil && errors.Is(err, objstore.ErrNotFound) {
		// The upload may have been completed or given up meanwhile.
		live, lerr := f.uploadLive(ctx, pj)
		if lerr == nil && !live {
			f.stats.dropped.Add(1)
			d.ack(ctx)
			return
		}
		// Still recorded as in progress, yet gone at the destination: a completer that
		// died between completing and recording it leaves exactly that. When every part
		// is recorded, completing again settles it (complete checks the destination).
		if recs, perr := w.Store.ListParts(ctx, w.TaskID, key, pj.UploadID); lerr == nil && perr == nil && len(recs) >= pj.Parts {
			if cerr := f.complete(ctx, pj, deliveries); cerr == nil {
				d.ack(ctx)
				if f.Settled != nil {
					f.Settled(ctx)
				}
				return
			} else if errors.Is(cerr, errCompleting) {
				d.retry(ctx, deliveries) // backing off, as below
				return
			}
		}
	}
	if err == nil {
		// A duplicate part job can finish after the upload was completed (or given up).
		// S3 refuses such a late part, but some stores take it into a new, orphaned
		// upload under the old id; abort that, and record nothing.
		if live, lerr := f.uploadLive(ctx, pj); lerr == nil && !live {
			f.dropLatePart(ctx, d, pj)
			return
		}
		var n int
		n, err = w.Store.PutPart(ctx, w.TaskID, key, state.Part{UploadID: pj.UploadID, Number: pj.Part, Size: p.Size, ETag: p.ETag,
			Checksum: partChecksum(p.CRC64NVME)})
		if err == nil {
			f.stats.parts.Add(1)
			f.log().Debug("part uploaded", "key", key, "part", pj.Part, "parts", pj.Parts, "parts_done", n)
			if n >= pj.Parts {
				err = f.complete(ctx, pj, deliveries)
				if errors.Is(err, errCompleting) {
					// Another worker holds the completion, or died holding it: then its
					// lease (30 s) must lapse first. Back off as any retry does, so that a
					// dead completer costs this message a few deliveries, not one a second
					// until it lands in the dead-letter queue (CI saw that in the chaos run).
					d.retry(ctx, deliveries)
					return
				}
				if err == nil {
					d.ack(ctx)
					if f.Settled != nil {
						f.Settled(ctx)
					}
					return
				}
			}
		}
	}
	if err == nil {
		d.ack(ctx)
		return
	}
	if retryable(err) && !final {
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
		PartSize: pj.PartSize, SourceLayout: pj.SourceLayout})
	if !f.deadLetter(ctx, body) {
		d.retry(ctx, deliveries)
		return
	}
	d.ack(ctx)
	if f.Settled != nil {
		f.Settled(ctx)
	}
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
	if err := f.Worker.Dst.AbortUpload(rctx, pj.Object.Key, pj.UploadID); err != nil && !errors.Is(err, objstore.ErrNotFound) {
		f.log().Warn("abort a settled upload", "key", pj.Object.Key, "upload", pj.UploadID, "err", err)
	}
	f.stats.dropped.Add(1)
	d.ack(ctx)
}

var errCompleting = errors.New("another worker is completing the upload")

// complete finishes a giant object's upload once every part is recorded.
func (f *Fleet) complete(ctx context.Context, pj PartJob, deliveries int) error {
	w := f.Worker
	key := pj.Object.Key
	owner := fmt.Sprintf("%s/%d", f.Owner, time.Now().UnixNano())
	lease := "complete/" + pj.UploadID
	if err := w.Store.Lease(ctx, w.TaskID, lease, owner, completionLease); err != nil {
		if errors.Is(err, state.ErrConflict) {
			return errCompleting
		}
		return fmt.Errorf("take completion lease of %s: %w", key, err)
	}
	lctx, stopRenew := context.WithCancel(ctx)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(completionLease / 3)
		defer t.Stop()
		for {
			select {
			case <-lctx.Done():
				return
			case <-t.C:
				_ = w.Store.Lease(lctx, w.TaskID, lease, owner, completionLease)
			}
		}
	}()
	defer func() {
		stopRenew()
		<-renewed
		rctx, cancel := detached(ctx)
		_ = w.Store.ReleaseLease(rctx, w.TaskID, lease, owner)
		cancel()
	}()

	if live, err := f.uploadLive(ctx, pj); err != nil || !live {
		if err == nil {
			// Settled meanwhile: nothing to complete. This part may have arrived after
			// the completion (see dropLatePart).
			rctx, cancel := detached(ctx)
			if aerr := w.Dst.AbortUpload(rctx, key, pj.UploadID); aerr != nil && !errors.Is(aerr, objstore.ErrNotFound) {
				f.log().Warn("abort a settled upload", "key", key, "upload", pj.UploadID, "err", aerr)
			}
			cancel()
		}
		return err
	}
	recs, err := w.Store.ListParts(ctx, w.TaskID, key, pj.UploadID)
	if err != nil {
		return fmt.Errorf("read parts of %s: %w", key, err)
	}
	slices.SortFunc(recs, func(a, b state.Part) int { return a.Number - b.Number })
	if len(recs) != pj.Parts {
		return fmt.Errorf("complete %s: %d of %d parts recorded", key, len(recs), pj.Parts)
	}
	parts := make([]objstore.Part, len(recs))
	for i, p := range recs {
		if p.Number != i+1 {
			return fmt.Errorf("complete %s: part %d missing", key, i+1)
		}
		parts[i] = objstore.Part{Number: p.Number, Size: p.Size, ETag: p.ETag, CRC64NVME: strings.TrimPrefix(p.Checksum, crcPrefix)}
	}
	expect := w.expectETag(parts)
	if pj.SourceLayout && !pj.SourceOpaque && isMultipartETag(pj.Object.ETag) && expect != "" && expect != pj.Object.ETag {
		return errPermanent{fmt.Errorf("copy of %s: parts give ETag %s, the source has %s", key, expect, pj.Object.ETag)}
	}
	var full objstore.Sums
	checksum := ""
	if crc, ok := wholeCRC(parts); ok && pj.CRC {
		if pj.SourceCRC != "" && objstore.CRCString(crc) != pj.SourceCRC {
			return errPermanent{errCRC(key, crc, pj.SourceCRC)}
		}
		full.CRC64NVME, checksum = objstore.CRCBytes(crc), crcChecksum(crc)
	}
	etag, err := w.Dst.CompleteUpload(ctx, key, pj.UploadID, parts, full)
	if errors.Is(err, objstore.ErrNotFound) {
		// Completed by an earlier completer that died before recording it.
		info, herr := w.Dst.Head(ctx, key, 0)
		ours := herr == nil && info.Size == pj.Object.Size && metaValue(info.Metadata, MetaSrcETag) == pj.Object.ETag
		if herr == nil && (expect != "" && !info.OpaqueETag() && info.ETag == expect || info.OpaqueETag() && ours) {
			etag, err = info.ETag, nil
		}
	}
	if err != nil {
		return markDst(err)
	}
	if expect != "" && isMultipartETag(etag) && etag != expect {
		_ = w.Dst.Delete(ctx, key)
		return fmt.Errorf("copy of %s: destination ETag %s, expected %s: copy removed", key, etag, expect)
	}
	rec := state.Object{Key: key, Size: pj.Object.Size, ETag: pj.Object.ETag, LastModified: pj.Object.MTime,
		Status: state.ItemDone, DestETag: etag, Checksum: checksum, UploadID: pj.UploadID, PartsTotal: pj.Parts, PartsDone: pj.Parts,
		Attempts: deliveries, RunID: pj.Run}
	wctx, cancel := detached(ctx)
	defer cancel()
	if err := w.Store.PutObjects(wctx, w.TaskID, []state.Object{rec}); err != nil {
		return fmt.Errorf("record %s: %w", key, err)
	}
	f.stats.objects.Add(1)
	f.logOutcome(rec, "giant")
	if err := w.Store.DeleteParts(wctx, w.TaskID, key, pj.UploadID); err != nil {
		f.log().Warn("delete part records", "key", key, "err", err)
	}
	return nil
}

// failGiant gives a giant object up: FAILED with the part's error, upload aborted.
func (f *Fleet) failGiant(ctx context.Context, pj PartJob, deliveries int, cause error) error {
	w := f.Worker
	key := pj.Object.Key
	ctx, cancel := detached(ctx)
	defer cancel()
	rec := state.Object{Key: key, Size: pj.Object.Size, ETag: pj.Object.ETag, LastModified: pj.Object.MTime,
		Status: state.ItemFailed, Error: fmt.Sprintf("part %d of %d: %v", pj.Part, pj.Parts, cause),
		UploadID: pj.UploadID, PartsTotal: pj.Parts, Attempts: deliveries, RunID: pj.Run}
	if err := w.Store.PutObjects(ctx, w.TaskID, []state.Object{rec}); err != nil {
		return err
	}
	f.stats.objects.Add(1)
	f.logOutcome(rec, "giant")
	if err := w.Dst.AbortUpload(ctx, key, pj.UploadID); err != nil && !errors.Is(err, objstore.ErrNotFound) {
		f.log().Warn("abort upload of failed object", "key", key, "err", err)
	}
	if err := w.Store.DeleteParts(ctx, w.TaskID, key, pj.UploadID); err != nil {
		f.log().Warn("delete part records", "key", key, "err", err)
	}
	return nil
}
