package s3sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"transferhub/cloud/objstore"
)

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

// ErrEmptySource: --delete with a source that lists nothing is refused (see emptySource).
var ErrEmptySource = errors.New("the source lists no object")

// onDestinationOnly handles a destination object the source lacks: deleted with
// --delete (counted, and the first ones named, in a dry run), at most Options.MaxDelete
// of them per run.
func (r *finderRun) onDestinationOnly(ctx context.Context, d objstore.Object) error {
	if !r.opt.Delete || !r.m.keyMatches(d.Key) {
		return nil
	}
	if err := r.emptySource(); err != nil {
		return err
	}
	if r.opt.MaxDelete > 0 && r.stats.Deleted+int64(len(r.toDelete)) >= r.opt.MaxDelete {
		r.stats.DeleteRefused++
		r.f.deleteRefused.Add(1)
		return nil
	}
	if r.dry {
		r.stats.Deleted++
		if r.stats.Deleted%deleteBatch == 1 {
			r.stats.EstRequests++
		}
		if len(r.f.wouldDelete) < maxPlannedDeletes {
			r.f.wouldDelete = append(r.f.wouldDelete, d.Key)
		} else {
			r.f.moreWouldDelete = true
		}
		return nil
	}
	r.toDelete = append(r.toDelete, d.Key)
	if len(r.toDelete) >= deleteBatch && !r.holdingDeletes() {
		r.flushDeletes(ctx)
	}
	return nil
}

// maxPlannedDeletes is the most deletions a dry run names.
const maxPlannedDeletes = 1000

// holdingDeletes reports whether deletions wait: until the source has listed an object
// (of the selection), nothing is deleted, so that an empty source (a typo in a prefix,
// a wrong bucket, a listing that is denied) cannot empty the destination.
func (r *finderRun) holdingDeletes() bool {
	return r.opt.Delete && !r.opt.DeleteEmptySource && r.stats.Found == 0
}

// emptySource refuses --delete once the source listing ended without an object of the
// selection while deletions wait (unless Options.DeleteEmptySource).
func (r *finderRun) emptySource() error {
	if !r.srcEnded || !r.holdingDeletes() || len(r.toDelete) == 0 && r.stats.Deleted == 0 && r.stats.DeleteRefused == 0 {
		return nil // (a dry run counts its deletions in Deleted)
	}
	return fmt.Errorf("%w (within the selection) at %s, so --delete would delete every destination object it covers at %s; nothing was deleted: check the source and the selection, or allow it with --delete-empty-source",
		ErrEmptySource, r.f.Src.URL(), r.f.Dst.URL())
}

// flushDeletes deletes the pending destination keys.
func (r *finderRun) flushDeletes(ctx context.Context) {
	if r.holdingDeletes() {
		return
	}
	for keys := range slices.Chunk(r.toDelete, deleteBatch) { // more than a batch waited for the first source object
		deleted, failed := deleteKeys(ctx, r.f.Dst, keys, &r.batchDeletes, r.opt.Logger)
		r.stats.Deleted += deleted
		r.stats.DeleteErrors += failed
		r.f.deleted.Add(deleted)
		r.f.deleteFailed.Add(failed)
	}
	r.toDelete = r.toDelete[:0]
}

// PlannedDeletes returns the first destination keys a dry run would delete and whether
// there are more.
func (f *Finder) PlannedDeletes() (keys []string, more bool) { return f.wouldDelete, f.moreWouldDelete }
