package spec

import (
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"transferhub/cloud/objstore"
)

// Side kinds of an S3 task.
const (
	KindS3    = "s3"    // a bucket and prefix behind the S3 API
	KindLocal = "local" // a directory on the computer that runs the task
)

// S3 is an S3 task: what `thub s3 sync` does, and what the cloud run's finder and
// workers do together.
type S3 struct {
	Source      Side `json:"source"`
	Destination Side `json:"destination"`
	S3Options
}

// Side is one end of an S3 task: a bucket (with where and how it is reached) or a local
// directory.
type Side struct {
	Kind   string `json:"kind"` // KindS3 or KindLocal
	Bucket string `json:"bucket,omitempty"`
	Prefix string `json:"prefix,omitempty"`
	// Region of the bucket; empty: an Amazon S3 bucket is found where it lives, other
	// stores use the preset's.
	Region string `json:"region,omitempty"`
	Path   string `json:"path,omitempty"` // KindLocal: the directory
	// Provider is a preset (objstore.Providers); empty: aws, or other with an Endpoint.
	Provider string `json:"provider,omitempty"`
	Endpoint string `json:"endpoint,omitempty"` // custom S3 endpoint URL
	// Addressing: path or virtual (empty: the preset's).
	Addressing    string `json:"addressing,omitempty"`
	RequesterPays bool   `json:"requesterPays,omitempty"`
	// Checksums: full-object CRC-64/NVME checksums on, off or auto (empty: auto).
	Checksums string `json:"checksums,omitempty"`
	Access
}

// Access says how a side is reached, never with what: with none of its fields set, the
// SDK's default chain applies (environment, default profile, instance or task role).
type Access struct {
	// AWSProfile is a profile of the AWS shared config (SSO, credential_process and
	// endpoint_url are honoured).
	AWSProfile string `json:"awsProfile,omitempty"`
	// SecretARN names a Secrets Manager secret holding the keys (the cloud run).
	SecretARN string `json:"secretArn,omitempty"`
	// RoleARN is assumed (with ExternalID) on top of the credentials above.
	RoleARN    string `json:"roleArn,omitempty"`
	ExternalID string `json:"externalId,omitempty"`
	// Anonymous: unsigned requests (public buckets).
	Anonymous bool `json:"anonymous,omitempty"`
	// Keys given at run time (flags, THUB_SRC_ACCESS_KEY_ID ...): never serialized.
	Keys Keys `json:"-"`
}

// Keys are static credentials handed to a run. They never leave memory: every textual
// form of Keys hides the secret parts.
type Keys struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

// IsZero reports whether no key was given.
func (k Keys) IsZero() bool { return k == Keys{} }

// String names the key id only.
func (k Keys) String() string {
	if k.IsZero() {
		return "no keys"
	}
	return "keys " + k.AccessKeyID + " (secret hidden)"
}

// GoString keeps %#v from printing the secret.
func (k Keys) GoString() string { return k.String() }

// LogValue keeps slog from printing the secret.
func (k Keys) LogValue() slog.Value { return slog.StringValue(k.String()) }

// MarshalJSON keeps the secret out of any JSON (the field is not serialized anyway).
func (k Keys) MarshalJSON() ([]byte, error) { return []byte("null"), nil }

