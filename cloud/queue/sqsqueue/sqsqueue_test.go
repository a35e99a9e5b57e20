package sqsqueue_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/queue"
	"transferhub/cloud/queue/queuetest"
	"transferhub/cloud/queue/sqsqueue"
	"transferhub/cloud/testenv"
)

// The contract suite against real SQS semantics in the AWS emulator, with a dead-letter
// queue wired by a redrive policy as the task stack does it.
func TestQueueContract(t *testing.T) {
	env := testenv.Load(t)
	client := sqs.NewFromConfig(env.AWSConfig(t))
	queuetest.Run(t, func(t *testing.T, maxReceives int) queue.Queue {
		ctx := context.Background()
		name := testenv.Name("th-q")
		dlq, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name + "-dlq")})
		require.NoError(t, err)
		attrs, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: dlq.QueueUrl,
			AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
		require.NoError(t, err)
		arn := attrs.Attributes[string(types.QueueAttributeNameQueueArn)]
		q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: map[string]string{
			"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"%d"}`, arn, maxReceives)}})
		require.NoError(t, err)
		t.Cleanup(func() {
			client.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: q.QueueUrl})
			client.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: dlq.QueueUrl})
		})
		return sqsqueue.New(client, *q.QueueUrl, *dlq.QueueUrl)
	})
}

func TestOversizedMessageRefused(t *testing.T) {
	env := testenv.Load(t)
	client := sqs.NewFromConfig(env.AWSConfig(t))
	q, err := client.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(testenv.Name("th-q"))})
	require.NoError(t, err)
	defer client.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: q.QueueUrl})
	err = sqsqueue.New(client, *q.QueueUrl, "").Send(context.Background(), make([]byte, 300<<10))
	require.ErrorContains(t, err, "exceeds the SQS limit")
}
