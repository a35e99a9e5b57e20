package s3sync

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"transferhub/cloud/objstore"
	"transferhub/cloud/queue"
	"transferhub/cloud/state"
)

// Metadata keys the engine writes on copies whose ETag cannot equal the source's (the
// source layout could not be reproduced, or the destination encrypts with KMS), so later
// runs still decide without reading data.
const (
	MetaSrcETag  = "thub-src-etag"
	MetaSrcMTime = "thub-src-mtime"
)

const metaFinder = "s3finder"

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
	Heads                 int64 // destination HEADs for ambiguous compares
	ListPages             int64
	Messages              int64
	// EstRequests estimates the S3 requests the copy will make (dry-run plans).
	EstRequests int64
}

// Finder lists source and destination in key order, merges the two streams, compares
// each pair and sends the differences as job batches.
type Finder struct {
	Src, Dst objstore.Location
	Store    state.Store // nil for a dry run
	Queue    queue.Queue // nil for a dry run
	TaskID   string
	Opt      Options

	found, skipped, queued, archived atomic.Int64
	deleted, deleteFailed            atomic.Int64
}

// Deletions returns the destination objects deleted so far (--delete) and the deletions
// that failed.
func (f *Finder) Deletions() (deleted, failed int64) { return f.deleted.Load(), f.deleteFailed.Load() }

// Live returns counts so far (for progress while the store lags a checkpoint behind).
func (f *Finder) Live() (found, skipped, queued, archived int64) {
	return f.found.Load(), f.skipped.Load(), f.queued.Load(), f.archived.Load()
}

