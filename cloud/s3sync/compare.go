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
		return f.contentDiffers(ctx, s, d, stats)
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

// contentDiffers compares the content of s and d (of equal size) by the full-object
// CRC-64/NVME when both stores keep one for the object (Amazon S3 does for objects
// written since 2025, computed over the bytes it serves; two HEADs), else by reading
// both sides in full and comparing digests. ETags are never trusted for it: an ETag says
// what was uploaded, not what is stored now, and under SSE-KMS it is no digest at all.
func (f *Finder) contentDiffers(ctx context.Context, s, d objstore.Object, stats *FinderStats) (bool, error) {
	if objstore.TakesChecksums(f.Src) && objstore.TakesChecksums(f.Dst) {
		si, di, err := headBoth(ctx, f.Src, f.Dst, s.Key)
		if err != nil {
			return false, err
		}
		if si.CRC64NVME != "" && di.CRC64NVME != "" {
			stats.ComparedChecksums++
			return si.CRC64NVME != di.CRC64NVME, nil
		}
	}
	var a, b string
	var berr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		b, berr = contentMD5(ctx, f.Dst, d.Key)
	}()
	a, err := contentMD5(ctx, f.Src, s.Key)
	<-done
	if err == nil {
		err = berr
	}
	if err != nil {
		return false, err
	}
	stats.ComparedData++
	stats.ComparedBytes += s.Size + d.Size
	return a != b, nil
}

// headBoth reads the whole-object HEADs of key on both sides at once.
func headBoth(ctx context.Context, src, dst objstore.Location, key string) (s, d objstore.Info, err error) {
	var derr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		d, derr = dst.Head(ctx, key, 0)
	}()
	s, err = src.Head(ctx, key, 0)
	<-done
	if err != nil {
		return s, d, fmt.Errorf("compare %s: source: %w", key, err)
	}
	if derr != nil {
		return s, d, fmt.Errorf("compare %s: destination: %w", key, derr)
	}
	return s, d, nil
}

// contentMD5 returns the MD5 of an object's data, read in full.
func contentMD5(ctx context.Context, l objstore.Location, key string) (string, error) {
	rc, _, err := l.Get(ctx, key, 0, -1, "")
	if err != nil {
		return "", fmt.Errorf("checksum %s: %w", key, err)
	}
	defer rc.Close()
	h := md5.New()
	if _, err := io.Copy(h, rc); err != nil {
		return "", fmt.Errorf("checksum %s: %w", key, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
