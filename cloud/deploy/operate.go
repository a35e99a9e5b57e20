package deploy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	schedtypes "github.com/aws/aws-sdk-go-v2/service/scheduler/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"transferhub/cloud/stack"
)

// Operating a deployed task: what the desktop's cloud runner does to a task stack
// between deploys (run now, stop, resume) and what its monitor reads (queue, fleet,
// logs, stack events, an image task's executions). Each reader makes one API call, so a
// caller can keep its own call budget.

// ECSAPI runs and stops a task's finder.
type ECSAPI interface {
	RunTask(context.Context, *ecs.RunTaskInput, ...func(*ecs.Options)) (*ecs.RunTaskOutput, error)
	ListTasks(context.Context, *ecs.ListTasksInput, ...func(*ecs.Options)) (*ecs.ListTasksOutput, error)
	StopTask(context.Context, *ecs.StopTaskInput, ...func(*ecs.Options)) (*ecs.StopTaskOutput, error)
}

// SFNAPI starts, stops and reads an image task's runs.
type SFNAPI interface {
	StartExecution(context.Context, *sfn.StartExecutionInput, ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
	ListExecutions(context.Context, *sfn.ListExecutionsInput, ...func(*sfn.Options)) (*sfn.ListExecutionsOutput, error)
	StopExecution(context.Context, *sfn.StopExecutionInput, ...func(*sfn.Options)) (*sfn.StopExecutionOutput, error)
	DescribeExecution(context.Context, *sfn.DescribeExecutionInput, ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
}

// SchedulerAPI pauses and resumes a task's schedule.
type SchedulerAPI interface {
	GetSchedule(context.Context, *scheduler.GetScheduleInput, ...func(*scheduler.Options)) (*scheduler.GetScheduleOutput, error)
	UpdateSchedule(context.Context, *scheduler.UpdateScheduleInput, ...func(*scheduler.Options)) (*scheduler.UpdateScheduleOutput, error)
}

// LogsAPI reads the agents' recent log lines.
type LogsAPI interface {
	DescribeLogStreams(context.Context, *cloudwatchlogs.DescribeLogStreamsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogStreamsOutput, error)
	FilterLogEvents(context.Context, *cloudwatchlogs.FilterLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
}

// FleetAPI reads and resizes a task's worker group.
type FleetAPI interface {
	DescribeAutoScalingGroups(context.Context, *autoscaling.DescribeAutoScalingGroupsInput, ...func(*autoscaling.Options)) (*autoscaling.DescribeAutoScalingGroupsOutput, error)
	UpdateAutoScalingGroup(context.Context, *autoscaling.UpdateAutoScalingGroupInput, ...func(*autoscaling.Options)) (*autoscaling.UpdateAutoScalingGroupOutput, error)
}

// TaskStack is a deployed task's stack as its operations need it.
type TaskStack struct {
	ControlPlane string
	CP           stack.ControlPlaneOutputs
	Kind         stack.Kind
	TaskID       string
	Stack        string
	StackID      string
	Status       string
	Outputs      map[string]string
	Params       map[string]string
	// Schedule is the name of the task's EventBridge schedule ("" when it has none).
	Schedule string
}

// Table is the task's table.
func (ts TaskStack) Table() string { return ts.Outputs["TableName"] }

// TaskStack reads a task's stack, its outputs and parameters and its schedule's name.
// It costs three calls (the control plane, the stack, its resources): callers keep it.
func (d *Deployer) TaskStack(ctx context.Context, controlPlane, taskID string) (TaskStack, error) {
	if controlPlane == "" {
		controlPlane = DefaultControlPlane
	}
	cp, err := d.ControlPlane(ctx, controlPlane)
	if err != nil {
		return TaskStack{}, err
	}
	name := TaskStackName(controlPlane, taskID)
	cur, err := d.describeStack(ctx, name)
	if err != nil {
		return TaskStack{}, err
	}
	if cur == nil || cur.StackStatus == cftypes.StackStatusReviewInProgress {
		return TaskStack{}, fmt.Errorf("task %s has no stack in control plane %s (%s): %w", taskID, controlPlane, d.region, ErrNoTaskStack)
	}
	ts := TaskStack{ControlPlane: controlPlane, CP: cp, Kind: stack.Kind(tagMap(cur.Tags)[TagKind]), TaskID: taskID, Stack: name,
		StackID: aws.ToString(cur.StackId), Status: string(cur.StackStatus), Outputs: outputMap(cur.Outputs), Params: paramMap(cur.Parameters)}
	p := cloudformation.NewListStackResourcesPaginator(d.c.CloudFormation, &cloudformation.ListStackResourcesInput{StackName: aws.String(ts.StackID)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return TaskStack{}, fmt.Errorf("list the resources of stack %s: %w", name, err)
		}
		for _, r := range page.StackResourceSummaries {
			phys := aws.ToString(r.PhysicalResourceId)
			if aws.ToString(r.ResourceType) == "AWS::Scheduler::Schedule" && phys != "" {
				ts.Schedule = phys
			}
			// The finder's task definition is the stack's resource: an update registers a
			// new revision. (The AWS emulator keeps the output naming the old one after an
			// update executed through a change set; AWS's output is the same ARN.)
			if aws.ToString(r.LogicalResourceId) == "FinderTaskDefinition" && strings.Contains(phys, ":task-definition/") {
				ts.Outputs["FinderTaskDefinitionArn"] = phys
			}
		}
	}
	return ts, nil
}

// ErrNoTaskStack: the task has no stack (never deployed, or deleted).
var ErrNoTaskStack = errors.New("no stack")

// Started is what RunNow started.
type Started struct {
	// FinderTask is the ECS task ARN of an S3 task's finder; Execution the state
	// machine execution of an image task.
	FinderTask string `json:"finderTask,omitempty"`
	Execution  string `json:"execution,omitempty"`
}

// StartedBy marks the finders the desktop starts (ecs:RunTask's startedBy).
const StartedBy = "transfer-hub"

// RunNow starts a run now: an S3 task's finder (ecs:RunTask with the control plane's
// network, as its schedule would), an image task's state machine (StartExecution).
func (d *Deployer) RunNow(ctx context.Context, ts TaskStack) (Started, error) {
	switch ts.Kind {
	case stack.KindS3Task:
		def := ts.Outputs["FinderTaskDefinitionArn"]
		if def == "" {
			return Started{}, fmt.Errorf("stack %s names no finder task definition (FinderTaskDefinitionArn)", ts.Stack)
		}
		public := ecstypes.AssignPublicIpDisabled
		if ts.CP.AssignPublicIP == "ENABLED" {
			public = ecstypes.AssignPublicIpEnabled
		}
		out, err := d.c.ECS.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String(ts.CP.ClusterARN), TaskDefinition: aws.String(def),
			LaunchType: ecstypes.LaunchTypeFargate, Count: aws.Int32(1), StartedBy: aws.String(StartedBy),
			NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
				Subnets: ts.CP.SubnetIDs, SecurityGroups: []string{ts.CP.SecurityGroupID}, AssignPublicIp: public}}})
		if err != nil {
			return Started{}, fmt.Errorf("start the finder of task %s: %w", ts.TaskID, err)
		}
		if len(out.Failures) > 0 {
			f := out.Failures[0]
			return Started{}, fmt.Errorf("start the finder of task %s: %s %s", ts.TaskID, aws.ToString(f.Reason), aws.ToString(f.Detail))
		}
		if len(out.Tasks) == 0 {
			return Started{}, fmt.Errorf("start the finder of task %s: ECS started no task", ts.TaskID)
		}
		return Started{FinderTask: aws.ToString(out.Tasks[0].TaskArn)}, nil
	case stack.KindImageTask:
		sm := ts.Outputs["StateMachineArn"]
		if sm == "" {
			return Started{}, fmt.Errorf("stack %s names no state machine (StateMachineArn)", ts.Stack)
		}
		// Named once per run asked for: the same request sent again (the SDK's retry after
		// a lost response) returns the execution the first one started, while it runs,
		// instead of starting a second one beside it; once that execution has ended the
		// name is refused (ExecutionAlreadyExists), and the execution is still this one.
		name := executionName()
		out, err := d.c.SFN.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm), Name: aws.String(name), Input: aws.String("{}")})
		if exists := (*sfntypes.ExecutionAlreadyExists)(nil); errors.As(err, &exists) {
			return Started{Execution: executionARN(sm, name)}, nil
		}
		if err != nil {
			return Started{}, fmt.Errorf("start a run of task %s: %w", ts.TaskID, err)
		}
		return Started{Execution: aws.ToString(out.ExecutionArn)}, nil
	}
	return Started{}, fmt.Errorf("stack %s is not a task (%s)", ts.Stack, ts.Kind)
}

