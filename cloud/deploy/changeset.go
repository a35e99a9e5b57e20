package deploy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"transferhub/cloud/stack"
)

// StackSpec is what one stack should become.
type StackSpec struct {
	Name string
	Kind stack.Kind
	// TemplateBody or TemplateURL (task templates come from the assets bucket).
	TemplateBody, TemplateURL string
	// TemplateSHA is the SHA-256 of the template (recorded as the TagTemplate tag).
	TemplateSHA string
	Parameters  []types.Parameter
	Tags        map[string]string
	// Pending marks parameters whose value in a dry run stands in for something made
	// only when deploying (the ARN of a secret not stored yet): name → what it will be.
	Pending map[string]string
}

// Operation is what a change does to a stack.
type Operation string

// The operations.
const (
	OpCreate Operation = "create"
	OpUpdate Operation = "update"
	OpDelete Operation = "delete"
)

// Plan is a change set made and described, ready to execute or discard.
type Plan struct {
	Stack   string
	StackID string
	Op      Operation
	// ChangeSetID is empty when NoChanges.
	ChangeSetID string
	// NoChanges: the stack already is what the spec says; nothing to execute.
	NoChanges bool
	Preview   Preview

	spec StackSpec
	// review: the change set made a new stack (REVIEW_IN_PROGRESS) that Discard removes.
	review bool
}

// Errors of a stack that cannot take a change now.
var (
	// ErrRolledBack: the stack's creation failed and was rolled back
	// (ROLLBACK_COMPLETE). It cannot be updated: delete it and create it again
	// (DeleteStack, then Plan).
	ErrRolledBack = errors.New("the stack's creation failed and was rolled back: delete it and deploy again")
	// ErrBusy: an operation is under way on the stack; Watch follows it.
	ErrBusy = errors.New("an operation is under way on the stack")
	// ErrStuck: the stack is in a failed state only a person can resolve.
	ErrStuck = errors.New("the stack needs attention")
	// ErrTimeout: a wait ended before the stack settled; the operation goes on.
	ErrTimeout = errors.New("gave up waiting; the operation goes on in CloudFormation")
)

// StackStateError says why a stack cannot be changed now and what to do.
type StackStateError struct {
	Stack, Status, Reason string
	// FirstFailure is the failure that rolled a stack back, when its events still
	// tell it.
	FirstFailure *Failure
	// DeleteAndRetry: deleting the stack and deploying again is the way out.
	DeleteAndRetry bool
	kind           error
}

func (e *StackStateError) Error() string {
	msg := fmt.Sprintf("stack %s is %s", e.Stack, e.Status)
	if e.FirstFailure != nil {
		msg += ": " + e.FirstFailure.String()
	} else if e.Reason != "" {
		msg += ": " + e.Reason
	}
	switch {
	case e.DeleteAndRetry:
		msg += " (delete it and deploy again)"
	case errors.Is(e.kind, ErrBusy):
		msg += " (wait for it to finish)"
	case e.Status == string(types.StackStatusUpdateRollbackFailed):
		msg += " (continue the rollback in the CloudFormation console or with `aws cloudformation continue-update-rollback`, then deploy again)"
	case e.Status == string(types.StackStatusDeleteFailed):
		msg += " (delete it again)"
	}
	return msg
}

func (e *StackStateError) Unwrap() error { return e.kind }

