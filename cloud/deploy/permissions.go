package deploy

import (
	"encoding/json"
	"sort"
	"strings"
)

// The permissions of the identity that deploys: what CloudFormation needs to create,
// update and delete each resource type of the templates (it acts with the caller's
// permissions; the stacks pass no service role), and what the deployer does itself.
// cloud/docs/deploy.md shows PolicyDocument's output; a test keeps the two, and this
// table and the templates' resource types, the same.

// resourceActions are the actions CloudFormation calls for a resource type (its
// provider's create, read, update and delete handlers).
var resourceActions = map[string][]string{
	"AWS::AutoScaling::AutoScalingGroup": {"autoscaling:CreateAutoScalingGroup", "autoscaling:UpdateAutoScalingGroup", "autoscaling:DeleteAutoScalingGroup",
		"autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeScalingActivities", "autoscaling:PutLifecycleHook", "autoscaling:DeleteLifecycleHook",
		"autoscaling:DescribeLifecycleHooks", "autoscaling:EnableMetricsCollection", "autoscaling:DisableMetricsCollection",
		"autoscaling:CreateOrUpdateTags", "autoscaling:DeleteTags", "ec2:RunInstances", "ec2:CreateTags", "ec2:DescribeLaunchTemplateVersions"},
	"AWS::AutoScaling::ScalingPolicy": {"autoscaling:PutScalingPolicy", "autoscaling:DeletePolicy", "autoscaling:DescribePolicies"},
	"AWS::CloudWatch::Alarm":          {"cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms", "cloudwatch:TagResource", "cloudwatch:UntagResource", "cloudwatch:ListTagsForResource"},
	"AWS::CloudWatch::Dashboard":      {"cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards"},
	"AWS::DynamoDB::Table": {"dynamodb:CreateTable", "dynamodb:DescribeTable", "dynamodb:UpdateTable", "dynamodb:DeleteTable", "dynamodb:UpdateContinuousBackups",
		"dynamodb:DescribeContinuousBackups", "dynamodb:DescribeTimeToLive", "dynamodb:TagResource", "dynamodb:UntagResource", "dynamodb:ListTagsOfResource",
		"kms:DescribeKey", "kms:CreateGrant"},
	"AWS::EC2::EIP": {"ec2:AllocateAddress", "ec2:ReleaseAddress", "ec2:DescribeAddresses", "ec2:CreateTags"},
	"AWS::EC2::LaunchTemplate": {"ec2:CreateLaunchTemplate", "ec2:CreateLaunchTemplateVersion", "ec2:ModifyLaunchTemplate", "ec2:DeleteLaunchTemplate",
		"ec2:DescribeLaunchTemplates", "ec2:DescribeLaunchTemplateVersions", "ec2:CreateTags"},
	"AWS::EC2::NatGateway": {"ec2:CreateNatGateway", "ec2:DeleteNatGateway", "ec2:DescribeNatGateways", "ec2:CreateTags"},
	"AWS::EC2::Route":      {"ec2:CreateRoute", "ec2:ReplaceRoute", "ec2:DeleteRoute", "ec2:DescribeRouteTables"},
	"AWS::EC2::SecurityGroup": {"ec2:CreateSecurityGroup", "ec2:DeleteSecurityGroup", "ec2:DescribeSecurityGroups", "ec2:AuthorizeSecurityGroupIngress",
		"ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress", "ec2:CreateTags"},
	"AWS::EC2::VPCEndpoint": {"ec2:CreateVpcEndpoint", "ec2:ModifyVpcEndpoint", "ec2:DeleteVpcEndpoints", "ec2:DescribeVpcEndpoints", "ec2:CreateTags",
		"route53:AssociateVPCWithHostedZone"},
	"AWS::ECR::Repository": {"ecr:CreateRepository", "ecr:DeleteRepository", "ecr:DescribeRepositories", "ecr:PutImageScanningConfiguration",
		"ecr:PutImageTagMutability", "ecr:PutLifecyclePolicy", "ecr:GetLifecyclePolicy", "ecr:DeleteLifecyclePolicy", "ecr:TagResource",
		"ecr:UntagResource", "ecr:ListTagsForResource", "ecr:ListImages", "ecr:BatchDeleteImage", "kms:DescribeKey", "kms:CreateGrant", "kms:RetireGrant"},
	"AWS::ECS::Cluster": {"ecs:CreateCluster", "ecs:DeleteCluster", "ecs:DescribeClusters", "ecs:UpdateCluster", "ecs:UpdateClusterSettings",
		"ecs:PutClusterCapacityProviders", "ecs:TagResource", "ecs:UntagResource"},
	"AWS::ECS::TaskDefinition": {"ecs:RegisterTaskDefinition", "ecs:DeregisterTaskDefinition", "ecs:DescribeTaskDefinition", "ecs:TagResource"},
	"AWS::Events::Rule":        {"events:PutRule", "events:DeleteRule", "events:DescribeRule", "events:PutTargets", "events:RemoveTargets", "events:ListTargetsByRule"},
	"AWS::IAM::InstanceProfile": {"iam:CreateInstanceProfile", "iam:DeleteInstanceProfile", "iam:GetInstanceProfile", "iam:AddRoleToInstanceProfile",
		"iam:RemoveRoleFromInstanceProfile"},
	"AWS::IAM::Policy": {"iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"},
	"AWS::IAM::Role": {"iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole",
		"iam:ListRolePolicies", "iam:ListAttachedRolePolicies"},
	"AWS::KMS::Alias": {"kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias", "kms:ListAliases"},
	"AWS::KMS::Key": {"kms:CreateKey", "kms:DescribeKey", "kms:EnableKeyRotation", "kms:GetKeyRotationStatus", "kms:GetKeyPolicy", "kms:PutKeyPolicy",
		"kms:UpdateKeyDescription", "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource", "kms:ListResourceTags"},
	"AWS::Lambda::Function": {"lambda:CreateFunction", "lambda:GetFunction", "lambda:GetFunctionConfiguration", "lambda:UpdateFunctionCode",
		"lambda:UpdateFunctionConfiguration", "lambda:DeleteFunction", "lambda:TagResource", "lambda:UntagResource", "lambda:ListTags", "kms:Encrypt", "kms:CreateGrant"},
	"AWS::Logs::LogGroup": {"logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:DescribeLogGroups", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
		"logs:AssociateKmsKey", "logs:DisassociateKmsKey", "logs:TagResource", "logs:UntagResource", "logs:ListTagsForResource"},
	"AWS::Logs::MetricFilter": {"logs:PutMetricFilter", "logs:DeleteMetricFilter", "logs:DescribeMetricFilters"},
	"AWS::S3::Bucket": {"s3:CreateBucket", "s3:DeleteBucket", "s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration", "s3:PutBucketPublicAccessBlock",
		"s3:GetBucketPublicAccessBlock", "s3:PutBucketVersioning", "s3:GetBucketVersioning", "s3:PutLifecycleConfiguration", "s3:GetLifecycleConfiguration",
		"s3:PutBucketOwnershipControls", "s3:GetBucketOwnershipControls", "s3:PutBucketTagging", "s3:GetBucketTagging", "s3:GetBucketLocation"},
	"AWS::S3::BucketPolicy":                           {"s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy"},
	"AWS::SNS::Subscription":                          {"sns:Subscribe", "sns:Unsubscribe", "sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes", "sns:ListSubscriptionsByTopic"},
	"AWS::SNS::Topic":                                 {"sns:CreateTopic", "sns:DeleteTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:TagResource", "sns:UntagResource", "sns:ListTagsForResource"},
	"AWS::SNS::TopicPolicy":                           {"sns:SetTopicAttributes", "sns:GetTopicAttributes"},
	"AWS::SQS::Queue":                                 {"sqs:CreateQueue", "sqs:DeleteQueue", "sqs:GetQueueAttributes", "sqs:SetQueueAttributes", "sqs:TagQueue", "sqs:UntagQueue", "sqs:ListQueueTags"},
	"AWS::SQS::QueuePolicy":                           {"sqs:SetQueueAttributes", "sqs:GetQueueAttributes"},
	"AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>": {"ssm:GetParameters"},
	"AWS::Scheduler::Schedule":                        {"scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule", "scheduler:GetSchedule"},
	"AWS::StepFunctions::StateMachine": {"states:CreateStateMachine", "states:UpdateStateMachine", "states:DeleteStateMachine", "states:DescribeStateMachine",
		"states:TagResource", "states:UntagResource", "states:ListTagsForResource", "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
		"logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies"},
}

