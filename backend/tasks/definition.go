// Package tasks is the desktop app's task model and its local runner: versioned task
// definitions, their validation, and create/clone/start/stop/resume/retry/delete of tasks
// that run inside the app process on the same engines as `thub` (cloud/s3sync,
// cloud/image) over the embedded SQLite store. Each task has its own state file, so a
// task survives an app restart and `thub s3 report --state FILE` reads it too.
package tasks

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"transferhub/cloud/state"
)

// DefinitionVersion is the version of the definition format this build writes ("v").
const DefinitionVersion = 1

// Definition is what a task does, stored as versioned JSON with the task (state.Task's
// Definition). Exactly one of S3 and Image is set, matching the task's type. Add fields,
// never rename them: old state files must keep loading.
type Definition struct {
	V        int        `json:"v"`
	S3       *S3Spec    `json:"s3,omitempty"`
	Image    *ImageSpec `json:"image,omitempty"`
	Schedule Schedule   `json:"schedule,omitzero"`
}

// Location kinds of an S3 task's side.
const (
	LocationS3    = "s3"    // a bucket and prefix reached with a credential profile
	LocationLocal = "local" // a directory on this computer
)

// Location is one side of an S3 task.
type Location struct {
	Kind      string `json:"kind"`                // LocationS3 or LocationLocal
	ProfileID string `json:"profileId,omitempty"` // AWS or S3-compatible credential profile
	Bucket    string `json:"bucket,omitempty"`
	Prefix    string `json:"prefix,omitempty"`
	// Region overrides the profile's region (it must belong to the profile's partition).
	Region string `json:"region,omitempty"`
	Path   string `json:"path,omitempty"` // LocationLocal: absolute directory
}

// S3Spec covers the options of `thub s3 sync`.
type S3Spec struct {
	Source      Location `json:"source"`
	Destination Location `json:"destination"`
	// Compare: size+etag (default), size, checksum or none.
	Compare string `json:"compare,omitempty"`
	// Prefixes restrict the task to keys under any of them (relative to the source prefix).
	Prefixes []string `json:"prefixes,omitempty"`
	// Include and Exclude are globs (s3sync.Glob) on keys relative to the source prefix.
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
	// ServerSide: auto (default), never or always.
	ServerSide  string `json:"serverSide,omitempty"`
	Concurrency int    `json:"concurrency,omitempty"`
	// Destination write options (S3 destinations only).
	StorageClass string `json:"storageClass,omitempty"`
	ACL          string `json:"acl,omitempty"`
	SSE          string `json:"sse,omitempty"` // "", AES256 or aws:kms
	SSEKMSKeyID  string `json:"sseKmsKeyId,omitempty"`
}

// Image source and destination kinds.
const (
	RegistryKind = "registry" // any OCI registry (a registry profile, or anonymous)
	ECRKind      = "ecr"      // Amazon ECR through an AWS profile
)

// ImageSource says which images to copy.
type ImageSource struct {
	Kind string `json:"kind"` // RegistryKind or ECRKind
	// ProfileID: a registry profile (optional for public registries) or an AWS profile (ECR).
	ProfileID string `json:"profileId,omitempty"`
	// References: with a profile (or ECR) repository paths on that registry
	// (team/app:v1, app@sha256:..., app:ALL_TAGS); without one full references
	// (registry/repo:tag). With ECR and no references every repository is copied.
	References []string `json:"references,omitempty"`
	// ECR only.
	Region     string `json:"region,omitempty"`
	Account    string `json:"account,omitempty"`
	RepoPrefix string `json:"repoPrefix,omitempty"`
	RepoRegex  string `json:"repoRegex,omitempty"`
}

