package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// Notification is a task's S3 event notification on its source bucket: objects
// created (and removed, for create-and-delete) under the task's prefix go to its queue.
// CloudFormation cannot change a bucket the stack does not own, so the deployer adds it
// to the bucket's notification configuration, next to whatever is there, and removes
// exactly it when the task goes.
type Notification struct {
	Bucket   string   `json:"bucket"`
	Prefix   string   `json:"prefix,omitempty"`
	QueueARN string   `json:"queueArn"`
	QueueURL string   `json:"queueUrl,omitempty"`
	ID       string   `json:"id"`
	Events   []string `json:"events"`
}

// notificationEvents are the S3 event types of THUB_EVENTS.
func notificationEvents(mode string) []string {
	switch mode {
	case "create":
		return []string{"s3:ObjectCreated:*"}
	case "create-and-delete":
		return []string{"s3:ObjectCreated:*", "s3:ObjectRemoved:*"}
	}
	return nil
}

// ErrForeignBucket: the bucket is not the deploying account's, so its notifications
// are its owner's to set.
var ErrForeignBucket = errors.New("the bucket belongs to another account")

// AddNotification merges n into the bucket's notification configuration (replacing an
// earlier one with the same id, keeping every other) after letting the bucket send to
// the queue (the queue policy). The bucket must be the deploying account's.
func (d *Deployer) AddNotification(ctx context.Context, n Notification) error {
	who, err := d.Identity(ctx)
	if err != nil {
		return err
	}
	if n.QueueURL != "" {
		if err := d.allowBucket(ctx, n, who.Account); err != nil {
			return err
		}
	}
	cfg, err := d.notifications(ctx, n.Bucket, who.Account)
	if err != nil {
		return err
	}
	qc := s3types.QueueConfiguration{Id: aws.String(n.ID), QueueArn: aws.String(n.QueueARN)}
	for _, e := range n.Events {
		qc.Events = append(qc.Events, s3types.Event(e))
	}
	if n.Prefix != "" {
		qc.Filter = &s3types.NotificationConfigurationFilter{Key: &s3types.S3KeyFilter{FilterRules: []s3types.FilterRule{{Name: s3types.FilterRuleNamePrefix, Value: aws.String(n.Prefix)}}}}
	}
	cfg.QueueConfigurations = append(withoutQueue(cfg.QueueConfigurations, n.ID), qc)
	if err := d.putNotifications(ctx, n.Bucket, who.Account, cfg); err != nil {
		if strings.Contains(err.Error(), "overlap") {
			return fmt.Errorf("add the task's event notification to bucket %s: another notification of the bucket already takes these events under %q (S3 allows one destination per event and prefix): %w", n.Bucket, n.Prefix, err)
		}
		return fmt.Errorf("add the task's event notification to bucket %s: %w", n.Bucket, err)
	}
	return nil
}

// RemoveNotification takes the notification with id out of the bucket's configuration
// and leaves the rest as it is; it says whether there was one.
func (d *Deployer) RemoveNotification(ctx context.Context, bucket, id string) (bool, error) {
	who, err := d.Identity(ctx)
	if err != nil {
		return false, err
	}
	cfg, err := d.notifications(ctx, bucket, who.Account)
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "NoSuchBucket" {
			return false, nil
		}
		return false, err
	}
	kept := withoutQueue(cfg.QueueConfigurations, id)
	if len(kept) == len(cfg.QueueConfigurations) {
		return false, nil
	}
	cfg.QueueConfigurations = kept
	if err := d.putNotifications(ctx, bucket, who.Account, cfg); err != nil {
		return false, fmt.Errorf("remove the task's event notification from bucket %s: %w", bucket, err)
	}
	return true, nil
}

// notifications reads the bucket's configuration; a bucket of another account is
// ErrForeignBucket (S3 checks ExpectedBucketOwner).
func (d *Deployer) notifications(ctx context.Context, bucket, account string) (*s3types.NotificationConfiguration, error) {
	out, err := d.c.S3.GetBucketNotificationConfiguration(ctx, &s3.GetBucketNotificationConfigurationInput{Bucket: aws.String(bucket), ExpectedBucketOwner: aws.String(account)})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "AccessDenied" {
			return nil, fmt.Errorf("bucket %s: %w (or this identity may not read its notifications): %v", bucket, ErrForeignBucket, err)
		}
		return nil, fmt.Errorf("read the event notifications of bucket %s: %w", bucket, err)
	}
	return &s3types.NotificationConfiguration{
		QueueConfigurations:          out.QueueConfigurations,
		TopicConfigurations:          out.TopicConfigurations,
		LambdaFunctionConfigurations: out.LambdaFunctionConfigurations,
		EventBridgeConfiguration:     out.EventBridgeConfiguration,
	}, nil
}

func (d *Deployer) putNotifications(ctx context.Context, bucket, account string, cfg *s3types.NotificationConfiguration) error {
	_, err := d.c.S3.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{Bucket: aws.String(bucket),
		ExpectedBucketOwner: aws.String(account), NotificationConfiguration: cfg})
	return err
}

func withoutQueue(qs []s3types.QueueConfiguration, id string) []s3types.QueueConfiguration {
	out := make([]s3types.QueueConfiguration, 0, len(qs))
	for _, q := range qs {
		if aws.ToString(q.Id) != id {
			out = append(out, q)
		}
	}
	return out
}

// policyDoc is an SQS access policy.
type policyDoc struct {
	Version   string            `json:"Version"`
	ID        string            `json:"Id,omitempty"`
	Statement []json.RawMessage `json:"Statement"`
}

// allowBucket makes sure the queue's policy lets the bucket send to it: the task
// template's queue policy says so on AWS; where it is missing (the AWS emulator skips
// queue policies) the statement is added, next to the others.
func (d *Deployer) allowBucket(ctx context.Context, n Notification, account string) error {
	out, err := d.c.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(n.QueueURL), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNamePolicy}})
	if err != nil {
		return fmt.Errorf("read the policy of queue %s: %w", n.QueueURL, err)
	}
	doc := policyDoc{Version: "2012-10-17"}
	if p := out.Attributes[string(sqstypes.QueueAttributeNamePolicy)]; p != "" {
		if err := json.Unmarshal([]byte(p), &doc); err != nil {
			return fmt.Errorf("the policy of queue %s is not JSON: %w", n.QueueURL, err)
		}
	}
	bucketARN := "arn:" + partitionOf(n.QueueARN) + ":s3:::" + n.Bucket
	for _, st := range doc.Statement {
		s := string(st)
		if strings.Contains(s, "s3.amazonaws.com") && strings.Contains(s, "sqs:SendMessage") && strings.Contains(s, bucketARN) {
			return nil
		}
	}
	st, err := json.Marshal(map[string]any{
		"Sid": "SourceBucketEvents", "Effect": "Allow", "Principal": map[string]string{"Service": "s3.amazonaws.com"},
		"Action": "sqs:SendMessage", "Resource": n.QueueARN,
		"Condition": map[string]any{"ArnLike": map[string]string{"aws:SourceArn": bucketARN}, "StringEquals": map[string]string{"aws:SourceAccount": account}},
	})
	if err != nil {
		return err
	}
	doc.Statement = append(doc.Statement, st)
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	if _, err := d.c.SQS.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(n.QueueURL), Attributes: map[string]string{"Policy": string(b)}}); err != nil {
		return fmt.Errorf("let bucket %s send to queue %s: %w", n.Bucket, n.QueueURL, err)
	}
	return nil
}
