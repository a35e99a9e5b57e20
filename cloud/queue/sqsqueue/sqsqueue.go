// Package sqsqueue implements queue.Queue on Amazon SQS for cloud runs. Sends and deletes
// are batched (10 entries, 256 KiB per request), receives long-poll, and the dead-letter
// queue is SQS's own redrive policy (set by the task's stack).
package sqsqueue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"transferhub/cloud/queue"
)

// API is the part of the SQS client the queue uses.
type API interface {
	SendMessageBatch(context.Context, *sqs.SendMessageBatchInput, ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
	ReceiveMessage(context.Context, *sqs.ReceiveMessageInput, ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(context.Context, *sqs.DeleteMessageBatchInput, ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
	ChangeMessageVisibility(context.Context, *sqs.ChangeMessageVisibilityInput, ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
	GetQueueAttributes(context.Context, *sqs.GetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

// Queue is one SQS queue, with its dead-letter queue when DeadLetterURL is set.
type Queue struct {
	api           API
	url           string
	deadLetterURL string
}

var (
	_ queue.Queue      = (*Queue)(nil)
	_ queue.DeadLetter = (*Queue)(nil)
)

// Limits of one SQS request.
const (
	maxBatch      = 10
	maxBatchBytes = 256 << 10
	maxWait       = 20 * time.Second
)

// New returns the queue at url; deadLetterURL may be empty.
func New(api API, url, deadLetterURL string) *Queue {
	return &Queue{api: api, url: url, deadLetterURL: deadLetterURL}
}

// Send implements queue.Queue. A body over 256 KiB is refused: engines keep messages small.
func (q *Queue) Send(ctx context.Context, bodies ...[]byte) error {
	var batch []types.SendMessageBatchRequestEntry
	size := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		out, err := q.api.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &q.url, Entries: batch})
		if err != nil {
			return fmt.Errorf("send %d messages to %s: %w", len(batch), q.url, err)
		}
		if len(out.Failed) > 0 {
			f := out.Failed[0]
			return fmt.Errorf("send to %s: %d of %d messages refused, first: %s: %s", q.url,
				len(out.Failed), len(batch), aws.ToString(f.Code), aws.ToString(f.Message))
		}
		batch, size = batch[:0], 0
		return nil
	}
	for _, b := range bodies {
		if len(b) > maxBatchBytes {
			return fmt.Errorf("send to %s: message of %d bytes exceeds the SQS limit of %d", q.url, len(b), maxBatchBytes)
		}
		if len(batch) == maxBatch || size+len(b) > maxBatchBytes {
			if err := flush(); err != nil {
				return err
			}
		}
		batch = append(batch, types.SendMessageBatchRequestEntry{
			Id: aws.String(strconv.Itoa(len(batch))), MessageBody: aws.String(string(b))})
		size += len(b)
	}
	return flush()
}

// Receive implements queue.Queue with long polling (SQS caps one poll at 20 s and 10
// messages; a longer wait polls again).
func (q *Queue) Receive(ctx context.Context, limit int, visibility, wait time.Duration) ([]queue.Message, error) {
	limit = min(max(limit, 1), maxBatch)
	deadline := time.Now().Add(wait)
	for {
		poll := min(time.Until(deadline), maxWait)
		if poll < 0 {
			poll = 0
		}
		out, err := q.api.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    &q.url,
			MaxNumberOfMessages:         int32(limit),
			VisibilityTimeout:           int32(visibility.Round(time.Second) / time.Second),
			WaitTimeSeconds:             int32(poll.Round(time.Second) / time.Second),
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount},
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("receive from %s: %w", q.url, err)
		}
		if len(out.Messages) > 0 || time.Until(deadline) <= 0 {
			return convert(out.Messages), nil
		}
	}
}

func convert(in []types.Message) []queue.Message {
	out := make([]queue.Message, 0, len(in))
	for _, m := range in {
		n, _ := strconv.Atoi(m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)])
		out = append(out, queue.Message{ID: aws.ToString(m.MessageId), Body: []byte(aws.ToString(m.Body)),
			Receipt: aws.ToString(m.ReceiptHandle), Receives: max(n, 1)})
	}
	return out
}

// Delete implements queue.Queue.
func (q *Queue) Delete(ctx context.Context, msgs ...queue.Message) error {
	for start := 0; start < len(msgs); start += maxBatch {
		chunk := msgs[start:min(start+maxBatch, len(msgs))]
		entries := make([]types.DeleteMessageBatchRequestEntry, len(chunk))
		for i, m := range chunk {
			entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(m.Receipt)}
		}
		out, err := q.api.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &q.url, Entries: entries})
		if err != nil {
			return fmt.Errorf("delete %d messages from %s: %w", len(chunk), q.url, err)
		}
		for _, f := range out.Failed {
			// An expired receipt means the message was redelivered: its new holder owns it.
			if aws.ToString(f.Code) == "ReceiptHandleIsInvalid" {
				continue
			}
			return fmt.Errorf("delete from %s: %s: %s", q.url, aws.ToString(f.Code), aws.ToString(f.Message))
		}
	}
	return nil
}

// Extend implements queue.Queue.
func (q *Queue) Extend(ctx context.Context, m queue.Message, visibility time.Duration) error {
	return q.setVisibility(ctx, m, visibility)
}

// Release implements queue.Queue. SQS keeps the receive count; that only matters for
// a message released again and again, which a clean shutdown does not do.
func (q *Queue) Release(ctx context.Context, m queue.Message) error {
	return q.setVisibility(ctx, m, 0)
}

func (q *Queue) setVisibility(ctx context.Context, m queue.Message, d time.Duration) error {
	_, err := q.api.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &q.url,
		ReceiptHandle: aws.String(m.Receipt), VisibilityTimeout: int32(d.Round(time.Second) / time.Second)})
	if err != nil {
		return fmt.Errorf("change visibility of message %s on %s: %w", m.ID, q.url, err)
	}
	return nil
}

// Depth implements queue.Queue (SQS's approximate counts).
func (q *Queue) Depth(ctx context.Context) (visible, inFlight int64, err error) {
	return depth(ctx, q.api, q.url)
}

func depth(ctx context.Context, api API, url string) (visible, inFlight int64, err error) {
	out, err := api.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{
		types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		return 0, 0, fmt.Errorf("read depth of %s: %w", url, err)
	}
	visible, err1 := strconv.ParseInt(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)], 10, 64)
	inFlight, err2 := strconv.ParseInt(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessagesNotVisible)], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, 0, fmt.Errorf("read depth of %s: %w", url, err)
	}
	return visible, inFlight, nil
}

// DeadLetters implements queue.DeadLetter: it peeks at the dead-letter queue (the
// messages stay there, visible again after a short timeout).
func (q *Queue) DeadLetters(ctx context.Context, limit int) ([]queue.Message, error) {
	if q.deadLetterURL == "" {
		return nil, fmt.Errorf("queue %s has no dead-letter queue configured", q.url)
	}
	dlq := &Queue{api: q.api, url: q.deadLetterURL}
	msgs, err := dlq.Receive(ctx, limit, 2*time.Second, 0)
	if err != nil {
		return nil, fmt.Errorf("read dead letters: %w", err)
	}
	return msgs, nil
}
