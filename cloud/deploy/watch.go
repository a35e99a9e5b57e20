package deploy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// Progress is the state of a stack operation after one more event (or at its end).
type Progress struct {
	Stack string    `json:"stack"`
	Op    Operation `json:"operation"`
	// Started is when the deployer started following; Elapsed the time since.
	Started time.Time     `json:"started"`
	Elapsed time.Duration `json:"elapsed"`
	// Done of Total resources have reached their operation's end (COMPLETE or, on
	// delete, SKIPPED for what is kept). Total is the change set's size (at least the
	// resources seen).
	Done  int `json:"done"`
	Total int `json:"total"`
	// StackStatus is the stack's status (CREATE_IN_PROGRESS, ROLLBACK_IN_PROGRESS, ...)
	// and StackReason what its last event said ("The following resource(s) failed ...").
	StackStatus string `json:"stackStatus"`
	StackReason string `json:"stackReason,omitempty"`
	// Resource is the event this report is about (nil for the final report).
	Resource *ResourceEvent `json:"resource,omitempty"`
	// InProgress names the resources at work now.
	InProgress []string `json:"inProgress,omitempty"`
	// FirstFailure is the first real failure so far (cascaded cancellations skipped).
	FirstFailure *Failure `json:"firstFailure,omitempty"`
	// RollingBack: the operation failed and CloudFormation is undoing it.
	RollingBack bool `json:"rollingBack,omitempty"`
	// Final: the stack has settled; this is the last report.
	Final bool `json:"final,omitempty"`
}

// ResourceEvent is a resource's latest status.
type ResourceEvent struct {
	LogicalID  string    `json:"logicalId"`
	PhysicalID string    `json:"physicalId,omitempty"`
	Type       string    `json:"type"`
	Status     string    `json:"status"`
	Reason     string    `json:"reason,omitempty"`
	Time       time.Time `json:"time"`
	// Elapsed since the resource's first event of this operation.
	Elapsed time.Duration `json:"elapsed"`
}

// Failure is the first real failure of an operation.
type Failure struct {
	LogicalID string    `json:"logicalId"`
	Type      string    `json:"type"`
	Status    string    `json:"status"`
	Reason    string    `json:"reason"`
	Time      time.Time `json:"time"`
}

func (f *Failure) String() string {
	if f.Type == "AWS::CloudFormation::Stack" {
		return f.Reason
	}
	return fmt.Sprintf("%s (%s) %s: %s", f.LogicalID, f.Type, f.Status, f.Reason)
}

// Outcome is how an operation on a stack ended.
type Outcome struct {
	Stack     string    `json:"stack"`
	StackID   string    `json:"stackId,omitempty"`
	Op        Operation `json:"operation"`
	Status    string    `json:"status,omitempty"`
	Succeeded bool      `json:"succeeded"`
	// NoChanges: there was nothing to do.
	NoChanges    bool          `json:"noChanges,omitempty"`
	FirstFailure *Failure      `json:"firstFailure,omitempty"`
	Elapsed      time.Duration `json:"elapsed"`
	// Resources are the resources' last statuses.
	Resources []ResourceEvent `json:"resources,omitempty"`
	// DeleteAndRetry: the stack is in ROLLBACK_COMPLETE (or a failed delete): deleting
	// it and deploying again is the way on.
	DeleteAndRetry bool           `json:"deleteAndRetry,omitempty"`
	Outputs        []types.Output `json:"-"`
}

// FailedError is an operation that did not reach its COMPLETE state.
type FailedError struct{ Outcome Outcome }

func (e *FailedError) Error() string {
	msg := fmt.Sprintf("%s of stack %s ended %s", e.Outcome.Op, e.Outcome.Stack, e.Outcome.Status)
	if f := e.Outcome.FirstFailure; f != nil {
		msg += ": " + f.String()
	}
	if e.Outcome.DeleteAndRetry {
		msg += " (delete the stack and deploy again)"
	}
	return msg
}

// Is lets a rolled-back creation match ErrRolledBack.
func (e *FailedError) Is(target error) bool {
	return target == ErrRolledBack && e.Outcome.Status == string(types.StackStatusRollbackComplete)
}

// follow is one operation to follow.
type follow struct {
	stack, stackID string
	op             Operation
	total          int
	// marker is the newest event before the operation: older ones are not ours.
	marker string
}

// success is each operation's COMPLETE state.
var success = map[Operation]types.StackStatus{
	OpCreate: types.StackStatusCreateComplete,
	OpUpdate: types.StackStatusUpdateComplete,
	OpDelete: types.StackStatusDeleteComplete,
}

