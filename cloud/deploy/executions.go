package deploy

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"transferhub/cloud/stack"
)

// Execution is one run of an image task's state machine as Step Functions tells it.
// Error and Cause are an ended execution's (DescribeExecution): for a FAILED one, what
// its failing state said.
type Execution struct {
	Name   string    `json:"name"`
	ARN    string    `json:"arn"`
	Status string    `json:"status"` // RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE
	Start  time.Time `json:"start"`
	Stop   time.Time `json:"stop,omitzero"`
	Error  string    `json:"error,omitempty"`
	Cause  string    `json:"cause,omitempty"`
}

// Failed says whether the execution ended in a failure whose error and cause
// DescribeExecution tells.
func (e Execution) Failed() bool {
	return e.Status == string(sfntypes.ExecutionStatusFailed) || e.Status == string(sfntypes.ExecutionStatusTimedOut)
}

// RecentExecutions lists an image task's newest executions, newest first, at most limit
// (one call: ListExecutions). An S3 task has none.
func (d *Deployer) RecentExecutions(ctx context.Context, ts TaskStack, limit int) ([]Execution, error) {
	if ts.Kind != stack.KindImageTask {
		return nil, nil
	}
	sm := ts.Outputs["StateMachineArn"]
	if sm == "" {
		return nil, fmt.Errorf("stack %s names no state machine (StateMachineArn)", ts.Stack)
	}
	out, err := d.c.SFN.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(sm), MaxResults: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("list the runs of task %s: %w", ts.TaskID, err)
	}
	exs := []Execution{}
	for _, e := range out.Executions {
		if len(exs) == limit {
			break
		}
		exs = append(exs, Execution{Name: aws.ToString(e.Name), ARN: aws.ToString(e.ExecutionArn), Status: string(e.Status),
			Start: aws.ToTime(e.StartDate), Stop: aws.ToTime(e.StopDate)})
	}
	return exs, nil
}

// DescribeExecution reads an execution with its error and cause (one call).
func (d *Deployer) DescribeExecution(ctx context.Context, arn string) (Execution, error) {
	out, err := d.c.SFN.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		return Execution{}, fmt.Errorf("describe run %s: %w", arn, err)
	}
	return Execution{Name: aws.ToString(out.Name), ARN: aws.ToString(out.ExecutionArn), Status: string(out.Status),
		Start: aws.ToTime(out.StartDate), Stop: aws.ToTime(out.StopDate), Error: aws.ToString(out.Error), Cause: aws.ToString(out.Cause)}, nil
}