// executionName names one run asked for (unique: time and 64 random bits; Step
// Functions allows 80 characters of letters, digits, - and _).
func executionName() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "run-" + time.Now().UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b)
}

// executionARN is the ARN of state machine sm's execution name
// (arn:…:stateMachine:<machine> → arn:…:execution:<machine>:<name>).
func executionARN(sm, name string) string {
	return strings.Replace(sm, ":stateMachine:", ":execution:", 1) + ":" + name
}

// StopRuns stops what runs a task's run now: an S3 task's finders, an image task's
// executions. Workers are the fleet's (ScaleWorkers).
func (d *Deployer) StopRuns(ctx context.Context, ts TaskStack, reason string) (int, error) {
	n := 0
	switch ts.Kind {
	case stack.KindS3Task:
		def := ts.Outputs["FinderTaskDefinitionArn"]
		family := familyOf(def)
		p := ecs.NewListTasksPaginator(d.c.ECS, &ecs.ListTasksInput{Cluster: aws.String(ts.CP.ClusterARN), Family: aws.String(family),
			DesiredStatus: ecstypes.DesiredStatusRunning})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return n, fmt.Errorf("list the finders of task %s: %w", ts.TaskID, err)
			}
			for _, arn := range page.TaskArns {
				if _, err := d.c.ECS.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(ts.CP.ClusterARN), Task: aws.String(arn), Reason: aws.String(reason)}); err != nil {
					return n, fmt.Errorf("stop finder %s: %w", arn, err)
				}
				n++
			}
		}
	case stack.KindImageTask:
		p := sfn.NewListExecutionsPaginator(d.c.SFN, &sfn.ListExecutionsInput{StateMachineArn: aws.String(ts.Outputs["StateMachineArn"]),
			StatusFilter: sfntypes.ExecutionStatusRunning})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return n, fmt.Errorf("list the runs of task %s: %w", ts.TaskID, err)
			}
			for _, e := range page.Executions {
				if _, err := d.c.SFN.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: e.ExecutionArn, Cause: aws.String(reason)}); err != nil {
					return n, fmt.Errorf("stop run %s: %w", aws.ToString(e.ExecutionArn), err)
				}
				n++
			}
		}
	}
	return n, nil
}