// Run runs the finder for runID: it resumes from its checkpoint when it already worked
// on this run, and marks the finder done in the store at the end.
func (f *Finder) Run(ctx context.Context, runID string) (FinderStats, error) {
	opt := f.Opt.Defaults()
	m, err := newMatcher(opt.Selection)
	if err != nil {
		return FinderStats{}, err
	}
	dry := opt.DryRun || f.Queue == nil || f.Store == nil
	var ck finderCheckpoint
	if !dry {
		raw, err := f.Store.GetMeta(ctx, f.TaskID, metaFinder)
		if err != nil {
			return FinderStats{}, fmt.Errorf("read finder checkpoint: %w", err)
		}
		if raw != "" {
			if err := json.Unmarshal([]byte(raw), &ck); err != nil {
				return FinderStats{}, fmt.Errorf("read finder checkpoint: %w", err)
			}
		}
		if ck.Run != runID {
			ck = finderCheckpoint{Run: runID}
		} else {
			if ck.Done {
				return ck.Stats, f.Store.FinishFinder(ctx, f.TaskID, runID)
			}
			// The last counter delta may have been lost between the checkpoint and the add.
			t, err := f.Store.GetTask(ctx, f.TaskID)
			if err != nil {
				return FinderStats{}, fmt.Errorf("read task: %w", err)
			}
			if t.Counters.FoundObjects < ck.Totals.FoundObjects && !ck.Last.IsZero() {
				if err := f.Store.AddCounters(ctx, f.TaskID, runID, ck.Last); err != nil {
					return FinderStats{}, fmt.Errorf("restore finder counters: %w", err)
				}
			}
			opt.Logger.Info("finder resumes", "after", ck.After, "found", ck.Stats.Found)
		}
	}
	stats := ck.Stats
	f.found.Store(stats.Found)
	f.skipped.Store(stats.Skipped)
	f.queued.Store(stats.Queued)
	f.archived.Store(stats.Archived)

	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Both sides are planned at once: each probe is a round trip.
	var dstSegs []segment
	dstErr := make(chan error, 1)
	go func() {
		var err error
		dstSegs, err = planSegments(lctx, f.Dst, m.prefixes, opt.ListWorkers*2, 3, opt.ListWorkers, opt.SplitRanges)
		dstErr <- err
	}()
	srcSegs, err := planSegments(lctx, f.Src, m.prefixes, opt.ListWorkers*2, 3, opt.ListWorkers, opt.SplitRanges)
	if derr := <-dstErr; err == nil {
		err = derr
	}
	if err != nil {
		return stats, err
	}
	if ck.After != "" {
		srcSegs, dstSegs = resumeSegments(srcSegs, ck.After), resumeSegments(dstSegs, ck.After)
	}
	src := listOrdered(lctx, f.Src, srcSegs, opt.ListWorkers)
	dst := listOrdered(lctx, f.Dst, dstSegs, opt.ListWorkers)

	batchDeletes := true // until the destination turns DeleteObjects down
	var (
		batch      Job
		batchBytes int64
		delta      state.Counters
		archived   []state.Object
		sinceCk    int
		lastKey    string
	)
	batch.Run = runID
	// Deletions go out in batches; a checkpoint never covers a key whose deletion is
	// still pending.
	var toDelete []string
	flushDeletes := func() {
		deleted, failed := deleteKeys(ctx, f.Dst, toDelete, &batchDeletes, opt.Logger)
		stats.Deleted += deleted
		stats.DeleteErrors += failed
		f.deleted.Add(deleted)
		f.deleteFailed.Add(failed)
		toDelete = toDelete[:0]
	}
	checkpoint := func(done bool) error {
		if dry {
			return nil
		}
		flushDeletes()
		if len(archived) > 0 {
			if err := f.Store.PutObjects(ctx, f.TaskID, archived); err != nil {
				return fmt.Errorf("record archived objects: %w", err)
			}
			archived = nil
		}
		ck.After, ck.Done, ck.Stats = lastKey, done, stats
		ck.Totals.Add(delta)
		ck.Last = delta
		raw, _ := json.Marshal(ck)
		if err := f.Store.SetMeta(ctx, f.TaskID, metaFinder, string(raw)); err != nil {
			return fmt.Errorf("write finder checkpoint: %w", err)
		}
		if !delta.IsZero() {
			if err := f.Store.AddCounters(ctx, f.TaskID, runID, delta); err != nil {
				return fmt.Errorf("add finder counters: %w", err)
			}
		}
		delta = state.Counters{}
		sinceCk = 0
		return nil
	}
	flush := func() error {
		if len(batch.Objects) > 0 {
			if !dry {
				body, err := EncodeJob(batch)
				if err != nil {
					return err
				}
				if err := f.Queue.Send(ctx, body); err != nil {
					return fmt.Errorf("send job batch: %w", err)
				}
			}
			stats.Messages++
			batch.Objects, batchBytes = nil, 0
		}
		return checkpoint(false)
	}
	enqueue := func(o objstore.Object) error {
		stats.Queued++
		stats.QueuedBytes += o.Size
		f.queued.Add(1)
		stats.EstRequests += estimateRequests(o, opt)
		jo := JobObject{Key: o.Key, Size: o.Size, ETag: o.ETag, MTime: o.LastModified}
		if o.Size >= opt.MultipartThreshold || isMultipartETag(o.ETag) {
			// A large object travels alone, so its message can be acknowledged on its own.
			// The pending batch goes first: the checkpoint after it covers both.
			if err := flush(); err != nil {
				return err
			}
			batch.Objects, batchBytes = []JobObject{jo}, o.Size
			return flush()
		}
		batch.Objects = append(batch.Objects, jo)
		batchBytes += o.Size
		if len(batch.Objects) >= opt.BatchObjects || batchBytes >= opt.BatchBytes {
			return flush()
		}
		return nil
	}
	onSrc := func(s objstore.Object, d *objstore.Object) error {
		if !m.matches(s) {
			return nil
		}
		stats.Found++
		stats.FoundBytes += s.Size
		f.found.Add(1)
		delta.FoundObjects++
		delta.FoundBytes += s.Size
		if s.Archived() {
			stats.Archived++
			f.archived.Add(1)
			if !dry {
				archived = append(archived, state.Object{Key: s.Key, Size: s.Size, ETag: s.ETag, LastModified: s.LastModified,
					Status: state.ItemSkipped, Error: fmt.Sprintf("archived in %s: restore it to copy it", s.StorageClass), RunID: runID})
			}
			return nil
		}
		copyIt := true
		if d != nil {
			differ, err := f.differs(ctx, opt.Compare, s, *d, &stats)
			if err != nil {
				return err
			}
			copyIt = differ
		}
		if !copyIt {
			stats.Skipped++
			stats.SkippedBytes += s.Size
			f.skipped.Add(1)
			delta.SkippedObjects++
			delta.SkippedBytes += s.Size
			return nil
		}
		return enqueue(s)
	}
	onDst := func(d objstore.Object) error {
		if !opt.Delete || !m.keyMatches(d.Key) {
			return nil
		}
		if dry {
			stats.Deleted++
			if stats.Deleted%deleteBatch == 1 {
				stats.EstRequests++
			}
			return nil
		}
		toDelete = append(toDelete, d.Key)
		if len(toDelete) >= deleteBatch {
			flushDeletes()
		}
		return nil
	}

	s, sok := src.Next()
	d, dok := dst.Next()
	for sok || dok {
		if err := ctx.Err(); err != nil {
			return stats, err
		}
		switch {
		// lastKey is set before the handler: a checkpoint the handler writes covers the
		// key, whose job is sent (or whose outcome is recorded) by then.
		case sok && (!dok || s.Key < d.Key):
			lastKey = s.Key
			if err := onSrc(s, nil); err != nil {
				return stats, err
			}
			s, sok = src.Next()
		case dok && (!sok || d.Key < s.Key):
			lastKey = d.Key
			if err := onDst(d); err != nil {
				return stats, err
			}
			d, dok = dst.Next()
		default:
			lastKey = s.Key
			dd := d
			if err := onSrc(s, &dd); err != nil {
				return stats, err
			}
			s, sok = src.Next()
			d, dok = dst.Next()
		}
		sinceCk++
		if sinceCk >= 5000 {
			if err := flush(); err != nil {
				return stats, err
			}
		}
	}
	if err := src.Err(); err != nil {
		return stats, fmt.Errorf("source listing: %w", err)
	}
	if err := dst.Err(); err != nil {
		return stats, fmt.Errorf("destination listing: %w", err)
	}
	if err := flush(); err != nil {
		return stats, err
	}
	stats.ListPages = (stats.Found+999)/1000 + 1
	stats.EstRequests += stats.ListPages * 2
	if err := checkpoint(true); err != nil {
		return stats, err
	}
	if !dry {
		if err := f.Store.FinishFinder(ctx, f.TaskID, runID); err != nil {
			return stats, fmt.Errorf("finish finder: %w", err)
		}
	}
	return stats, nil
}