// S3Options is everything of an S3 task but its two sides (a wrapper with sides of its
// own, like the desktop's definition, embeds it). Zero values mean "the default":
// sizes and durations as typed ("8MiB", "60s").
type S3Options struct {
	// Compare: size+etag (default), size, checksum or none.
	Compare string `json:"compare,omitempty"`
	// Prefixes restrict the task to keys under any of them (relative to the source).
	Prefixes []string `json:"prefixes,omitempty"`
	// PrefixList is a file with one prefix per line, read when a run starts.
	PrefixList string `json:"prefixList,omitempty"`
	// Include and Exclude are globs on keys relative to the source (s3sync.Glob).
	Include []string `json:"include,omitempty"`
	Exclude []string `json:"exclude,omitempty"`
	// MinSize/MaxSize as typed ("1KiB", "5 GB"); empty: no bound.
	MinSize string `json:"minSize,omitempty"`
	MaxSize string `json:"maxSize,omitempty"`
	// ModifiedAfter/ModifiedBefore: RFC 3339 or YYYY-MM-DD; empty: no bound.
	ModifiedAfter  string `json:"modifiedAfter,omitempty"`
	ModifiedBefore string `json:"modifiedBefore,omitempty"`
	// Delete removes destination objects (within the selection) the source lacks.
	Delete bool `json:"delete,omitempty"`
	// DeleteEmptySource lets Delete act on a source that lists no object (refused by
	// default: a typo in a prefix must not empty the destination).
	DeleteEmptySource bool `json:"deleteEmptySource,omitempty"`
	// MaxDelete bounds the deletions of one run (0: no bound); a run that would delete
	// more leaves the rest and ends FAILED.
	MaxDelete int `json:"maxDelete,omitempty"`
	// ListWorkers: parallel listings per side (default 16).
	ListWorkers int `json:"listWorkers,omitempty"`
	// SplitFlatLevels lists huge flat levels as parallel StartAfter ranges.
	SplitFlatLevels bool `json:"splitFlatLevels,omitempty"`

	// ServerSide: auto (default), never or always.
	ServerSide string `json:"serverSide,omitempty"`
	// Concurrency: object and part transfers in flight per process (default 64).
	Concurrency        int      `json:"concurrency,omitempty"`
	PartSize           string   `json:"partSize,omitempty"`           // default 8MiB
	MultipartThreshold string   `json:"multipartThreshold,omitempty"` // default 16MiB
	MaxMemory          string   `json:"maxMemory,omitempty"`          // default 256MiB
	StallTimeout       Duration `json:"stallTimeout,omitempty" ts_type:"string"`

	// Destination write options (S3 destinations only).
	StorageClass string `json:"storageClass,omitempty"`
	ACL          string `json:"acl,omitempty"`
	SSE          string `json:"sse,omitempty"` // "", AES256 or aws:kms
	SSEKMSKeyID  string `json:"sseKmsKeyId,omitempty"`
	Tags         string `json:"tags,omitempty"` // URL-encoded: k1=v1&k2=v2
	// NoTags leaves the source objects' tags out of the copies (copied by default where
	// both stores keep tags).
	NoTags bool `json:"noTags,omitempty"`
	// NoSrcETag writes no x-amz-meta-thub-src-etag on copies whose ETag differs from the
	// source's (then only the task's own records recognise them).
	NoSrcETag bool `json:"noSrcEtag,omitempty"`

	// Events: what S3 event notifications on the cloud run's queue do: none (default),
	// create (ObjectCreated copies) or create-and-delete (ObjectRemoved deletes the copy).
	Events string `json:"events,omitempty"`
}

// Duration is a time.Duration stored as text ("1m30s").
type Duration time.Duration

// MarshalText writes the Go form ("1m0s").
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads a Go duration ("90s", "1h").
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration; write e.g. 30s, 5m or 1h", b)
	}
	*d = Duration(v)
	return nil
}

// ParseSide reads a command-line location: s3://bucket[/prefix], file://path or a local
// path. A local path that looks like a mistyped URL (s3:/bucket) is refused.
func ParseSide(arg string) (Side, error) {
	if arg == "" {
		return Side{}, fmt.Errorf("empty location: give s3://bucket[/prefix] or a local directory")
	}
	if !strings.Contains(arg, "://") && mistypedURL.MatchString(arg) {
		return Side{}, fmt.Errorf("%q looks like a URL with a mistyped scheme: write s3://bucket[/prefix], or ./%s for a local directory", arg, arg)
	}
	p, err := objstore.ParseSpec(arg)
	if err != nil {
		return Side{}, err
	}
	if p.IsS3() {
		return Side{Kind: KindS3, Bucket: p.Bucket, Prefix: p.Prefix}, nil
	}
	return Side{Kind: KindLocal, Path: p.Path}, nil
}

// mistypedURL matches "scheme:" followed by a slash but not "://" (s3:/bucket,
// http:/host). One letter before the colon is a Windows drive (C:/data), not a scheme.
var mistypedURL = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]+:/`)

// URL names the side as the CLI takes it: s3://bucket/prefix or the local path.
func (s Side) URL() string {
	if s.Kind == KindLocal {
		return s.Path
	}
	return "s3://" + s.Bucket + "/" + s.Prefix
}
