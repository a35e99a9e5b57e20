// Package s3sync is the S3 transfer engine: a finder that merges the source and
// destination listings and sends the differences as job batches to a queue, and workers
// that copy the objects of those batches and record each outcome in a state store. The
// local run (Run) puts both in one process over the embedded queue and store; the cloud
// run uses the same Finder and Worker over SQS and DynamoDB.
package s3sync

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"
)

// JobVersion is the version of the job message format ("v").
const JobVersion = 1

// Job is one queue message: a batch of objects of one run. Small objects travel many per
// message; a large object travels alone.
type Job struct {
	V       int         `json:"v"`
	Run     string      `json:"run"`
	Objects []JobObject `json:"objects"`
	// Attempt counts the deliveries its objects already had in earlier messages: a fleet
	// worker re-sends the failed part of a batch, and the dead-letter limit still holds.
	Attempt int `json:"attempt,omitempty"`
}

// JobObject is one object to copy, with what the finder saw in the source listing.
type JobObject struct {
	Key   string    `json:"key"`
	Size  int64     `json:"size"`
	ETag  string    `json:"etag,omitempty"`
	MTime time.Time `json:"mtime,omitzero"`
}

// wireObject is JobObject on the wire: JSON strings must be valid UTF-8, so a key that is
// not (possible for local file names) travels base64-encoded in keyB64 instead.
type wireObject struct {
	Key    string    `json:"key,omitempty"`
	KeyB64 string    `json:"keyB64,omitempty"`
	Size   int64     `json:"size"`
	ETag   string    `json:"etag,omitempty"`
	MTime  time.Time `json:"mtime,omitzero"`
}

func (o JobObject) MarshalJSON() ([]byte, error) {
	w := wireObject{Key: o.Key, Size: o.Size, ETag: o.ETag, MTime: o.MTime}
	if !utf8.ValidString(o.Key) {
		w.Key, w.KeyB64 = "", base64.StdEncoding.EncodeToString([]byte(o.Key))
	}
	return json.Marshal(w)
}

func (o *JobObject) UnmarshalJSON(b []byte) error {
	var w wireObject
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*o = JobObject{Key: w.Key, Size: w.Size, ETag: w.ETag, MTime: w.MTime}
	if w.KeyB64 != "" {
		k, err := base64.StdEncoding.DecodeString(w.KeyB64)
		if err != nil {
			return fmt.Errorf("job object keyB64: %w", err)
		}
		o.Key = string(k)
	}
	return nil
}

// EncodeJob renders a job message.
func EncodeJob(j Job) ([]byte, error) {
	j.V = JobVersion
	return json.Marshal(j)
}

// DecodeJob parses a job message, refusing versions this build does not know.
func DecodeJob(b []byte) (Job, error) {
	var probe struct {
		V int `json:"v"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return Job{}, fmt.Errorf("decode job message: %w", err)
	}
	if probe.V != JobVersion {
		return Job{}, fmt.Errorf("decode job message: version %d, this build reads version %d", probe.V, JobVersion)
	}
	var j Job
	if err := json.Unmarshal(b, &j); err != nil {
		return Job{}, fmt.Errorf("decode job message: %w", err)
	}
	return j, nil
}
