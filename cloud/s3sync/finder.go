package s3sync

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"

	"transferhub/cloud/objstore"
	"transferhub/cloud/queue"
	"transferhub/cloud/state"
)

const metaFinder = "s3finder"

// checkpointEvery is the number of keys handled between two checkpoints when no batch
// was sent meanwhile (a long run of skipped objects still makes progress durable).
const checkpointEvery = 5000

// finderCheckpoint is the finder's durable progress (Store meta), written after each
// batch it sends: a restarted finder continues after After instead of from the start.
type finderCheckpoint struct {
	Run    string         `json:"run"`
	After  string         `json:"after"`
	Done   bool           `json:"done"`
	Totals state.Counters `json:"totals"` // found/skipped added to the task so far
	Last   state.Counters `json:"last"`   // the last delta, re-added if it was lost
	Stats  FinderStats    `json:"stats"`
}

// FinderStats count what one finder run saw.
type FinderStats struct {
	Found, FoundBytes     int64
	Skipped, SkippedBytes int64
	Queued, QueuedBytes   int64
	Archived              int64
	Deleted               int64
	DeleteErrors          int64
	DeleteRefused         int64 // over Options.MaxDelete: not deleted
	Heads                 int64 // destination HEADs for ambiguous compares
	ListPages             int64
	Messages              int64
	// EstRequests estimates the S3 requests the copy will make (dry-run plans).
	EstRequests int64

	// --compare checksum: pairs compared by the full-object CRC-64/NVME both stores keep,
	// pairs compared by reading both sides' data, and the bytes read for them.
	ComparedChecksums, ComparedData, ComparedBytes int64
}

// Finder lists source and destination in key order, merges the two streams, compares
// each pair and sends the differences as job batches.
type Finder struct {
	Src, Dst objstore.Location
	Store    state.Store // nil for a dry run
	Queue    queue.Queue // nil for a dry run
	TaskID   string
	Opt      Options

	found, skipped, queued, archived     atomic.Int64
	deleted, deleteFailed, deleteRefused atomic.Int64

	wouldDelete     []string // a dry run's first deletions (PlannedDeletes)
	moreWouldDelete bool
}

// Deletions returns the destination objects deleted so far (--delete), the deletions
// that failed, and those not made because of Options.MaxDelete.
func (f *Finder) Deletions() (deleted, failed, refused int64) {
	return f.deleted.Load(), f.deleteFailed.Load(), f.deleteRefused.Load()
}

// Live returns counts so far (for progress while the store lags a checkpoint behind).
func (f *Finder) Live() (found, skipped, queued, archived int64) {
	return f.found.Load(), f.skipped.Load(), f.queued.Load(), f.archived.Load()
}

// finderRun is one run of a finder: what its steps share. Listing, comparing, batching,
// checkpointing and deleting are its methods.
type finderRun struct {
	f     *Finder
	runID string
	opt   Options
	m     *matcher
	dry   bool // nothing is sent, recorded or deleted

	ck      finderCheckpoint // durable progress: resumed, or new for this run
	stats   FinderStats
	delta   state.Counters // found/skipped since the last checkpoint
	lastKey string         // the last key handled: the next checkpoint covers it
	sinceCk int            // keys handled since the last checkpoint

	batch      Job   // the job batch being filled
	batchBytes int64 // its bytes
	archived   []state.Object
	// Deletions go out in batches; a checkpoint never covers a key whose deletion is
	// still pending.
	toDelete     []string
	batchDeletes bool // until the destination turns DeleteObjects down
	srcEnded     bool // the source listing has no more objects
}