// resumeSegments drops what lies at or before after and starts the segment holding it
// just past it.
func resumeSegments(segs []segment, after string) []segment {
	var out []segment
	for _, s := range segs {
		if !s.list {
			var objs []objstore.Object
			for _, o := range s.objs {
				if o.Key > after {
					objs = append(objs, o)
				}
			}
			if len(objs) > 0 {
				out = append(out, segment{objs: objs})
			}
			continue
		}
		if s.bounded {
			// A StartAfter range (s.after, s.until]: drop it when done, else start past
			// the checkpoint.
			switch {
			case after >= s.until:
			case after > s.after:
				s.after = after
				out = append(out, s)
			default:
				out = append(out, s)
			}
			continue
		}
		switch {
		case strings.HasPrefix(after, s.flat):
			s.after = max(s.after, after)
			out = append(out, s)
		case s.flat > after:
			out = append(out, s)
		}
	}
	return out
}

func isMultipartETag(etag string) bool { return strings.Contains(etag, "-") }

func isMD5ETag(etag string) bool {
	if len(etag) != 32 {
		return false
	}
	_, err := hex.DecodeString(etag)
	return err == nil
}

func metaValue(md map[string]string, name string) string {
	for k, v := range md {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// differs decides whether the destination object d is not yet a copy of s.
func (f *Finder) differs(ctx context.Context, mode CompareMode, s, d objstore.Object, stats *FinderStats) (bool, error) {
	switch mode {
	case CompareNone:
		return true, nil
	case CompareSize:
		return s.Size != d.Size, nil
	}
	if s.Size != d.Size {
		return true, nil
	}
	if mode == CompareChecksum {
		a, err := contentMD5(ctx, f.Src, s)
		if err != nil {
			return false, err
		}
		b, err := contentMD5(ctx, f.Dst, d)
		if err != nil {
			return false, err
		}
		return a != b, nil
	}
	switch {
	case s.ETag != "" && s.ETag == d.ETag:
		return false, nil
	case s.ETag == "" && d.ETag == "":
		// Local to local: the copy carries the source's modification time.
		return !sameSecond(s.LastModified, d.LastModified), nil
	case s.ETag == "":
		// Local file to S3: a copy written after the file last changed is current.
		return d.LastModified.Before(s.LastModified.Truncate(time.Second)), nil
	case d.ETag == "":
		// S3 to a local file: the copy carries the source's LastModified.
		return !sameSecond(s.LastModified, d.LastModified), nil
	}
	// Both have ETags and they differ: the copy may still be ours, with a part layout that
	// could not be reproduced or under SSE-KMS (opaque ETags). Our record of the copy says
	// so without a request; else the copy's metadata names the source ETag.
	if f.Store != nil {
		rec, err := f.Store.GetObject(ctx, f.TaskID, d.Key)
		if err == nil && rec.Status == state.ItemDone && rec.ETag == s.ETag && rec.Size == s.Size && rec.DestETag == d.ETag {
			return false, nil
		}
	}
	stats.Heads++
	info, err := f.Dst.Head(ctx, d.Key, 0)
	if errors.Is(err, objstore.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("compare %s: %w", d.Key, err)
	}
	return metaValue(info.Metadata, MetaSrcETag) != s.ETag, nil
}

func sameSecond(a, b time.Time) bool {
	d := a.Sub(b)
	return d > -time.Second && d < time.Second
}

// contentMD5 returns the MD5 of an object's content: the ETag where it is one, else the
// digest of the data read in full.
func contentMD5(ctx context.Context, l objstore.Location, o objstore.Object) (string, error) {
	if isMD5ETag(o.ETag) {
		return o.ETag, nil
	}
	rc, _, err := l.Get(ctx, o.Key, 0, -1, "")
	if err != nil {
		return "", fmt.Errorf("checksum %s: %w", o.Key, err)
	}
	defer rc.Close()
	h := md5.New()
	if _, err := io.Copy(h, rc); err != nil {
		return "", fmt.Errorf("checksum %s: %w", o.Key, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// estimateRequests is the S3 request count of copying o (for dry-run plans).
func estimateRequests(o objstore.Object, opt Options) int64 {
	if o.Size < opt.MultipartThreshold && !isMultipartETag(o.ETag) {
		return 2 // GET + PUT (or one CopyObject)
	}
	parts := (o.Size + opt.PartSize - 1) / opt.PartSize
	if n := partsFromETag(o.ETag); n > 0 {
		parts = int64(n)
	}
	return 4 + 2*parts // HEAD, list uploads, create, complete + GET/PUT per part
}

func partsFromETag(etag string) int {
	i := strings.LastIndexByte(etag, '-')
	if i < 0 {
		return 0
	}
	n := 0
	fmt.Sscan(etag[i+1:], &n)
	return n
}

// deleteBatch is the most keys S3's DeleteObjects takes at once.
const deleteBatch = 1000

// deleteKeys deletes keys at dst, in one request where the destination can, and returns
// how many were deleted and how many failed (each failure logged). A destination that
// refuses the batch request as a whole (some S3-compatible stores lack it) gets one
// request per key from then on (*batch turns false).
func deleteKeys(ctx context.Context, dst objstore.Location, keys []string, batch *bool, log *slog.Logger) (deleted, failed int64) {
	if len(keys) == 0 {
		return 0, 0
	}
	if bd, ok := dst.(objstore.KeysDeleter); ok && *batch {
		errs, err := bd.DeleteKeys(ctx, keys)
		if err == nil {
			for _, k := range keys {
				if e, bad := errs[k]; bad {
					failed++
					log.Warn("delete failed", "key", k, "err", e)
				} else {
					deleted++
				}
			}
			return deleted, failed
		}
		if ctx.Err() != nil {
			return 0, int64(len(keys))
		}
		log.Warn("batch delete refused; deleting one key per request", "err", err)
		*batch = false
	}
	for _, k := range keys {
		if err := dst.Delete(ctx, k); err != nil && !errors.Is(err, objstore.ErrNotFound) {
			failed++
			log.Warn("delete failed", "key", k, "err", err)
			continue
		}
		deleted++
	}
	return deleted, failed
}
