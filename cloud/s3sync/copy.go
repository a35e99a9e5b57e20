package s3sync

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"transferhub/cloud/objstore"
)

func (w *Worker) copyOnce(ctx context.Context, runID string, jo JobObject) (copied, error) {
	multipart := jo.Size > w.Opt.MultipartThreshold || isMultipartETag(jo.ETag)
	if w.serverS {
		if !multipart || !isMultipartETag(jo.ETag) && jo.Size <= maxSinglePut {
			etag, err := w.serverCopy(ctx, jo)
			return copied{etag: etag}, err
		}
		return w.multipart(ctx, runID, jo)
	}
	if w.Opt.ServerSide == ServerSideAlways {
		return copied{}, errPermanent{fmt.Errorf("server-side copy is not possible between %s and %s (different endpoint, partition or credentials)", w.Src.URL(), w.Dst.URL())}
	}
	if !multipart {
		return w.single(ctx, jo)
	}
	return w.multipart(ctx, runID, jo)
}

func (w *Worker) serverCopy(ctx context.Context, jo JobObject) (string, error) {
	if err := w.lim.acquire(ctx); err != nil {
		return "", err
	}
	defer w.lim.release()
	sc := w.Dst.(objstore.ServerCopier)
	// headers reads the source's headers (one HEAD) for a copy that replaces them rather
	// than letting the store copy them: with the source ETag in metadata when the copy's
	// ETag differs from the source's (SSE-KMS on either side), and with the tags copied
	// or left out as asked.
	headers := func(srcETag bool) (*objstore.Headers, error) {
		info, err := w.Src.Head(ctx, jo.Key, 0)
		if err != nil {
			return nil, err
		}
		if info.OpaqueETag() {
			w.srcOpaque.Store(true)
		}
		h := copyHeaders(info, jo)
		if srcETag && !w.Opt.NoSrcETag {
			addSrcETag(h, jo.ETag)
		}
		if err := w.withTags(ctx, jo.Key, info, &h); err != nil {
			return nil, err
		}
		return &h, nil
	}
	var h *objstore.Headers
	opaque := jo.ETag != "" && (w.dstOpaque() || w.srcOpaque.Load())
	if opaque || w.Opt.NoTags && objstore.KeepsTags(w.Dst) {
		var err error
		if h, err = headers(opaque); err != nil {
			return "", err
		}
	}
	var etag string
	err := w.tagged(h, func() (err error) {
		etag, err = sc.CopyObject(ctx, w.Src, jo.Key, jo.ETag, jo.Key, h)
		return err
	})
	if err != nil {
		return "", err
	}
	w.BytesCopied.Add(jo.Size)
	if h != nil || !isMD5ETag(jo.ETag) || etag == jo.ETag {
		return etag, nil
	}
	// A plain copy keeps the ETag unless encryption makes it opaque on either side.
	if h, err = headers(true); err != nil {
		return "", fmt.Errorf("check copy of %s: %w", jo.Key, err)
	}
	if !w.srcOpaque.Load() && !w.dstOpaque() && isMD5ETag(etag) {
		_ = w.Dst.Delete(ctx, jo.Key)
		return "", fmt.Errorf("server-side copy of %s produced ETag %s, the source has %s: copy removed", jo.Key, etag, jo.ETag)
	}
	if w.Opt.NoSrcETag {
		return etag, nil // the task's record of the copy is what recognises it
	}
	// Copy again, now with the source ETag in metadata.
	err = w.tagged(h, func() (err error) {
		etag, err = sc.CopyObject(ctx, w.Src, jo.Key, jo.ETag, jo.Key, h)
		return err
	})
	return etag, err
}

// maxUserMetadata is S3's limit on user metadata (keys and values, in bytes).
const maxUserMetadata = 2048

// needsSrcETag reports whether a copy carries the source ETag in its metadata
// (x-amz-meta-thub-src-etag, MetaSrcETag). The task's own records answer for the task
// itself, and a copy with the source's ETag is recognised from the listings; the
// metadata is for compares without the records (a new state file, another task on the
// same pair) of copies whose ETag differs from the source's (sameETag false: SSE-KMS or
// SSE-C on either side, a part layout not reproduced). Full-object checksums kept on both
// sides would tell too, but only to a compare that reads them, which a later run may not
// be set up to do. Options.NoSrcETag writes it nowhere.
func (w *Worker) needsSrcETag(sameETag bool) bool {
	return !w.Opt.NoSrcETag && !sameETag
}

// addSrcETag records the source ETag in the copy's metadata, so that a later run can tell
// the copy is current from a HEAD when the two ETags differ (another part layout, SSE-KMS).
// Left out when it would push the metadata over S3's limit.
func addSrcETag(h objstore.Headers, etag string) {
	if etag == "" {
		return
	}
	n := len(MetaSrcETag) + len(etag)
	for k, v := range h.Metadata {
		n += len(k) + len(v)
	}
	if n <= maxUserMetadata {
		h.Metadata[MetaSrcETag] = etag
	}
}

