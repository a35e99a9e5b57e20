package s3sync

import (
	"context"
	"errors"
	"fmt"

	"transferhub/cloud/objstore"
)

// Object tags travel with copies where both stores keep them (objstore.TagKeeper), unless
// Options.NoTags leaves them out. A store's answer counts an object's tags, so the tag
// set is read (one GetObjectTagging) only for objects that have some. Tags set for the
// destination (S3Config.Tagging, --tags) replace them there.

// copyTags reports whether the source's tags go with its copies.
func (w *Worker) copyTags() bool {
	return !w.Opt.NoTags && !w.tagsOff.Load() && objstore.KeepsTags(w.Src) && objstore.KeepsTags(w.Dst)
}

// tagsRefused turns tags off for the rest of the run: credentials that may read or
// write objects but not their tags (s3:GetObjectTagging, s3:PutObjectTagging) must not
// fail every copy. Said once.
func (w *Worker) tagsRefused(side string, err error) {
	if w.tagsOff.CompareAndSwap(false, true) {
		w.Opt.Logger.Warn("the "+side+" refuses object tags: copying without them from now on", "err", err)
	}
}

// tagged runs a write of h; when the destination refuses it with access denied and h
// carries tags, the write is tried once more without them (see tagsRefused).
func (w *Worker) tagged(h *objstore.Headers, write func() error) error {
	err := write()
	if err == nil || h == nil || h.Tags == "" || !errors.Is(err, objstore.ErrAccessDenied) {
		return err
	}
	tags := h.Tags
	h.Tags = ""
	if err2 := write(); err2 != nil {
		h.Tags = tags
		return err
	}
	w.tagsRefused("destination", err)
	return nil
}

// withTags sets h.Tags to the tags of the source object info describes, when tags are
// copied and it has some.
func (w *Worker) withTags(ctx context.Context, key string, info objstore.Info, h *objstore.Headers) error {
	if info.TagCount == 0 || !w.copyTags() {
		return nil
	}
	tags, err := w.Src.(objstore.TagKeeper).Tags(ctx, key)
	if errors.Is(err, objstore.ErrAccessDenied) {
		w.tagsRefused("source", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("copy tags: %w", err)
	}
	h.Tags = tags
	return nil
}
