package s3sync

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"transferhub/cloud/objstore"
	"transferhub/cloud/queue"
	"transferhub/cloud/state"
)

const (
	maxParts       = 10000
	maxSinglePut   = 5 << 30 // S3's limit for one PUT or CopyObject
	serverPartSize = 512 << 20
)

// Worker copies the objects of job messages and records each outcome in the store.
type Worker struct {
	Src, Dst objstore.Location
	Store    state.Store
	Queue    queue.Queue
	TaskID   string
	// RunID is the run whose jobs this worker takes; messages of other runs are dropped
	// (the current run's finder sends whatever is still missing).
	RunID string
	Opt   Options

	once    sync.Once
	lim     *limiter
	mem     *budget
	bufs    bufPool
	serverS bool

	// BytesSent counts bytes this worker read from the source and wrote to the
	// destination (zero for server-side copies).
	BytesSent atomic.Int64
	// BytesCopied counts bytes copied server-side (whole objects and parts).
	BytesCopied atomic.Int64

	pending atomic.Int64 // objects received by Serve and not yet finished
	// keyLocks serialises multipart copies of one key in this process (a job delivered
	// twice at once must not abort or complete the other delivery's upload).
	keyLocks sync.Map
	// srcOpaque: a source object was seen with SSE-KMS/SSE-C, so server-side copies from
	// it change ETags and carry the source ETag in metadata from the start.
	srcOpaque atomic.Bool
}

// dstOpaque reports whether the destination's ETags are known not to be MD5s of the
// content (SSE-KMS): ETag checks of what was written are then skipped, and Content-MD5,
// which the store checks on every write, is the integrity guard.
func (w *Worker) dstOpaque() bool {
	return objstore.OpaqueETags(w.Dst)
}

// wroteOther reports whether the destination answered a write of data with MD5 hexSum
// with an ETag that says the data is something else.
func (w *Worker) wroteOther(etag, hexSum string) bool {
	return isMD5ETag(etag) && !w.dstOpaque() && etag != hexSum
}