// Run runs the finder for runID: it resumes from its checkpoint when it already worked
// on this run, and marks the finder done in the store at the end.
func (f *Finder) Run(ctx context.Context, runID string) (FinderStats, error) {
	opt := f.Opt.Defaults()
	m, err := newMatcher(opt.Selection)
	if err != nil {
		return FinderStats{}, err
	}
	r := &finderRun{f: f, runID: runID, opt: opt, m: m, batchDeletes: true,
		dry: opt.DryRun || f.Queue == nil || f.Store == nil}
	r.batch.Run = runID
	if !r.dry {
		done, err := r.resume(ctx)
		if err != nil {
			return FinderStats{}, err
		}
		if done {
			return r.ck.Stats, f.Store.FinishFinder(ctx, f.TaskID, runID)
		}
	}
	r.stats = r.ck.Stats
	f.found.Store(r.stats.Found)
	f.skipped.Store(r.stats.Skipped)
	f.queued.Store(r.stats.Queued)
	f.archived.Store(r.stats.Archived)

	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	src, dst, err := r.listings(lctx)
	if err != nil {
		return r.stats, err
	}
	if err := r.merge(ctx, src, dst); err != nil {
		return r.stats, err
	}
	return r.stats, r.finish(ctx)
}

// resume reads the checkpoint: one of this run is continued (done: the finder already
// finished it), any other is replaced by a new one.
func (r *finderRun) resume(ctx context.Context) (done bool, err error) {
	f := r.f
	raw, err := f.Store.GetMeta(ctx, f.TaskID, metaFinder)
	if err != nil {
		return false, fmt.Errorf("read finder checkpoint: %w", err)
	}
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), &r.ck); err != nil {
			return false, fmt.Errorf("read finder checkpoint: %w", err)
		}
	}
	if r.ck.Run != r.runID {
		r.ck = finderCheckpoint{Run: r.runID}
		return false, nil
	}
	if r.ck.Done {
		return true, nil
	}
	// The last counter delta may have been lost between the checkpoint and the add.
	t, err := f.Store.GetTask(ctx, f.TaskID)
	if err != nil {
		return false, fmt.Errorf("read task: %w", err)
	}
	if t.Counters.FoundObjects < r.ck.Totals.FoundObjects && !r.ck.Last.IsZero() {
		if err := f.Store.AddCounters(ctx, f.TaskID, r.runID, r.ck.Last); err != nil {
			return false, fmt.Errorf("restore finder counters: %w", err)
		}
	}
	r.opt.Logger.Info("finder resumes", "after", r.ck.After, "found", r.ck.Stats.Found)
	return false, nil
}

// listings plans both sides' segments at once (each probe is a round trip) and starts
// their ordered listings past the checkpoint.
func (r *finderRun) listings(ctx context.Context) (src, dst *stream, err error) {
	f, opt := r.f, r.opt
	plan := func(l objstore.Location) ([]segment, error) {
		return planSegments(ctx, l, r.m.prefixes, segmentPlan{want: opt.ListWorkers * 2, maxDepth: 3, workers: opt.ListWorkers, split: opt.SplitRanges})
	}
	var dstSegs []segment
	dstErr := make(chan error, 1)
	go func() {
		var err error
		dstSegs, err = plan(f.Dst)
		dstErr <- err
	}()
	srcSegs, err := plan(f.Src)
	if derr := <-dstErr; err == nil {
		err = derr
	}
	if err != nil {
		return nil, nil, err
	}
	if r.ck.After != "" {
		srcSegs, dstSegs = resumeSegments(srcSegs, r.ck.After), resumeSegments(dstSegs, r.ck.After)
	}
	return listOrdered(ctx, f.Src, srcSegs, opt.ListWorkers), listOrdered(ctx, f.Dst, dstSegs, opt.ListWorkers), nil
}

