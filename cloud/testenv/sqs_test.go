package testenv_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/testenv"
)

func sqsClient(t *testing.T) *sqs.Client {
	t.Helper()
	return sqs.NewFromConfig(testenv.Load(t).AWSConfig(t))
}

// createQueue makes a queue that is deleted when the test ends.
func createQueue(ctx context.Context, t *testing.T, c *sqs.Client, name string, attrs map[string]string) string {
	t.Helper()
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	require.NoError(t, err, "create queue %s", name)
	t.Cleanup(func() {
		_, err := c.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: out.QueueUrl})
		if err != nil {
			t.Errorf("delete queue %s: %v", name, err)
		}
	})
	return aws.ToString(out.QueueUrl)
}

func queueArn(ctx context.Context, t *testing.T, c *sqs.Client, url string) string {
	t.Helper()
	out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	require.NoError(t, err)
	arn := out.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	require.NotEmpty(t, arn)
	return arn
}

// receiveOne receives exactly one message (long polling is not needed: the emulator
// delivers what is visible at once).
func receiveOne(ctx context.Context, t *testing.T, c *sqs.Client, url string) sqstypes.Message {
	t.Helper()
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateReceiveCount},
	})
	require.NoError(t, err, "receive from %s", url)
	require.Len(t, out.Messages, 1, "messages received from %s", url)
	return out.Messages[0]
}

func receiveNone(ctx context.Context, t *testing.T, c *sqs.Client, url string) {
	t.Helper()
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
	require.NoError(t, err, "receive from %s", url)
	require.Empty(t, out.Messages, "no message should be visible in %s", url)
}

// TestSQSSendReceiveDelete: the JSON-protocol SQS client against the emulator.
func TestSQSSendReceiveDelete(t *testing.T) {
	ctx := context.Background()
	c := sqsClient(t)
	url := createQueue(ctx, t, c, testenv.Name("th-smoke-q"), map[string]string{"VisibilityTimeout": "60"})

	_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(`{"v":1,"key":"a/b.txt"}`),
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{"kind": {DataType: aws.String("String"), StringValue: aws.String("s3")}}})
	require.NoError(t, err)

	m := receiveOne(ctx, t, c, url)
	require.Equal(t, `{"v":1,"key":"a/b.txt"}`, aws.ToString(m.Body))

	// In flight: invisible to other consumers until the visibility timeout ends ...
	receiveNone(ctx, t, c, url)
	// ... or until the consumer gives it back (visibility 0).
	_, err = c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0})
	require.NoError(t, err)
	m = receiveOne(ctx, t, c, url)
	require.Equal(t, "2", m.Attributes[string(sqstypes.MessageSystemAttributeNameApproximateReceiveCount)])

	_, err = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle})
	require.NoError(t, err)
	receiveNone(ctx, t, c, url)

	// Batches.
	var entries []sqstypes.SendMessageBatchRequestEntry
	for i := range 10 {
		entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(fmt.Sprintf("m%d", i))})
	}
	bout, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
	require.NoError(t, err)
	require.Len(t, bout.Successful, 10)
	require.Empty(t, bout.Failed)
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
	require.NoError(t, err)
	require.Equal(t, "10", attrs.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
}

// TestSQSDeadLetterRedrive: after maxReceiveCount receives the message moves to the DLQ.
func TestSQSDeadLetterRedrive(t *testing.T) {
	ctx := context.Background()
	c := sqsClient(t)
	dlq := createQueue(ctx, t, c, testenv.Name("th-smoke-dlq"), nil)
	q := createQueue(ctx, t, c, testenv.Name("th-smoke-q"), map[string]string{
		"VisibilityTimeout": "60",
		"RedrivePolicy":     fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"2"}`, queueArn(ctx, t, c, dlq)),
	})
	_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q), MessageBody: aws.String("poison")})
	require.NoError(t, err)

	for range 2 { // two failed attempts: received, then given back
		m := receiveOne(ctx, t, c, q)
		_, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(q), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0})
		require.NoError(t, err)
	}
	receiveNone(ctx, t, c, q) // third receive: moved to the DLQ instead
	m := receiveOne(ctx, t, c, dlq)
	require.Equal(t, "poison", aws.ToString(m.Body))
}

// TestSQSFifo: FIFO queues deduplicate by MessageDeduplicationId.
func TestSQSFifo(t *testing.T) {
	ctx := context.Background()
	c := sqsClient(t)
	q := createQueue(ctx, t, c, testenv.Name("th-smoke-q")+".fifo", map[string]string{"FifoQueue": "true"})
	for range 2 {
		_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q), MessageBody: aws.String("once"),
			MessageGroupId: aws.String("g1"), MessageDeduplicationId: aws.String("d1")})
		require.NoError(t, err)
	}
	m := receiveOne(ctx, t, c, q)
	require.Equal(t, "once", aws.ToString(m.Body))
	_, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(q), ReceiptHandle: m.ReceiptHandle})
	require.NoError(t, err)
	receiveNone(ctx, t, c, q)
}

// TestSQSConcurrentReceivesTakeEachMessageOnce: many consumers receiving and deleting at
// once, while more messages are sent, each message is delivered once (the visibility
// timeout is long) and none is lost. The emulator's wrapper makes moto's receive atomic:
// without it two receives could take one message, each as its first receive, and a send
// racing a delete could vanish.
func TestSQSConcurrentReceivesTakeEachMessageOnce(t *testing.T) {
	ctx := context.Background()
	c := sqsClient(t)
	q := createQueue(ctx, t, c, testenv.Name("th-smoke-q"), map[string]string{"VisibilityTimeout": "300"})
	const batches, consumers = 200, 32
	total := batches * 10

	var mu sync.Mutex
	seen := map[string][]string{} // body → receive counts
	var wg sync.WaitGroup
	sendDone := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(sendDone)
		for b := range batches {
			var entries []sqstypes.SendMessageBatchRequestEntry
			for i := range 10 {
				entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(fmt.Sprintf("m%d-%d", b, i))})
			}
			out, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(q), Entries: entries})
			if !assert.NoError(t, err) || !assert.Empty(t, out.Failed) {
				return
			}
		}
	}()
	for range consumers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			idle := 0
			for idle < 3 {
				out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
					MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateReceiveCount}})
				if !assert.NoError(t, err) {
					return
				}
				select {
				case <-sendDone:
					if len(out.Messages) == 0 {
						idle++
					}
				default:
				}
				for _, m := range out.Messages {
					mu.Lock()
					body := aws.ToString(m.Body)
					seen[body] = append(seen[body], m.Attributes[string(sqstypes.MessageSystemAttributeNameApproximateReceiveCount)])
					mu.Unlock()
					_, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(q), ReceiptHandle: m.ReceiptHandle})
					assert.NoError(t, err)
				}
			}
		}()
	}
	wg.Wait()
	var twice []string
	for body, counts := range seen {
		if len(counts) > 1 {
			twice = append(twice, fmt.Sprintf("%s %v", body, counts))
		}
	}
	require.Empty(t, twice, "messages delivered more than once within their visibility timeout")
	require.Len(t, seen, total, "every message sent is received")
}