// ImageDestination says where images go: the destination repository is Prefix joined
// with the source repository path.
type ImageDestination struct {
	Kind      string `json:"kind"` // RegistryKind or ECRKind
	ProfileID string `json:"profileId,omitempty"`
	// Registry is host[:port] when no registry profile names it.
	Registry string `json:"registry,omitempty"`
	Prefix   string `json:"prefix,omitempty"`
	// ECR only.
	Region        string `json:"region,omitempty"`
	Account       string `json:"account,omitempty"`
	ScanOnPush    bool   `json:"scanOnPush,omitempty"`
	ImmutableTags bool   `json:"immutableTags,omitempty"`
	KMSKey        string `json:"kmsKey,omitempty"`
}

// ImageSpec covers the options of `thub image sync`.
type ImageSpec struct {
	Source      ImageSource      `json:"source"`
	Destination ImageDestination `json:"destination"`
	// Tag filters apply to ALL_TAGS sources and whole-ECR selections.
	TagInclude []string `json:"tagInclude,omitempty"`
	TagExclude []string `json:"tagExclude,omitempty"`
	Semver     string   `json:"semver,omitempty"`
	Latest     int      `json:"latest,omitempty"`
	// Platforms ("linux/amd64", "linux/arm64/v8"); empty copies every platform intact.
	Platforms   []string `json:"platforms,omitempty"`
	Referrers   bool     `json:"referrers"`
	Concurrency int      `json:"concurrency,omitempty"`
}

// Schedule kinds.
const (
	ScheduleNone     = ""
	ScheduleInterval = "interval"
	ScheduleCron     = "cron"
)

// Schedule repeats a local task's runs while the app is open.
type Schedule struct {
	Kind  string `json:"kind,omitempty"`
	Every string `json:"every,omitempty"` // ScheduleInterval: Go duration, e.g. "30m", "6h"
	Cron  string `json:"cron,omitempty"`  // ScheduleCron: 5 fields, e.g. "0 2 * * *"
}

// Type returns the task type the definition describes.
func (d Definition) Type() state.TaskType {
	if d.Image != nil {
		return state.TaskImage
	}
	return state.TaskS3
}

// ErrDefinition marks a definition that cannot be read.
var ErrDefinition = errors.New("unreadable task definition")

// DecodeDefinition reads a stored definition, refusing versions this build does not know.
func DecodeDefinition(raw json.RawMessage) (Definition, error) {
	var d Definition
	if len(raw) == 0 {
		return d, fmt.Errorf("%w: empty", ErrDefinition)
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return d, fmt.Errorf("%w: %v", ErrDefinition, err)
	}
	switch {
	case d.V > DefinitionVersion:
		return d, fmt.Errorf("%w: version %d was written by a newer Transfer Hub (this build reads up to %d)", ErrDefinition, d.V, DefinitionVersion)
	case d.V < 1:
		return d, fmt.Errorf("%w: no version", ErrDefinition)
	case (d.S3 == nil) == (d.Image == nil):
		return d, fmt.Errorf("%w: it must describe either an S3 or an image transfer", ErrDefinition)
	}
	return d, nil
}

// Encode renders the definition as stored, with the current version.
func (d Definition) Encode() (json.RawMessage, error) {
	d.V = DefinitionVersion
	return json.Marshal(d)
}

