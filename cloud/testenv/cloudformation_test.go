package testenv_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfn "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/testenv"
)

// TestCloudFormationProvisions deploys testdata/smoke-stack.yaml through the emulator's
// CloudFormation and checks that its outputs name resources that really exist in the
// emulator's SQS, DynamoDB and S3.
func TestCloudFormationProvisions(t *testing.T) {
	ctx := context.Background()
	env := testenv.Load(t)
	cfg := env.AWSConfig(t)
	cf := cloudformation.NewFromConfig(cfg)
	body, err := os.ReadFile("testdata/smoke-stack.yaml")
	require.NoError(t, err)

	suffix := strings.TrimPrefix(testenv.Name("x"), "x-")
	stack := "th-smoke-" + suffix
	_, err = cf.CreateStack(ctx, &cloudformation.CreateStackInput{
		StackName:    aws.String(stack),
		TemplateBody: aws.String(string(body)),
		Parameters:   []cfn.Parameter{{ParameterKey: aws.String("Suffix"), ParameterValue: aws.String(suffix)}},
	})
	require.NoError(t, err, "create stack")
	deleted := false
	t.Cleanup(func() {
		if deleted {
			return
		}
		if _, err := cf.DeleteStack(context.Background(), &cloudformation.DeleteStackInput{StackName: aws.String(stack)}); err != nil {
			t.Errorf("delete stack %s: %v", stack, err)
		}
	})

	w := cloudformation.NewStackCreateCompleteWaiter(cf, func(o *cloudformation.StackCreateCompleteWaiterOptions) { o.MinDelay = time.Second })
	desc, err := w.WaitForOutput(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)}, 2*time.Minute)
	require.NoError(t, err, "wait for CREATE_COMPLETE")
	require.Len(t, desc.Stacks, 1)
	out := map[string]string{}
	for _, o := range desc.Stacks[0].Outputs {
		out[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	t.Logf("stack outputs: %v", out)
	require.Equal(t, "th-smoke-objects-"+suffix, out["TableName"])
	require.Equal(t, "th-smoke-assets-"+suffix, out["BucketName"])
	require.Equal(t, "arn:aws:s3:::th-smoke-assets-"+suffix, out["BucketArn"])
	require.True(t, strings.HasSuffix(out["QueueArn"], ":th-smoke-jobs-"+suffix), out["QueueArn"])
	require.Contains(t, out["QueueUrl"], "th-smoke-jobs-"+suffix)

	res, err := cf.DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{StackName: aws.String(stack)})
	require.NoError(t, err)
	require.Len(t, res.StackResources, 4)
	for _, r := range res.StackResources {
		require.Equal(t, cfn.ResourceStatusCreateComplete, r.ResourceStatus, aws.ToString(r.LogicalResourceId))
	}

	// The resources exist, with the properties the template gave them.
	sq := sqs.NewFromConfig(cfg)
	qa, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(out["QueueUrl"]),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameRedrivePolicy, sqstypes.QueueAttributeNameVisibilityTimeout}})
	require.NoError(t, err, "the stack's queue exists")
	require.Equal(t, "30", qa.Attributes["VisibilityTimeout"])
	require.Contains(t, qa.Attributes["RedrivePolicy"], out["DeadLetterQueueArn"])
	_, err = sq.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(out["QueueUrl"]), MessageBody: aws.String("hello")})
	require.NoError(t, err)

	dt, err := dynamodb.NewFromConfig(cfg).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(out["TableName"])})
	require.NoError(t, err, "the stack's table exists")
	require.Equal(t, out["TableArn"], aws.ToString(dt.Table.TableArn))

	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	_, err = s3c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(out["BucketName"])})
	require.NoError(t, err, "the stack's bucket exists")

	// Delete: the resources go with the stack.
	_, err = cf.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String(stack)})
	require.NoError(t, err)
	dw := cloudformation.NewStackDeleteCompleteWaiter(cf, func(o *cloudformation.StackDeleteCompleteWaiterOptions) { o.MinDelay = time.Second })
	require.NoError(t, dw.Wait(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)}, 2*time.Minute))
	deleted = true
	_, err = dynamodb.NewFromConfig(cfg).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(out["TableName"])})
	require.Error(t, err, "the table is deleted with the stack")
}

