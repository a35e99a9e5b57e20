package spec

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"transferhub/cloud/objstore"
)

// Role names a side of a task.
type Role string

const (
	RoleSource      Role = "source"
	RoleDestination Role = "destination"
)

// Credentials supplies what a spec cannot hold for a bucket side: keys read from a
// Secrets Manager secret (the agent), or the whole connection a desktop credential
// profile names, keys from the keychain included. It returns the base configuration;
// the side's own settings are applied on top of it. Implementations live with their
// consumers (cloud/cloudrun, backend/tasks).
type Credentials interface {
	S3Config(ctx context.Context, role Role, side Side) (objstore.S3Config, error)
}

// Tuning is what both sides of a run share: its transfer settings and the engine's
// throttling signal.
type Tuning struct {
	// Concurrency sizes connection pools (0: the task's, else objstore's default).
	Concurrency int
	// OnThrottle receives every 503/429 (s3sync.Throttle.Signal), may be nil.
	OnThrottle func()
	Log        *slog.Logger
}

// Open turns one side of the task into an objstore location: a local directory, or a
// bucket with its provider, endpoint, region, credentials (creds' base, then the
// side's own settings), connection pool, stall timeout, throttling and, for the
// destination, the write options. creds may be nil when no side needs it; its errors
// are returned as they are (they name the side). Nothing is contacted yet.
func (s S3) Open(ctx context.Context, role Role, t Tuning, creds Credentials) (objstore.Location, error) {
	side := s.Source
	if role == RoleDestination {
		side = s.Destination
	}
	if side.Kind == KindLocal {
		loc, err := objstore.OpenLocal(side.Path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", role, err)
		}
		return loc, nil
	}
	var cfg objstore.S3Config
	if creds == nil && side.SecretARN != "" {
		return nil, fmt.Errorf("%s: its keys are in the secret %s, which this process does not read", role, side.SecretARN)
	}
	if creds != nil {
		c, err := creds.S3Config(ctx, role, side)
		if err != nil {
			return nil, err // it names the side
		}
		cfg = c
	}
	side.apply(&cfg)
	if role == RoleDestination {
		cfg.StorageClass, cfg.ACL, cfg.SSE, cfg.SSEKMSKeyID, cfg.Tagging = s.StorageClass, s.ACL, s.SSE, s.SSEKMSKeyID, s.Tags
	}
	cfg.Concurrency = s.Concurrency
	if t.Concurrency > 0 {
		cfg.Concurrency = t.Concurrency
	}
	cfg.StallTimeout = time.Duration(s.StallTimeout)
	cfg.OnThrottle = t.OnThrottle
	if t.Log != nil {
		cfg.Log = t.Log
	}
	loc, err := objstore.Open(ctx, objstore.Spec{Bucket: side.Bucket, Prefix: side.Prefix}, cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", role, err)
	}
	return loc, nil
}

// OpenBoth opens the source, then the destination.
func (s S3) OpenBoth(ctx context.Context, t Tuning, creds Credentials) (src, dst objstore.Location, err error) {
	if src, err = s.Open(ctx, RoleSource, t, creds); err != nil {
		return nil, nil, err
	}
	if dst, err = s.Open(ctx, RoleDestination, t, creds); err != nil {
		return nil, nil, err
	}
	return src, dst, nil
}

// apply lays the side's own settings over a base configuration: what the side says
// wins, what it leaves empty keeps the base's.
func (s Side) apply(c *objstore.S3Config) {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&c.Provider, s.Provider)
	set(&c.Region, s.Region)
	set(&c.Endpoint, s.Endpoint)
	set(&c.PathStyle, s.Addressing)
	set(&c.Checksums, s.Checksums)
	set(&c.Profile, s.AWSProfile)
	set(&c.RoleARN, s.RoleARN)
	set(&c.ExternalID, s.ExternalID)
	if s.RequesterPays {
		c.RequesterPays = true
	}
	if s.Anonymous {
		c.Anonymous = true
	}
	if !s.Keys.IsZero() {
		c.AccessKey, c.SecretKey, c.SessionToken = s.Keys.AccessKeyID, s.Keys.SecretAccessKey, s.Keys.SessionToken
	}
}

// Flag is the role's flag prefix (src, dst).
func (r Role) Flag() string {
	if r == RoleDestination {
		return "dst"
	}
	return "src"
}
