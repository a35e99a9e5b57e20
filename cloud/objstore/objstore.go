// Package objstore is one small interface over the places objects live: S3 buckets (Amazon
// S3 in every partition and S3-compatible providers) and local directories. The S3 engine
// (package s3sync) lists, reads and writes through it and never branches on the backend;
// what only some locations can do (server-side copy, checksums, ...) it asks for through
// the small capability interfaces in capabilities.go.
package objstore

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"
)

// Sentinel errors; check them with errors.Is.
var (
	// ErrNotFound: the object (or upload) does not exist.
	ErrNotFound = errors.New("not found")
	// ErrPrecondition: the source changed while it was being copied (ETag no longer matches).
	ErrPrecondition = errors.New("source changed during the copy")
	// ErrInvalidKey: the key cannot be stored at this location (e.g. "a//b" in a directory).
	ErrInvalidKey = errors.New("key cannot be stored here")
	// ErrNoCredentials: none were given and the SDK's default chain found none.
	ErrNoCredentials = errors.New("no credentials")

	// Classes of failures. ErrPermanent marks those no retry fixes: the engine fails an
	// object at once on them. It stops a run early on the ones that will hit every object
	// (a read-only or full destination, a bucket that is gone, access denied before
	// anything could be copied).

	// ErrPermanent: sent again, the request fails again (every class below but S3's
	// access denials, which renewed credentials or a policy taking effect can lift).
	ErrPermanent = errors.New("permanent failure")
	// ErrAccessDenied: the credentials may not do this (S3 AccessDenied and kin; EACCES, EPERM).
	ErrAccessDenied = errors.New("access denied")
	// ErrReadOnly: the destination is on a read-only file system (EROFS).
	ErrReadOnly = errors.New("read-only file system")
	// ErrNoSpace: the destination is full (ENOSPC, EDQUOT).
	ErrNoSpace = errors.New("no space left")
	// ErrNoBucket: the bucket does not exist (any more).
	ErrNoBucket = errors.New("no such bucket")
	// ErrRejected: the store refused the request as such (HTTP 400 InvalidArgument and
	// kin, 405, 501): sent again it is refused again.
	ErrRejected = errors.New("request refused")
)

// Object is one entry of a listing. Key is relative to the location's prefix.
type Object struct {
	Key          string
	Size         int64
	ETag         string // unquoted; "" when the backend has none (local files)
	LastModified time.Time
	StorageClass string
	// Restored is set for archived objects (GLACIER, DEEP_ARCHIVE) whose restore finished.
	Restored bool
}

// Archived reports whether the object sits in an archive storage class and cannot be read
// until it is restored.
func (o Object) Archived() bool {
	switch o.StorageClass {
	case "GLACIER", "DEEP_ARCHIVE":
		return !o.Restored
	}
	return false
}

// Headers are the content headers and user metadata that travel with an object.
type Headers struct {
	ContentType        string
	CacheControl       string
	ContentDisposition string
	ContentEncoding    string
	ContentLanguage    string
	Expires            string // raw HTTP date, passed through unchanged
	Metadata           map[string]string
	// ModTime is the source's modification time; local directories set it on the file.
	ModTime time.Time
	// Tags is the object's tag set, URL-encoded as S3's x-amz-tagging (k1=v1&k2=v2), for
	// a write to a location that keeps tags (TagKeeper); "" writes none. An answer (Info)
	// never fills it: its TagCount says whether TagKeeper.Tags has some to read.
	Tags string
}

// Info is what a HEAD or GET tells about an object.
type Info struct {
	Object
	Headers
	// PartsCount and PartSize describe the multipart layout when the request asked for a
	// part (PartSize is the size of that part); 0 for single-part objects.
	PartsCount int
	PartSize   int64
	// SSE is the server-side encryption the store reported: "", "AES256", "aws:kms",
	// "aws:kms:dsse", or "SSE-C" for a customer-provided key.
	SSE string
	// CRC64NVME is the object's full-object checksum (base64) where the store keeps one
	// and the location takes checksums; "" otherwise (and for part or range reads).
	CRC64NVME string
	// TagCount is the number of tags the store said the object has (0 when it has none,
	// or when the store or the credentials do not say).
	TagCount int
}

