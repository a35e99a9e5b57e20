package cloudrun

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"transferhub/cloud/queue"
	"transferhub/cloud/queue/sqsqueue"
	"transferhub/cloud/s3sync"
)

// SQSAPI is the part of the SQS client the agent uses.
type SQSAPI interface {
	sqsqueue.API
	GetQueueUrl(context.Context, *sqs.GetQueueUrlInput, ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
}

// Queues are a task's job queue and its dead-letter queue.
type Queues struct {
	Jobs       *sqsqueue.Queue
	DeadLetter *sqsqueue.Queue // nil when the queue has none
	DLQURL     string
	// MaxReceives is the redrive policy's maxReceiveCount (0 without one).
	MaxReceives int
}

// OpenQueues checks that the job queue exists and reads its redrive policy: the
// dead-letter queue (when dlqURL is empty) and the receive limit.
func OpenQueues(ctx context.Context, api SQSAPI, url, dlqURL string) (Queues, error) {
	if url == "" {
		return Queues{}, fmt.Errorf("no queue URL: set THUB_QUEUE_URL or --queue-url")
	}
	out, err := api.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameRedrivePolicy}})
	if err != nil {
		return Queues{}, fmt.Errorf("open queue %s: %w", url, err)
	}
	q := Queues{DLQURL: dlqURL}
	if rp := out.Attributes[string(types.QueueAttributeNameRedrivePolicy)]; rp != "" {
		var pol struct {
			Target string          `json:"deadLetterTargetArn"`
			Max    json.RawMessage `json:"maxReceiveCount"`
		}
		if err := json.Unmarshal([]byte(rp), &pol); err != nil {
			return Queues{}, fmt.Errorf("queue %s: unreadable redrive policy: %w", url, err)
		}
		q.MaxReceives, _ = strconv.Atoi(strings.Trim(string(pol.Max), `"`))
		if q.DLQURL == "" && pol.Target != "" {
			// arn:<partition>:sqs:<region>:<account>:<name>
			parts := strings.Split(pol.Target, ":")
			if len(parts) != 6 {
				return Queues{}, fmt.Errorf("queue %s: dead-letter target %q is not an SQS ARN", url, pol.Target)
			}
			u, err := api.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(parts[5]), QueueOwnerAWSAccountId: aws.String(parts[4])})
			if err != nil {
				return Queues{}, fmt.Errorf("find dead-letter queue %s: %w", pol.Target, err)
			}
			q.DLQURL = aws.ToString(u.QueueUrl)
		}
	}
	q.Jobs = sqsqueue.New(api, url, q.DLQURL)
	if q.DLQURL != "" {
		q.DeadLetter = sqsqueue.New(api, q.DLQURL, "")
	}
	return q, nil
}

// Duplicating sends every message twice: fault injection for tests of at-least-once
// delivery (THUB_FAULT_DUPLICATE_SENDS=1), never for real runs.
type Duplicating struct{ queue.Queue }

// Send implements queue.Queue.
func (d Duplicating) Send(ctx context.Context, bodies ...[]byte) error {
	twice := make([][]byte, 0, 2*len(bodies))
	for _, b := range bodies {
		twice = append(twice, b, b)
	}
	return d.Queue.Send(ctx, twice...)
}

// maxMessage stays under SQS's 256 KiB message limit.
const maxMessage = 250 << 10

// Splitting sends a job batch that would pass SQS's message size limit (200 keys of up
// to 1,024 bytes each can) as several smaller batches of the same run.
type Splitting struct{ queue.Queue }

// Send implements queue.Queue.
func (s Splitting) Send(ctx context.Context, bodies ...[]byte) error {
	out := make([][]byte, 0, len(bodies))
	for _, b := range bodies {
		parts, err := splitJob(b)
		if err != nil {
			return err
		}
		out = append(out, parts...)
	}
	return s.Queue.Send(ctx, out...)
}

func splitJob(b []byte) ([][]byte, error) {
	if len(b) <= maxMessage {
		return [][]byte{b}, nil
	}
	job, err := s3sync.DecodeJob(b)
	if err != nil || len(job.Objects) < 2 {
		return [][]byte{b}, nil // not a batch: the queue reports the size
	}
	half := len(job.Objects) / 2
	var out [][]byte
	for _, objs := range [][]s3sync.JobObject{job.Objects[:half], job.Objects[half:]} {
		part := job
		part.Objects = objs
		enc, err := s3sync.EncodeJob(part)
		if err != nil {
			return nil, err
		}
		more, err := splitJob(enc)
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	}
	return out, nil
}