// expectETag is the multipart ETag the destination should give parts, "" when it cannot
// be known (a part ETag is not an MD5, or the destination's ETags are opaque).
func (w *Worker) expectETag(parts []objstore.Part) string {
	if w.dstOpaque() {
		return ""
	}
	return multipartETag(parts)
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

// wholeCRC combines the parts' checksums into the object's; false when a part has none.
func wholeCRC(parts []objstore.Part) (uint64, bool) {
	var crc uint64
	for i, p := range parts {
		c, ok := objstore.ParseCRC(p.CRC64NVME)
		if !ok {
			return 0, false
		}
		if i == 0 {
			crc = c
			continue
		}
		crc = objstore.CombineCRC64NVME(crc, c, p.Size)
	}
	return crc, len(parts) > 0
}

// errCRC is a copy whose data does not have the source's full-object checksum.
func errCRC(key string, got uint64, want string) error {
	return fmt.Errorf("copy of %s: data CRC-64/NVME %s does not match the source's %s", key, objstore.CRCString(got), want)
}

func (w *Worker) init() {
	w.once.Do(func() {
		w.Opt = w.Opt.Defaults()
		if w.lim == nil {
			w.lim = newLimiter(w.Opt.Concurrency)
		}
		w.mem = newBudget(w.Opt.MaxMemory)
		if w.Opt.Throttle != nil {
			w.Opt.Throttle.lim.Store(w.lim)
		}
		if c, ok := w.Dst.(objstore.ServerCopier); ok && w.Opt.ServerSide != ServerSideNever {
			w.serverS = c.CanCopyFrom(w.Src)
		}
	})
}

// Throttled tells the worker the service asked it to slow down (wire it to
// objstore.S3Config.OnThrottle).
func (w *Worker) Throttled() {
	w.init()
	w.lim.throttled()
}

// ServerSide reports whether copies run server-side.
func (w *Worker) ServerSide() bool { w.init(); return w.serverS }

// Serve receives and handles jobs until ctx ends or idle reports true while nothing is
// in flight (the local run stops when its finder is done and the queue is empty).
func (w *Worker) Serve(ctx context.Context, idle func(ctx context.Context) (bool, error)) error {
	w.init()
	var (
		wg      sync.WaitGroup
		errMu   sync.Mutex
		firstEr error
	)
	fail := func(err error) {
		errMu.Lock()
		if firstEr == nil {
			firstEr = err
		}
		errMu.Unlock()
	}
	defer wg.Wait()
	for ctx.Err() == nil {
		errMu.Lock()
		err := firstEr
		errMu.Unlock()
		if err != nil {
			return err
		}
		if w.pending.Load() >= int64(2*w.Opt.Concurrency) {
			time.Sleep(5 * time.Millisecond)
			continue
		}
		msgs, err := w.Queue.Receive(ctx, 1, w.Opt.JobVisibility, w.Opt.ReceiveWait)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			return fmt.Errorf("receive jobs: %w", err)
		}
		if len(msgs) == 0 {
			if w.pending.Load() == 0 && idle != nil {
				done, err := idle(ctx)
				if err != nil {
					return err
				}
				if done {
					break
				}
			}
			continue
		}
		for _, m := range msgs {
			job, err := DecodeJob(m.Body)
			if err != nil {
				// A message this build cannot read will never succeed: acknowledge it.
				w.Opt.Logger.Error("dropping unreadable job message", "id", m.ID, "err", err)
				if err := w.Queue.Delete(ctx, m); err != nil {
					return fmt.Errorf("delete job: %w", err)
				}
				continue
			}
			// Objects count as pending until each one finishes (not the whole job), so
			// the next job is taken while a job's last objects are still copying and
			// the transfers never drain between jobs.
			w.pending.Add(int64(len(job.Objects)))
			wg.Add(1)
			go func(m queue.Message, job Job) {
				defer wg.Done()
				if err := w.handle(ctx, m, job, true); err != nil && ctx.Err() == nil {
					fail(err)
				}
			}(m, job)
		}
	}
	wg.Wait()
	errMu.Lock()
	defer errMu.Unlock()
	if firstEr != nil {
		return firstEr
	}
	return ctx.Err()
}

// Handle copies the objects of one job, writes their records in one batch and then
// acknowledges the message. A redelivered or duplicated job does the same again: copies
// are overwrites with identical content and records are idempotent per run.
func (w *Worker) Handle(ctx context.Context, m queue.Message, job Job) error {
	return w.handle(ctx, m, job, false)
}

func (w *Worker) handle(ctx context.Context, m queue.Message, job Job, counted bool) error {
	w.init()
	var released atomic.Int64
	done := func() {
		if counted {
			released.Add(1)
			w.pending.Add(-1)
		}
	}
	if counted {
		defer func() { w.pending.Add(released.Load() - int64(len(job.Objects))) }()
	}
	if w.RunID != "" && job.Run != w.RunID {
		return w.Queue.Delete(ctx, m)
	}
	hbCtx, stopHB := context.WithCancel(ctx)
	defer stopHB()
	go func() {
		t := time.NewTicker(w.Opt.JobVisibility / 3)
		defer t.Stop()
		for {
			select {
			case <-hbCtx.Done():
				return
			case <-t.C:
				if err := w.Queue.Extend(hbCtx, m, w.Opt.JobVisibility); err != nil && hbCtx.Err() == nil {
					w.Opt.Logger.Warn("extend job visibility", "err", err)
				}
			}
		}
	}()
	recs, _ := w.copyAll(ctx, job.Run, job.Objects, done)
	if ctx.Err() != nil {
		// Stopped mid-job: the message comes back after its visibility timeout.
		return ctx.Err()
	}
	if err := w.Store.PutObjects(ctx, w.TaskID, recs); err != nil {
		return fmt.Errorf("record %d objects: %w", len(recs), err)
	}
	stopHB()
	if err := w.Queue.Delete(ctx, m); err != nil {
		return fmt.Errorf("acknowledge job: %w", err)
	}
	return nil
}

