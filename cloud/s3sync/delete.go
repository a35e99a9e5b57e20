package s3sync

import (
	"context"
	"errors"
	"log/slog"

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