// follow polls the stack's new events and status until the stack settles.
func (d *Deployer) follow(ctx context.Context, f follow, fn func(Progress)) (Outcome, error) {
	t := newTracker(f)
	emit := func(p Progress) {
		if fn != nil {
			fn(p)
		}
	}
	// readEvents applies the stack's events since the last read.
	readEvents := func() error {
		events, err := d.newEvents(ctx, f.stackID, t.marker)
		if err != nil {
			return err
		}
		for _, e := range events {
			if p, ok := t.apply(e); ok {
				emit(p)
			}
		}
		return nil
	}
	pl := d.newPoller()
	for {
		if err := readEvents(); err != nil {
			return t.outcome(), err
		}
		st, outs, err := d.stackStatus(ctx, f.stackID)
		if err != nil {
			return t.outcome(), err
		}
		t.status = st
		if !strings.HasSuffix(st, "_IN_PROGRESS") {
			// Events written between the two calls.
			if err := readEvents(); err != nil {
				return t.outcome(), err
			}
			o := t.outcome()
			o.Outputs = outs
			if len(o.Resources) == 0 && f.op != OpDelete {
				// The AWS emulator writes stack events only: read the resources' states.
				o.Resources = d.resourceStates(ctx, f.stackID)
			}
			emit(t.final())
			if !o.Succeeded {
				return o, &FailedError{Outcome: o}
			}
			return o, nil
		}
		if err := pl.wait(ctx, fmt.Sprintf("%s of stack %s", f.op, f.stack)); err != nil {
			return t.outcome(), err
		}
	}
}

// newestEvent is the id of the stack's newest event ("" for none).
func (d *Deployer) newestEvent(ctx context.Context, stackID string) (string, error) {
	out, err := d.c.CloudFormation.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: aws.String(stackID)})
	if err != nil {
		return "", fmt.Errorf("read the events of stack %s: %w", stackID, err)
	}
	if len(out.StackEvents) == 0 {
		return "", nil
	}
	return aws.ToString(out.StackEvents[0].EventId), nil
}

// newEvents returns the events after marker, oldest first. DescribeStackEvents pages
// newest first; paging stops at the marker.
func (d *Deployer) newEvents(ctx context.Context, stackID, marker string) ([]types.StackEvent, error) {
	var newest []types.StackEvent
	var next *string
	for {
		out, err := d.c.CloudFormation.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: aws.String(stackID), NextToken: next})
		if notExist(err) {
			return reversed(newest), nil // a deleted stack's events may be gone (the AWS emulator forgets them)
		}
		if err != nil {
			return nil, fmt.Errorf("read the events of stack %s: %w", stackID, err)
		}
		for _, e := range out.StackEvents {
			if marker != "" && aws.ToString(e.EventId) == marker {
				return reversed(newest), nil
			}
			newest = append(newest, e)
		}
		if out.NextToken == nil {
			return reversed(newest), nil
		}
		next = out.NextToken
	}
}

func reversed(es []types.StackEvent) []types.StackEvent {
	for i, j := 0, len(es)-1; i < j; i, j = i+1, j-1 {
		es[i], es[j] = es[j], es[i]
	}
	return es
}

func (d *Deployer) stackStatus(ctx context.Context, stackID string) (string, []types.Output, error) {
	out, err := d.c.CloudFormation.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stackID)})
	if err != nil {
		if notExist(err) {
			return string(types.StackStatusDeleteComplete), nil, nil
		}
		return "", nil, fmt.Errorf("read stack %s: %w", stackID, err)
	}
	if len(out.Stacks) == 0 {
		return string(types.StackStatusDeleteComplete), nil, nil
	}
	return string(out.Stacks[0].StackStatus), out.Stacks[0].Outputs, nil
}

// resourceStates lists the stack's resources and their statuses.
func (d *Deployer) resourceStates(ctx context.Context, stackID string) []ResourceEvent {
	var out []ResourceEvent
	p := cloudformation.NewListStackResourcesPaginator(d.c.CloudFormation, &cloudformation.ListStackResourcesInput{StackName: aws.String(stackID)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			d.log().Debug("list stack resources", "stack", stackID, "err", err)
			return out
		}
		for _, r := range page.StackResourceSummaries {
			out = append(out, ResourceEvent{LogicalID: aws.ToString(r.LogicalResourceId), PhysicalID: aws.ToString(r.PhysicalResourceId),
				Type: aws.ToString(r.ResourceType), Status: string(r.ResourceStatus), Reason: aws.ToString(r.ResourceStatusReason), Time: aws.ToTime(r.LastUpdatedTimestamp)})
		}
	}
	return out
}

// lastFailure reads the stack's events back to the start of its last operation and
// returns that operation's first real failure (nil when none is found).
func (d *Deployer) lastFailure(ctx context.Context, stackID string) *Failure {
	events, err := d.newEvents(ctx, stackID, "")
	if err != nil {
		return nil
	}
	start := 0
	for i, e := range events {
		if isStackEvent(e) && strings.HasSuffix(string(e.ResourceStatus), "_IN_PROGRESS") && aws.ToString(e.ResourceStatusReason) == "User Initiated" {
			start = i
		}
	}
	return firstFailure(events[start:])
}