// familyOf is a task definition ARN's family (…:task-definition/<family>:<revision>).
func familyOf(arn string) string {
	s := arn[strings.LastIndex(arn, "/")+1:]
	if i := strings.LastIndex(s, ":"); i > 0 {
		s = s[:i]
	}
	return s
}

// ScaleWorkers stops an S3 task's fleet (no workers, and none started on backlog) or
// lets it scale again up to the stack's MaxWorkers. Queued messages stay in the queue.
// An image task has no fleet: nothing to do.
func (d *Deployer) ScaleWorkers(ctx context.Context, ts TaskStack, stopped bool) error {
	group := ts.Outputs["WorkerGroupName"]
	if ts.Kind != stack.KindS3Task || group == "" {
		return nil
	}
	in := &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(group), MinSize: aws.Int32(0)}
	if stopped {
		in.MaxSize, in.DesiredCapacity = aws.Int32(0), aws.Int32(0)
	} else {
		maxWorkers, err := strconv.Atoi(ts.Params["MaxWorkers"])
		if err != nil || maxWorkers < 1 {
			return fmt.Errorf("stack %s: MaxWorkers %q is not a worker count", ts.Stack, ts.Params["MaxWorkers"])
		}
		in.MaxSize = aws.Int32(int32(maxWorkers))
	}
	if _, err := d.c.Fleet.UpdateAutoScalingGroup(ctx, in); err != nil {
		return fmt.Errorf("resize the workers of task %s: %w", ts.TaskID, err)
	}
	return nil
}