// deployerActions are what the deployer calls itself (besides CloudFormation's).
var deployerActions = []string{
	"sts:GetCallerIdentity", "iam:SimulatePrincipalPolicy", "iam:GetAccountSummary",
	"cloudformation:DescribeAccountLimits", "autoscaling:DescribeAccountLimits",
	"ec2:DescribeVpcs", "ec2:DescribeSubnets", "ec2:DescribeRouteTables", "ec2:DescribeVpcEndpoints", "ec2:DescribeAccountAttributes", "ec2:DescribeAddresses",
	// assets, lists, emptying the assets bucket
	"s3:GetObject", "s3:PutObject", "s3:PutObjectTagging", "s3:ListBucket", "s3:ListBucketVersions", "s3:DeleteObject", "s3:DeleteObjectVersion",
	// S3 events on a source bucket of this account
	"s3:GetBucketNotification", "s3:PutBucketNotification",
	// the agent image
	"ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload",
	"ecr:PutImage", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:DescribeImages",
	// far-side keys
	"secretsmanager:CreateSecret", "secretsmanager:PutSecretValue", "secretsmanager:DescribeSecret", "secretsmanager:RestoreSecret",
	"secretsmanager:UpdateSecret", "secretsmanager:UpdateSecretVersionStage", "secretsmanager:DeleteSecret", "secretsmanager:TagResource", "kms:GenerateDataKey", "kms:Decrypt",
	// the registry of tasks, kept tables, a task's status
	"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Query", "dynamodb:ListTables",
	// the task queue's policy for S3 events
	"sqs:GetQueueAttributes", "sqs:SetQueueAttributes",
}

