package s3sync

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// MessageKind says what a message on a fleet queue carries. One queue holds the
// finder's job batches, the part jobs of giant objects and S3 event notifications.
type MessageKind int

const (
	KindJob       MessageKind = iota + 1 // a batch of objects (Job)
	KindPart                             // one part of a giant object (PartJob)
	KindEvent                            // S3 event notification, or an EventBridge S3 event
	KindTestEvent                        // s3:TestEvent sent when a notification is configured
)

func (k MessageKind) String() string {
	switch k {
	case KindJob:
		return "job"
	case KindPart:
		return "part"
	case KindEvent:
		return "event"
	case KindTestEvent:
		return "test-event"
	}
	return "unknown"
}

// PartJob is one part of a giant object: the object is split across the fleet, each
// part is uploaded by whichever worker receives it, and the worker whose part completes
// the count completes the upload.
type PartJob struct {
	V        int       `json:"v"`
	Kind     string    `json:"kind"` // "part"
	Run      string    `json:"run"`
	Object   JobObject `json:"object"`
	UploadID string    `json:"uploadId"`
	Part     int       `json:"part"`     // 1-based
	Parts    int       `json:"parts"`    // number of parts of the upload
	PartSize int64     `json:"partSize"` // all parts but the last have this size (with Length: the largest part)
	// Offset and Length place this part when the source's parts have unequal sizes
	// (Length 0: the part is where PartSize puts it).
	Offset int64 `json:"offset,omitempty"`
	Length int64 `json:"length,omitempty"`
	// SourceLayout: the parts reproduce the source's own layout, so the completed
	// upload must have the source's ETag.
	SourceLayout bool `json:"sourceLayout,omitempty"`
	// SourceOpaque: the source's ETag is not an MD5 (SSE-KMS, SSE-C), so no ETag arithmetic.
	SourceOpaque bool `json:"sourceOpaque,omitempty"`
	// CRC: parts carry CRC-64/NVME checksums, combined at completion into the object's,
	// which must equal SourceCRC (the source's full-object checksum) when that is set.
	CRC       bool   `json:"crc,omitempty"`
	SourceCRC string `json:"sourceCRC,omitempty"`
	Attempt   int    `json:"attempt,omitempty"`
}

const partKind = "part"

func (p PartJob) layout() layout {
	return layout{size: p.Object.Size, partSize: p.PartSize, n: p.Parts, reproduced: p.SourceLayout}
}

// span is the byte range of the job's part in the object.
func (p PartJob) span() (off, n int64) {
	if p.Length > 0 {
		return p.Offset, p.Length
	}
	lay := p.layout()
	return lay.off(p.Part), lay.partLen(p.Part)
}

// EncodePart renders a part job message.
func EncodePart(p PartJob) ([]byte, error) {
	p.V, p.Kind = JobVersion, partKind
	return json.Marshal(p)
}

// DecodePart parses a part job message.
func DecodePart(b []byte) (PartJob, error) {
	var p PartJob
	if err := json.Unmarshal(b, &p); err != nil {
		return PartJob{}, fmt.Errorf("decode part message: %w", err)
	}
	if p.V != JobVersion || p.Kind != partKind {
		return PartJob{}, fmt.Errorf("decode part message: version %d kind %q, this build reads version %d kind %q", p.V, p.Kind, JobVersion, partKind)
	}
	if p.UploadID == "" || p.Part < 1 || p.Part > p.Parts || p.PartSize <= 0 || p.Object.Key == "" ||
		p.Offset < 0 || p.Length < 0 || p.Length > 0 && p.Offset+p.Length > p.Object.Size {
		return PartJob{}, fmt.Errorf("decode part message: incomplete part %d/%d of %q", p.Part, p.Parts, p.Object.Key)
	}
	return p, nil
}

// probe reads just enough of any message to tell its kind.
type probe struct {
	V          int               `json:"v"`
	Kind       string            `json:"kind"`
	Records    []json.RawMessage `json:"Records"`
	Event      string            `json:"Event"`       // "s3:TestEvent"
	Source     string            `json:"source"`      // EventBridge: "aws.s3"
	DetailType string            `json:"detail-type"` // EventBridge: "Object Created"
	Type       string            `json:"Type"`        // SNS envelope: "Notification"
	Message    string            `json:"Message"`     // SNS envelope: the S3 event as a string
}

// Classify tells what a message body carries. S3 notifications that reach the queue
// through an SNS topic (raw delivery off) are unwrapped: Unwrap returns the inner body.
func Classify(body []byte) (MessageKind, error) {
	var p probe
	if err := json.Unmarshal(body, &p); err != nil {
		return 0, fmt.Errorf("message is not JSON: %w", err)
	}
	switch {
	case p.Type == "Notification" && p.Message != "":
		return Classify([]byte(p.Message))
	case p.Event == "s3:TestEvent":
		return KindTestEvent, nil
	case len(p.Records) > 0:
		return KindEvent, nil
	case p.Source == "aws.s3" && (p.DetailType == "Object Created" || p.DetailType == "Object Deleted"):
		return KindEvent, nil
	case p.V == JobVersion && p.Kind == partKind:
		return KindPart, nil
	case p.V == JobVersion && (p.Kind == "" || p.Kind == "objects"):
		return KindJob, nil
	case p.V != 0:
		return 0, fmt.Errorf("message version %d kind %q: this build reads version %d", p.V, p.Kind, JobVersion)
	}
	return 0, fmt.Errorf("message is neither a Transfer Hub job nor an S3 event")
}