// merge walks both listings in key order: a key only at the source is new, one on both
// sides is compared, one only at the destination may be deleted.
func (r *finderRun) merge(ctx context.Context, src, dst *stream) error {
	s, sok := src.Next()
	d, dok := dst.Next()
	for sok || dok {
		if err := ctx.Err(); err != nil {
			return err
		}
		// lastKey is set before the handler: a checkpoint the handler writes covers the
		// key, whose job is sent (or whose outcome is recorded) by then.
		switch {
		case sok && (!dok || s.Key < d.Key):
			r.lastKey = s.Key
			if err := r.onSource(ctx, s, nil); err != nil {
				return err
			}
			s, sok = src.Next()
		case dok && (!sok || d.Key < s.Key):
			r.lastKey = d.Key
			r.srcEnded = !sok
			if err := r.onDestinationOnly(ctx, d); err != nil {
				return err
			}
			d, dok = dst.Next()
		default:
			r.lastKey = s.Key
			dd := d
			if err := r.onSource(ctx, s, &dd); err != nil {
				return err
			}
			s, sok = src.Next()
			d, dok = dst.Next()
		}
		r.sinceCk++
		if r.sinceCk >= checkpointEvery {
			if err := r.sendBatch(ctx); err != nil {
				return err
			}
		}
	}
	if err := src.Err(); err != nil {
		return fmt.Errorf("source listing: %w", err)
	}
	if err := dst.Err(); err != nil {
		return fmt.Errorf("destination listing: %w", err)
	}
	return nil
}

// finish sends the last batch, writes the final checkpoint and marks the finder done.
func (r *finderRun) finish(ctx context.Context) error {
	r.srcEnded = true
	if err := r.emptySource(); err != nil {
		return err
	}
	if err := r.sendBatch(ctx); err != nil {
		return err
	}
	r.stats.ListPages = (r.stats.Found+999)/1000 + 1
	r.stats.EstRequests += r.stats.ListPages * 2
	if r.opt.Compare == CompareChecksum {
		// Say how the content was compared: the two ways differ in cost and in what
		// they can see (a stored checksum is the store's word for its bytes).
		r.opt.Logger.Info("compare checksum: pairs of equal size compared",
			"by_stored_crc64nvme", r.stats.ComparedChecksums, "by_reading_both_sides", r.stats.ComparedData, "bytes_read", r.stats.ComparedBytes)
	}
	if err := r.checkpoint(ctx, true); err != nil {
		return err
	}
	if r.dry {
		return nil
	}
	if err := r.f.Store.FinishFinder(ctx, r.f.TaskID, r.runID); err != nil {
		return fmt.Errorf("finish finder: %w", err)
	}
	return nil
}

// onSource handles a source object; d is the destination object of the same key, if any.
func (r *finderRun) onSource(ctx context.Context, s objstore.Object, d *objstore.Object) error {
	if !r.m.matches(s) {
		return nil
	}
	tally(&r.stats.Found, &r.stats.FoundBytes, s.Size)
	tally(&r.delta.FoundObjects, &r.delta.FoundBytes, s.Size)
	r.f.found.Add(1)
	if s.Archived() {
		r.stats.Archived++
		r.f.archived.Add(1)
		if !r.dry {
			r.archived = append(r.archived, state.Object{Key: s.Key, Size: s.Size, ETag: s.ETag, LastModified: s.LastModified,
				Status: state.ItemSkipped, Error: fmt.Sprintf("archived in %s: restore it to copy it", s.StorageClass), RunID: r.runID})
		}
		return nil
	}
	if d != nil {
		differ, err := r.f.differs(ctx, r.opt.Compare, s, *d, &r.stats)
		if err != nil {
			return err
		}
		if !differ {
			tally(&r.stats.Skipped, &r.stats.SkippedBytes, s.Size)
			tally(&r.delta.SkippedObjects, &r.delta.SkippedBytes, s.Size)
			r.f.skipped.Add(1)
			return nil
		}
	}
	return r.enqueue(ctx, s)
}

// tally adds one object of size bytes to a count and its bytes (the run's statistics,
// and the counter delta that the next checkpoint adds to the task).
func tally(n, bytes *int64, size int64) {
	*n++
	*bytes += size
}

