package s3sync

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"transferhub/cloud/internal/wait"
	"transferhub/cloud/objstore"
	"transferhub/cloud/state"
)

// A multipart copy inside one worker goes through four steps, each a function below:
// layout (planMultipart, planChecksums: layout.go), resume (resumeUpload: the upload an
// earlier attempt left open and its finished parts, or a new one), the part loop
// (uploadParts) and completion (completeUpload: checks before and after completing).

// multipart copies an object in parts, resuming the upload a crashed or interrupted
// attempt left open (its id is in the store; ListParts says which parts arrived).
func (w *Worker) multipart(ctx context.Context, runID string, jo JobObject) (copied, error) {
	defer w.lockKey(jo.Key)()
	p, err := w.planMultipart(ctx, jo)
	if err != nil {
		return copied{}, err
	}
	if c, ok := w.copiedMeanwhile(ctx, p); ok {
		return c, nil
	}
	if err := w.planChecksums(ctx, &p); err != nil {
		return copied{}, err
	}
	rec, err := w.Store.GetObject(ctx, w.TaskID, jo.Key)
	if err != nil && !errors.Is(err, state.ErrNotFound) {
		return copied{}, fmt.Errorf("read record of %s: %w", jo.Key, err)
	}
	if rec.Status == state.ItemDone && rec.RunID == runID && rec.ETag == jo.ETag && rec.Size == jo.Size && rec.DestETag != "" {
		return copied{rec.DestETag, rec.Checksum}, nil // a duplicate delivery of a job this run finished
	}
	uploadID, done, err := w.resumeUpload(ctx, runID, p, rec)
	if err != nil {
		return copied{}, err
	}
	parts, err := w.uploadParts(ctx, p, uploadID, done)
	if err != nil {
		return copied{}, err
	}
	return w.completeUpload(ctx, p, uploadID, parts)
}