// Watch follows an operation under way on a stack (one started elsewhere, or one whose
// wait timed out) from its start to its end.
func (d *Deployer) Watch(ctx context.Context, stackName string, fn func(Progress)) (Outcome, error) {
	cur, err := d.describeStack(ctx, stackName)
	if err != nil {
		return Outcome{}, err
	}
	if cur == nil {
		return Outcome{Stack: stackName, Op: OpDelete, Status: string(types.StackStatusDeleteComplete), Succeeded: true}, nil
	}
	id := aws.ToString(cur.StackId)
	events, err := d.newEvents(ctx, id, "")
	if err != nil {
		return Outcome{}, err
	}
	// The operation starts at the newest "User Initiated" stack event; the marker is
	// the event before it.
	f := follow{stack: stackName, stackID: id, op: OpUpdate}
	for i, e := range events {
		if isStackEvent(e) && aws.ToString(e.ResourceStatusReason) == "User Initiated" {
			f.marker = ""
			if i > 0 {
				f.marker = aws.ToString(events[i-1].EventId)
			}
			switch {
			case strings.HasPrefix(string(e.ResourceStatus), "CREATE"):
				f.op = OpCreate
			case strings.HasPrefix(string(e.ResourceStatus), "DELETE"):
				f.op = OpDelete
			default:
				f.op = OpUpdate
			}
		}
	}
	if f.op != OpUpdate {
		f.total = len(d.resourceStates(ctx, id))
	}
	return d.follow(ctx, f, fn)
}

// DeleteStack deletes a stack and follows it to the end. A stack that does not exist
// is deleted already. Resources with DeletionPolicy Retain stay (their events say
// DELETE_SKIPPED).
func (d *Deployer) DeleteStack(ctx context.Context, name string, fn func(Progress)) (Outcome, error) {
	cur, err := d.describeStack(ctx, name)
	if err != nil {
		return Outcome{}, err
	}
	if cur == nil {
		return Outcome{Stack: name, Op: OpDelete, Status: string(types.StackStatusDeleteComplete), Succeeded: true, NoChanges: true}, nil
	}
	id := aws.ToString(cur.StackId)
	if strings.HasSuffix(string(cur.StackStatus), "_IN_PROGRESS") && cur.StackStatus != types.StackStatusReviewInProgress {
		return Outcome{}, &StackStateError{Stack: name, Status: string(cur.StackStatus), kind: ErrBusy}
	}
	total := len(d.resourceStates(ctx, id))
	marker, err := d.newestEvent(ctx, id)
	if err != nil {
		return Outcome{}, err
	}
	if _, err := d.c.CloudFormation.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String(id)}); err != nil {
		return Outcome{}, fmt.Errorf("delete stack %s: %w", name, err)
	}
	return d.follow(ctx, follow{stack: name, stackID: id, op: OpDelete, total: total, marker: marker}, fn)
}

func isStackEvent(e types.StackEvent) bool {
	return aws.ToString(e.ResourceType) == "AWS::CloudFormation::Stack" && aws.ToString(e.PhysicalResourceId) == aws.ToString(e.StackId)
}

// cancelled are the reasons CloudFormation gives resources it stopped because another
// one failed: not the cause.
func cancelled(reason string) bool {
	r := strings.ToLower(reason)
	return strings.Contains(r, "resource creation cancelled") || strings.Contains(r, "resource update cancelled") ||
		strings.Contains(r, "resource deletion cancelled")
}

// firstFailure is the earliest FAILED event of a resource that is not a cascaded
// cancellation; failing that, the stack's own failure reason.
func firstFailure(events []types.StackEvent) *Failure {
	var stackLevel *Failure
	for _, e := range events {
		st := string(e.ResourceStatus)
		if !strings.HasSuffix(st, "_FAILED") {
			if isStackEvent(e) && stackLevel == nil && strings.Contains(st, "ROLLBACK_IN_PROGRESS") && aws.ToString(e.ResourceStatusReason) != "" {
				stackLevel = failureOf(e)
			}
			continue
		}
		if isStackEvent(e) {
			if stackLevel == nil {
				stackLevel = failureOf(e)
			}
			continue
		}
		if cancelled(aws.ToString(e.ResourceStatusReason)) {
			continue
		}
		return failureOf(e)
	}
	return stackLevel
}

func failureOf(e types.StackEvent) *Failure {
	return &Failure{LogicalID: aws.ToString(e.LogicalResourceId), Type: aws.ToString(e.ResourceType), Status: string(e.ResourceStatus),
		Reason: aws.ToString(e.ResourceStatusReason), Time: aws.ToTime(e.Timestamp)}
}