// enqueue adds o to the batch, sending the batch when it is full. A large object travels
// alone, so its message can be acknowledged on its own.
func (r *finderRun) enqueue(ctx context.Context, o objstore.Object) error {
	r.stats.Queued++
	r.stats.QueuedBytes += o.Size
	r.f.queued.Add(1)
	r.stats.EstRequests += estimateRequests(o, r.opt)
	jo := JobObject{Key: o.Key, Size: o.Size, ETag: o.ETag, MTime: o.LastModified}
	if o.Size >= r.opt.MultipartThreshold || isMultipartETag(o.ETag) {
		// The pending batch goes first: the checkpoint after it covers both.
		if err := r.sendBatch(ctx); err != nil {
			return err
		}
		r.batch.Objects, r.batchBytes = []JobObject{jo}, o.Size
		return r.sendBatch(ctx)
	}
	r.batch.Objects = append(r.batch.Objects, jo)
	r.batchBytes += o.Size
	if len(r.batch.Objects) >= r.opt.BatchObjects || r.batchBytes >= r.opt.BatchBytes {
		return r.sendBatch(ctx)
	}
	return nil
}

// sendBatch records the pending batch (if any) as queued, sends it and writes a
// checkpoint after it. The record comes first: a worker settles the batch's objects into
// it (in the DynamoDB store, one item per batch), and a finder that dies between the two
// sends the batch again, which keeps what was settled.
func (r *finderRun) sendBatch(ctx context.Context) error {
	if len(r.batch.Objects) > 0 {
		if !r.dry {
			body, err := EncodeJob(r.batch)
			if err != nil {
				return err
			}
			sent := make([]state.Object, len(r.batch.Objects))
			for i, o := range r.batch.Objects {
				// Key and size: the worker's record adds what it copied.
				// PENDING: queued. IN_PROGRESS means a worker is at it (a multipart upload's
				// intent or id), which a queued record must not claim.
				sent[i] = state.Object{Key: o.Key, Size: o.Size, Status: state.ItemPending, RunID: r.runID}
			}
			if err := r.f.Store.PutJob(ctx, r.f.TaskID, sent); err != nil {
				return fmt.Errorf("record job batch: %w", err)
			}
			if err := r.f.Queue.Send(ctx, body); err != nil {
				return fmt.Errorf("send job batch: %w", err)
			}
		}
		r.stats.Messages++
		r.batch.Objects, r.batchBytes = nil, 0
	}
	return r.checkpoint(ctx, false)
}

// checkpoint makes the progress up to lastKey durable: pending deletions and archived
// records first, then the checkpoint, then the counter delta it names (re-added on
// resume if it was lost).
func (r *finderRun) checkpoint(ctx context.Context, done bool) error {
	if r.dry || r.holdingDeletes() && !done {
		return nil // nothing to record yet; deletions wait for the first source object
	}
	f := r.f
	r.flushDeletes(ctx)
	if len(r.archived) > 0 {
		if err := f.Store.PutObjects(ctx, f.TaskID, r.archived); err != nil {
			return fmt.Errorf("record archived objects: %w", err)
		}
		r.archived = nil
	}
	r.ck.After, r.ck.Done, r.ck.Stats = r.lastKey, done, r.stats
	r.ck.Totals.Add(r.delta)
	r.ck.Last = r.delta
	raw, _ := json.Marshal(r.ck)
	if err := f.Store.SetMeta(ctx, f.TaskID, metaFinder, string(raw)); err != nil {
		return fmt.Errorf("write finder checkpoint: %w", err)
	}
	if !r.delta.IsZero() {
		if err := f.Store.AddCounters(ctx, f.TaskID, r.runID, r.delta); err != nil {
			return fmt.Errorf("add finder counters: %w", err)
		}
	}
	r.delta = state.Counters{}
	r.sinceCk = 0
	return nil
}

// estimateRequests is the S3 request count of copying o (for dry-run plans).
func estimateRequests(o objstore.Object, opt Options) int64 {
	if o.Size < opt.MultipartThreshold && !isMultipartETag(o.ETag) {
		return 2 // GET + PUT (or one CopyObject)
	}
	parts := (o.Size + opt.PartSize - 1) / opt.PartSize
	heads := int64(0)
	if n := partsFromETag(o.ETag); n > 0 {
		parts = int64(n)
		heads = max(0, parts-2) // the sizes of the source's parts between the first and the last
	}
	return 4 + heads + 2*parts // HEAD, list uploads, create, complete + GET/PUT per part
}