// OpaqueETag reports whether the object's ETag is not the MD5 of its content although
// it may look like one: S3 documents this for SSE-KMS, DSSE-KMS and SSE-C objects.
func (i Info) OpaqueETag() bool { return OpaqueSSE(i.SSE) }

// OpaqueSSE reports whether objects stored with this server-side encryption have ETags
// that are not MD5s of their content.
func OpaqueSSE(sse string) bool { return strings.HasPrefix(sse, "aws:kms") || sse == "SSE-C" }

// Part is one uploaded part of a multipart upload.
type Part struct {
	Number    int
	Size      int64
	ETag      string // unquoted
	CRC64NVME string // base64; "" when unknown
}

// Upload is an open multipart upload.
type Upload struct {
	Key       string
	ID        string
	Initiated time.Time
}

// Page is one page of a listing.
type Page struct {
	Objects []Object
	// Dirs are the common prefixes (relative, ending in the delimiter) of a delimited listing.
	Dirs []string
}

// Lister lists objects in UTF-8 byte order of their keys, the order S3 uses.
type Lister interface {
	// List calls fn with successive pages of the objects whose key starts with prefix and
	// sorts after startAfter ("" = from the beginning), until the listing ends or fn returns
	// an error (which List returns). Keys are relative to the location's prefix.
	List(ctx context.Context, prefix, startAfter string, fn func(Page) error) error
	// ListDir returns one level under prefix: objects directly under it and the
	// sub-directories (common prefixes with delimiter "/"). It reads at most limit entries
	// (0: no limit) and reports whether the level holds more.
	ListDir(ctx context.Context, prefix string, limit int) (p Page, more bool, err error)
}

// Reader reads objects.
type Reader interface {
	// Head describes an object; partNumber > 0 asks for the layout of that part.
	Head(ctx context.Context, key string, partNumber int) (Info, error)
	// Get reads length bytes from offset off (length < 0: to the end). ifMatch, when set,
	// makes the read fail with ErrPrecondition if the object's ETag changed.
	Get(ctx context.Context, key string, off, length int64, ifMatch string) (io.ReadCloser, Info, error)
}

// Writer writes objects. Every write is all-or-nothing: a failed Put or an aborted
// upload leaves no partial object behind.
type Writer interface {
	// Put writes a whole object with the body's checksums (sent where the backend checks
	// them); it returns the new ETag.
	Put(ctx context.Context, key string, body []byte, sums Sums, h Headers) (etag string, err error)
	// CreateUpload opens a multipart upload; crc asks for a full-object CRC-64/NVME
	// (every part and the completion then carry theirs) where the location takes them.
	CreateUpload(ctx context.Context, key string, h Headers, crc bool) (uploadID string, err error)
	UploadPart(ctx context.Context, key, uploadID string, number int, body []byte, sums Sums) (etag string, err error)
	ListParts(ctx context.Context, key, uploadID string) ([]Part, error)
	// CompleteUpload assembles the parts; full.CRC64NVME, when set, is the whole object's
	// checksum, which the store verifies against the parts it holds.
	CompleteUpload(ctx context.Context, key, uploadID string, parts []Part, full Sums) (etag string, err error)
	AbortUpload(ctx context.Context, key, uploadID string) error
	// ListUploads returns the open uploads of exactly this key (never of keys it prefixes).
	ListUploads(ctx context.Context, key string) ([]Upload, error)
	Delete(ctx context.Context, key string) error
}

// Location is an opened endpoint: one bucket and prefix (or one directory).
type Location interface {
	Lister
	Reader
	Writer
	// URL is the location as the user wrote it (s3://bucket/prefix or a path), for messages.
	URL() string
	// Check verifies the location exists and the credentials work (one cheap request),
	// returning an error that says what to fix.
	Check(ctx context.Context, write bool) error
}
