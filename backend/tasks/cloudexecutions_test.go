package tasks

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/deploy"
)

// describesOnly is Step Functions as far as describing executions goes: each answers
// its own error and cause, and is counted.
type describesOnly struct {
	deploy.SFNAPI
	described []string
}

func (s *describesOnly) DescribeExecution(_ context.Context, in *sfn.DescribeExecutionInput, _ ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error) {
	arn := aws.ToString(in.ExecutionArn)
	s.described = append(s.described, arn)
	return &sfn.DescribeExecutionOutput{ExecutionArn: in.ExecutionArn, Status: sfntypes.ExecutionStatusFailed,
		Error: aws.String("ImageBatchesFailed"), Cause: aws.String("cause of " + arn)}, nil
}

// The executions panel describes each failed execution once (an ended execution's error
// and cause never change), at most describesPerRead in one read and only as the task's
// call budget allows; the others wait for a later read. Executions that did not fail are
// never described.
func TestExecutionsPanelDescribesEachFailedExecutionOnce(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 12, 6, 6, 0, 0, 0, time.UTC)
	r := NewCloudRunner(CloudRunnerOptions{Now: func() time.Time { return clock }})
	ct := r.task("t")
	fake := &describesOnly{}
	d := deploy.New(deploy.Clients{SFN: fake}, "us-east-1")
	listed := func() []deploy.Execution {
		return []deploy.Execution{{ARN: "e5", Status: "RUNNING"}, {ARN: "e4", Status: "FAILED"}, {ARN: "e3", Status: "SUCCEEDED"},
			{ARN: "e2", Status: "TIMED_OUT"}, {ARN: "e1", Status: "FAILED"}, {ARN: "e0", Status: "ABORTED"}}
	}
	read := func() []deploy.Execution {
		exs := r.describeFailed(ctx, ct, d, listed())
		r.panel("t", "executions", nil, func(pn *CloudPanels) { pn.Executions = exs })
		return exs
	}

	exs := read()
	assert.Equal(t, []string{"e4", "e2"}, fake.described, "two a read, newest first")
	assert.Equal(t, "cause of e4", exs[1].Cause)
	assert.Equal(t, "ImageBatchesFailed", exs[3].Error)
	assert.Empty(t, exs[4].Cause, "e1 waits for the next read")

	exs = read()
	assert.Equal(t, []string{"e4", "e2", "e1"}, fake.described, "described ones are kept")
	assert.Equal(t, "cause of e4", exs[1].Cause)
	assert.Equal(t, "cause of e1", exs[4].Cause)

	read()
	assert.Len(t, fake.described, 3, "nothing left to describe")

	// Without budget, nothing is described (a call is counted as it is made: here by
	// hand, the fake has no SDK middleware).
	ct.panels.Executions = nil
	ct.budget.SetLimit(1)
	ct.budget.Spend()
	require.False(t, ct.budget.Allow(1))
	exs = r.describeFailed(ctx, ct, d, listed())
	assert.Len(t, fake.described, 3, "the budget is spent")
	assert.Empty(t, exs[1].Cause)
}
