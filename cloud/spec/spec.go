// Package spec is what a task does: one versioned, typed spec per task type (S3 objects,
// container images) and its schedule. Every other form of a task is a view of it,
// produced and parsed here: the JSON stored with the task (Encode, Decode: every older
// form is migrated on read), the CLI's flags (S3Flags, ImageFlags), the cloud agent's
// THUB_* environment (Env, FromEnv) and field-level validation (Validate). Credentials
// are never part of it: a side names how it is reached (a shared-config profile, a
// secret ARN, a role, anonymous access), and keys given at run time stay in memory.
// See cloud/docs/architecture.md.
package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"transferhub/cloud/state"
)

// Version is the version of the JSON form this build writes ("v"). Version 1 had three
// shapes (the desktop's definition, `thub s3 sync`'s and `thub image sync`'s records);
// Decode migrates each of them.
const Version = 2

// Task is one task's spec: exactly one of S3 and Image, and when it runs. Add fields,
// never rename them (bump Version and migrate in Decode when a shape must change).
type Task struct {
	V        int      `json:"v"`
	S3       *S3      `json:"s3,omitempty"`
	Image    *Image   `json:"image,omitempty"`
	Schedule Schedule `json:"schedule,omitzero"`
}

// Type returns the task type the spec describes.
func (t Task) Type() state.TaskType {
	if t.Image != nil {
		return state.TaskImage
	}
	return state.TaskS3
}

// ErrUnreadable marks a stored spec that cannot be read.
var ErrUnreadable = errors.New("unreadable task definition")

// Encode renders the spec as stored, with the current version.
func (t Task) Encode() (json.RawMessage, error) {
	t.V = Version
	return json.Marshal(t)
}

// Decode reads a stored spec of any version this build knows, migrating older forms.
func Decode(raw []byte) (Task, error) {
	up, err := Upgrade(raw)
	if err != nil {
		return Task{}, err
	}
	var t Task
	if err := json.Unmarshal(up, &t); err != nil {
		return Task{}, fmt.Errorf("%w: %v", ErrUnreadable, err)
	}
	if (t.S3 == nil) == (t.Image == nil) {
		return t, fmt.Errorf("%w: it must describe either an S3 or an image transfer", ErrUnreadable)
	}
	return t, nil
}

// Upgrade returns raw in the current version's JSON form. Fields this package does not
// know are kept where the shape did not change (the desktop's credential profile ids),
// so that a wrapper of the spec can upgrade its own documents with it.
func Upgrade(raw []byte) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrUnreadable)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnreadable, err)
	}
	var v int
	if rv, ok := top["v"]; ok {
		if err := json.Unmarshal(rv, &v); err != nil {
			return nil, fmt.Errorf("%w: version %s is not a number", ErrUnreadable, rv)
		}
	}
	switch {
	case v > Version:
		return nil, fmt.Errorf("%w: version %d was written by a newer Transfer Hub (this build reads up to %d)", ErrUnreadable, v, Version)
	case v < 1:
		return nil, fmt.Errorf("%w: no version", ErrUnreadable)
	case v == Version:
		return raw, nil
	}
	// Version 1: three shapes under one number, told apart by their keys.
	switch {
	case top["source"] != nil || top["dest"] != nil:
		return upgradeSyncV1(raw)
	case top["spec"] != nil:
		return upgradeImageV1(raw)
	}
	// The desktop's definition: the shape of version 2 (which only added fields).
	top["v"] = json.RawMessage(fmt.Sprint(Version))
	return json.Marshal(top)
}