func copyHeaders(info objstore.Info, jo JobObject) objstore.Headers {
	h := info.Headers
	md := make(map[string]string, len(h.Metadata)+2)
	for k, v := range h.Metadata {
		md[k] = v
	}
	h.Metadata = md
	if h.ModTime.IsZero() {
		h.ModTime = jo.MTime
	}
	if !jo.MTime.IsZero() {
		h.ModTime = jo.MTime
	}
	return h
}

// single copies an object in one GET and one PUT through a pooled buffer, checking the
// data against the source ETag (when it is an MD5) before it is written and the
// destination's answer after.
func (w *Worker) single(ctx context.Context, jo JobObject) (copied, error) {
	if err := w.lim.acquire(ctx); err != nil {
		return copied{}, err
	}
	defer w.lim.release()
	class := classOf(jo.Size)
	if err := w.mem.acquire(ctx, class); err != nil {
		return copied{}, err
	}
	defer w.mem.release(class)
	buf := w.bufs.get(jo.Size)
	defer w.bufs.put(buf)

	rc, info, err := w.Src.Get(ctx, jo.Key, 0, -1, jo.ETag)
	if err != nil {
		return copied{}, err
	}
	if info.Size != jo.Size {
		// The object is not the one listed (a truncated body is a network error instead,
		// and retried).
		rc.Close()
		return copied{}, fmt.Errorf("%w: %s has %d bytes, listed with %d", objstore.ErrPrecondition, jo.Key, info.Size, jo.Size)
	}
	if err := readAll(rc, buf); err != nil {
		return copied{}, fmt.Errorf("read %s: %w", jo.Key, err)
	}
	sum := md5.Sum(buf)
	hexSum := hex.EncodeToString(sum[:])
	if isMD5ETag(jo.ETag) && !info.OpaqueETag() && hexSum != jo.ETag {
		return copied{}, fmt.Errorf("read %s: data MD5 %s does not match the source ETag %s", jo.Key, hexSum, jo.ETag)
	}
	sums := objstore.Sums{MD5: sum[:]}
	checksum := ""
	if info.CRC64NVME != "" || objstore.TakesChecksums(w.Dst) {
		// The whole object's checksum: checked against the source's (the only end-to-end
		// check when its ETag is not an MD5) and kept by the destination.
		crc := objstore.CRC64NVME(buf)
		if info.CRC64NVME != "" && objstore.CRCString(crc) != info.CRC64NVME {
			return copied{}, errCRC(jo.Key, crc, info.CRC64NVME)
		}
		sums.CRC64NVME, checksum = objstore.CRCBytes(crc), crcChecksum(crc)
	}
	h := copyHeaders(info, jo)
	srcETag := w.needsSrcETag(isMD5ETag(jo.ETag) && !info.OpaqueETag() && !w.dstOpaque())
	if srcETag {
		addSrcETag(h, jo.ETag)
	}
	if err := w.withTags(ctx, jo.Key, info, &h); err != nil {
		return copied{}, err
	}
	put := func() (etag string, err error) {
		err = w.tagged(&h, func() (err error) {
			etag, err = w.Dst.Put(ctx, jo.Key, buf, sums, h)
			return err
		})
		return etag, markDst(err)
	}
	etag, err := put()
	if err != nil {
		return copied{}, err
	}
	w.BytesSent.Add(jo.Size)
	if w.wroteOther(etag, hexSum) {
		_ = w.Dst.Delete(ctx, jo.Key)
		return copied{}, fmt.Errorf("write %s: destination ETag %s does not match the data MD5 %s: copy removed", jo.Key, etag, hexSum)
	}
	if !srcETag && etag != jo.ETag && w.needsSrcETag(false) {
		// Only the answer said that the destination encrypts with KMS (its bucket's
		// default): the ETags differ after all, so the copy gets the source ETag.
		addSrcETag(h, jo.ETag)
		if etag, err = put(); err != nil {
			return copied{}, err
		}
	}
	return copied{etag, checksum}, nil
}

// readAll fills buf from rc, reads its end (see expectEOF) and closes it.
func readAll(rc io.ReadCloser, buf []byte) error {
	_, err := io.ReadFull(rc, buf)
	if err == nil {
		err = expectEOF(rc)
	}
	rc.Close()
	return err
}

// expectEOF reads the end of a body: the HTTP transport reuses a connection only when
// its body was read to EOF, and more data than announced means a changed object.
func expectEOF(r io.Reader) error {
	var one [1]byte
	n, err := r.Read(one[:])
	if n > 0 {
		return fmt.Errorf("%w: more data than expected", objstore.ErrPrecondition)
	}
	if err == io.EOF {
		return nil
	}
	if err == nil {
		_, err = io.ReadFull(r, one[:])
		if err == io.EOF {
			return nil
		}
		if err == nil {
			return fmt.Errorf("%w: more data than expected", objstore.ErrPrecondition)
		}
	}
	return err
}

func markDst(err error) error {
	if err != nil && errors.Is(err, objstore.ErrNotFound) {
		return fmt.Errorf("%w: %w", errDestination, err)
	}
	return err
}
