package deploy

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"transferhub/cloud/stack"
	"transferhub/cloud/state"
	"transferhub/cloud/state/dynamostore"
	"transferhub/cloud/version"
)

// Deployment is a control plane or a task stack in the account and Region, or a task
// whose stack was deleted with its data kept (no stack, a KeptTable).
type Deployment struct {
	Kind         stack.Kind `json:"kind"`
	ControlPlane string     `json:"controlPlane"`
	TaskID       string     `json:"taskId,omitempty"`
	TaskName     string     `json:"taskName,omitempty"`
	Region       string     `json:"region"`
	Stack        string     `json:"stack,omitempty"`
	StackID      string     `json:"stackId,omitempty"`
	Status       string     `json:"status"`
	StatusReason string     `json:"statusReason,omitempty"`
	// Version is the Transfer Hub that deployed it last; TemplateSHA its template.
	Version     string    `json:"version,omitempty"`
	TemplateSHA string    `json:"templateSha,omitempty"`
	Created     time.Time `json:"created"`
	Updated     time.Time `json:"updated,omitempty"`
	// UpgradeAvailable: this build carries another version or template.
	UpgradeAvailable bool `json:"upgradeAvailable,omitempty"`
	// DeleteAndRetry: a failed creation (ROLLBACK_COMPLETE) or delete: delete it (and
	// deploy again).
	DeleteAndRetry bool `json:"deleteAndRetry,omitempty"`
	// KeptTable: the task was deleted, its table kept (Status DATA_KEPT).
	KeptTable string `json:"keptTable,omitempty"`
}

// List returns the Transfer Hub stacks of the account and Region (found by their
// TagKind tag), control planes first, then tasks by id; and, from each control plane's
// registry, the tasks deleted with their data kept.
func (d *Deployer) List(ctx context.Context) ([]Deployment, error) {
	var out []Deployment
	p := cloudformation.NewDescribeStacksPaginator(d.c.CloudFormation, &cloudformation.DescribeStacksInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the stacks in %s: %w", d.region, err)
		}
		for _, s := range page.Stacks {
			if dep, ok := d.deployment(s); ok {
				out = append(out, dep)
			}
		}
	}
	var kept []Deployment
	for _, dep := range out {
		if dep.Kind != stack.KindControlPlane {
			continue
		}
		cp, err := d.ControlPlane(ctx, dep.ControlPlane)
		if err != nil || cp.TasksTable == "" {
			continue // a control plane not ready has no registry to read
		}
		recs, err := d.Registry(cp.TasksTable).List(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			if r.State == RecordDataKept {
				kept = append(kept, Deployment{Kind: stack.Kind(r.Kind), ControlPlane: dep.ControlPlane, TaskID: r.TaskID, TaskName: r.Name,
					Region: d.region, Status: RecordDataKept, KeptTable: r.KeptTable, Version: r.Version, Created: r.Created, Updated: r.Updated})
			}
		}
	}
	out = append(out, kept...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a.Kind == stack.KindControlPlane) != (b.Kind == stack.KindControlPlane) {
			return a.Kind == stack.KindControlPlane
		}
		if a.ControlPlane != b.ControlPlane {
			return a.ControlPlane < b.ControlPlane
		}
		return a.TaskID < b.TaskID
	})
	return out, nil
}

// deployment reads one stack; ok is false for stacks that are not ours.
func (d *Deployer) deployment(s types.Stack) (Deployment, bool) {
	tags := tagMap(s.Tags)
	if !isKind(tags[TagKind]) || s.StackStatus == types.StackStatusDeleteComplete {
		return Deployment{}, false
	}
	kind := stack.Kind(tags[TagKind])
	dep := Deployment{Kind: kind, ControlPlane: tags[TagControlPlane], TaskID: tags[TagTaskID], Region: d.region,
		Stack: aws.ToString(s.StackName), StackID: aws.ToString(s.StackId), Status: string(s.StackStatus), StatusReason: aws.ToString(s.StackStatusReason),
		Version: tags[TagVersion], TemplateSHA: tags[TagTemplate], Created: aws.ToTime(s.CreationTime), Updated: aws.ToTime(s.LastUpdatedTime)}
	dep.TaskName = paramMap(s.Parameters)["TaskName"]
	tpl := map[stack.Kind]stack.Template{stack.KindControlPlane: stack.ControlPlane(), stack.KindS3Task: stack.S3Task(), stack.KindImageTask: stack.ImageTask()}[kind]
	dep.UpgradeAvailable = dep.Version != version.Version || dep.TemplateSHA != tpl.SHA256
	switch s.StackStatus {
	case types.StackStatusRollbackComplete, types.StackStatusRollbackFailed, types.StackStatusDeleteFailed:
		dep.DeleteAndRetry = true
	case types.StackStatusReviewInProgress:
		dep.UpgradeAvailable = false
	}
	return dep, true
}

// TaskStatus is a cloud task's state: its stack and, from its table, its run.
type TaskStatus struct {
	Deployment
	Outputs map[string]string `json:"outputs,omitempty"`
	// FirstFailure of the stack's last operation, when it failed.
	FirstFailure *Failure `json:"firstFailure,omitempty"`
	// Table is the task's table; Run what it says of the task (status, counters,
	// last error); nil before the first run.
	Table string      `json:"table,omitempty"`
	Run   *state.Task `json:"run,omitempty"`
}

// Status reads a task's stack and its table.
func (d *Deployer) Status(ctx context.Context, controlPlane, taskID string) (TaskStatus, error) {
	if controlPlane == "" {
		controlPlane = DefaultControlPlane
	}
	name := TaskStackName(controlPlane, taskID)
	out, err := d.c.CloudFormation.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	var ts TaskStatus
	switch {
	case err == nil && len(out.Stacks) > 0:
		dep, ok := d.deployment(out.Stacks[0])
		if !ok {
			return ts, fmt.Errorf("stack %s is not a Transfer Hub task", name)
		}
		ts.Deployment = dep
		ts.Outputs = outputMap(out.Stacks[0].Outputs)
		ts.Table = ts.Outputs["TableName"]
		if dep.DeleteAndRetry || dep.Status == string(types.StackStatusUpdateRollbackComplete) || dep.Status == string(types.StackStatusUpdateRollbackFailed) {
			ts.FirstFailure = d.lastFailure(ctx, dep.StackID)
		}
	case err != nil && !notExist(err):
		return ts, fmt.Errorf("look up stack %s: %w", name, err)
	default:
		cp, err := d.ControlPlane(ctx, controlPlane)
		if err != nil {
			return ts, err
		}
		rec, ok, err := d.Registry(cp.TasksTable).Get(ctx, taskID)
		if err != nil {
			return ts, err
		}
		if !ok {
			return ts, fmt.Errorf("no task %s in control plane %s (%s)", taskID, controlPlane, d.region)
		}
		ts.Deployment = Deployment{Kind: stack.Kind(rec.Kind), ControlPlane: controlPlane, TaskID: taskID, TaskName: rec.Name, Region: d.region,
			Status: rec.State, KeptTable: rec.KeptTable, Version: rec.Version, Created: rec.Created, Updated: rec.Updated}
		ts.Table = rec.KeptTable
	}
	if ts.Table != "" {
		t, err := dynamostore.New(d.c.DynamoDB, ts.Table).GetTask(ctx, taskID)
		switch {
		case err == nil:
			ts.Run = &t
		case !errors.Is(err, state.ErrNotFound):
			return ts, fmt.Errorf("read task %s from its table %s: %w", taskID, ts.Table, err)
		}
	}
	return ts, nil
}
