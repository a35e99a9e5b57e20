// Package image is Transfer Hub's container-image engine, on regclient.
//
// It is split so that the local CLI, the desktop app and the cloud run share it:
//   - Engine.Select expands a Spec (references, ALL_TAGS, a whole source ECR, tag
//     filters) into Items: the unit of work, of records and of cloud batches (JSON).
//   - Engine.Copy copies one Item and returns its Result; it never touches state.
//   - Engine.Run ties both together with a worker pool, writes per-image records
//     through a Recorder (state.Store satisfies it) and reports Events.
//
// "Unchanged" is decided with two HEAD requests (source and destination manifest
// digests); blobs the destination has are never re-sent (regclient HEADs each one).
package image

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"transferhub/cloud/image/ecr"
	"transferhub/cloud/state"
)

// Spec is what to copy and where.
type Spec struct {
	// Sources are explicit references (tags, digests, ALL_TAGS). With a source ECR
	// and no Sources, every repository of that registry is selected (ALL_TAGS each).
	Sources []Source `json:"sources,omitempty"`
	// RepoPrefix / RepoRegex narrow the repositories of a whole-ECR selection.
	RepoPrefix string `json:"repoPrefix,omitempty"`
	RepoRegex  string `json:"repoRegex,omitempty"`
	// Tags filters ALL_TAGS sources (never explicit tags or digests).
	Tags TagFilter `json:"tags,omitzero"`
	// Destination registry and prefix; with a destination ECR the registry may be
	// left empty (it is the ECR host).
	Destination Destination `json:"destination"`
	Copy        CopyOptions `json:"copy"`
}

// CopyOptions shape how each image is copied.
type CopyOptions struct {
	// Platforms to copy from multi-platform images ("linux/amd64", "linux/arm64/v8").
	// Empty copies every platform and keeps the index byte-for-byte (same digest). A
	// subset writes a new index holding only those platforms, so its digest differs
	// from the source's (signatures of the source index do not apply to it).
	Platforms []string `json:"platforms,omitempty"`
	// Referrers copies OCI 1.1 referrers (signatures, SBOMs, attestations; through
	// the referrers API or its tag-schema fallback) and cosign-style digest tags
	// (sha256-<hex>.sig/.att/.sbom) with each copied image.
	Referrers bool `json:"referrers"`
	// RecheckReferrers (with Referrers) also brings referrers and digest tags added
	// to images the destination already has: a signature pushed after the image was
	// mirrored. It costs a tag listing and a referrers query per source repository,
	// and referrer queries for images that can have some, so re-runs are no longer
	// HEAD-only. Platform subsets are not rechecked (their index is rewritten).
	RecheckReferrers bool `json:"recheckReferrers,omitempty"`
	// Attempts per image for transient failures (0: 3).
	Attempts int `json:"attempts,omitempty"`
}

// Item is one requested image: a tag or a digest of a source repository and where it goes.
type Item struct {
	Source      string `json:"source"`      // registry/repo:tag or registry/repo@digest
	Destination string `json:"destination"` // registry/repo:tag or registry/repo@digest
	Repository  string `json:"repository"`  // source repository path
	Tag         string `json:"tag,omitempty"`
	Digest      string `json:"digest,omitempty"` // requested digest (by-digest items)
}

// Result is the outcome of copying one Item.
type Result struct {
	Item
	Status       state.ItemStatus `json:"status"` // DONE, SKIPPED or FAILED
	SourceDigest string           `json:"sourceDigest,omitempty"`
	DestDigest   string           `json:"destDigest,omitempty"` // differs from SourceDigest only for platform subsets
	Platforms    []string         `json:"platforms,omitempty"`
	Bytes        int64            `json:"bytes"` // bytes sent to the destination (blobs and manifests)
	Error        string           `json:"error,omitempty"`
	Attempts     int              `json:"attempts"`
	Duration     time.Duration    `json:"duration"`
}