// copyAll copies objs and returns their records and errors (see copyObject), calling
// done after each object. A few long-lived goroutines take the objects in turn: their
// stacks, grown deep by the SDK once, are reused instead of grown again for every object.
func (w *Worker) copyAll(ctx context.Context, runID string, objs []JobObject, done func()) ([]state.Object, []error) {
	recs := make([]state.Object, len(objs))
	errs := make([]error, len(objs))
	var wg sync.WaitGroup
	var next atomic.Int64
	for g := 0; g < min(len(objs), w.Opt.Concurrency); g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(objs) {
					return
				}
				recs[i], errs[i] = w.copyObject(ctx, runID, objs[i])
				if done != nil {
					done()
				}
			}
		}()
	}
	wg.Wait()
	return recs, errs
}

// copyObject copies one object with retries and returns its record and the last error
// (nil when the record is DONE or SKIPPED).
func (w *Worker) copyObject(ctx context.Context, runID string, jo JobObject) (state.Object, error) {
	rec := state.Object{Key: jo.Key, Size: jo.Size, ETag: jo.ETag, LastModified: jo.MTime, RunID: runID}
	var err error
	var c copied
	for attempt := 1; attempt <= w.Opt.Attempts; attempt++ {
		rec.Attempts = attempt
		c, err = w.copyOnce(ctx, runID, jo)
		if err == nil || ctx.Err() != nil || errors.Is(err, objstore.ErrNotFound) && !errors.Is(err, errDestination) || errors.Is(err, objstore.ErrPrecondition) || isPermanent(err) {
			break
		}
		w.Opt.Logger.Warn("copy failed, retrying", "key", jo.Key, "attempt", attempt, "err", err)
		select {
		case <-time.After(time.Duration(attempt) * 300 * time.Millisecond):
		case <-ctx.Done():
		}
	}
	switch {
	case err == nil:
		rec.Status, rec.DestETag, rec.Checksum = state.ItemDone, c.etag, c.checksum
		w.Opt.Logger.Debug("copied", "key", jo.Key, "size", jo.Size)
	case errors.Is(err, objstore.ErrNotFound) && !errors.Is(err, errDestination):
		rec.Status, rec.Error = state.ItemSkipped, "source object no longer exists"
	default:
		rec.Status, rec.Error = state.ItemFailed, err.Error()
		w.Opt.Logger.Error("copy failed", "key", jo.Key, "err", err)
		if ctx.Err() == nil && (jo.Size > w.Opt.MultipartThreshold || isMultipartETag(jo.ETag)) {
			// A failed object keeps no open upload behind (the next run starts afresh).
			if ups, lerr := w.Dst.ListUploads(ctx, jo.Key); lerr == nil {
				for _, u := range ups {
					_ = w.Dst.AbortUpload(ctx, jo.Key, u.ID)
				}
			}
		}
	}
	if rec.Status != state.ItemFailed {
		return rec, nil
	}
	return rec, err
}

var errDestination = errors.New("destination")

// errPermanent marks failures a retry cannot fix (bad key for the destination, data
// that does not match its ETag twice).
type errPermanent struct{ error }

func (e errPermanent) Unwrap() error { return e.error }

func isPermanent(err error) bool {
	var p errPermanent
	return errors.As(err, &p) || errors.Is(err, objstore.ErrInvalidKey)
}

// copied is what a copy made: the destination ETag and, when it was computed, the
// content's full-object checksum ("CRC64NVME:<base64>", equal to the source's where it
// has one).
type copied struct{ etag, checksum string }

// crcPrefix marks a record's checksum as CRC-64/NVME (state's Checksum fields are "ALGO:value").
const crcPrefix = "CRC64NVME:"

// crcChecksum is a record's checksum for crc.
func crcChecksum(crc uint64) string { return partChecksum(objstore.CRCString(crc)) }