// Plan makes a change set for spec and describes it. A stack in ROLLBACK_COMPLETE
// gives a *StackStateError that is ErrRolledBack (delete it and plan again); a stack
// with an operation under way one that is ErrBusy. When the stack already matches the
// spec the plan has NoChanges and no change set is left behind.
func (d *Deployer) Plan(ctx context.Context, spec StackSpec) (*Plan, error) {
	cur, err := d.describeStack(ctx, spec.Name)
	if err != nil {
		return nil, err
	}
	p := &Plan{Stack: spec.Name, Op: OpCreate, spec: spec}
	if cur != nil {
		p.StackID = aws.ToString(cur.StackId)
		if err := d.checkChangeable(ctx, cur); err != nil {
			return nil, err
		}
		if cur.StackStatus != types.StackStatusReviewInProgress {
			p.Op = OpUpdate
		}
	}
	in := &cloudformation.CreateChangeSetInput{
		StackName:     aws.String(spec.Name),
		ChangeSetName: aws.String(changeSetName()),
		ChangeSetType: types.ChangeSetTypeCreate,
		Parameters:    spec.Parameters,
		Tags:          stack.Tags(spec.Tags),
		Capabilities:  []types.Capability{types.CapabilityCapabilityIam, types.CapabilityCapabilityNamedIam},
		Description:   aws.String("Transfer Hub " + string(spec.Kind)),
	}
	if p.Op == OpUpdate {
		in.ChangeSetType = types.ChangeSetTypeUpdate
	}
	if spec.TemplateURL != "" {
		in.TemplateURL = aws.String(spec.TemplateURL)
	} else {
		in.TemplateBody = aws.String(spec.TemplateBody)
	}
	out, err := d.c.CloudFormation.CreateChangeSet(ctx, in)
	if err != nil {
		if p.Op == OpUpdate && noChanges(err.Error()) {
			p.NoChanges = true
			p.Preview = d.preview(p, cur, nil)
			return p, nil
		}
		return nil, fmt.Errorf("make a change set for stack %s: %w", spec.Name, err)
	}
	p.ChangeSetID = aws.ToString(out.Id)
	p.StackID = aws.ToString(out.StackId)
	p.review = p.Op == OpCreate
	changes, err := d.waitChangeSet(ctx, p)
	if err != nil {
		return nil, errors.Join(err, d.Discard(context.WithoutCancel(ctx), p))
	}
	p.Preview = d.preview(p, cur, changes)
	if p.NoChanges || (p.Op == OpUpdate && p.Preview.Empty()) {
		p.NoChanges = true
		if err := d.Discard(ctx, p); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// checkChangeable refuses stacks a change set cannot go to.
func (d *Deployer) checkChangeable(ctx context.Context, cur *types.Stack) error {
	st := string(cur.StackStatus)
	name := aws.ToString(cur.StackName)
	e := &StackStateError{Stack: name, Status: st, Reason: aws.ToString(cur.StackStatusReason)}
	switch {
	case cur.StackStatus == types.StackStatusReviewInProgress:
		return nil
	case cur.StackStatus == types.StackStatusRollbackComplete:
		e.kind, e.DeleteAndRetry = ErrRolledBack, true
		e.FirstFailure = d.lastFailure(ctx, aws.ToString(cur.StackId))
		return e
	case strings.HasSuffix(st, "_IN_PROGRESS"):
		e.kind = ErrBusy
		return e
	case cur.StackStatus == types.StackStatusRollbackFailed, cur.StackStatus == types.StackStatusDeleteFailed,
		cur.StackStatus == types.StackStatusUpdateRollbackFailed, cur.StackStatus == types.StackStatusImportRollbackFailed:
		e.kind = ErrStuck
		e.FirstFailure = d.lastFailure(ctx, aws.ToString(cur.StackId))
		e.DeleteAndRetry = cur.StackStatus != types.StackStatusUpdateRollbackFailed
		return e
	}
	return nil
}

// waitChangeSet waits for the change set to be made and returns its changes (every
// page). A change set that failed because nothing changes sets NoChanges.
func (d *Deployer) waitChangeSet(ctx context.Context, p *Plan) ([]types.Change, error) {
	pl := d.newPoller()
	for {
		out, err := d.c.CloudFormation.DescribeChangeSet(ctx, &cloudformation.DescribeChangeSetInput{ChangeSetName: aws.String(p.ChangeSetID), StackName: aws.String(p.StackID)})
		if err != nil {
			return nil, fmt.Errorf("read change set of stack %s: %w", p.Stack, err)
		}
		switch out.Status {
		case types.ChangeSetStatusCreateComplete:
			changes := out.Changes
			for next := out.NextToken; next != nil; {
				page, err := d.c.CloudFormation.DescribeChangeSet(ctx, &cloudformation.DescribeChangeSetInput{ChangeSetName: aws.String(p.ChangeSetID), StackName: aws.String(p.StackID), NextToken: next})
				if err != nil {
					return nil, fmt.Errorf("read change set of stack %s: %w", p.Stack, err)
				}
				changes = append(changes, page.Changes...)
				next = page.NextToken
			}
			return changes, nil
		case types.ChangeSetStatusFailed:
			reason := aws.ToString(out.StatusReason)
			if p.Op == OpUpdate && noChanges(reason) {
				p.NoChanges = true
				return nil, nil
			}
			return nil, fmt.Errorf("the change set of stack %s failed: %s", p.Stack, reason)
		}
		if err := pl.wait(ctx, "the change set of stack "+p.Stack); err != nil {
			return nil, err
		}
	}
}

// noChanges tells CloudFormation's "nothing to do" answers: a change set FAILED with
// "The submitted information didn't contain changes..." (AWS), or the ValidationError
// "No updates are to be performed." (UpdateStack, and the emulator's CreateChangeSet).
func noChanges(msg string) bool {
	return strings.Contains(msg, "didn't contain changes") || strings.Contains(msg, "No updates are to be performed")
}

// Discard deletes the plan's change set, and the stack it was about to create.
func (d *Deployer) Discard(ctx context.Context, p *Plan) error {
	if p.ChangeSetID == "" {
		return nil
	}
	if p.review {
		// A stack in REVIEW_IN_PROGRESS holds no resources; deleting it removes its
		// change sets too.
		if _, err := d.c.CloudFormation.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String(p.StackID)}); err != nil {
			return fmt.Errorf("remove the unexecuted stack %s: %w", p.Stack, err)
		}
	} else if _, err := d.c.CloudFormation.DeleteChangeSet(ctx, &cloudformation.DeleteChangeSetInput{ChangeSetName: aws.String(p.ChangeSetID), StackName: aws.String(p.StackID)}); err != nil {
		return fmt.Errorf("remove the change set of stack %s: %w", p.Stack, err)
	}
	p.ChangeSetID = ""
	return nil
}