// TestCloudFormationChangeSets: the deploy path of the app (preview, execute, events,
// update) against the emulator.
func TestCloudFormationChangeSets(t *testing.T) {
	ctx := context.Background()
	cf := cloudformation.NewFromConfig(testenv.Load(t).AWSConfig(t))
	body, err := os.ReadFile("testdata/smoke-stack.yaml")
	require.NoError(t, err)
	suffix := strings.TrimPrefix(testenv.Name("x"), "x-")
	stack := "th-smoke-cs-" + suffix
	params := []cfn.Parameter{{ParameterKey: aws.String("Suffix"), ParameterValue: aws.String(suffix)}}
	t.Cleanup(func() {
		if _, err := cf.DeleteStack(context.Background(), &cloudformation.DeleteStackInput{StackName: aws.String(stack)}); err != nil {
			t.Errorf("delete stack %s: %v", stack, err)
		}
	})

	changeSet := func(name string, typ cfn.ChangeSetType, tmpl string) *cloudformation.DescribeChangeSetOutput {
		t.Helper()
		_, err := cf.CreateChangeSet(ctx, &cloudformation.CreateChangeSetInput{StackName: aws.String(stack), ChangeSetName: aws.String(name),
			ChangeSetType: typ, TemplateBody: aws.String(tmpl), Parameters: params})
		require.NoError(t, err, "create change set %s", name)
		w := cloudformation.NewChangeSetCreateCompleteWaiter(cf, func(o *cloudformation.ChangeSetCreateCompleteWaiterOptions) { o.MinDelay = time.Second })
		out, err := w.WaitForOutput(ctx, &cloudformation.DescribeChangeSetInput{StackName: aws.String(stack), ChangeSetName: aws.String(name)}, 2*time.Minute)
		require.NoError(t, err, "wait for change set %s", name)
		return out
	}

	cs := changeSet("create", cfn.ChangeSetTypeCreate, string(body))
	require.Len(t, cs.Changes, 4, "a create change set lists every resource")
	for _, c := range cs.Changes {
		require.Equal(t, cfn.ChangeActionAdd, c.ResourceChange.Action, aws.ToString(c.ResourceChange.LogicalResourceId))
	}
	_, err = cf.ExecuteChangeSet(ctx, &cloudformation.ExecuteChangeSetInput{StackName: aws.String(stack), ChangeSetName: aws.String("create")})
	require.NoError(t, err)
	cw := cloudformation.NewStackCreateCompleteWaiter(cf, func(o *cloudformation.StackCreateCompleteWaiterOptions) { o.MinDelay = time.Second })
	require.NoError(t, cw.Wait(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)}, 2*time.Minute))

	ev, err := cf.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: aws.String(stack)})
	require.NoError(t, err)
	require.NotEmpty(t, ev.StackEvents, "stack events")

	// Update: a changed queue property shows up as a Modify of that one resource.
	updated := strings.Replace(string(body), "VisibilityTimeout: 30", "VisibilityTimeout: 45", 1)
	require.NotEqual(t, string(body), updated)
	cs = changeSet("update", cfn.ChangeSetTypeUpdate, updated)
	require.Len(t, cs.Changes, 1, "changes: %+v", cs.Changes)
	require.Equal(t, cfn.ChangeActionModify, cs.Changes[0].ResourceChange.Action)
	require.Equal(t, "JobQueue", aws.ToString(cs.Changes[0].ResourceChange.LogicalResourceId))
	_, err = cf.ExecuteChangeSet(ctx, &cloudformation.ExecuteChangeSetInput{StackName: aws.String(stack), ChangeSetName: aws.String("update")})
	require.NoError(t, err)
	uw := cloudformation.NewStackUpdateCompleteWaiter(cf, func(o *cloudformation.StackUpdateCompleteWaiterOptions) { o.MinDelay = time.Second })
	require.NoError(t, uw.Wait(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)}, 2*time.Minute))

	sq := sqs.NewFromConfig(testenv.Load(t).AWSConfig(t))
	url, err := sq.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("th-smoke-jobs-" + suffix)})
	require.NoError(t, err)
	qa, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: url.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameVisibilityTimeout}})
	require.NoError(t, err)
	require.Equal(t, "45", qa.Attributes["VisibilityTimeout"], "the update reached the queue")
}

// TestCloudFormationBuildsEachResourceOnce creates a stack while other requests read it,
// as the deployer's progress watch does: every resource must be built once. moto builds
// a resource when it is first read, so a read racing CreateStack built some twice (the
// stack then named one copy and the resources that referenced it the other) until the
// emulator serialized CloudFormation calls (build/testenv/moto_server.py, fix 13).
func TestCloudFormationBuildsEachResourceOnce(t *testing.T) {
	ctx := context.Background()
	cfg := testenv.Load(t).AWSConfig(t)
	cf, sq := cloudformation.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	const queues = 40
	var tpl strings.Builder
	tpl.WriteString("Resources:\n")
	for i := range queues {
		fmt.Fprintf(&tpl, "  Q%d:\n    Type: AWS::SQS::Queue\n", i)
	}
	tpl.WriteString("Outputs:\n  Last:\n    Value: !GetAtt Q0.Arn\n")
	stack := testenv.Name("th-once")

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				// Errors (the stack does not exist yet) are expected: only the reads count.
				_, _ = cf.DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{StackName: aws.String(stack)})
				_, _ = cf.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
			}
		}()
	}
	_, err := cf.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String(stack), TemplateBody: aws.String(tpl.String())})
	close(stop)
	wg.Wait()
	require.NoError(t, err, "create stack")
	t.Cleanup(func() {
		// The stack's queues and any stray copies.
		if out, err := sq.ListQueues(context.Background(), &sqs.ListQueuesInput{QueueNamePrefix: aws.String(stack)}); err == nil {
			for _, u := range out.QueueUrls {
				_, _ = sq.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: aws.String(u)})
			}
		}
		_, _ = cf.DeleteStack(context.Background(), &cloudformation.DeleteStackInput{StackName: aws.String(stack)})
	})

	w := cloudformation.NewStackCreateCompleteWaiter(cf, func(o *cloudformation.StackCreateCompleteWaiterOptions) { o.MinDelay = time.Second })
	_, err = w.WaitForOutput(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)}, 2*time.Minute)
	require.NoError(t, err, "wait for CREATE_COMPLETE")
	rs, err := cf.DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{StackName: aws.String(stack)})
	require.NoError(t, err)
	var named []string
	for _, r := range rs.StackResources {
		named = append(named, aws.ToString(r.PhysicalResourceId))
	}
	out, err := sq.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String(stack), MaxResults: aws.Int32(1000)})
	require.NoError(t, err)
	require.Equal(t, queues, len(out.QueueUrls), "queues built for %d resources (the stack names %d)", queues, len(named))
}