// partChecksum is a record's checksum for a base64 CRC-64/NVME ("" for none).
func partChecksum(crc string) string {
	if crc == "" {
		return ""
	}
	return crcPrefix + crc
}

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
	// withSrcETag copies the headers and records the source ETag: the copy's ETag differs
	// from the source's when either side uses SSE-KMS, and later runs compare through it.
	withSrcETag := func() (*objstore.Headers, error) {
		info, err := w.Src.Head(ctx, jo.Key, 0)
		if err != nil {
			return nil, err
		}
		if info.OpaqueETag() {
			w.srcOpaque.Store(true)
		}
		h := copyHeaders(info, jo)
		addSrcETag(h, jo.ETag)
		return &h, nil
	}
	var h *objstore.Headers
	if jo.ETag != "" && (w.dstOpaque() || w.srcOpaque.Load()) {
		var err error
		if h, err = withSrcETag(); err != nil {
			return "", err
		}
	}
	etag, err := sc.CopyObject(ctx, w.Src, jo.Key, jo.ETag, jo.Key, h)
	if err != nil {
		return "", err
	}
	w.BytesCopied.Add(jo.Size)
	if h != nil || !isMD5ETag(jo.ETag) || etag == jo.ETag {
		return etag, nil
	}
	// A plain copy keeps the ETag unless encryption makes it opaque on either side.
	if h, err = withSrcETag(); err != nil {
		return "", fmt.Errorf("check copy of %s: %w", jo.Key, err)
	}
	if !w.srcOpaque.Load() && !w.dstOpaque() && isMD5ETag(etag) {
		_ = w.Dst.Delete(ctx, jo.Key)
		return "", fmt.Errorf("server-side copy of %s produced ETag %s, the source has %s: copy removed", jo.Key, etag, jo.ETag)
	}
	// Copy again, now with the source ETag in metadata.
	if etag, err = sc.CopyObject(ctx, w.Src, jo.Key, jo.ETag, jo.Key, h); err != nil {
		return "", err
	}
	return etag, nil
}

// maxUserMetadata is S3's limit on user metadata (keys and values, in bytes).
const maxUserMetadata = 2048

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
	_, err = io.ReadFull(rc, buf)
	if err == nil {
		err = expectEOF(rc)
	}
	rc.Close()
	if err != nil {
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
	addSrcETag(h, jo.ETag)
	etag, err := w.Dst.Put(ctx, jo.Key, buf, sums, h)
	if err != nil {
		return copied{}, markDst(err)
	}
	w.BytesSent.Add(jo.Size)
	if w.wroteOther(etag, hexSum) {
		_ = w.Dst.Delete(ctx, jo.Key)
		return copied{}, fmt.Errorf("write %s: destination ETag %s does not match the data MD5 %s: copy removed", jo.Key, etag, hexSum)
	}
	return copied{etag, checksum}, nil
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
	if errors.Is(err, objstore.ErrNotFound) {
		return fmt.Errorf("%w: %w", errDestination, err)
	}
	return err
}

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