// lockKey serialises multipart copies of one key in this process and returns the unlock.
func (w *Worker) lockKey(key string) (unlock func()) {
	l, _ := w.keyLocks.LoadOrStore(key, &sync.Mutex{})
	mu := l.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// copiedMeanwhile reports a destination object that already is the copy (a duplicate
// delivery finished first): with the source's layout reproduced, equal ETag and size
// say so, and one HEAD saves a copy. That is the size+etag rule (and more than the size
// rule asks), so only those modes take it: --compare checksum found the data different
// although the ETags are equal, and --compare none asked for every object to be written.
// A copy is reported only when it was written or is equal by the mode's own rule.
func (w *Worker) copiedMeanwhile(ctx context.Context, p multipartPlan) (copied, bool) {
	if !p.lay.reproduced || !isMultipartETag(p.jo.ETag) || w.Opt.Compare != CompareSizeETag && w.Opt.Compare != CompareSize {
		return copied{}, false
	}
	d, err := w.Dst.Head(ctx, p.jo.Key, 0)
	if err == nil && d.ETag == p.jo.ETag && d.Size == p.jo.Size {
		return copied{etag: d.ETag}, true
	}
	return copied{}, false
}

// resumeUpload returns the upload to copy into and the parts it already holds: the one
// rec names when it is still open for the same source and layout, else a new one. Every
// other open upload of the key that this task started is aborted (uploads.go).
func (w *Worker) resumeUpload(ctx context.Context, runID string, p multipartPlan, rec state.Object) (string, map[int]objstore.Part, error) {
	jo := p.jo
	uploads, err := w.Dst.ListUploads(ctx, jo.Key)
	if err != nil {
		return "", nil, markDst(err)
	}
	keep := ""
	if rec.UploadID != "" && rec.ETag == jo.ETag && rec.Size == jo.Size && rec.PartsTotal == p.lay.n && hasUpload(uploads, rec.UploadID) {
		keep = rec.UploadID
	}
	if err := w.abortOwn(ctx, rec, uploads, keep); err != nil {
		return "", nil, err
	}
	if keep == "" {
		uploadID, err := w.openUpload(ctx, runID, p, 0)
		if err != nil {
			return "", nil, err
		}
		w.Opt.Logger.Debug("multipart upload opened", "key", jo.Key, "upload", uploadID, "record", string(rec.Status), "recorded_upload", rec.UploadID)
		return uploadID, nil, nil
	}
	parts, err := w.Dst.ListParts(ctx, jo.Key, keep)
	if err != nil {
		return "", nil, markDst(err)
	}
	done := map[int]objstore.Part{}
	for _, part := range parts {
		if part.Number >= 1 && part.Number <= p.lay.n && part.Size == p.lay.partLen(part.Number) && part.ETag != "" {
			done[part.Number] = part
		}
	}
	w.Opt.Logger.Info("resuming multipart upload", "key", jo.Key, "parts_done", len(done), "parts", p.lay.n)
	return keep, done, nil
}

func hasUpload(uploads []objstore.Upload, id string) bool {
	for _, u := range uploads {
		if u.ID == id {
			return true
		}
	}
	return false
}

// openUpload opens the plan's upload and records it IN_PROGRESS (attempts: deliveries so
// far, 0 to keep the recorded count), so that the next attempt resumes it and Sweep
// finds it; an upload that cannot be recorded is aborted again. The intent is recorded
// first, so that an upload whose id never reaches the record is still this task's.
func (w *Worker) openUpload(ctx context.Context, runID string, p multipartPlan, attempts int) (string, error) {
	jo := p.jo
	if err := w.intend(ctx, runID, p, attempts); err != nil {
		return "", err
	}
	create := func() (uploadID string, err error) {
		err = w.tagged(&p.h, func() (err error) {
			uploadID, err = w.Dst.CreateUpload(ctx, jo.Key, p.h, p.withCRC)
			return err
		})
		return uploadID, markDst(err)
	}
	uploadID, err := create()
	if err != nil {
		return "", err
	}
	if metaValue(p.h.Metadata, MetaSrcETag) == "" && w.dstOpaque() && w.needsSrcETag(false) {
		// Only the answer said that the destination encrypts with KMS (its bucket's
		// default): the copy's ETag will differ, so it gets the source ETag. No part is
		// in the upload yet; it is opened again with it.
		_ = w.Dst.AbortUpload(ctx, jo.Key, uploadID)
		addSrcETag(p.h, jo.ETag)
		if uploadID, err = create(); err != nil {
			return "", err
		}
	}
	err = w.Store.PutObjects(ctx, w.TaskID, []state.Object{{Key: jo.Key, Size: jo.Size, ETag: jo.ETag, LastModified: jo.MTime,
		Status: state.ItemInProgress, UploadID: uploadID, PartsTotal: p.lay.n, Attempts: attempts, RunID: runID}})
	if err != nil {
		_ = w.Dst.AbortUpload(context.WithoutCancel(ctx), jo.Key, uploadID)
		return "", fmt.Errorf("record upload of %s: %w", jo.Key, err)
	}
	return uploadID, nil
}

// uploadParts copies the parts not yet done, as many at once as the limiter allows, and
// returns all parts in order. The first failure stops the others; an upload whose source
// changed or vanished is aborted, since it can never be completed.
func (w *Worker) uploadParts(ctx context.Context, p multipartPlan, uploadID string, done map[int]objstore.Part) ([]objstore.Part, error) {
	parts := make([]objstore.Part, p.lay.n)
	var (
		wg           sync.WaitGroup
		mu           sync.Mutex
		perr         error
		pctx, cancel = context.WithCancel(ctx)
	)
	defer cancel()
	for i := 1; i <= p.lay.n; i++ {
		if part, ok := done[i]; ok {
			parts[i-1] = part
			continue
		}
		if err := w.lim.acquire(pctx); err != nil {
			break
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer w.lim.release()
			part, err := w.copyPart(pctx, p.jo, uploadID, i, p.lay.off(i), p.lay.partLen(i), p.withCRC)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if perr == nil {
					perr = err
					cancel()
				}
				return
			}
			parts[i-1] = part
		}(i)
	}
	wg.Wait()
	if perr == nil && ctx.Err() != nil {
		perr = ctx.Err()
	}
	if perr != nil {
		if errors.Is(perr, objstore.ErrPrecondition) || errors.Is(perr, objstore.ErrNotFound) && !errors.Is(perr, errDestination) {
			_ = w.Dst.AbortUpload(context.WithoutCancel(ctx), p.jo.Key, uploadID)
		}
		return nil, perr
	}
	return parts, nil
}

