package s3sync

import (
	"context"
	"fmt"

	"transferhub/cloud/objstore"
)

// The layout of a multipart copy: how many parts, where each starts. Every multipart
// path (one worker's multipart, the fleet's giant objects) plans it here, so a change to
// the layout rules (such as sources uploaded with unequal parts) lands in one place.

const (
	maxParts       = 10000
	maxSinglePut   = 5 << 30 // S3's limit for one PUT or CopyObject
	serverPartSize = 512 << 20
)

// layout is a multipart plan: part i (1-based) covers [off(i), off(i)+size(i)).
type layout struct {
	size     int64
	partSize int64
	n        int
	// reproduced: the plan equals the source's own layout, so the copy's ETag will
	// equal the source ETag.
	reproduced bool
}

func (l layout) off(i int) int64 { return int64(i-1) * l.partSize }
func (l layout) partLen(i int) int64 {
	if i < l.n {
		return l.partSize
	}
	return l.size - l.off(i)
}

func defaultLayout(size, partSize int64) layout {
	for size > partSize*maxParts {
		partSize *= 2
	}
	n := int((size + partSize - 1) / partSize)
	if n == 0 {
		n = 1
	}
	return layout{size: size, partSize: partSize, n: n}
}

// planLayout reproduces the source's part layout when the ETag says it was a multipart
// upload with equal parts (the common case: every SDK and CLI uploads that way), so the
// destination ETag equals the source's and later runs compare from listings alone.
func (w *Worker) planLayout(jo JobObject, first objstore.Info) layout {
	n := partsFromETag(jo.ETag)
	if n > 0 && first.PartSize > 0 && first.PartsCount == n {
		ps := first.PartSize
		if int64(n-1)*ps < jo.Size && jo.Size <= int64(n)*ps && (n == 1 || ps >= 5<<20) && ps <= w.Opt.MaxMemory && ps <= maxSinglePut {
			return layout{size: jo.Size, partSize: ps, n: n, reproduced: true}
		}
	}
	if w.serverS {
		return defaultLayout(jo.Size, max(w.Opt.PartSize, serverPartSize))
	}
	return defaultLayout(jo.Size, w.Opt.PartSize)
}

// multipartPlan is what a multipart copy knows before it opens an upload: the source
// object, the part layout, the headers the copy gets and how its data is checksummed.
// A giant object's part jobs carry it to other workers (PartJob.plan).
type multipartPlan struct {
	jo        JobObject
	lay       layout
	srcOpaque bool // the source's ETag is not an MD5 (SSE-KMS, SSE-C): no ETag arithmetic
	// info is the source's HEAD (of part 1 for a multipart source) and part the part it
	// asked for; h the copy's headers. Neither travels in a part job.
	info objstore.Info
	part int
	h    objstore.Headers
	// withCRC: streamed parts carry CRC-64/NVME checksums, combined at completion into the
	// object's, which must equal srcCRC (the source's full-object checksum) when set.
	withCRC bool
	srcCRC  string
}

// planMultipart reads the source's layout (a HEAD of part 1 for a multipart source, else
// of the object) and plans the copy. The source must still be the object listed
// (ErrPrecondition); the HEAD's own error comes back unwrapped (ErrNotFound: gone).
func (w *Worker) planMultipart(ctx context.Context, jo JobObject) (multipartPlan, error) {
	part := 0
	if isMultipartETag(jo.ETag) {
		part = 1
	}
	info, err := w.Src.Head(ctx, jo.Key, part)
	if err != nil {
		return multipartPlan{}, err
	}
	if jo.ETag != "" && info.ETag != "" && info.ETag != jo.ETag {
		return multipartPlan{}, fmt.Errorf("%w: %s has ETag %s, listed with %s", objstore.ErrPrecondition, jo.Key, info.ETag, jo.ETag)
	}
	h := copyHeaders(info, jo)
	addSrcETag(h, jo.ETag)
	return multipartPlan{jo: jo, lay: w.planLayout(jo, info), srcOpaque: info.OpaqueETag(), info: info, part: part, h: h}, nil
}

// planChecksums decides whether streamed parts carry CRC-64/NVME checksums: when the
// source has a full-object one to check against or the destination keeps them
// (server-side copies move no data, so they carry none).
func (w *Worker) planChecksums(ctx context.Context, p *multipartPlan) error {
	if w.serverS {
		return nil
	}
	crc, err := w.sourceCRC(ctx, p.jo.Key, p.info, p.part)
	if err != nil {
		return err
	}
	p.srcCRC = crc
	p.withCRC = crc != "" || objstore.TakesChecksums(w.Dst)
	return nil
}

// sourceCRC is the source's full-object checksum ("" when it keeps none): from info when
// that came from a whole-object HEAD, else from one more HEAD.
func (w *Worker) sourceCRC(ctx context.Context, key string, info objstore.Info, part int) (string, error) {
	if part == 0 || !objstore.TakesChecksums(w.Src) {
		return info.CRC64NVME, nil
	}
	whole, err := w.Src.Head(ctx, key, 0)
	if err != nil {
		return "", err
	}
	return whole.CRC64NVME, nil
}

// plan is the multipart plan a part job carries.
func (p PartJob) plan() multipartPlan {
	return multipartPlan{jo: p.Object, lay: p.layout(), srcOpaque: p.SourceOpaque, withCRC: p.CRC, srcCRC: p.SourceCRC}
}

// partJob is the job of part i of the plan's upload.
func (p multipartPlan) partJob(runID, uploadID string, i int) PartJob {
	return PartJob{Run: runID, Object: p.jo, UploadID: uploadID, Part: i, Parts: p.lay.n, PartSize: p.lay.partSize,
		SourceLayout: p.lay.reproduced, SourceOpaque: p.srcOpaque, CRC: p.withCRC, SourceCRC: p.srcCRC}
}
