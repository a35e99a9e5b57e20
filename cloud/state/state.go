// Package state holds the records a user sees (tasks, objects, parts, images) and the
// Store contract that both the embedded SQLite store (local runs) and the DynamoDB store
// (cloud runs) satisfy. Every record has exactly one home: the Store.
package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Sentinel errors; check them with errors.Is.
var (
	// ErrNotFound: the task, object or image does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a conditional update lost (e.g. the task is not in the expected status,
	// or another finder run already holds the task).
	ErrConflict = errors.New("conflict")
	// ErrStopped: the task is STOPPED and the run was asked for with RefuseStopped (a
	// finder or a schedule): only the user's Resume or Run now starts it again. It is an
	// ErrConflict too.
	ErrStopped = fmt.Errorf("the task is stopped: %w", ErrConflict)
)

// StartOption changes how StartRun begins a run.
type StartOption int

const (
	// RefuseStopped: a STOPPED task starts no run (ErrStopped), checked in the write that
	// begins the run, so a finder that read the task before the user stopped it cannot
	// begin a run after. Without it a STOPPED task starts a run (the user's own request).
	RefuseStopped StartOption = iota + 1
)

// TaskType says which engine a task uses.
type TaskType string

const (
	TaskS3    TaskType = "S3"
	TaskImage TaskType = "IMAGE"
)

// Engine says where a task runs.
type Engine string

const (
	EngineLocal Engine = "local" // on this computer, embedded queue and store
	EngineCloud Engine = "cloud" // SQS + DynamoDB fleet in the user's account
)

// TaskStatus is the life-cycle state of a task.
type TaskStatus string

const (
	TaskDraft     TaskStatus = "DRAFT"
	TaskDeploying TaskStatus = "DEPLOYING"
	TaskRunning   TaskStatus = "RUNNING"
	TaskIdle      TaskStatus = "IDLE" // between scheduled runs
	TaskStopping  TaskStatus = "STOPPING"
	TaskStopped   TaskStatus = "STOPPED"
	TaskCompleted TaskStatus = "COMPLETED"
	TaskFailed    TaskStatus = "FAILED"
	TaskDeleting  TaskStatus = "DELETING"
)

// EndsRun says whether a task set to this status has ended a run: both stores stamp its
// finishedAt then.
func (s TaskStatus) EndsRun() bool {
	return s == TaskCompleted || s == TaskFailed || s == TaskStopped || s == TaskIdle
}

// ItemStatus is the status of one object or image.
type ItemStatus string

const (
	ItemPending    ItemStatus = "PENDING"
	ItemInProgress ItemStatus = "IN_PROGRESS"
	ItemDone       ItemStatus = "DONE"
	ItemSkipped    ItemStatus = "SKIPPED"
	ItemFailed     ItemStatus = "FAILED"
)

// Terminal reports whether s ends an item's run.
func (s ItemStatus) Terminal() bool {
	return s == ItemDone || s == ItemSkipped || s == ItemFailed
}

// Counters are a run's progress. They are only ever changed by atomic adds
// (Store.AddCounters, and the transitions Store.PutObjects/PutImages apply), each
// counted once however often its request is retried.
type Counters struct {
	FoundObjects   int64 `json:"foundObjects"`
	FoundBytes     int64 `json:"foundBytes"`
	DoneObjects    int64 `json:"doneObjects"`
	DoneBytes      int64 `json:"doneBytes"`
	SkippedObjects int64 `json:"skippedObjects"`
	SkippedBytes   int64 `json:"skippedBytes"`
	FailedObjects  int64 `json:"failedObjects"`
	FailedBytes    int64 `json:"failedBytes"`
}

// Add adds o to c.
func (c *Counters) Add(o Counters) {
	c.FoundObjects += o.FoundObjects
	c.FoundBytes += o.FoundBytes
	c.DoneObjects += o.DoneObjects
	c.DoneBytes += o.DoneBytes
	c.SkippedObjects += o.SkippedObjects
	c.SkippedBytes += o.SkippedBytes
	c.FailedObjects += o.FailedObjects
	c.FailedBytes += o.FailedBytes
}

// IsZero reports whether nothing was counted.
func (c Counters) IsZero() bool { return c == Counters{} }

// Settled is the number of found items that reached a terminal status.
func (c Counters) Settled() int64 { return c.DoneObjects + c.SkippedObjects + c.FailedObjects }

