package s3sync

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"transferhub/cloud/objstore"
	"transferhub/cloud/state"
)

// Metadata keys the engine writes on copies whose ETag cannot equal the source's (the
// source layout could not be reproduced, or the destination encrypts with KMS), so later
// runs still decide without reading data.
const (
	MetaSrcETag  = "thub-src-etag"
	MetaSrcMTime = "thub-src-mtime"
)

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
