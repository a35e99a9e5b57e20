package s3sync

import (
	"context"
	"fmt"

	"transferhub/cloud/objstore"
)

// Object tags travel with copies where both stores keep them (objstore.TagKeeper), unless
// Options.NoTags leaves them out. A store's answer counts an object's tags, so the tag
// set is read (one GetObjectTagging) only for objects that have some. Tags set for the
// destination (S3Config.Tagging, --tags) replace them there.

// copyTags reports whether the source's tags go with its copies.
func (w *Worker) copyTags() bool {
	return !w.Opt.NoTags && objstore.KeepsTags(w.Src) && objstore.KeepsTags(w.Dst)
}

// withTags sets h.Tags to the tags of the source object info describes, when tags are
// copied and it has some.
func (w *Worker) withTags(ctx context.Context, key string, info objstore.Info, h *objstore.Headers) error {
	if info.TagCount == 0 || !w.copyTags() {
		return nil
	}
	tags, err := w.Src.(objstore.TagKeeper).Tags(ctx, key)
	if err != nil {
		return fmt.Errorf("copy tags: %w", err)
	}
	h.Tags = tags
	return nil
}