// Record converts a result to the state record of the run.
func (r Result) Record(runID string) state.Image {
	return state.Image{
		Source:      r.Source,
		Destination: r.Destination,
		Repository:  r.Repository,
		Tag:         r.Tag,
		Digest:      r.SourceDigest,
		Platforms:   r.Platforms,
		Bytes:       r.Bytes,
		Status:      r.Status,
		Attempts:    r.Attempts,
		Error:       r.Error,
		Duration:    r.Duration,
		RunID:       runID,
		UpdatedAt:   time.Now().UTC(),
	}
}

// Recorder stores per-image records; state.Store satisfies it.
type Recorder interface {
	PutImages(ctx context.Context, taskID string, imgs []state.Image) error
}

// Config builds an Engine.
type Config struct {
	Access Access
	// SourceECR / DestECR name ECR registries; their tokens come from the AWS
	// credentials (GetAuthorizationToken) and are renewed before they expire.
	SourceECR *ecr.Config
	DestECR   *ecr.Config
	// ECRRepo settings apply to destination repositories created on demand.
	ECRRepo ecr.RepoSettings
	Log     *slog.Logger
}

// Engine copies images. Build it with New; it is safe for concurrent use.
type Engine struct {
	client  *Client
	log     *slog.Logger
	srcECR  *ecr.Client
	dstECR  *ecr.Client
	srcHost string
	dstHost string
	ensurer *repoEnsurer
}

// New builds an engine. With ECR registries it calls GetAuthorizationToken once to
// learn the account (when not given) and check the credentials.
func New(ctx context.Context, cfg Config) (*Engine, error) {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	client, err := NewClient(cfg.Access, log)
	if err != nil {
		return nil, err
	}
	e := &Engine{client: client, log: log}
	if cfg.SourceECR != nil {
		if e.srcECR, e.srcHost, err = e.addECR(ctx, *cfg.SourceECR, "source"); err != nil {
			return nil, err
		}
	}
	if cfg.DestECR != nil {
		if e.dstECR, e.dstHost, err = e.addECR(ctx, *cfg.DestECR, "destination"); err != nil {
			return nil, err
		}
		e.ensurer = &repoEnsurer{api: e.dstECR, settings: cfg.ECRRepo, done: map[string]bool{}}
	}
	return e, nil
}

func (e *Engine) addECR(ctx context.Context, cfg ecr.Config, side string) (*ecr.Client, string, error) {
	c, err := ecr.New(ctx, cfg)
	if err != nil {
		return nil, "", fmt.Errorf("%s ECR: %w", side, err)
	}
	host, err := c.RegistryHost(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("%s ECR: %w", side, err)
	}
	e.client.AddTokenSource(host, c)
	// Fetch the first token now: bad AWS credentials fail before any listing.
	if _, err := e.client.RegClient(ctx); err != nil {
		return nil, "", fmt.Errorf("%s ECR: %w", side, err)
	}
	return c, host, nil
}

// SourceRegistry is the source ECR host ("" without one).
func (e *Engine) SourceRegistry() string { return e.srcHost }

// DestRegistry is the destination ECR host ("" without one).
func (e *Engine) DestRegistry() string { return e.dstHost }

// Client is the engine's registry client (tests and tools).
func (e *Engine) Client() *Client { return e.client }

// Summary is the outcome of a run, counted per requested reference (a
// multi-platform index is one image).
type Summary struct {
	Found   int     `json:"found"`
	Copied  int     `json:"copied"`
	Skipped int     `json:"skipped"`
	Failed  int     `json:"failed"`
	Bytes   int64   `json:"bytes"` // bytes sent to the destination
	Seconds float64 `json:"seconds"`
	DryRun  bool    `json:"dryRun,omitempty"`
	Planned int     `json:"planned,omitempty"` // dry run: images that would be copied
	TaskID  string  `json:"taskId,omitempty"`
	RunID   string  `json:"runId,omitempty"`
	State   string  `json:"state,omitempty"`
}

// JSON is the summary as one line of JSON.
func (s Summary) JSON() string {
	b, _ := json.Marshal(s)
	return string(b)
}