// Task is one transfer task and its current (or last) run.
type Task struct {
	ID     string   `json:"id"`
	Type   TaskType `json:"type"`
	Name   string   `json:"name"`
	Engine Engine   `json:"engine"`
	// Definition is the task's versioned JSON definition; its schema belongs to the
	// layer that creates tasks, the store keeps it opaque.
	Definition json.RawMessage `json:"definition,omitempty"`
	Status     TaskStatus      `json:"status"`
	Counters   Counters        `json:"counters"`
	// RunID names the current or last run; counters and item transitions belong to it.
	RunID string `json:"runId,omitempty"`
	// FinderDone is set when the current run's finder has listed everything.
	FinderDone bool   `json:"finderDone"`
	LastError  string `json:"lastError,omitempty"`
	// Cloud tasks only.
	StackID      string            `json:"stackId,omitempty"`
	StackOutputs map[string]string `json:"stackOutputs,omitempty"`

	CreatedAt  time.Time `json:"createdAt"`
	UpdatedAt  time.Time `json:"updatedAt"`
	StartedAt  time.Time `json:"startedAt,omitzero"`  // start of the current/last run
	FinishedAt time.Time `json:"finishedAt,omitzero"` // end of the last run
}

// Complete reports whether a run is over: the finder has finished and every found
// item settled. Derived from records, never from log lines.
func (t Task) Complete() bool {
	return t.FinderDone && t.Counters.Settled() >= t.Counters.FoundObjects
}

// Object is the record of one S3 object in a task.
type Object struct {
	Key          string     `json:"key"`
	Size         int64      `json:"size"`
	ETag         string     `json:"etag,omitempty"`     // source ETag
	Checksum     string     `json:"checksum,omitempty"` // source checksum, "ALGO:value"
	LastModified time.Time  `json:"lastModified,omitzero"`
	Status       ItemStatus `json:"status"`
	Attempts     int        `json:"attempts"`
	Error        string     `json:"error,omitempty"`
	DestETag     string     `json:"destEtag,omitempty"`
	// Multipart uploads in progress (resume after a crash) and giant objects split
	// into part jobs across workers.
	UploadID   string    `json:"uploadId,omitempty"`
	PartsTotal int       `json:"partsTotal,omitempty"`
	PartsDone  int       `json:"partsDone,omitempty"`
	RunID      string    `json:"runId,omitempty"`
	UpdatedAt  time.Time `json:"updatedAt"`
}

// Part is one finished part of a multipart upload.
type Part struct {
	UploadID string `json:"uploadId"`
	Number   int    `json:"number"`
	Size     int64  `json:"size"`
	ETag     string `json:"etag"`
	Checksum string `json:"checksum,omitempty"`
}

// Image is the record of one requested image reference in a task.
type Image struct {
	// Source is the full source reference as requested (registry/repo:tag or @digest);
	// it is the record's key within a task.
	Source      string        `json:"source"`
	Destination string        `json:"destination"`
	Repository  string        `json:"repository"`
	Tag         string        `json:"tag,omitempty"`
	Digest      string        `json:"digest,omitempty"`
	Platforms   []string      `json:"platforms,omitempty"`
	Bytes       int64         `json:"bytes"`
	Status      ItemStatus    `json:"status"`
	Attempts    int           `json:"attempts"`
	Error       string        `json:"error,omitempty"`
	Duration    time.Duration `json:"duration"`
	RunID       string        `json:"runId,omitempty"`
	UpdatedAt   time.Time     `json:"updatedAt"`
}

// ListOptions selects one page of items, in key order.
type ListOptions struct {
	Status ItemStatus // empty: all
	Prefix string     // key (or source reference) prefix
	After  string     // exclusive cursor: the last key of the previous page
	// Offset skips that many matching items (after After) first: a jump to a far page.
	// The embedded store walks an index for it; the DynamoDB store skips whole job items
	// by their counts where it can, and reads and drops the rest.
	Offset int
	Limit  int // 0: the store's default (100)
}