// PauseSchedule disables (paused) or enables a task's schedule; a task without one has
// nothing to pause. UpdateSchedule replaces a schedule as a whole: what GetSchedule
// says is sent back with the new state.
func (d *Deployer) PauseSchedule(ctx context.Context, ts TaskStack, paused bool) error {
	if ts.Schedule == "" {
		return nil
	}
	cur, err := d.c.Scheduler.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String(ts.Schedule)})
	if err != nil {
		return fmt.Errorf("read the schedule of task %s: %w", ts.TaskID, err)
	}
	state := schedtypes.ScheduleStateEnabled
	if paused {
		state = schedtypes.ScheduleStateDisabled
	}
	if cur.State == state {
		return nil
	}
	_, err = d.c.Scheduler.UpdateSchedule(ctx, &scheduler.UpdateScheduleInput{Name: cur.Name, GroupName: cur.GroupName,
		ScheduleExpression: cur.ScheduleExpression, ScheduleExpressionTimezone: cur.ScheduleExpressionTimezone,
		FlexibleTimeWindow: cur.FlexibleTimeWindow, Target: cur.Target, Description: cur.Description,
		StartDate: cur.StartDate, EndDate: cur.EndDate, KmsKeyArn: cur.KmsKeyArn, ActionAfterCompletion: cur.ActionAfterCompletion,
		State: state})
	if err != nil {
		return fmt.Errorf("%s the schedule of task %s: %w", map[bool]string{true: "pause", false: "resume"}[paused], ts.TaskID, err)
	}
	return nil
}

// QueueDepth is an S3 task's queue now.
type QueueDepth struct {
	Visible  int64 `json:"visible"`
	InFlight int64 `json:"inFlight"`
	Delayed  int64 `json:"delayed"`
	// DeadLetters is the dead-letter queue's size (messages SQS gave up on).
	DeadLetters int64 `json:"deadLetters"`
}

// Queue reads an S3 task's queue and dead-letter queue (two calls).
func (d *Deployer) Queue(ctx context.Context, ts TaskStack) (QueueDepth, error) {
	var q QueueDepth
	attrs, err := d.queueAttrs(ctx, ts.Outputs["QueueUrl"])
	if err != nil {
		return q, fmt.Errorf("read the queue of task %s: %w", ts.TaskID, err)
	}
	q.Visible, q.InFlight, q.Delayed = attrs[0], attrs[1], attrs[2]
	dl, err := d.queueAttrs(ctx, ts.Outputs["DeadLetterQueueUrl"])
	if err != nil {
		return q, fmt.Errorf("read the dead-letter queue of task %s: %w", ts.TaskID, err)
	}
	q.DeadLetters = dl[0] + dl[1] + dl[2]
	return q, nil
}

func (d *Deployer) queueAttrs(ctx context.Context, url string) ([3]int64, error) {
	var out [3]int64
	if url == "" {
		return out, errors.New("the stack names no queue")
	}
	names := []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages,
		sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible, sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed}
	res, err := d.c.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: names})
	if err != nil {
		return out, err
	}
	for i, n := range names {
		out[i], _ = strconv.ParseInt(res.Attributes[string(n)], 10, 64)
	}
	return out, nil
}

// FleetSize is an S3 task's worker group now.
type FleetSize struct {
	Desired  int `json:"desired"`
	Running  int `json:"running"` // instances in service
	Starting int `json:"starting"`
	Stopping int `json:"stopping"`
	Max      int `json:"max"`
}

