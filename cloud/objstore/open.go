package objstore

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
)

// Spec is a parsed endpoint argument: s3://bucket[/prefix] or a local path.
type Spec struct {
	Bucket string // "" for a local path
	Prefix string
	Path   string // local directory
}

// IsS3 reports whether the spec names a bucket.
func (s Spec) IsS3() bool { return s.Bucket != "" }

// ParseSpec parses a command-line endpoint. Anything without a scheme is a local path;
// other schemes are refused rather than guessed at.
func ParseSpec(arg string) (Spec, error) {
	if arg == "" {
		return Spec{}, fmt.Errorf("empty location: give s3://bucket[/prefix] or a local directory")
	}
	scheme, rest, ok := strings.Cut(arg, "://")
	if !ok {
		return Spec{Path: arg}, nil
	}
	switch strings.ToLower(scheme) {
	case "s3":
	case "file":
		return Spec{Path: rest}, nil
	default:
		return Spec{}, fmt.Errorf("location %q: unsupported scheme %q (use s3:// or a local path)", arg, scheme)
	}
	bucket, prefix, _ := strings.Cut(rest, "/")
	if err := ValidateBucket(bucket); err != nil {
		return Spec{}, fmt.Errorf("location %q: %w", arg, err)
	}
	return Spec{Bucket: bucket, Prefix: prefix}, nil
}

// Open opens a spec; cfg applies to S3 locations only.
func Open(ctx context.Context, spec Spec, cfg S3Config) (Location, error) {
	if spec.IsS3() {
		return OpenS3(ctx, spec.Bucket, spec.Prefix, cfg)
	}
	return OpenLocal(spec.Path)
}

// Overlap reports whether two locations share keys, so syncing one into the other would
// read its own output. S3 locations overlap when they reach the same endpoint and bucket
// and one prefix contains the other; local ones when one directory contains the other.
func Overlap(a, b Location) bool {
	switch x := a.(type) {
	case *S3:
		y, ok := b.(*S3)
		if !ok || x.bucket != y.bucket || x.endpoint != y.endpoint || x.provider.Name != y.provider.Name {
			return false
		}
		if x.endpoint == "" && x.region != y.region {
			return false
		}
		return strings.HasPrefix(x.prefix, y.prefix) || strings.HasPrefix(y.prefix, x.prefix)
	case *Local:
		y, ok := b.(*Local)
		if !ok {
			return false
		}
		ra, _ := filepath.EvalSymlinks(x.root)
		rb, _ := filepath.EvalSymlinks(y.root)
		if ra == "" {
			ra = x.root
		}
		if rb == "" {
			rb = y.root
		}
		ra, rb = filepath.Clean(ra)+string(filepath.Separator), filepath.Clean(rb)+string(filepath.Separator)
		return strings.HasPrefix(ra, rb) || strings.HasPrefix(rb, ra)
	}
	return false
}
