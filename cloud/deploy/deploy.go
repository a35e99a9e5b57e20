// Package deploy puts Transfer Hub's stacks (cloud/stack) into an AWS account and
// Region and keeps them there: a control plane, then one stack per cloud task. It is
// the one deployer of `thub deploy` and the desktop app (no desktop imports).
//
// Every create and update goes through a change set: Plan makes it and returns a
// readable Preview (resources added, modified, removed or replaced, IAM changes, the
// parameters that change), Execute runs it and streams Progress (N of M resources, each
// resource's status and reason, elapsed time, the first real failure) until the stack
// settles, rollbacks included. A stack left in ROLLBACK_COMPLETE is offered
// delete-and-retry. Delete can keep a task's data (its table, which holds its records
// and report) so that deploying the same task again finds them. Far-side keys go to
// Secrets Manager, S3 event notifications into the source bucket's configuration, and
// a pre-flight check says what would stop a deploy. What each stack creates, the
// permissions a deploying user needs and the CLI: cloud/docs/deploy.md.
package deploy

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"transferhub/cloud/state/dynamostore"
)

// CloudFormationAPI is what the deployer calls of CloudFormation.
type CloudFormationAPI interface {
	CreateStack(context.Context, *cloudformation.CreateStackInput, ...func(*cloudformation.Options)) (*cloudformation.CreateStackOutput, error)
	CreateChangeSet(context.Context, *cloudformation.CreateChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.CreateChangeSetOutput, error)
	DescribeChangeSet(context.Context, *cloudformation.DescribeChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeChangeSetOutput, error)
	ExecuteChangeSet(context.Context, *cloudformation.ExecuteChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.ExecuteChangeSetOutput, error)
	DeleteChangeSet(context.Context, *cloudformation.DeleteChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.DeleteChangeSetOutput, error)
	DescribeStacks(context.Context, *cloudformation.DescribeStacksInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
	DescribeStackEvents(context.Context, *cloudformation.DescribeStackEventsInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStackEventsOutput, error)
	ListStackResources(context.Context, *cloudformation.ListStackResourcesInput, ...func(*cloudformation.Options)) (*cloudformation.ListStackResourcesOutput, error)
	DeleteStack(context.Context, *cloudformation.DeleteStackInput, ...func(*cloudformation.Options)) (*cloudformation.DeleteStackOutput, error)
	DescribeAccountLimits(context.Context, *cloudformation.DescribeAccountLimitsInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeAccountLimitsOutput, error)
}

// IAMAPI is what the pre-flight asks of IAM.
type IAMAPI interface {
	SimulatePrincipalPolicy(context.Context, *iam.SimulatePrincipalPolicyInput, ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error)
	GetRole(context.Context, *iam.GetRoleInput, ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	GetAccountSummary(context.Context, *iam.GetAccountSummaryInput, ...func(*iam.Options)) (*iam.GetAccountSummaryOutput, error)
}

// STSAPI tells who is deploying.
type STSAPI interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// EC2API is what the pre-flight and the default network read.
type EC2API interface {
	DescribeVpcs(context.Context, *ec2.DescribeVpcsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error)
	DescribeSubnets(context.Context, *ec2.DescribeSubnetsInput, ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error)
	DescribeRouteTables(context.Context, *ec2.DescribeRouteTablesInput, ...func(*ec2.Options)) (*ec2.DescribeRouteTablesOutput, error)
	DescribeVpcEndpoints(context.Context, *ec2.DescribeVpcEndpointsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error)
	DescribeAccountAttributes(context.Context, *ec2.DescribeAccountAttributesInput, ...func(*ec2.Options)) (*ec2.DescribeAccountAttributesOutput, error)
	DescribeAddresses(context.Context, *ec2.DescribeAddressesInput, ...func(*ec2.Options)) (*ec2.DescribeAddressesOutput, error)
}

// AutoScalingAPI reads the Auto Scaling group quota.
type AutoScalingAPI interface {
	DescribeAccountLimits(context.Context, *autoscaling.DescribeAccountLimitsInput, ...func(*autoscaling.Options)) (*autoscaling.DescribeAccountLimitsOutput, error)
}

// S3API is what the deployer does in S3: assets and lists in the control plane's
// bucket, emptying it before the control plane goes, and the source bucket's event
// notifications.
type S3API interface {
	HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	PutObjectTagging(context.Context, *s3.PutObjectTaggingInput, ...func(*s3.Options)) (*s3.PutObjectTaggingOutput, error)
	ListObjectVersions(context.Context, *s3.ListObjectVersionsInput, ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
	ListObjectsV2(context.Context, *s3.ListObjectsV2Input, ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	DeleteObjects(context.Context, *s3.DeleteObjectsInput, ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error)
	GetBucketNotificationConfiguration(context.Context, *s3.GetBucketNotificationConfigurationInput, ...func(*s3.Options)) (*s3.GetBucketNotificationConfigurationOutput, error)
	PutBucketNotificationConfiguration(context.Context, *s3.PutBucketNotificationConfigurationInput, ...func(*s3.Options)) (*s3.PutBucketNotificationConfigurationOutput, error)
}

// SQSAPI merges the S3 events' statement into a task queue's policy.
type SQSAPI interface {
	GetQueueAttributes(context.Context, *sqs.GetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
	SetQueueAttributes(context.Context, *sqs.SetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.SetQueueAttributesOutput, error)
}

// DynamoDBAPI reads and deletes task tables and keeps the control plane's registry of
// tasks. It is also what cloud/state/dynamostore needs to read a task's status.
type DynamoDBAPI interface {
	DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	DeleteTable(context.Context, *dynamodb.DeleteTableInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteTableOutput, error)
	TagResource(context.Context, *dynamodb.TagResourceInput, ...func(*dynamodb.Options)) (*dynamodb.TagResourceOutput, error)
	ListTables(context.Context, *dynamodb.ListTablesInput, ...func(*dynamodb.Options)) (*dynamodb.ListTablesOutput, error)
	ListTagsOfResource(context.Context, *dynamodb.ListTagsOfResourceInput, ...func(*dynamodb.Options)) (*dynamodb.ListTagsOfResourceOutput, error)
	dynamostore.API
}

// SecretsAPI stores far-side keys.
type SecretsAPI interface {
	CreateSecret(context.Context, *secretsmanager.CreateSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.CreateSecretOutput, error)
	PutSecretValue(context.Context, *secretsmanager.PutSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
	DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	RestoreSecret(context.Context, *secretsmanager.RestoreSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.RestoreSecretOutput, error)
	UpdateSecret(context.Context, *secretsmanager.UpdateSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.UpdateSecretOutput, error)
	DeleteSecret(context.Context, *secretsmanager.DeleteSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DeleteSecretOutput, error)
	UpdateSecretVersionStage(context.Context, *secretsmanager.UpdateSecretVersionStageInput, ...func(*secretsmanager.Options)) (*secretsmanager.UpdateSecretVersionStageOutput, error)
}

// KMSAPI schedules the deletion of a removed control plane's key.
type KMSAPI interface {
	ScheduleKeyDeletion(context.Context, *kms.ScheduleKeyDeletionInput, ...func(*kms.Options)) (*kms.ScheduleKeyDeletionOutput, error)
}

// Clients are the AWS APIs of one account and Region. NewClients makes them from an SDK
// configuration; tests replace some (the replaying CloudFormation fake).
type Clients struct {
	CloudFormation CloudFormationAPI
	IAM            IAMAPI
	STS            STSAPI
	EC2            EC2API
	AutoScaling    AutoScalingAPI
	S3             S3API
	SQS            SQSAPI
	DynamoDB       DynamoDBAPI
	Secrets        SecretsAPI
	KMS            KMSAPI
	// What operating a deployed task needs (operate.go): its finder, state machine,
	// schedule, workers and logs.
	ECS       ECSAPI
	SFN       SFNAPI
	Scheduler SchedulerAPI
	Fleet     FleetAPI
	Logs      LogsAPI
}

// NewClients makes every client from cfg (its credentials chain, profile, Region and
// endpoint settings, AWS_ENDPOINT_URL included). S3 uses path-style addressing when
// cfg names an endpoint (an emulator or a gateway), virtual-hosted otherwise.
func NewClients(cfg aws.Config) Clients {
	return Clients{
		CloudFormation: cloudformation.NewFromConfig(cfg),
		IAM:            iam.NewFromConfig(cfg),
		STS:            sts.NewFromConfig(cfg),
		EC2:            ec2.NewFromConfig(cfg),
		AutoScaling:    autoscaling.NewFromConfig(cfg),
		S3:             s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = cfg.BaseEndpoint != nil }),
		SQS:            sqs.NewFromConfig(cfg),
		DynamoDB:       dynamodb.NewFromConfig(cfg),
		Secrets:        secretsmanager.NewFromConfig(cfg),
		KMS:            kms.NewFromConfig(cfg),
		ECS:            ecs.NewFromConfig(cfg),
		SFN:            sfn.NewFromConfig(cfg),
		Scheduler:      scheduler.NewFromConfig(cfg),
		Fleet:          autoscaling.NewFromConfig(cfg),
		Logs:           cloudwatchlogs.NewFromConfig(cfg),
	}
}

// Deployer deploys into one account and Region.
type Deployer struct {
	c      Clients
	region string
	// Poll is the first wait between two looks at a stack or change set; the wait grows
	// by half each time up to MaxPoll (defaults 2s and 10s).
	Poll, MaxPoll time.Duration
	// Timeout bounds one wait for a stack to settle (default 2h: the longest stacks
	// here take minutes; a NAT gateway or endpoints a few more). A wait that times out
	// leaves the operation running: Watch picks it up again.
	Timeout time.Duration
	Log     *slog.Logger
	// Assets says where the agents come from and how the agent image reaches the
	// control plane's repository (a task deploy needs it).
	Assets AssetSource
	// Emulator: the AWS APIs are the AWS emulator (moto), whose executed CREATE change
	// sets lose the stack's outputs. A new stack's change set is then made and
	// described as always (the preview) and discarded, and the stack is created with
	// CreateStack from the same template, parameters and tags. Never set against AWS.
	Emulator bool

	mu  sync.Mutex
	who Identity // the caller, once asked
}

// New returns a deployer over the clients of one account and Region.
func New(c Clients, region string) *Deployer {
	return &Deployer{c: c, region: region, Poll: 2 * time.Second, MaxPoll: 10 * time.Second, Timeout: 2 * time.Hour, Log: slog.New(slog.DiscardHandler)}
}

// Region is the deployer's Region.
func (d *Deployer) Region() string { return d.region }

func (d *Deployer) log() *slog.Logger {
	if d.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Log
}