// completeUpload checks the parts, completes the upload and checks the answer: parts
// that cannot give the source's ETag or checksum abort the upload, a completed object
// with an unexpected ETag is removed.
func (w *Worker) completeUpload(ctx context.Context, p multipartPlan, uploadID string, parts []objstore.Part) (copied, error) {
	c, err := w.checkParts(p, parts)
	if err != nil {
		// Every part's MD5 was checked as it was written, in the source's own layout:
		// data that still does not give the source's ETag will not on another try.
		_ = w.Dst.AbortUpload(ctx, p.jo.Key, uploadID)
		return copied{}, errPermanent{fmt.Errorf("%w: upload aborted", err)}
	}
	etag, err := w.Dst.CompleteUpload(ctx, p.jo.Key, uploadID, parts, c.full)
	if err != nil {
		return copied{}, markDst(err)
	}
	if err := w.checkCompleted(ctx, p.jo.Key, etag, c.expect); err != nil {
		return copied{}, err
	}
	return copied{etag, c.checksum}, nil
}

// copyPart moves part i (n bytes from off), server-side or through a pooled buffer, with
// a few tries; withCRC computes the part's CRC-64/NVME (streamed parts only).
func (w *Worker) copyPart(ctx context.Context, jo JobObject, uploadID string, i int, off, n int64, withCRC bool) (objstore.Part, error) {
	var err error
	for try := 1; try <= 3; try++ {
		var etag, crc string
		if w.serverS {
			etag, err = w.Dst.(objstore.ServerCopier).CopyPart(ctx, w.Src, jo.Key, jo.ETag, jo.Key, uploadID, i, off, n)
			if err == nil {
				w.BytesCopied.Add(n)
			}
		} else {
			etag, crc, err = w.streamPart(ctx, jo, uploadID, i, off, n, withCRC)
		}
		if err == nil {
			return objstore.Part{Number: i, Size: n, ETag: etag, CRC64NVME: crc}, nil
		}
		if ctx.Err() != nil || errors.Is(err, objstore.ErrPrecondition) || errors.Is(err, objstore.ErrNotFound) || isPermanent(err) {
			break
		}
		_ = wait.Sleep(ctx, time.Duration(try)*500*time.Millisecond)
	}
	return objstore.Part{}, fmt.Errorf("part %d of %s: %w", i, jo.Key, err)
}

// streamPart copies one part through a pooled buffer and returns its ETag and, with
// withCRC, its CRC-64/NVME (base64).
func (w *Worker) streamPart(ctx context.Context, jo JobObject, uploadID string, i int, off, n int64, withCRC bool) (etag, crc string, err error) {
	class := classOf(n)
	if err := w.mem.acquire(ctx, class); err != nil {
		return "", "", err
	}
	defer w.mem.release(class)
	buf := w.bufs.get(n)
	defer w.bufs.put(buf)
	rc, _, err := w.Src.Get(ctx, jo.Key, off, n, jo.ETag)
	if err != nil {
		return "", "", err
	}
	if err := readAll(rc, buf); err != nil {
		return "", "", fmt.Errorf("read bytes %d-%d: %w", off, off+n-1, err)
	}
	sum := md5.Sum(buf)
	hexSum := hex.EncodeToString(sum[:])
	sums := objstore.Sums{MD5: sum[:]}
	if withCRC {
		c := objstore.CRC64NVME(buf)
		sums.CRC64NVME, crc = objstore.CRCBytes(c), objstore.CRCString(c)
	}
	etag, err = w.Dst.UploadPart(ctx, jo.Key, uploadID, i, buf, sums)
	if err != nil {
		return "", "", markDst(err)
	}
	w.BytesSent.Add(n)
	if w.wroteOther(etag, hexSum) {
		return "", "", fmt.Errorf("destination part ETag %s does not match the data MD5 %s", etag, hexSum)
	}
	return etag, crc, nil
}
