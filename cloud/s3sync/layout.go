package s3sync

import (
	"context"
	"fmt"
	"sync"

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

// layout is a multipart plan: part i (1-based) covers [off(i), off(i)+partLen(i)).
type layout struct {
	size int64
	// partSize is the size of every part but the last, or with offs the largest part.
	partSize int64
	n        int
	// reproduced: the plan equals the source's own layout, so the copy's ETag will
	// equal the source ETag.
	reproduced bool
	// offs, when set, are the n+1 part boundaries of a source uploaded with parts of
	// unequal sizes: part i covers [offs[i-1], offs[i]).
	offs []int64
}

func (l layout) off(i int) int64 {
	if l.offs != nil {
		return l.offs[i-1]
	}
	return int64(i-1) * l.partSize
}

func (l layout) partLen(i int) int64 {
	if l.offs != nil {
		return l.offs[i] - l.offs[i-1]
	}
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

// layoutOf is the layout of parts of these sizes (the source's), reproduced: ok is false
// when they cannot be (they do not add up to size, a part but the last is below S3's
// 5 MiB, or a part is above maxPart or 5 GiB). Parts of one size but a smaller last one
// give the plain layout; others keep their boundaries.
func layoutOf(size int64, sizes []int64, maxPart int64) (layout, bool) {
	n := len(sizes)
	if n == 0 || n > maxParts {
		return layout{}, false
	}
	lay := layout{size: size, partSize: sizes[0], n: n, reproduced: true}
	even := true
	offs := make([]int64, n+1)
	for i, ps := range sizes {
		if ps <= 0 || ps > maxPart || ps > maxSinglePut || i < n-1 && ps < 5<<20 {
			return layout{}, false
		}
		offs[i+1] = offs[i] + ps
		lay.partSize = max(lay.partSize, ps)
		if i < n-1 && ps != sizes[0] || i == n-1 && ps > sizes[0] {
			even = false
		}
	}
	if offs[n] != size {
		return layout{}, false
	}
	if !even {
		lay.offs = offs
	}
	return lay, true
}

// planLayout reproduces the source's part layout when the ETag says it was a multipart
// upload and the source names its parts' sizes (HEAD with partNumber), so the
// destination ETag equals the source's and later runs compare from listings alone.
// Every part's size is read (one HEAD per part but the first and last, in parallel):
// the first part's size alone cannot tell an even layout from one of unequal parts. A
// layout that cannot be read or reproduced gives the engine's own, and a copy whose
// ETag will differ from the source's (said in the log).
func (w *Worker) planLayout(ctx context.Context, jo JobObject, first objstore.Info) (layout, error) {
	maxPart := w.Opt.MaxMemory // streamed parts are buffered whole
	if w.serverS {
		maxPart = maxSinglePut
	}
	n := partsFromETag(jo.ETag)
	if n > 0 && first.PartSize > 0 && first.PartsCount == n {
		sizes, err := w.partSizes(ctx, jo, n, first.PartSize)
		if err != nil {
			return layout{}, err
		}
		if lay, ok := layoutOf(jo.Size, sizes, maxPart); ok {
			return lay, nil
		}
	}
	if n > 0 {
		w.Opt.Logger.Info("source part layout not reproduced: the copy's ETag will differ from the source's", "key", jo.Key,
			"parts", n, "first_part", first.PartSize)
	}
	if w.serverS {
		return defaultLayout(jo.Size, max(w.Opt.PartSize, serverPartSize)), nil
	}
	return defaultLayout(jo.Size, w.Opt.PartSize), nil
}

// partSizes reads the sizes of a multipart source's n parts: the first is known, the
// last is what the others leave, the ones between are asked for. A part that answers
// with another ETag means the source changed (ErrPrecondition).
func (w *Worker) partSizes(ctx context.Context, jo JobObject, n int, first int64) ([]int64, error) {
	sizes := make([]int64, n)
	sizes[0] = first
	if n > 2 {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			first error
		)
		slots := make(chan struct{}, min(w.Opt.Concurrency, 32))
		for i := 2; i < n && ctx.Err() == nil; i++ {
			slots <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-slots; wg.Done() }()
				info, err := w.Src.Head(ctx, jo.Key, i)
				switch {
				case err != nil:
					err = fmt.Errorf("size of part %d: %w", i, err)
				case jo.ETag != "" && info.ETag != "" && info.ETag != jo.ETag:
					err = fmt.Errorf("%w: %s has ETag %s, listed with %s", objstore.ErrPrecondition, jo.Key, info.ETag, jo.ETag)
				}
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
						cancel()
					}
					mu.Unlock()
					return
				}
				sizes[i-1] = info.PartSize
			}()
		}
		wg.Wait()
		if first != nil {
			return nil, first
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	var sum int64
	for _, s := range sizes[:n-1] {
		sum += s
	}
	if n > 1 {
		sizes[n-1] = jo.Size - sum
	}
	return sizes, nil
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
	lay, err := w.planLayout(ctx, jo, info)
	if err != nil {
		return multipartPlan{}, err
	}
	h := copyHeaders(info, jo)
	if err := w.withTags(ctx, jo.Key, info, &h); err != nil {
		return multipartPlan{}, err
	}
	return multipartPlan{jo: jo, lay: lay, srcOpaque: info.OpaqueETag(), info: info, part: part, h: h}, nil
}

// planChecksums decides whether streamed parts carry CRC-64/NVME checksums: when the
// source has a full-object one to check against or the destination keeps them
// (server-side copies move no data, so they carry none). Then it decides whether the
// copy carries the source ETag in its metadata (needsSrcETag).
func (w *Worker) planChecksums(ctx context.Context, p *multipartPlan) error {
	if !w.serverS {
		crc, err := w.sourceCRC(ctx, p.jo.Key, p.info, p.part)
		if err != nil {
			return err
		}
		p.srcCRC = crc
		p.withCRC = crc != "" || objstore.TakesChecksums(w.Dst)
	}
	if w.needsSrcETag(p.sameETag(w.dstOpaque())) {
		addSrcETag(p.h, p.jo.ETag)
	}
	return nil
}

// sameETag reports whether the plan's copy will have the source's ETag (dstOpaque: the
// destination's ETags are known to be opaque).
func (p multipartPlan) sameETag(dstOpaque bool) bool {
	return p.lay.reproduced && isMultipartETag(p.jo.ETag) && !p.srcOpaque && !dstOpaque
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

// partJob is the job of part i of the plan's upload; a layout of unequal parts names the
// part's own offset and length.
func (p multipartPlan) partJob(runID, uploadID string, i int) PartJob {
	pj := PartJob{Run: runID, Object: p.jo, UploadID: uploadID, Part: i, Parts: p.lay.n, PartSize: p.lay.partSize,
		SourceLayout: p.lay.reproduced, SourceOpaque: p.srcOpaque, CRC: p.withCRC, SourceCRC: p.srcCRC}
	if p.lay.offs != nil {
		pj.Offset, pj.Length = p.lay.off(i), p.lay.partLen(i)
	}
	return pj
}