// Execute runs the plan's change set and follows the stack until it settles, sending
// progress to fn (which may be nil). The outcome says how it ended; a stack that did
// not reach the operation's COMPLETE state also returns an error (a *FailedError).
func (d *Deployer) Execute(ctx context.Context, p *Plan, fn func(Progress)) (Outcome, error) {
	if p.NoChanges {
		return Outcome{Stack: p.Stack, StackID: p.StackID, Op: p.Op, NoChanges: true, Succeeded: true}, nil
	}
	if p.ChangeSetID == "" {
		return Outcome{}, fmt.Errorf("the plan of stack %s was discarded: plan again", p.Stack)
	}
	if p.Op == OpCreate && d.Emulator {
		return d.createDirectly(ctx, p, fn)
	}
	marker, err := d.newestEvent(ctx, p.StackID)
	if err != nil {
		return Outcome{}, err
	}
	if _, err := d.c.CloudFormation.ExecuteChangeSet(ctx, &cloudformation.ExecuteChangeSetInput{ChangeSetName: aws.String(p.ChangeSetID), StackName: aws.String(p.StackID)}); err != nil {
		return Outcome{}, fmt.Errorf("execute the change set of stack %s: %w", p.Stack, err)
	}
	p.ChangeSetID = ""
	return d.follow(ctx, follow{stack: p.Stack, stackID: p.StackID, op: p.Op, total: len(p.Preview.Changes), marker: marker}, fn)
}

// createDirectly creates a previewed new stack with CreateStack (see
// Deployer.Emulator).
func (d *Deployer) createDirectly(ctx context.Context, p *Plan, fn func(Progress)) (Outcome, error) {
	if err := d.Discard(ctx, p); err != nil {
		return Outcome{}, err
	}
	in := &cloudformation.CreateStackInput{StackName: aws.String(p.Stack), Parameters: p.spec.Parameters, Tags: stack.Tags(p.spec.Tags),
		Capabilities: []types.Capability{types.CapabilityCapabilityIam, types.CapabilityCapabilityNamedIam}}
	if p.spec.TemplateURL != "" {
		in.TemplateURL = aws.String(p.spec.TemplateURL)
	} else {
		in.TemplateBody = aws.String(p.spec.TemplateBody)
	}
	out, err := d.c.CloudFormation.CreateStack(ctx, in)
	if err != nil {
		return Outcome{}, fmt.Errorf("create stack %s: %w", p.Stack, err)
	}
	p.StackID = aws.ToString(out.StackId)
	return d.follow(ctx, follow{stack: p.Stack, stackID: p.StackID, op: OpCreate, total: len(p.Preview.Changes)}, fn)
}

// describeStack returns the stack (by name or id), or nil when there is none.
func (d *Deployer) describeStack(ctx context.Context, name string) (*types.Stack, error) {
	out, err := d.c.CloudFormation.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil {
		if notExist(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("look up stack %s: %w", name, err)
	}
	if len(out.Stacks) == 0 || out.Stacks[0].StackStatus == types.StackStatusDeleteComplete {
		return nil, nil
	}
	return &out.Stacks[0], nil
}

// notExist: DescribeStacks' ValidationError "Stack with id X does not exist".
func notExist(err error) bool { return err != nil && strings.Contains(err.Error(), "does not exist") }

func changeSetName() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return "thub-" + time.Now().UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b)
}

func tagMap(tags []types.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func paramMap(ps []types.Parameter) map[string]string {
	m := map[string]string{}
	for _, p := range ps {
		// An SSM parameter's value is its path (ResolvedValue is what it resolved to).
		m[aws.ToString(p.ParameterKey)] = listValue(aws.ToString(p.ParameterValue))
	}
	return m
}

// listValue reads a list parameter as CloudFormation takes it (a,b). The AWS emulator
// answers list parameters in Python's form, ['a', 'b'].
func listValue(v string) string {
	if !strings.HasPrefix(v, "[") || !strings.HasSuffix(v, "]") {
		return v
	}
	var items []string
	for _, s := range strings.Split(strings.Trim(v, "[]"), ",") {
		if s = strings.Trim(strings.TrimSpace(s), `'"`); s != "" {
			items = append(items, s)
		}
	}
	return strings.Join(items, ",")
}