// multipart copies an object in parts, resuming the upload a crashed or interrupted
// attempt left open (its id is in the store; ListParts says which parts arrived).
func (w *Worker) multipart(ctx context.Context, runID string, jo JobObject) (copied, error) {
	keyLock, _ := w.keyLocks.LoadOrStore(jo.Key, &sync.Mutex{})
	keyLock.(*sync.Mutex).Lock()
	defer keyLock.(*sync.Mutex).Unlock()
	part := 0
	if isMultipartETag(jo.ETag) {
		part = 1
	}
	info, err := w.Src.Head(ctx, jo.Key, part)
	if err != nil {
		return copied{}, err
	}
	if jo.ETag != "" && info.ETag != "" && info.ETag != jo.ETag {
		return copied{}, fmt.Errorf("%w: %s has ETag %s, listed with %s", objstore.ErrPrecondition, jo.Key, info.ETag, jo.ETag)
	}
	lay := w.planLayout(jo, info)
	if lay.reproduced && isMultipartETag(jo.ETag) {
		// Copied meanwhile (a duplicate delivery finished first): one HEAD saves a copy.
		if d, err := w.Dst.Head(ctx, jo.Key, 0); err == nil && d.ETag == jo.ETag && d.Size == jo.Size {
			return copied{etag: d.ETag}, nil
		}
	}
	h := copyHeaders(info, jo)
	addSrcETag(h, jo.ETag)
	// Streamed parts carry CRC-64/NVME checksums when the source has a full-object one to
	// check against or the destination keeps them (server-side copies move no data).
	srcCRC := ""
	if !w.serverS {
		if srcCRC, err = w.sourceCRC(ctx, jo.Key, info, part); err != nil {
			return copied{}, err
		}
	}
	withCRC := !w.serverS && (srcCRC != "" || objstore.TakesChecksums(w.Dst))

	rec, err := w.Store.GetObject(ctx, w.TaskID, jo.Key)
	if err != nil && !errors.Is(err, state.ErrNotFound) {
		return copied{}, fmt.Errorf("read record of %s: %w", jo.Key, err)
	}
	if rec.Status == state.ItemDone && (rec.RunID == runID || rec.RunID == "") && rec.ETag == jo.ETag && rec.Size == jo.Size && rec.DestETag != "" {
		return copied{rec.DestETag, rec.Checksum}, nil // a duplicate delivery of a finished job
	}
	uploads, err := w.Dst.ListUploads(ctx, jo.Key)
	if err != nil {
		return copied{}, markDst(err)
	}
	uploadID := ""
	if rec.UploadID != "" && rec.ETag == jo.ETag && rec.Size == jo.Size && rec.PartsTotal == lay.n {
		for _, u := range uploads {
			if u.ID == rec.UploadID {
				uploadID = u.ID
			}
		}
	}
	for _, u := range uploads {
		if u.ID != uploadID {
			// Left by an earlier attempt that never recorded it (or for another version
			// of the source): nobody will complete it.
			if err := w.Dst.AbortUpload(ctx, jo.Key, u.ID); err != nil {
				return copied{}, markDst(err)
			}
		}
	}
	done := map[int]objstore.Part{}
	if uploadID != "" {
		parts, err := w.Dst.ListParts(ctx, jo.Key, uploadID)
		if err != nil {
			return copied{}, markDst(err)
		}
		for _, p := range parts {
			if p.Number >= 1 && p.Number <= lay.n && p.Size == lay.partLen(p.Number) && p.ETag != "" {
				done[p.Number] = p
			}
		}
		w.Opt.Logger.Info("resuming multipart upload", "key", jo.Key, "parts_done", len(done), "parts", lay.n)
	} else {
		uploadID, err = w.Dst.CreateUpload(ctx, jo.Key, h, withCRC)
		if err != nil {
			return copied{}, markDst(err)
		}
		w.Opt.Logger.Debug("multipart upload opened", "key", jo.Key, "upload", uploadID, "record", string(rec.Status), "recorded_upload", rec.UploadID)
		err = w.Store.PutObjects(ctx, w.TaskID, []state.Object{{Key: jo.Key, Size: jo.Size, ETag: jo.ETag, LastModified: jo.MTime,
			Status: state.ItemInProgress, UploadID: uploadID, PartsTotal: lay.n, RunID: runID}})
		if err != nil {
			_ = w.Dst.AbortUpload(ctx, jo.Key, uploadID)
			return copied{}, fmt.Errorf("record upload of %s: %w", jo.Key, err)
		}
	}

	parts := make([]objstore.Part, lay.n)
	var (
		wg           sync.WaitGroup
		mu           sync.Mutex
		perr         error
		pctx, cancel = context.WithCancel(ctx)
	)
	defer cancel()
	for i := 1; i <= lay.n; i++ {
		if p, ok := done[i]; ok {
			parts[i-1] = p
			continue
		}
		if err := w.lim.acquire(pctx); err != nil {
			break
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer w.lim.release()
			p, err := w.copyPart(pctx, jo, uploadID, lay, i, withCRC)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if perr == nil {
					perr = err
					cancel()
				}
				return
			}
			parts[i-1] = p
		}(i)
	}
	wg.Wait()
	if perr == nil && ctx.Err() != nil {
		perr = ctx.Err()
	}
	if perr != nil {
		if errors.Is(perr, objstore.ErrPrecondition) || errors.Is(perr, objstore.ErrNotFound) && !errors.Is(perr, errDestination) {
			// The source changed or vanished: this upload can never be completed.
			_ = w.Dst.AbortUpload(context.WithoutCancel(ctx), jo.Key, uploadID)
		}
		return copied{}, perr
	}

	expect := w.expectETag(parts)
	if lay.reproduced && isMultipartETag(jo.ETag) && !info.OpaqueETag() && expect != "" && expect != jo.ETag {
		_ = w.Dst.AbortUpload(ctx, jo.Key, uploadID)
		return copied{}, fmt.Errorf("copy of %s: parts give ETag %s, the source has %s: upload aborted", jo.Key, expect, jo.ETag)
	}
	var full objstore.Sums
	checksum := ""
	if crc, ok := wholeCRC(parts); ok && withCRC {
		if srcCRC != "" && objstore.CRCString(crc) != srcCRC {
			_ = w.Dst.AbortUpload(ctx, jo.Key, uploadID)
			return copied{}, fmt.Errorf("%w: upload aborted", errCRC(jo.Key, crc, srcCRC))
		}
		full.CRC64NVME, checksum = objstore.CRCBytes(crc), crcChecksum(crc)
	}
	etag, err := w.Dst.CompleteUpload(ctx, jo.Key, uploadID, parts, full)
	if err != nil {
		return copied{}, markDst(err)
	}
	if expect != "" && isMultipartETag(etag) && etag != expect {
		_ = w.Dst.Delete(ctx, jo.Key)
		return copied{}, fmt.Errorf("copy of %s: destination ETag %s, expected %s: copy removed", jo.Key, etag, expect)
	}
	return copied{etag, checksum}, nil
}

