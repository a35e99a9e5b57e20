package s3sync

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
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
		return f.changedSince(ctx, s, d, nil, stats)
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
	// so without a request; else the copy's metadata names the source ETag, or both keep
	// the full-object checksum that made the metadata unneeded (needsSrcETag).
	if f.Store != nil {
		rec, err := f.Store.GetObject(ctx, f.TaskID, d.Key)
		if err == nil && rec.Status == state.ItemDone && rec.ETag == s.ETag && rec.Size == s.Size && rec.DestETag == d.ETag {
			return f.changedSince(ctx, s, d, nil, stats)
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
	if v := metaValue(info.Metadata, MetaSrcETag); v != "" || info.CRC64NVME == "" || !objstore.TakesChecksums(f.Src) {
		if v != s.ETag {
			return true, nil
		}
		return f.changedSince(ctx, s, d, &info, stats)
	}
	stats.Heads++
	si, err := f.Src.Head(ctx, s.Key, 0)
	if errors.Is(err, objstore.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("compare %s: source: %w", s.Key, err)
	}
	if si.CRC64NVME != info.CRC64NVME {
		return true, nil
	}
	if s.LastModified.Before(d.LastModified) {
		return false, nil
	}
	return headersDiffer(si.Headers, info.Headers), nil
}

// changedSince decides for a copy whose data is current by the ETags (or the task's
// record of it) whether the source changed its headers or metadata alone: such a change
// keeps the ETag but moves LastModified, so a source last written before its copy was is
// current without a request; otherwise both sides' headers are compared (a HEAD each;
// dst, when given, is the destination's already). Clocks of two stores that disagree by
// more than the time between a copy and a metadata change can hide that change (the
// destination's clock ahead) or cost the HEADs on every run (behind).
func (f *Finder) changedSince(ctx context.Context, s, d objstore.Object, dst *objstore.Info, stats *FinderStats) (bool, error) {
	if s.LastModified.Before(d.LastModified) || !objstore.KeepsHeaders(f.Src) || !objstore.KeepsHeaders(f.Dst) {
		return false, nil
	}
	stats.Heads++
	var si, di objstore.Info
	var err error
	if dst != nil {
		di = *dst
		si, err = f.Src.Head(ctx, s.Key, 0)
		if err != nil {
			err = fmt.Errorf("compare %s: source: %w", s.Key, err)
		}
	} else {
		stats.Heads++
		si, di, err = headBoth(ctx, f.Src, f.Dst, s.Key)
	}
	if errors.Is(err, objstore.ErrNotFound) {
		return true, nil // gone meanwhile: the worker finds out which side
	}
	if err != nil {
		return false, err
	}
	return headersDiffer(si.Headers, di.Headers), nil
}

// headersDiffer reports whether two objects' content headers or user metadata differ
// (the engine's own metadata aside, and keys compared as S3 does: case-insensitively).
func headersDiffer(a, b objstore.Headers) bool {
	if a.ContentType != b.ContentType || a.CacheControl != b.CacheControl || a.ContentDisposition != b.ContentDisposition ||
		a.ContentEncoding != b.ContentEncoding || a.ContentLanguage != b.ContentLanguage || !sameExpires(a.Expires, b.Expires) {
		return true
	}
	ma, mb := userMetadata(a.Metadata), userMetadata(b.Metadata)
	if len(ma) != len(mb) {
		return true
	}
	for k, v := range ma {
		if w, ok := mb[k]; !ok || w != v {
			return true
		}
	}
	return false
}

// userMetadata is md with lowercased keys and without the engine's own (thub-*).
func userMetadata(md map[string]string) map[string]string {
	out := make(map[string]string, len(md))
	for k, v := range md {
		k = strings.ToLower(k)
		if !strings.HasPrefix(k, "thub-") {
			out[k] = v
		}
	}
	return out
}

// sameExpires compares two Expires headers as times where both parse.
func sameExpires(a, b string) bool {
	if a == b {
		return true
	}
	ta, erra := http.ParseTime(a)
	tb, errb := http.ParseTime(b)
	return erra == nil && errb == nil && ta.Equal(tb)
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
// Where both sides keep them, headers, user metadata and tags are compared too.
func (f *Finder) contentDiffers(ctx context.Context, s, d objstore.Object, stats *FinderStats) (bool, error) {
	if objstore.TakesChecksums(f.Src) && objstore.TakesChecksums(f.Dst) {
		si, di, err := headBoth(ctx, f.Src, f.Dst, s.Key)
		if err != nil {
			return false, err
		}
		if si.CRC64NVME != "" && di.CRC64NVME != "" {
			stats.ComparedChecksums++
			if si.CRC64NVME != di.CRC64NVME {
				return true, nil
			}
			return f.describedDifferently(ctx, s.Key, si, di)
		}
	}
	var (
		a, b   digest
		berr   error
		done   = make(chan struct{})
		sa, sb = f.Src, f.Dst
	)
	go func() {
		defer close(done)
		b, berr = contentMD5(ctx, sb, d.Key)
	}()
	a, err := contentMD5(ctx, sa, s.Key)
	<-done
	if err == nil {
		err = berr
	}
	if err != nil {
		return false, err
	}
	stats.ComparedData++
	stats.ComparedBytes += s.Size + d.Size
	if a.md5 != b.md5 {
		return true, nil
	}
	return f.describedDifferently(ctx, s.Key, a.info, b.info)
}

// describedDifferently reports whether two objects of equal content differ in their
// headers, user metadata or tags, where both sides keep them.
func (f *Finder) describedDifferently(ctx context.Context, key string, si, di objstore.Info) (bool, error) {
	if !objstore.KeepsHeaders(f.Src) || !objstore.KeepsHeaders(f.Dst) {
		return false, nil
	}
	if headersDiffer(si.Headers, di.Headers) {
		return true, nil
	}
	return f.tagsDiffer(ctx, key, si, di)
}

// tagsDiffer compares the tags of key on both sides (read only when an answer counted
// some) with what a copy would get: the source's, or the destination's fixed set.
func (f *Finder) tagsDiffer(ctx context.Context, key string, si, di objstore.Info) (bool, error) {
	if f.Opt.NoTags || !objstore.KeepsTags(f.Src) || !objstore.KeepsTags(f.Dst) {
		return false, nil
	}
	want := f.Dst.(objstore.TagKeeper).TagsOverride()
	if want == "" && si.TagCount == 0 && di.TagCount == 0 {
		return false, nil
	}
	if want == "" && si.TagCount > 0 {
		var err error
		if want, err = f.Src.(objstore.TagKeeper).Tags(ctx, key); err != nil {
			return false, fmt.Errorf("compare tags of %s: source: %w", key, err)
		}
	}
	have := ""
	if di.TagCount > 0 {
		var err error
		if have, err = f.Dst.(objstore.TagKeeper).Tags(ctx, key); err != nil {
			return false, fmt.Errorf("compare tags of %s: destination: %w", key, err)
		}
	}
	wv, err1 := url.ParseQuery(want)
	hv, err2 := url.ParseQuery(have)
	if err1 != nil || err2 != nil {
		return want != have, nil
	}
	return !maps.EqualFunc(wv, hv, slices.Equal), nil
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

// digest is an object's MD5 and the answer of the read that computed it.
type digest struct {
	md5  string
	info objstore.Info
}

// contentMD5 returns the MD5 of an object's data, read in full.
func contentMD5(ctx context.Context, l objstore.Location, key string) (digest, error) {
	rc, info, err := l.Get(ctx, key, 0, -1, "")
	if err != nil {
		return digest{}, fmt.Errorf("checksum %s: %w", key, err)
	}
	defer rc.Close()
	h := md5.New()
	if _, err := io.Copy(h, rc); err != nil {
		return digest{}, fmt.Errorf("checksum %s: %w", key, err)
	}
	return digest{hex.EncodeToString(h.Sum(nil)), info}, nil
}
