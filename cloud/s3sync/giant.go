package s3sync

import (
	"context"
	"errors"
	"fmt"
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
	p, err := w.planMultipart(ctx, jo)
	if errors.Is(err, objstore.ErrNotFound) {
		rec := state.Object{Key: jo.Key, Size: jo.Size, ETag: jo.ETag, LastModified: jo.MTime, RunID: runID,
			Status: state.ItemSkipped, Error: "source object no longer exists"}
		return &rec, nil
	}
	if err != nil {
		return nil, err
	}
	if err := w.planChecksums(ctx, &p); err != nil {
		return nil, err
	}
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
	uploadID, have, err := f.splitUpload(ctx, runID, p, deliveries)
	if err != nil || uploadID == "" {
		return nil, err
	}
	return nil, f.queueParts(ctx, runID, p, uploadID, have)
}

// splitUpload returns the giant object's upload and the parts already recorded for it:
// the recorded upload when it is still open, else a new one ("" when a duplicate
// delivery finds the object copied). Every other open upload of the key is aborted.
func (f *Fleet) splitUpload(ctx context.Context, runID string, p multipartPlan, deliveries int) (string, map[int]bool, error) {
	w, jo := f.Worker, p.jo
	rec, err := w.Store.GetObject(ctx, w.TaskID, jo.Key)
	if err != nil && !errors.Is(err, state.ErrNotFound) {
		return "", nil, fmt.Errorf("read record of %s: %w", jo.Key, err)
	}
	same := rec.ETag == jo.ETag && rec.Size == jo.Size && rec.PartsTotal == p.lay.n && rec.RunID == runID
	if rec.Status == state.ItemDone && same {
		return "", nil, nil // a duplicate delivery of an object the fleet already copied
	}
	uploads, err := w.Dst.ListUploads(ctx, jo.Key)
	if err != nil {
		return "", nil, markDst(err)
	}
	keep := ""
	if rec.Status == state.ItemInProgress && same && rec.UploadID != "" {
		if hasUpload(uploads, rec.UploadID) {
			keep = rec.UploadID
		} else {
			release, copied, err := f.awaitCompleter(ctx, runID, jo, rec.UploadID)
			if err != nil || copied {
				return "", nil, err
			}
			defer release()
		}
	}
	// Opened by an attempt that died before recording it: nobody completes it.
	if err := w.abortOwn(ctx, rec, uploads, keep); err != nil {
		return "", nil, err
	}
	if keep == "" {
		uploadID, err := w.openUpload(ctx, runID, p, deliveries)
		if err != nil {
			return "", nil, err
		}
		f.log().Info("multipart upload opened", "key", jo.Key, "upload", uploadID, "record", string(rec.Status), "recorded_upload", rec.UploadID)
		return uploadID, nil, nil
	}
	parts, err := w.Store.ListParts(ctx, w.TaskID, jo.Key, keep)
	if err != nil {
		return "", nil, fmt.Errorf("read parts of %s: %w", jo.Key, err)
	}
	have := map[int]bool{}
	for _, part := range parts {
		// A part recorded under another plan of the same part count is sent again.
		have[part.Number] = part.Number >= 1 && part.Number <= p.lay.n && part.Size == p.lay.partLen(part.Number)
	}
	f.log().Info("resuming giant object", "key", jo.Key, "parts_done", len(have), "parts", p.lay.n)
	return keep, have, nil
}

// awaitCompleter handles a recorded upload that is gone: completed by a completer that
// has not yet recorded DONE, or abandoned. A new upload opened while that completer
// finishes would be overwritten by its DONE record and stay open, so wait for it: hold
// its lease (the caller releases it once the new upload is recorded), then look at the
// record again; copied reports that it was completed meanwhile (a duplicate delivery).
func (f *Fleet) awaitCompleter(ctx context.Context, runID string, jo JobObject, uploadID string) (release func(), copied bool, err error) {
	w := f.Worker
	release, err = f.takeLease(ctx, "complete/"+uploadID, completionLease)
	if errors.Is(err, state.ErrConflict) {
		return nil, false, errSplitting
	}
	if err != nil {
		return nil, false, fmt.Errorf("take completion lease of %s: %w", jo.Key, err)
	}
	now, err := w.Store.GetObject(ctx, w.TaskID, jo.Key)
	if err != nil && !errors.Is(err, state.ErrNotFound) {
		release()
		return nil, false, fmt.Errorf("read record of %s: %w", jo.Key, err)
	}
	if now.Status == state.ItemDone && now.ETag == jo.ETag && now.Size == jo.Size && now.RunID == runID {
		release()
		return nil, true, nil
	}
	return release, false, nil
}

// queueParts sends one part job per part not yet recorded.
func (f *Fleet) queueParts(ctx context.Context, runID string, p multipartPlan, uploadID string, have map[int]bool) error {
	var bodies [][]byte
	for i := 1; i <= p.lay.n; i++ {
		if have[i] {
			continue
		}
		b, err := EncodePart(p.partJob(runID, uploadID, i))
		if err != nil {
			return err
		}
		bodies = append(bodies, b)
	}
	if err := f.Worker.Queue.Send(ctx, bodies...); err != nil {
		return fmt.Errorf("queue parts of %s: %w", p.jo.Key, err)
	}
	f.log().Info("giant object split into part jobs", "key", p.jo.Key, "size", p.jo.Size, "parts", p.lay.n,
		"queued", len(bodies), "part_size", p.lay.partSize, "source_layout", p.lay.reproduced)
	return nil
}
