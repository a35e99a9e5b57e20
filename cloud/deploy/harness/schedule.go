package harness

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

// Schedules: the emulator drops AWS::Scheduler::Schedule. Fire does what the schedule's
// target says (from the deployed template), with the schedule's role: RunTask of the
// finder's task definition, or StartExecution of the state machine with the schedule's
// input. The harness then plays the task or the execution like any other.

// Fired is what firing a schedule started.
type Fired struct {
	Schedule  string
	TaskARN   string // an ECS target
	Execution string // a state machine target
}

// Fire fires every schedule of a stack now, as if its time had come. A stack without a
// schedule (a task run on demand) is an error.
func (h *Harness) Fire(ctx context.Context, stackName string) ([]Fired, error) {
	p, err := h.stack(stackName)
	if err != nil {
		return nil, err
	}
	d := p.d
	names := d.ofType("AWS::Scheduler::Schedule")
	if len(names) == 0 {
		return nil, fmt.Errorf("stack %s has no schedule (ScheduleExpression %q)", d.name, d.params["ScheduleExpression"])
	}
	var out []Fired
	for _, name := range names {
		target, err := d.prop(name, "Target")
		if err != nil {
			return out, err
		}
		tm := asMap(target)
		role := str(tm["RoleArn"])
		f := Fired{Schedule: name}
		arn := str(tm["Arn"])
		switch {
		case tm["EcsParameters"] != nil:
			ep := asMap(tm["EcsParameters"])
			in := &ecs.RunTaskInput{Cluster: aws.String(arn), TaskDefinition: aws.String(str(ep["TaskDefinitionArn"])),
				LaunchType: ecstypes.LaunchType(str(ep["LaunchType"])), Count: aws.Int32(1), StartedBy: aws.String("thub-harness/" + name)}
			if pv := str(ep["PlatformVersion"]); pv != "" {
				in.PlatformVersion = aws.String(pv)
			}
			if nc := asMap(asMap(ep["NetworkConfiguration"])["AwsvpcConfiguration"]); nc != nil {
				in.NetworkConfiguration = &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
					Subnets: asStrings(nc["Subnets"]), SecurityGroups: asStrings(nc["SecurityGroups"]), AssignPublicIp: ecstypes.AssignPublicIp(str(nc["AssignPublicIp"]))}}
			}
			r, err := ecs.NewFromConfig(h.roleConfig(role)).RunTask(ctx, in)
			if err != nil {
				return out, fmt.Errorf("schedule %s of %s: run the finder: %w", name, d.name, err)
			}
			if len(r.Tasks) != 1 {
				return out, fmt.Errorf("schedule %s of %s: RunTask started %d tasks", name, d.name, len(r.Tasks))
			}
			f.TaskARN = aws.ToString(r.Tasks[0].TaskArn)
			if t := h.claimTask(f.TaskARN, arn); t != nil {
				go h.runECSTask(h.ctx, arn, t)
			}
		case strings.Contains(arn, ":states:") && strings.Contains(arn, ":stateMachine:"):
			input := str(tm["Input"])
			r, err := sfn.NewFromConfig(h.roleConfig(role)).StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String(input)})
			if err != nil {
				return out, fmt.Errorf("schedule %s of %s: start the state machine: %w", name, d.name, err)
			}
			f.Execution = aws.ToString(r.ExecutionArn)
		default:
			return out, fmt.Errorf("schedule %s of %s: the harness does not play target %s", name, d.name, arn)
		}
		h.log.Info("schedule fired", "stack", d.name, "schedule", name, "task", f.TaskARN, "execution", f.Execution)
		out = append(out, f)
	}
	return out, nil
}