// Page is one page of items and the cursor to the next ("" at the end).
type Page[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

// Store is the contract between the engines and a state backend.
//
// Items carry the RunID they belong to (empty: the task's current run). Images use
// the same counters as objects (one requested reference = one object).
//
// Item transitions are idempotent per run: PutObjects/PutImages adjust the task's
// counters only when an item enters a terminal status it did not already have in the
// same run (DONE twice counts once; FAILED then DONE moves one from failed to done),
// so duplicate or redelivered jobs never double-count. Prior.Apply is that rule, for
// every store.
type Store interface {
	// PutTask creates a task, or updates the descriptive fields of an existing one
	// (type, name, engine, definition, stack id and outputs). Status, run and counters
	// change only through SetTaskStatus, StartRun, FinishFinder and AddCounters, so a
	// PutTask never loses a concurrent counter update.
	PutTask(ctx context.Context, t Task) error
	GetTask(ctx context.Context, id string) (Task, error)
	ListTasks(ctx context.Context) ([]Task, error)
	DeleteTask(ctx context.Context, id string) error
	// SetTaskStatus moves a task to status `to` if its status is one of `from`
	// (any status when from is empty); otherwise ErrConflict.
	SetTaskStatus(ctx context.Context, id string, from []TaskStatus, to TaskStatus, lastError string) error
	// FinishRun is SetTaskStatus on the condition that runID is still the task's current
	// run (otherwise ErrConflict): the end of a run never lands on the run begun after it.
	FinishRun(ctx context.Context, id, runID string, from []TaskStatus, to TaskStatus, lastError string) error
	// StartRun begins a new run: new RunID, zero counters, FinderDone=false,
	// status RUNNING, StartedAt=now. ErrConflict if a run is RUNNING or STOPPING; with
	// RefuseStopped, ErrStopped if the task is STOPPED (one conditional write).
	StartRun(ctx context.Context, id string, opts ...StartOption) (Task, error)
	// FinishFinder marks the current run's finder as done.
	FinishFinder(ctx context.Context, id, runID string) error
	// AddCounters atomically adds delta to the task's counters for runID
	// (ignored, with ErrConflict, when runID is no longer the current run). It counts
	// once even when the request is sent again because its response was lost (the
	// SDK's retries); an error means the delta was not added.
	AddCounters(ctx context.Context, id, runID string, delta Counters) error

	// SetMeta/GetMeta keep small engine-private values per task (finder checkpoints).
	// GetMeta returns "" and no error for a missing name.
	SetMeta(ctx context.Context, taskID, name, value string) error
	GetMeta(ctx context.Context, taskID, name string) (string, error)
	// Lease takes or renews the named lease (e.g. "finder") for owner until now+ttl;
	// while another owner holds an unexpired one it returns a *LeaseHeldError (an
	// ErrConflict) that says who and until when. ReleaseLease drops it if owner holds it.
	// Package taskrun holds a run's lease over these two.
	Lease(ctx context.Context, taskID, name, owner string, ttl time.Duration) error
	ReleaseLease(ctx context.Context, taskID, name, owner string) error

	// PutJob records the objects of one job batch as it is sent (each PENDING, or
	// IN_PROGRESS, in one run: RunID, empty for the task's current run), so that queued
	// objects can be found. An object that already has a record in that run keeps it (a
	// batch sent again never undoes what was settled), and so does an earlier run's
	// IN_PROGRESS record (work under way: an upload to resume or abort); PutJob never
	// changes the counters. Later PutObjects of these keys in that run update the batch's
	// record: the DynamoDB store keeps a batch's objects together in one item (writes are
	// its bill), the SQLite store a row each. Objects an earlier run left PENDING are not
	// shown by the DynamoDB store once another run is current (cloud/docs/cloud-run.md).
	PutJob(ctx context.Context, taskID string, objs []Object) error
	PutObjects(ctx context.Context, taskID string, objs []Object) error
	GetObject(ctx context.Context, taskID, key string) (Object, error)
	ListObjects(ctx context.Context, taskID string, opt ListOptions) (Page[Object], error)
	CountObjects(ctx context.Context, taskID string) (map[ItemStatus]int64, error)

	// PutPart records a finished part of key's multipart upload and returns how many
	// distinct parts of that upload are finished (a duplicate is counted once). Parts of
	// a giant object are uploaded by many workers: the one whose part makes the count
	// equal PartsTotal completes the upload. No polling.
	PutPart(ctx context.Context, taskID, key string, p Part) (done int, err error)
	ListParts(ctx context.Context, taskID, key, uploadID string) ([]Part, error)
	DeleteParts(ctx context.Context, taskID, key, uploadID string) error

	PutImages(ctx context.Context, taskID string, imgs []Image) error
	GetImage(ctx context.Context, taskID, source string) (Image, error)
	ListImages(ctx context.Context, taskID string, opt ListOptions) (Page[Image], error)

	Close() error
}
