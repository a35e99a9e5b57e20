package s3sync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"transferhub/cloud/objstore"
	"transferhub/cloud/state"
)

// Multipart uploads left open are this task's to abort only when this task started
// them: another run with another state file (another task on the same destination, or
// another tool) may be uploading the same key right now. A task knows its uploads from
// its records: the upload id an object's record names, and an intent, recorded before
// every CreateMultipartUpload (IN_PROGRESS without an upload id), so that an upload
// created just before the process was killed, whose id never reached the record, is
// still found: it is one of the key's uploads initiated about when the intent was
// recorded.

// intentBefore and intentAfter bound the uploads an intent covers, around the time the
// intent was recorded: clocks of this computer and the store may disagree a little, and
// a CreateMultipartUpload retried by the SDK may take minutes.
const (
	intentBefore = time.Minute
	intentAfter  = 5 * time.Minute
)

// ownUploads returns the uploads among uploads (all of rec's key) that this task started,
// but keep.
func ownUploads(rec state.Object, uploads []objstore.Upload, keep string) []objstore.Upload {
	var own []objstore.Upload
	intent := rec.Status == state.ItemInProgress && rec.UploadID == "" && !rec.UpdatedAt.IsZero()
	for _, u := range uploads {
		switch {
		case u.ID == keep:
		case rec.UploadID != "" && u.ID == rec.UploadID:
			own = append(own, u)
		case intent && !u.Initiated.IsZero() && u.Initiated.After(rec.UpdatedAt.Add(-intentBefore)) && u.Initiated.Before(rec.UpdatedAt.Add(intentAfter)):
			own = append(own, u)
		}
	}
	return own
}

// abortOwn aborts the open uploads of rec's key that this task started but keep: left by
// an earlier attempt (or for another version of the source), nobody will complete them.
func (w *Worker) abortOwn(ctx context.Context, rec state.Object, uploads []objstore.Upload, keep string) error {
	for _, u := range ownUploads(rec, uploads, keep) {
		if err := w.Dst.AbortUpload(ctx, u.Key, u.ID); err != nil && !errors.Is(err, objstore.ErrNotFound) {
			return markDst(err)
		}
		w.Opt.Logger.Debug("multipart upload aborted", "key", u.Key, "upload", u.ID)
	}
	return nil
}

// abandonUploads aborts the uploads this task started for key, as its record names
// them (a failed object keeps none behind; Sweep at the end of a run).
func (w *Worker) abandonUploads(ctx context.Context, key string) error {
	rec, err := w.Store.GetObject(ctx, w.TaskID, key)
	if errors.Is(err, state.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read record of %s: %w", key, err)
	}
	if rec.UploadID == "" && rec.Status != state.ItemInProgress {
		return nil
	}
	uploads, err := w.Dst.ListUploads(ctx, key)
	if err != nil {
		return markDst(err)
	}
	return w.abortOwn(ctx, rec, uploads, "")
}

// intend records that the plan's upload is about to be created (see above).
func (w *Worker) intend(ctx context.Context, runID string, p multipartPlan, attempts int) error {
	jo := p.jo
	err := w.Store.PutObjects(ctx, w.TaskID, []state.Object{{Key: jo.Key, Size: jo.Size, ETag: jo.ETag, LastModified: jo.MTime,
		Status: state.ItemInProgress, PartsTotal: p.lay.n, Attempts: attempts, RunID: runID}})
	if err != nil {
		return fmt.Errorf("record the upload of %s about to start: %w", jo.Key, err)
	}
	return nil
}