// normalized trims what users type around values and drops empty list entries, so that
// equivalent inputs are stored and compared identically.
func (d Definition) normalized() Definition {
	d.V = DefinitionVersion
	if d.S3 != nil {
		s := *d.S3
		s.Source, s.Destination = s.Source.normalized(), s.Destination.normalized()
		s.Compare = strings.TrimSpace(s.Compare)
		s.Prefixes = cleanList(s.Prefixes, false)
		s.Include, s.Exclude = cleanList(s.Include, true), cleanList(s.Exclude, true)
		s.MinSize, s.MaxSize = strings.TrimSpace(s.MinSize), strings.TrimSpace(s.MaxSize)
		s.ModifiedAfter, s.ModifiedBefore = strings.TrimSpace(s.ModifiedAfter), strings.TrimSpace(s.ModifiedBefore)
		s.ServerSide = strings.TrimSpace(s.ServerSide)
		s.StorageClass, s.ACL = strings.TrimSpace(s.StorageClass), strings.TrimSpace(s.ACL)
		s.SSE, s.SSEKMSKeyID = strings.TrimSpace(s.SSE), strings.TrimSpace(s.SSEKMSKeyID)
		d.S3 = &s
	}
	if d.Image != nil {
		im := *d.Image
		src, dst := im.Source, im.Destination
		src.Kind, src.ProfileID = strings.TrimSpace(src.Kind), strings.TrimSpace(src.ProfileID)
		src.References = cleanList(src.References, true)
		src.Region, src.Account = strings.TrimSpace(src.Region), strings.TrimSpace(src.Account)
		src.RepoPrefix, src.RepoRegex = strings.TrimSpace(src.RepoPrefix), strings.TrimSpace(src.RepoRegex)
		dst.Kind, dst.ProfileID = strings.TrimSpace(dst.Kind), strings.TrimSpace(dst.ProfileID)
		dst.Registry, dst.Prefix = strings.TrimSpace(dst.Registry), strings.Trim(strings.TrimSpace(dst.Prefix), "/")
		dst.Region, dst.Account, dst.KMSKey = strings.TrimSpace(dst.Region), strings.TrimSpace(dst.Account), strings.TrimSpace(dst.KMSKey)
		im.Source, im.Destination = src, dst
		im.TagInclude, im.TagExclude = cleanList(im.TagInclude, true), cleanList(im.TagExclude, true)
		im.Semver = strings.TrimSpace(im.Semver)
		im.Platforms = cleanList(im.Platforms, true)
		d.Image = &im
	}
	d.Schedule.Kind = strings.TrimSpace(d.Schedule.Kind)
	d.Schedule.Every = strings.TrimSpace(d.Schedule.Every)
	d.Schedule.Cron = strings.Join(strings.Fields(d.Schedule.Cron), " ")
	switch d.Schedule.Kind {
	case ScheduleNone:
		d.Schedule = Schedule{}
	case ScheduleInterval:
		d.Schedule.Cron = ""
	case ScheduleCron:
		d.Schedule.Every = ""
	}
	return d
}

func (l Location) normalized() Location {
	l.Kind = strings.TrimSpace(l.Kind)
	l.ProfileID = strings.TrimSpace(l.ProfileID)
	l.Bucket = strings.TrimSpace(l.Bucket)
	l.Region = strings.TrimSpace(l.Region)
	l.Path = strings.TrimSpace(l.Path)
	// A prefix is a key prefix: spaces may be part of keys, only a leading "/" is a typo.
	l.Prefix = strings.TrimLeft(l.Prefix, "/")
	if l.Kind == LocationLocal {
		l.ProfileID, l.Bucket, l.Prefix, l.Region = "", "", "", ""
	} else {
		l.Path = ""
	}
	return l
}

// cleanList drops blank entries; trim also trims each entry (globs, references), while
// prefixes keep inner and trailing spaces, which can be part of keys.
func cleanList(in []string, trim bool) []string {
	var out []string
	for _, s := range in {
		if trim {
			s = strings.TrimSpace(s)
		} else {
			s = strings.TrimRight(s, "\r\n")
		}
		if strings.TrimSpace(s) == "" {
			continue
		}
		out = append(out, s)
	}
	return out
}

// Profiles lists the credential profile ids the definition references, each once.
func (d Definition) Profiles() []string {
	var ids []string
	add := func(id string) {
		if id == "" {
			return
		}
		for _, x := range ids {
			if x == id {
				return
			}
		}
		ids = append(ids, id)
	}
	if d.S3 != nil {
		add(d.S3.Source.ProfileID)
		add(d.S3.Destination.ProfileID)
	}
	if d.Image != nil {
		add(d.Image.Source.ProfileID)
		add(d.Image.Destination.ProfileID)
	}
	return ids
}
