// Package stackop is a CloudFormation operation (a deploy, an update, a deletion) as
// the desktop's pages follow it: N of M resources, each resource's status and reason,
// the elapsed time, the first failure pinned, how it ended. The Deployments page
// (backend/deployments) and a cloud task's page (backend/tasks) follow their
// operations through the one Tracker here, so both show the same thing.
package stackop

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"time"

	"transferhub/cloud/deploy"
)

// Operation is an operation on a stack under way, or just ended.
type Operation struct {
	// ID names the operation for the page ("op-<started, ns>").
	ID string `json:"id"`
	// Kind says what it does: the Deployments page's deploy, delete-failed (a creation
	// that rolled back, deleted to retry) or remove; a cloud task's control-plane (made
	// along with the task), create, update or delete.
	Kind string `json:"kind"`
	// ProfileID and Region: the account (a credential profile) and Region of the stack.
	ProfileID string    `json:"profileId"`
	Region    string    `json:"region"`
	Stack     string    `json:"stack"`
	Started   time.Time `json:"started"`
	// Ended is when the operation ended (zero while it goes on): its elapsed time
	// counts the uploads and the change set before CloudFormation reported.
	Ended *time.Time `json:"ended,omitempty"`
	// Progress is the newest report (N of M, the resource, the first failure so far).
	Progress *deploy.Progress `json:"progress,omitempty"`
	// Resources are each resource's latest status and reason, in the order first seen.
	Resources []deploy.ResourceEvent `json:"resources"`
	// Uploads name what went to the assets bucket and the agent repository.
	Uploads   []string `json:"uploads,omitempty"`
	Done      bool     `json:"done"`
	Succeeded bool     `json:"succeeded"`
	// Error says why it failed.
	Error string `json:"error,omitempty"`
	// FirstFailure is the operation's first real failure (cancellations skipped).
	FirstFailure *deploy.Failure `json:"firstFailure,omitempty"`
	// DeleteAndRetry: a creation that rolled back; delete it and deploy again.
	DeleteAndRetry bool `json:"deleteAndRetry,omitempty"`
	// Removed says what a removal deleted and what it kept.
	Removed *deploy.DeleteResult `json:"removed,omitempty"`
}

// Stopped is the error of an operation the app stopped following (it closed): the
// stack's operation goes on in CloudFormation.
const Stopped = "the app stopped following it; it goes on in CloudFormation (the page shows its state when the app opens again)"

// Tracker holds one operation and tells of each change (the page's push).
type Tracker struct {
	mu      sync.Mutex
	op      Operation
	changed func(Operation)
	now     func() time.Time
}

// Start begins following op (Started, at now(), and ID are set when empty) and tells
// changed of it at once; changed gets a copy each time the operation moves.
func Start(op Operation, now func() time.Time, changed func(Operation)) *Tracker {
	if op.Started.IsZero() {
		op.Started = now()
	}
	if op.ID == "" {
		op.ID = "op-" + strconv.FormatInt(op.Started.UnixNano(), 10)
	}
	if op.Resources == nil {
		op.Resources = []deploy.ResourceEvent{}
	}
	if changed == nil {
		changed = func(Operation) {}
	}
	t := &Tracker{op: op, changed: changed, now: now}
	t.tell()
	return t
}

// Snapshot is a copy of the operation now.
func (t *Tracker) Snapshot() Operation {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.copyLocked()
}

func (t *Tracker) copyLocked() Operation {
	c := t.op
	c.Resources = slices.Clone(t.op.Resources)
	c.Uploads = slices.Clone(t.op.Uploads)
	return c
}

func (t *Tracker) tell() {
	t.changed(t.Snapshot())
}

// Update changes the operation (its uploads, what a removal did) and tells of it.
func (t *Tracker) Update(fn func(*Operation)) {
	t.mu.Lock()
	fn(&t.op)
	t.mu.Unlock()
	t.tell()
}

// Planned says what the operation is about to do before CloudFormation starts: its
// change set's size (0 of total resources) and what was uploaded for it. A page shows
// N of M from here on, also while the change set is being executed.
func (t *Tracker) Planned(stack string, op deploy.Operation, total int, uploads []string) {
	t.Update(func(o *Operation) {
		if stack != "" {
			o.Stack = stack
		}
		if len(uploads) > 0 {
			o.Uploads = slices.Clone(uploads)
		}
		o.Progress = &deploy.Progress{Stack: o.Stack, Op: op, Started: o.Started, Total: total}
	})
}

// Progress takes one report of the deployer (its progress callback).
func (t *Tracker) Progress(p deploy.Progress) {
	t.mu.Lock()
	pc := p
	op := &t.op
	op.Progress = &pc
	if e := p.Resource; e != nil {
		i := slices.IndexFunc(op.Resources, func(x deploy.ResourceEvent) bool { return x.LogicalID == e.LogicalID })
		if i < 0 {
			op.Resources = append(op.Resources, *e)
		} else {
			op.Resources[i] = *e
		}
	}
	if p.FirstFailure != nil {
		op.FirstFailure = p.FirstFailure
	}
	t.mu.Unlock()
	t.tell()
}

// End records how the operation ended: o is the deployer's outcome (zero when it
// failed before CloudFormation was asked), err its error.
func (t *Tracker) End(o deploy.Outcome, err error) {
	t.mu.Lock()
	op := &t.op
	end := t.now()
	op.Done, op.Succeeded, op.Ended = true, err == nil, &end
	if o.FirstFailure != nil {
		op.FirstFailure = o.FirstFailure
	}
	if len(op.Resources) == 0 {
		// The AWS emulator writes stack events only: its resources' states come with the
		// outcome (some without a name: those say nothing).
		for _, r := range o.Resources {
			if r.LogicalID != "" {
				op.Resources = append(op.Resources, r)
			}
		}
	}
	if err != nil {
		op.Error = err.Error()
		op.DeleteAndRetry = errors.Is(err, deploy.ErrRolledBack) || o.DeleteAndRetry
		if errors.Is(err, context.Canceled) {
			op.Error = Stopped
		}
	}
	t.mu.Unlock()
	t.tell()
}

// Follow runs one deployer call with the tracker's progress callback and ends the
// operation with its outcome.
func (t *Tracker) Follow(run func(progress func(deploy.Progress)) (deploy.Outcome, error)) (deploy.Outcome, error) {
	o, err := run(t.Progress)
	t.End(o, err)
	return o, err
}