// Statement is one statement of the deploying identity's policy. Resources may hold
// ${Partition}, ${Account} and ${Prefix} (the control plane's name: stacks, roles and
// change sets are named after it).
type Statement struct {
	Sid       string
	Actions   []string
	Resources []string
	// Service: for iam:CreateServiceLinkedRole, the services it may create them for.
	Services []string
}

// cloudformationActions are the deployer's calls on its stacks.
var cloudformationActions = []string{"cloudformation:CreateChangeSet", "cloudformation:DescribeChangeSet", "cloudformation:ExecuteChangeSet",
	"cloudformation:DeleteChangeSet", "cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents", "cloudformation:ListStackResources",
	"cloudformation:DeleteStack", "cloudformation:CreateStack", "cloudformation:TagResource"}

// RequiredPolicy is what the deploying identity needs to deploy, upgrade and delete a
// control plane and its tasks. IAM and CloudFormation are scoped to what the
// deployment names after its control plane; the services' create calls name
// resources CloudFormation chooses, so they take every resource.
func RequiredPolicy() []Statement {
	iamActions := map[string]bool{}
	other := map[string]bool{}
	for _, acts := range resourceActions {
		for _, a := range acts {
			if strings.HasPrefix(a, "iam:") {
				iamActions[a] = true
			} else {
				other[a] = true
			}
		}
	}
	for _, a := range deployerActions {
		if !strings.HasPrefix(a, "cloudformation:") && !strings.HasPrefix(a, "iam:") {
			other[a] = true
		}
	}
	return []Statement{
		{Sid: "Stacks", Actions: sortedSet(toSet(cloudformationActions)), Resources: []string{
			"arn:${Partition}:cloudformation:*:${Account}:stack/${Prefix}-*/*",
			"arn:${Partition}:cloudformation:*:${Account}:changeSet/thub-*/*"}},
		{Sid: "ListStacksAndLimits", Actions: []string{"cloudformation:DescribeAccountLimits", "cloudformation:DescribeStacks"}, Resources: []string{"*"}},
		{Sid: "StackRoles", Actions: sortedSet(iamActions), Resources: []string{
			"arn:${Partition}:iam::${Account}:role/${Prefix}-*", "arn:${Partition}:iam::${Account}:instance-profile/${Prefix}-*"}},
		{Sid: "PassStackRoles", Actions: []string{"iam:PassRole"}, Resources: []string{"arn:${Partition}:iam::${Account}:role/${Prefix}-*"}},
		{Sid: "ServiceLinkedRoles", Actions: []string{"iam:CreateServiceLinkedRole"}, Resources: []string{"arn:${Partition}:iam::${Account}:role/aws-service-role/*"},
			Services: []string{"autoscaling.amazonaws.com", "ecs.amazonaws.com", "spot.amazonaws.com"}},
		{Sid: "PreFlight", Actions: []string{"iam:GetAccountSummary", "iam:GetRole", "iam:SimulatePrincipalPolicy"}, Resources: []string{"*"}},
		{Sid: "Resources", Actions: sortedSet(other), Resources: []string{"*"}},
	}
}

// RequiredActions lists every action of RequiredPolicy once.
func RequiredActions() []string {
	set := map[string]bool{}
	for _, st := range RequiredPolicy() {
		for _, a := range st.Actions {
			set[a] = true
		}
	}
	return sortedSet(set)
}

// PolicyDocument renders RequiredPolicy as an IAM policy for an account, a partition
// and a control plane name (placeholders stay when they are empty).
func PolicyDocument(partition, account, controlPlane string) string {
	type stmt struct {
		Sid       string         `json:"Sid"`
		Effect    string         `json:"Effect"`
		Action    []string       `json:"Action"`
		Resource  any            `json:"Resource"`
		Condition map[string]any `json:"Condition,omitempty"`
	}
	var doc struct {
		Version   string `json:"Version"`
		Statement []stmt `json:"Statement"`
	}
	doc.Version = "2012-10-17"
	for _, st := range RequiredPolicy() {
		s := stmt{Sid: st.Sid, Effect: "Allow", Action: st.Actions}
		var res []string
		for _, r := range st.Resources {
			res = append(res, expand(r, partition, account, controlPlane))
		}
		if len(res) == 1 {
			s.Resource = res[0]
		} else {
			s.Resource = res
		}
		if len(st.Services) > 0 {
			s.Condition = map[string]any{"StringEquals": map[string]any{"iam:AWSServiceName": st.Services}}
		}
		doc.Statement = append(doc.Statement, s)
	}
	b, _ := json.MarshalIndent(doc, "", "  ")
	return string(b)
}

// expand fills a resource's placeholders.
func expand(r, partition, account, controlPlane string) string {
	if partition != "" {
		r = strings.ReplaceAll(r, "${Partition}", partition)
	}
	if account != "" {
		r = strings.ReplaceAll(r, "${Account}", account)
	}
	if controlPlane != "" {
		r = strings.ReplaceAll(r, "${Prefix}", controlPlane)
	}
	return r
}

func toSet(s []string) map[string]bool {
	m := map[string]bool{}
	for _, v := range s {
		m[v] = true
	}
	return m
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
