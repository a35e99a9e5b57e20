package deploy

import (
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// tracker folds a stack operation's events into Progress.
type tracker struct {
	f       follow
	marker  string
	started time.Time
	status  string
	reason  string // of the last stack event
	total   int
	res     map[string]*ResourceEvent
	order   []string
	firstAt map[string]time.Time
	events  []types.StackEvent
	rolling bool
	seen    map[string]bool
}

func newTracker(f follow) *tracker {
	return &tracker{f: f, marker: f.marker, started: time.Now(), total: f.total,
		res: map[string]*ResourceEvent{}, firstAt: map[string]time.Time{}, seen: map[string]bool{}}
}

// apply takes one new event; ok is false for an event already seen.
func (t *tracker) apply(e types.StackEvent) (Progress, bool) {
	id := aws.ToString(e.EventId)
	if t.seen[id] {
		return Progress{}, false
	}
	t.seen[id] = true
	t.marker = id
	t.events = append(t.events, e)
	st := string(e.ResourceStatus)
	if isStackEvent(e) {
		t.status, t.reason = st, aws.ToString(e.ResourceStatusReason)
		if strings.Contains(st, "ROLLBACK") {
			t.rolling = true
		}
		return t.progress(nil), true
	}
	logical := aws.ToString(e.LogicalResourceId)
	at := aws.ToTime(e.Timestamp)
	if _, ok := t.firstAt[logical]; !ok {
		t.firstAt[logical] = at
		t.order = append(t.order, logical)
	}
	r := &ResourceEvent{LogicalID: logical, PhysicalID: aws.ToString(e.PhysicalResourceId), Type: aws.ToString(e.ResourceType),
		Status: st, Reason: aws.ToString(e.ResourceStatusReason), Time: at, Elapsed: at.Sub(t.firstAt[logical])}
	t.res[logical] = r
	if len(t.res) > t.total {
		t.total = len(t.res)
	}
	ev := *r
	return t.progress(&ev), true
}

// finished: a resource at its operation's end.
func finished(status string) bool {
	return strings.HasSuffix(status, "_COMPLETE") || status == string(types.ResourceStatusDeleteSkipped)
}

func (t *tracker) done() int {
	n := 0
	for _, r := range t.res {
		if finished(r.Status) {
			n++
		}
	}
	return n
}

func (t *tracker) progress(r *ResourceEvent) Progress {
	p := Progress{Stack: t.f.stack, Op: t.f.op, Started: t.started, Elapsed: time.Since(t.started), Done: t.done(), Total: t.total,
		StackStatus: t.status, StackReason: t.reason, Resource: r, FirstFailure: firstFailure(t.events), RollingBack: t.rolling}
	for _, l := range t.order {
		if strings.HasSuffix(t.res[l].Status, "_IN_PROGRESS") {
			p.InProgress = append(p.InProgress, l)
		}
	}
	sort.Strings(p.InProgress)
	return p
}

func (t *tracker) succeeded() bool { return t.status == string(success[t.f.op]) }

func (t *tracker) final() Progress {
	p := t.progress(nil)
	p.Final = true
	if t.succeeded() {
		// Every resource of the change set reached its end, also when the events did
		// not say so one by one (the AWS emulator writes stack events only).
		p.Done = max(p.Done, p.Total)
	}
	return p
}

func (t *tracker) outcome() Outcome {
	o := Outcome{Stack: t.f.stack, StackID: t.f.stackID, Op: t.f.op, Status: t.status, Succeeded: t.succeeded(),
		FirstFailure: firstFailure(t.events), Elapsed: time.Since(t.started)}
	for _, l := range t.order {
		o.Resources = append(o.Resources, *t.res[l])
	}
	switch types.StackStatus(t.status) {
	case types.StackStatusRollbackComplete, types.StackStatusRollbackFailed, types.StackStatusDeleteFailed:
		o.DeleteAndRetry = true
	}
	if o.Succeeded {
		o.FirstFailure = nil // a failure CloudFormation recovered from (a retried delete) is not the outcome
	}
	return o
}