// Fleet reads an S3 task's worker group (one call).
func (d *Deployer) Fleet(ctx context.Context, ts TaskStack) (FleetSize, error) {
	group := ts.Outputs["WorkerGroupName"]
	if group == "" {
		return FleetSize{}, fmt.Errorf("stack %s names no worker group", ts.Stack)
	}
	out, err := d.c.Fleet.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{group}})
	if err != nil {
		return FleetSize{}, fmt.Errorf("read the workers of task %s: %w", ts.TaskID, err)
	}
	if len(out.AutoScalingGroups) == 0 {
		return FleetSize{}, fmt.Errorf("the worker group %s of task %s is gone", group, ts.TaskID)
	}
	g := out.AutoScalingGroups[0]
	f := FleetSize{Desired: int(aws.ToInt32(g.DesiredCapacity)), Max: int(aws.ToInt32(g.MaxSize))}
	for _, i := range g.Instances {
		st := string(i.LifecycleState)
		switch {
		case st == "InService":
			f.Running++
		case strings.HasPrefix(st, "Pending"):
			f.Starting++
		case strings.HasPrefix(st, "Terminating"):
			f.Stopping++
		}
	}
	return f, nil
}

// LogLine is one line an agent of the task logged.
type LogLine struct {
	Time    time.Time `json:"time"`
	Stream  string    `json:"stream"` // <task>/<role>/<id>
	Message string    `json:"message"`
}

// RecentLogs reads up to limit of the task's agents' log lines since a time, oldest
// first, in two calls: the log group's most recently written streams (the agents log
// to the control plane's group, streams <task>/<role>/<id>), then the lines of this
// task's among them.
func (d *Deployer) RecentLogs(ctx context.Context, ts TaskStack, since time.Time, limit int) ([]LogLine, error) {
	streams, err := d.c.Logs.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String(ts.CP.AgentLogGroup),
		OrderBy: cwltypes.OrderByLastEventTime, Descending: aws.Bool(true), Limit: aws.Int32(50)})
	if err != nil {
		return nil, fmt.Errorf("read the log streams of task %s: %w", ts.TaskID, err)
	}
	var names []string
	for _, s := range streams.LogStreams {
		if n := aws.ToString(s.LogStreamName); strings.HasPrefix(n, ts.TaskID+"/") {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return []LogLine{}, nil
	}
	in := &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(ts.CP.AgentLogGroup), LogStreamNames: names,
		Limit: aws.Int32(int32(max(1, min(limit, 10000))))}
	if !since.IsZero() {
		in.StartTime = aws.Int64(since.UnixMilli())
	}
	out, err := d.c.Logs.FilterLogEvents(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("read the logs of task %s: %w", ts.TaskID, err)
	}
	lines := make([]LogLine, 0, len(out.Events))
	for _, e := range out.Events {
		lines = append(lines, LogLine{Time: time.UnixMilli(aws.ToInt64(e.Timestamp)).UTC(), Stream: aws.ToString(e.LogStreamName),
			Message: strings.TrimRight(aws.ToString(e.Message), "\n")})
	}
	return lines, nil
}

// StackEvents reads the newest events of a stack, newest first (one call).
func (d *Deployer) StackEvents(ctx context.Context, stackID string, limit int) ([]ResourceEvent, error) {
	out, err := d.c.CloudFormation.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: aws.String(stackID)})
	if err != nil {
		return nil, fmt.Errorf("read the events of stack %s: %w", stackID, err)
	}
	var evs []ResourceEvent
	for _, e := range out.StackEvents {
		if len(evs) == limit {
			break
		}
		evs = append(evs, ResourceEvent{LogicalID: aws.ToString(e.LogicalResourceId), PhysicalID: aws.ToString(e.PhysicalResourceId),
			Type: aws.ToString(e.ResourceType), Status: string(e.ResourceStatus), Reason: aws.ToString(e.ResourceStatusReason), Time: aws.ToTime(e.Timestamp)})
	}
	return evs, nil
}