// multipartETag is S3's multipart ETag of the parts: MD5 of the part MD5s, "-N"; "" when
// a part ETag is not an MD5 (KMS-encrypted destinations).
func multipartETag(parts []objstore.Part) string {
	h := md5.New()
	for _, p := range parts {
		b, err := hex.DecodeString(p.ETag)
		if err != nil || len(b) != md5.Size {
			return ""
		}
		h.Write(b)
	}
	return fmt.Sprintf("%s-%d", hex.EncodeToString(h.Sum(nil)), len(parts))
}

// copyPart moves one part, server-side or through a pooled buffer, with a few tries;
// withCRC computes the part's CRC-64/NVME (streamed parts only).
func (w *Worker) copyPart(ctx context.Context, jo JobObject, uploadID string, lay layout, i int, withCRC bool) (objstore.Part, error) {
	off, n := lay.off(i), lay.partLen(i)
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
		if ctx.Err() != nil || errors.Is(err, objstore.ErrPrecondition) || errors.Is(err, objstore.ErrNotFound) {
			break
		}
		select {
		case <-time.After(time.Duration(try) * 500 * time.Millisecond):
		case <-ctx.Done():
		}
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
	_, err = io.ReadFull(rc, buf)
	if err == nil {
		err = expectEOF(rc)
	}
	rc.Close()
	if err != nil {
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

// Sweep aborts the open uploads of objects left IN_PROGRESS (their job failed for good or
// their source vanished): nobody will complete them.
func (w *Worker) Sweep(ctx context.Context) error {
	w.init()
	after := ""
	for {
		page, err := w.Store.ListObjects(ctx, w.TaskID, state.ListOptions{Status: state.ItemInProgress, After: after, Limit: 500})
		if err != nil {
			return fmt.Errorf("list objects in progress: %w", err)
		}
		for _, o := range page.Items {
			ups, err := w.Dst.ListUploads(ctx, o.Key)
			if err != nil {
				return err
			}
			for _, u := range ups {
				if err := w.Dst.AbortUpload(ctx, o.Key, u.ID); err != nil {
					return err
				}
			}
		}
		if page.Next == "" {
			return nil
		}
		after = page.Next
	}
}