// ObjectEvent is one object-level change from an S3 event notification or an
// EventBridge S3 event.
type ObjectEvent struct {
	Bucket    string
	Key       string // decoded, full key in the bucket
	Size      int64
	ETag      string
	Sequencer string // hex; orders the events of one key
	Removed   bool   // ObjectRemoved:* / "Object Deleted"
	Name      string // event name, for logs
}

// eventTarget is the bucket and object an event names, as S3 notifications ("s3") and
// EventBridge events ("detail") both carry them (S3 spells "eTag", EventBridge "etag":
// JSON names match case-insensitively).
type eventTarget struct {
	Bucket struct {
		Name string `json:"name"`
	} `json:"bucket"`
	Object struct {
		Key       string `json:"key"`
		Size      int64  `json:"size"`
		ETag      string `json:"eTag"`
		Sequencer string `json:"sequencer"`
	} `json:"object"`
}

// event is the target as an ObjectEvent named name (the key as it was sent).
func (t eventTarget) event(name string) ObjectEvent {
	return ObjectEvent{Bucket: t.Bucket.Name, Key: t.Object.Key, Size: t.Object.Size,
		ETag: strings.Trim(t.Object.ETag, `"`), Sequencer: t.Object.Sequencer, Name: name}
}

type s3Record struct {
	EventSource string      `json:"eventSource"`
	EventName   string      `json:"eventName"`
	S3          eventTarget `json:"s3"`
}

type bridgeEvent struct {
	Source     string `json:"source"`
	DetailType string `json:"detail-type"`
	Detail     struct {
		eventTarget
		Reason string `json:"reason"`
	} `json:"detail"`
}

// ParseEvents reads every object event of a message. S3 notifications URL-encode keys
// (form encoding: a space is "+"); EventBridge events carry them as they are. Records
// that are not object creations or removals (e.g. restore or replication events) are
// left out.
func ParseEvents(body []byte) ([]ObjectEvent, error) {
	var p probe
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("decode event: %w", err)
	}
	if p.Type == "Notification" && p.Message != "" {
		return ParseEvents([]byte(p.Message))
	}
	if p.Source == "aws.s3" {
		var e bridgeEvent
		if err := json.Unmarshal(body, &e); err != nil {
			return nil, fmt.Errorf("decode EventBridge event: %w", err)
		}
		ev := e.Detail.event(e.DetailType)
		switch e.DetailType {
		case "Object Created":
		case "Object Deleted":
			ev.Removed = true
		default:
			return nil, nil
		}
		if ev.Key == "" {
			return nil, fmt.Errorf("EventBridge %s event without an object key", e.DetailType)
		}
		return []ObjectEvent{ev}, nil
	}
	var out []ObjectEvent
	for i, raw := range p.Records {
		var r s3Record
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, fmt.Errorf("decode event record %d: %w", i, err)
		}
		if r.EventSource != "aws:s3" {
			continue
		}
		ev := r.S3.event(r.EventName)
		switch {
		case strings.HasPrefix(r.EventName, "ObjectCreated:"):
		case strings.HasPrefix(r.EventName, "ObjectRemoved:"):
			ev.Removed = true
		default:
			continue
		}
		key, err := url.QueryUnescape(r.S3.Object.Key)
		if err != nil {
			return nil, fmt.Errorf("event record %d: undecodable key %q: %w", i, r.S3.Object.Key, err)
		}
		if key == "" {
			return nil, fmt.Errorf("event record %d (%s) without an object key", i, r.EventName)
		}
		ev.Key = key
		out = append(out, ev)
	}
	return out, nil
}

// CompareSequencers orders two S3 event sequencers of the same key: -1, 0 or +1. They
// are hexadecimal numbers of varying length; the greater value is the later event. An
// empty sequencer sorts first.
func CompareSequencers(a, b string) int {
	a, b = normSeq(a), normSeq(b)
	switch {
	case len(a) != len(b):
		if len(a) < len(b) {
			return -1
		}
		return 1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func normSeq(s string) string { return strings.TrimLeft(strings.ToUpper(s), "0") }

// PadSequencer renders a sequencer at a fixed width so that string order equals
// numeric order (for conditional writes in a store).
func PadSequencer(s string) string {
	s = normSeq(s)
	if len(s) >= 40 {
		return s
	}
	return strings.Repeat("0", 40-len(s)) + s
}
