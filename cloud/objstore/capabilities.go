package objstore

import "context"

// Capabilities: what only some locations can do (today *S3). The engine asks for them
// with a type assertion; a location without one gets what is safe for every store.

// ServerCopier is implemented by destinations that can copy from a source without the
// bytes passing through this process (S3 CopyObject / UploadPartCopy).
type ServerCopier interface {
	// CanCopyFrom reports whether one credential set reaches src and this destination in
	// one partition, so server-side copy works.
	CanCopyFrom(src Location) bool
	// CopyObject copies a whole object (≤ 5 GiB) with its headers, metadata and tags, or,
	// when h is not nil, with h instead (its Tags replace the object's tags).
	CopyObject(ctx context.Context, src Location, srcKey, srcETag, dstKey string, h *Headers) (etag string, err error)
	// CopyPart copies length bytes from offset off of the source into part number of an upload.
	CopyPart(ctx context.Context, src Location, srcKey, srcETag, dstKey, uploadID string, number int, off, length int64) (etag string, err error)
}

// OpaqueETagReporter is implemented by *S3, which learns from its write answers whether
// the bucket encrypts with SSE-KMS or SSE-C: its ETags are then not MD5s of the content.
// The worker asks before it checks what it wrote against an ETag (Content-MD5, which the
// store checks on every write, is then the integrity guard) and to record the source
// ETag in the copy's metadata for later compares.
type OpaqueETagReporter interface {
	OpaqueETags() bool
}

// ChecksumTaker is implemented by *S3: Amazon S3 (or a store configured so) reads and
// writes full-object CRC-64/NVME checksums. The worker asks to decide whether to compute
// them while streaming, send them with writes and check copies against the source's.
type ChecksumTaker interface {
	TakesChecksums() bool
}

// TagKeeper is implemented by *S3: the store keeps object tags (all presets but those
// marked NoTags). The worker asks to copy tags where both sides keep them: it reads a
// source's tags (one GetObjectTagging, only for objects whose answer counted some) and
// writes them with the copy (Headers.Tags).
type TagKeeper interface {
	KeepsTags() bool
	// Tags returns key's tag set URL-encoded ("" for none).
	Tags(ctx context.Context, key string) (string, error)
	// TagsOverride is the tag set every write here gets instead of the object's own
	// (S3Config.Tagging), "" when copies keep the source's.
	TagsOverride() string
}

// HeaderKeeper is implemented by *S3: objects keep content headers (Content-Type, ...)
// and user metadata, which the finder compares to find a change of them alone (a local
// directory keeps neither).
type HeaderKeeper interface {
	KeepsHeaders() bool
}

// RegionDetector is implemented by *S3: an Amazon S3 bucket opened without a region asks
// where it lives and moves its client there. Check does it; a caller that uses a
// location without Check (the cloud run's workers) asks for it first.
type RegionDetector interface {
	DetectRegion(ctx context.Context)
}

// KeysDeleter is implemented by *S3: up to 1,000 keys deleted in one request
// (DeleteObjects). The finder asks for --delete; it falls back to Delete per key when
// a store refuses the batch request. failed holds the keys the store refused; err is
// set when the request as a whole failed.
type KeysDeleter interface {
	DeleteKeys(ctx context.Context, keys []string) (failed map[string]error, err error)
}

// BucketLocation is implemented by *S3: the bucket and key prefix behind the location.
// The fleet asks to map S3 event notifications, which name a bucket and a full key, to
// the location's own keys.
type BucketLocation interface {
	Bucket() string
	Prefix() string // "" or ending in "/"
}

var (
	_ ServerCopier       = (*S3)(nil)
	_ OpaqueETagReporter = (*S3)(nil)
	_ ChecksumTaker      = (*S3)(nil)
	_ TagKeeper          = (*S3)(nil)
	_ HeaderKeeper       = (*S3)(nil)
	_ RegionDetector     = (*S3)(nil)
	_ KeysDeleter        = (*S3)(nil)
	_ BucketLocation     = (*S3)(nil)
)

// OpaqueETags reports whether l says its ETags are not MD5s of the content (false when
// it cannot tell).
func OpaqueETags(l Location) bool {
	o, ok := l.(OpaqueETagReporter)
	return ok && o.OpaqueETags()
}

// KeepsHeaders reports whether l keeps content headers and user metadata.
func KeepsHeaders(l Location) bool {
	k, ok := l.(HeaderKeeper)
	return ok && k.KeepsHeaders()
}

// KeepsTags reports whether l keeps object tags.
func KeepsTags(l Location) bool {
	t, ok := l.(TagKeeper)
	return ok && t.KeepsTags()
}

// TakesChecksums reports whether l reads and writes full-object CRC-64/NVME checksums.
func TakesChecksums(l Location) bool {
	t, ok := l.(ChecksumTaker)
	return ok && t.TakesChecksums()
}
