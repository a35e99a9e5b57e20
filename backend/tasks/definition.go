// Package tasks is the desktop app's task model and its runners. The model (Manager):
// versioned task definitions, their validation, and create/clone/list/delete of tasks
// and their schedules; each task has its own state file in the task Folder, so a task
// survives an app restart and `thub s3 report --state FILE` reads it too. Runs go to the
// Runner of the task's engine (runner.go): LocalRunner runs them inside the app process
// on the same engines and run life cycle as `thub` (cloud/s3sync, cloud/image,
// cloud/taskrun) over the embedded SQLite store.
package tasks

import (
	"encoding/json"
	"fmt"
	"strings"

	"transferhub/cloud/spec"
	"transferhub/cloud/state"
)

// DefinitionVersion is the version of the definition format this build writes ("v"):
// the task spec's (cloud/spec), which the definition embeds.
const DefinitionVersion = spec.Version

// Definition is what a task does, stored as versioned JSON with the task (state.Task's
// Definition): the task's spec (cloud/spec) plus what only the app knows, the
// credential profile of each side. Its JSON is the spec's, with a "profileId" on each
// side; exactly one of S3 and Image is set, matching the task's type. Add fields, never
// rename them: old state files must keep loading (cloud/spec migrates them).
type Definition struct {
	V        int        `json:"v"`
	S3       *S3Spec    `json:"s3,omitempty"`
	Image    *ImageSpec `json:"image,omitempty"`
	Schedule Schedule   `json:"schedule,omitzero"`
	// Cloud: the task runs in an AWS account (a task stack), not on this computer.
	Cloud *CloudOptions `json:"cloud,omitempty"`
}

// Engine is where the definition's task runs.
func (d Definition) Engine() state.Engine {
	if d.Cloud != nil {
		return state.EngineCloud
	}
	return state.EngineLocal
}

// Location kinds of an S3 task's side.
const (
	LocationS3    = spec.KindS3    // a bucket and prefix reached with a credential profile
	LocationLocal = spec.KindLocal // a directory on this computer
)

// Location is one side of an S3 task: the spec's side and the profile that reaches it.
// The app reaches buckets through profiles only: the side's own access, provider and
// endpoint settings stay empty (the profile has them). Region overrides the profile's
// region (it must belong to the profile's partition); a local Path is absolute.
type Location struct {
	spec.Side
	ProfileID string `json:"profileId,omitempty"` // AWS or S3-compatible credential profile
}

// S3Spec covers the options of `thub s3 sync`.
type S3Spec struct {
	Source      Location `json:"source"`
	Destination Location `json:"destination"`
	spec.S3Options
}

// Image source and destination kinds.
const (
	RegistryKind = spec.KindRegistry // any OCI registry (a registry profile, or anonymous)
	ECRKind      = spec.KindECR      // Amazon ECR through an AWS profile
)

// ImageSource says which images to copy. ProfileID is a registry profile (optional for
// public registries; References are then relative to its host) or an AWS profile (ECR).
type ImageSource struct {
	spec.ImageSource
	ProfileID string `json:"profileId,omitempty"`
}

// ImageDestination says where images go; ProfileID is a registry profile (which names
// the host) or an AWS profile (ECR).
type ImageDestination struct {
	spec.ImageDestination
	ProfileID string `json:"profileId,omitempty"`
}

// ImageSpec covers the options of `thub image sync`.
type ImageSpec struct {
	Source      ImageSource      `json:"source"`
	Destination ImageDestination `json:"destination"`
	spec.ImageOptions
}

// Schedule is when a task runs (cloud/spec): on this computer, cron times are local
// time unless the schedule names its zone.
type Schedule = spec.Schedule

// Schedule kinds the app runs.
const (
	ScheduleNone     = spec.ScheduleNone
	ScheduleInterval = spec.ScheduleInterval
	ScheduleCron     = spec.ScheduleCron
)

// Type returns the task type the definition describes.
func (d Definition) Type() state.TaskType {
	if d.Image != nil {
		return state.TaskImage
	}
	return state.TaskS3
}

// ErrDefinition marks a definition that cannot be read.
var ErrDefinition = spec.ErrUnreadable

// DecodeDefinition reads a stored definition of any version this build knows (older
// forms are migrated by cloud/spec), refusing newer ones.
func DecodeDefinition(raw json.RawMessage) (Definition, error) {
	var d Definition
	up, err := spec.Upgrade(raw)
	if err != nil {
		return d, err
	}
	if err := json.Unmarshal(up, &d); err != nil {
		return d, fmt.Errorf("%w: %v", ErrDefinition, err)
	}
	if (d.S3 == nil) == (d.Image == nil) {
		return d, fmt.Errorf("%w: it must describe either an S3 or an image transfer", ErrDefinition)
	}
	return d, nil
}

// Encode renders the definition as stored, with the current version.
func (d Definition) Encode() (json.RawMessage, error) {
	d.V = DefinitionVersion
	return json.Marshal(d)
}

// Spec is the task's spec without the app's profiles.
func (d Definition) Spec() spec.Task {
	t := spec.Task{V: DefinitionVersion, Schedule: d.Schedule}
	if d.S3 != nil {
		s := d.S3.Spec()
		t.S3 = &s
	}
	if d.Image != nil {
		im := d.Image.Spec()
		t.Image = &im
	}
	return t
}

// Spec is the S3 task's spec without the app's profiles.
func (s S3Spec) Spec() spec.S3 {
	return spec.S3{Source: s.Source.Side, Destination: s.Destination.Side, S3Options: s.S3Options}
}

// Spec is the image task's spec without the app's profiles.
func (s ImageSpec) Spec() spec.Image {
	return spec.Image{Source: s.Source.ImageSource, Destination: s.Destination.ImageDestination, ImageOptions: s.ImageOptions}
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
	if d.Cloud != nil {
		c := d.Cloud.normalized()
		d.Cloud = &c
	}
	sc := &d.Schedule
	sc.Kind, sc.Every, sc.At = strings.TrimSpace(sc.Kind), strings.TrimSpace(sc.Every), strings.TrimSpace(sc.At)
	sc.Cron, sc.TimeZone = strings.Join(strings.Fields(sc.Cron), " "), strings.TrimSpace(sc.TimeZone)
	switch sc.Kind {
	case ScheduleNone:
		d.Schedule = Schedule{}
	case ScheduleInterval:
		sc.Cron, sc.At = "", ""
	case ScheduleCron:
		sc.Every, sc.At = "", ""
	case spec.ScheduleOnce:
		sc.Every, sc.Cron = "", ""
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
	if d.Cloud != nil {
		add(d.Cloud.ProfileID)
	}
	return ids
}
