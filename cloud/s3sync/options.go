package s3sync

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"transferhub/cloud/taskrun"
)

// CompareMode says how the finder decides that a destination object is already a copy.
type CompareMode string

const (
	// CompareSizeETag (default): equal size and equal ETag, or the source ETag recorded in
	// the copy's metadata when the ETags cannot match; local files compare size and time.
	CompareSizeETag CompareMode = "size+etag"
	// CompareSize: equal size (DTH's rule; misses same-size overwrites).
	CompareSize CompareMode = "size"
	// CompareChecksum: equal size and equal content MD5, reading the data where no
	// listing field carries it (slow, but certain).
	CompareChecksum CompareMode = "checksum"
	// CompareNone copies everything.
	CompareNone CompareMode = "none"
)

// ParseCompareMode validates a --compare value.
func ParseCompareMode(s string) (CompareMode, error) {
	switch CompareMode(s) {
	case "", CompareSizeETag, "etag":
		return CompareSizeETag, nil
	case CompareSize, CompareChecksum, CompareNone:
		return CompareMode(s), nil
	}
	return "", fmt.Errorf("compare mode %q: use size+etag, size, checksum or none", s)
}

// ServerSide chooses between server-side copy and streaming through this process.
type ServerSide string

const (
	ServerSideAuto   ServerSide = "auto"   // when one credential set reaches both sides
	ServerSideNever  ServerSide = "never"  // always stream (e.g. to re-encrypt through this host)
	ServerSideAlways ServerSide = "always" // fail when it is not possible
)

// Options tune a run. The zero value is usable: Defaults fills the gaps.
type Options struct {
	Compare   CompareMode
	Selection Selection
	// Delete removes destination objects (within the selection) that the source lacks.
	Delete bool
	// DeleteEmptySource lets Delete act when the source lists no object of the
	// selection. Without it such a run deletes nothing and fails: an empty listing is
	// far more often a typo in a prefix or the wrong bucket than a wish to empty the
	// destination.
	DeleteEmptySource bool
	// MaxDelete bounds the destination objects one run deletes (0: no bound); those
	// beyond it are left, counted, and the run ends FAILED saying so.
	MaxDelete int64
	DryRun    bool
	// NoTags leaves object tags out of copies; by default they are copied where both
	// stores keep tags.
	NoTags bool
	// NoSrcETag writes no x-amz-meta-thub-src-etag: copies whose ETag differs from the
	// source's are then recognised by the task's own records only (see copy.go).
	NoSrcETag bool

	// Concurrency is the number of object/part transfers in flight (default 64); it also
	// sizes connection pools. Adaptive control lowers it on throttling.
	Concurrency int
	// ListWorkers is the number of listings run in parallel per side (default 16).
	ListWorkers int
	// SplitRanges lists levels too large to probe (flat namespaces) as speculative
	// StartAfter ranges in parallel. Off by default: it pays where a listing request
	// costs the same wherever it starts (Amazon S3), but S3 gateways over a file system
	// (versitygw, MinIO) rescan the directory for every request, and there it is slower.
	SplitRanges bool
	// PartSize is the multipart part size when the source layout cannot be reproduced
	// (default 8 MiB; grown to stay within 10,000 parts).
	PartSize int64
	// MultipartThreshold: larger objects are copied in parts (default 16 MiB). Sources
	// that are themselves multipart keep their layout whatever their size.
	MultipartThreshold int64
	// MaxMemory bounds the bytes buffered in flight (default 256 MiB), whatever the
	// object sizes.
	MaxMemory int64
	// BatchObjects and BatchBytes bound one job message (defaults 200 objects, 64 MiB).
	BatchObjects int
	BatchBytes   int64
	// Attempts per object inside one delivery (default 5) on top of per-request retries:
	// a body cut short is not retried by the SDK.
	Attempts   int
	ServerSide ServerSide
	// JobVisibility hides a received job from other workers; a heartbeat extends it while
	// the job runs, and a job of a killed worker comes back after it (default 30 s).
	JobVisibility time.Duration
	// ReceiveWait is how long one receive waits for a job (long polling; default 20 s).
	ReceiveWait time.Duration

	// Throttle, when set, receives the HTTP layer's throttling signals.
	Throttle *Throttle

	// Progress, when set, is called about twice a second and at the end.
	Progress func(Progress)
	Logger   *slog.Logger

	// Definition is the task's encoded spec (cloud/spec), stored with the task when Sync
	// creates its record; the engine never reads it.
	Definition json.RawMessage
	// Run says how Sync holds the task (its lease) and begins and ends its run; the
	// zero value is thub s3 sync's (see Sync).
	Run taskrun.Options
}

// Defaults returns o with every unset field at its default.
func (o Options) Defaults() Options {
	if o.Compare == "" {
		o.Compare = CompareSizeETag
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 64
	}
	if o.ListWorkers <= 0 {
		o.ListWorkers = 16
	}
	if o.PartSize <= 0 {
		o.PartSize = 8 << 20
	}
	if o.PartSize < 5<<20 {
		o.PartSize = 5 << 20
	}
	if o.MultipartThreshold <= 0 {
		o.MultipartThreshold = 16 << 20
	}
	if o.MaxMemory <= 0 {
		o.MaxMemory = 256 << 20
	}
	if o.BatchObjects <= 0 {
		o.BatchObjects = 200
	}
	if o.BatchBytes <= 0 {
		o.BatchBytes = 64 << 20
	}
	if o.Attempts <= 0 {
		o.Attempts = 5
	}
	if o.ReceiveWait <= 0 {
		o.ReceiveWait = 20 * time.Second
	}
	if o.JobVisibility <= 0 {
		o.JobVisibility = 30 * time.Second
	}
	if o.ServerSide == "" {
		o.ServerSide = ServerSideAuto
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Progress is a snapshot of a run.
type Progress struct {
	Found, FoundBytes     int64
	Copied, CopiedBytes   int64
	Skipped, SkippedBytes int64
	Failed, FailedBytes   int64
	Archived              int64
	Deleted               int64
	// MovedBytes grows as parts and objects reach the destination, ahead of CopiedBytes
	// (which counts finished objects): the basis of a live throughput for big objects.
	MovedBytes int64
	FinderDone bool
	Elapsed    time.Duration
}
