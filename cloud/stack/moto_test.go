package stack

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"transferhub/cloud/testenv"
)

// The three stacks against the AWS emulator: they reach CREATE_COMPLETE with realistic
// parameters (through the plain CloudFormation API, as a deployer would call it), and
// the resources exist with the templates' properties. What the emulator drops
// (encryption settings of some services, scaling policies, alarms, schedules) is
// covered by the template unit tests.

type clients struct {
	cfg aws.Config
	cf  *cloudformation.Client
	s3  *s3.Client
}

func emulator(t *testing.T) clients {
	cfg := testenv.Load(t).AWSConfig(t)
	return clients{cfg: cfg, cf: cloudformation.NewFromConfig(cfg), s3: s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })}
}

// createStack creates a stack (TemplateBody, or TemplateURL when url is set), waits for
// CREATE_COMPLETE and deletes it when the test ends.
func createStack(t *testing.T, c clients, name string, tpl Template, params []cfntypes.Parameter, templateURL string) []cfntypes.Output {
	t.Helper()
	ctx := context.Background()
	in := &cloudformation.CreateStackInput{StackName: aws.String(name), Parameters: params,
		Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam}}
	if templateURL != "" {
		in.TemplateURL = aws.String(templateURL)
	} else {
		in.TemplateBody = aws.String(tpl.Body)
	}
	if _, err := c.cf.CreateStack(ctx, in); err != nil {
		t.Fatalf("create %s stack %s: %v", tpl.Kind, name, err)
	}
	t.Cleanup(func() {
		if _, err := c.cf.DeleteStack(context.Background(), &cloudformation.DeleteStackInput{StackName: aws.String(name)}); err != nil {
			t.Errorf("delete stack %s: %v", name, err)
		}
	})
	w := cloudformation.NewStackCreateCompleteWaiter(c.cf, func(o *cloudformation.StackCreateCompleteWaiterOptions) { o.MinDelay = time.Second })
	out, err := w.WaitForOutput(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)}, 2*time.Minute)
	if err != nil {
		t.Fatalf("%s stack %s did not reach CREATE_COMPLETE: %v", tpl.Kind, name, err)
	}
	return out.Stacks[0].Outputs
}

func deleteStack(t *testing.T, c clients, name string) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.cf.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	w := cloudformation.NewStackDeleteCompleteWaiter(c.cf, func(o *cloudformation.StackDeleteCompleteWaiterOptions) { o.MinDelay = time.Second })
	if err := w.Wait(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)}, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
}

// putAsset stores bytes content-addressed in the assets bucket, as the asset upload
// does, and returns their SHA-256.
func putAsset(t *testing.T, c clients, bucket string, body []byte) string {
	t.Helper()
	sum := sha256.Sum256(body)
	h := hex.EncodeToString(sum[:])
	if _, err := c.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(AssetKey(h)), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	return h
}

func zipOf(t *testing.T, name string, body []byte) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write(body)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// deployControlPlane creates a control plane in the emulator's default VPC.
func deployControlPlane(t *testing.T, c clients, p ControlPlaneParams) (string, ControlPlaneOutputs) {
	t.Helper()
	ctx := context.Background()
	if p.Network.VPCID == "" {
		n, err := DefaultNetwork(ctx, ec2.NewFromConfig(c.cfg))
		if err != nil {
			t.Fatal(err)
		}
		p.Network = n
	}
	if p.Name == "" {
		p.Name = testenv.Name("cp")
	}
	params, err := p.Parameters()
	if err != nil {
		t.Fatal(err)
	}
	name := "thub-" + p.Name
	outs := createStack(t, c, name, ControlPlane(), params, "")
	cp, err := ParseControlPlaneOutputs(outs)
	if err != nil {
		t.Fatal(err)
	}
	// What delete keeps (the KMS key, the tasks table) goes at the end of the test.
	t.Cleanup(func() {
		ctx := context.Background()
		_, _ = dynamodb.NewFromConfig(c.cfg).DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(cp.TasksTable)})
		_, _ = kms.NewFromConfig(c.cfg).ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(cp.KeyARN), PendingWindowInDays: aws.Int32(7)})
		emptyBucket(c, cp.AssetsBucket)
	})
	return name, cp
}

func emptyBucket(c clients, bucket string) {
	ctx := context.Background()
	out, err := c.s3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	if err != nil {
		return
	}
	for _, v := range out.Versions {
		_, _ = c.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: v.Key, VersionId: v.VersionId})
	}
	for _, v := range out.DeleteMarkers {
		_, _ = c.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: v.Key, VersionId: v.VersionId})
	}
}

func TestControlPlaneInEmulator(t *testing.T) {
	c := emulator(t)
	ctx := context.Background()
	_, cp := deployControlPlane(t, c, ControlPlaneParams{LogRetentionDays: 14})

	enc, err := c.s3.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(cp.AssetsBucket)})
	if err != nil {
		t.Fatalf("assets bucket: %v", err)
	}
	rule := enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault
	if rule.SSEAlgorithm != "aws:kms" || aws.ToString(rule.KMSMasterKeyID) != cp.KeyARN {
		t.Errorf("assets bucket encryption %s with %s, want aws:kms with %s", rule.SSEAlgorithm, aws.ToString(rule.KMSMasterKeyID), cp.KeyARN)
	}
	key, err := kms.NewFromConfig(c.cfg).DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(cp.KeyARN)})
	if err != nil || !key.KeyMetadata.Enabled {
		t.Fatalf("the key: %v %+v", err, key)
	}
	repos, err := ecr.NewFromConfig(c.cfg).DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{strings.SplitN(cp.AgentRepositoryURI, "/", 2)[1]}})
	if err != nil {
		t.Fatalf("agent repository: %v", err)
	}
	if repos.Repositories[0].ImageTagMutability != ecrtypes.ImageTagMutabilityImmutable {
		t.Errorf("agent repository tags are %s", repos.Repositories[0].ImageTagMutability)
	}
	cl, err := ecs.NewFromConfig(c.cfg).DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{cp.ClusterARN}})
	if err != nil || len(cl.Clusters) != 1 || aws.ToString(cl.Clusters[0].Status) != "ACTIVE" {
		t.Errorf("cluster %s: %v %+v", cp.ClusterARN, err, cl)
	}
	tbl, err := dynamodb.NewFromConfig(c.cfg).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(cp.TasksTable)})
	if err != nil || len(tbl.Table.KeySchema) != 2 {
		t.Errorf("tasks table: %v %+v", err, tbl)
	}
	attrs, err := sns.NewFromConfig(c.cfg).GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(cp.AlertTopicARN)})
	if err != nil || attrs.Attributes["KmsMasterKeyId"] != cp.KeyARN {
		t.Errorf("alert topic: %v, KMS key %q", err, attrs.Attributes["KmsMasterKeyId"])
	}
	lg, err := cloudwatchlogs.NewFromConfig(c.cfg).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(cp.AgentLogGroup)})
	// (The emulator drops the log group's KMS key: TestEncryptionEverywhere checks it.)
	if err != nil || len(lg.LogGroups) != 1 || aws.ToInt32(lg.LogGroups[0].RetentionInDays) != 14 {
		t.Errorf("agent log group: %v %+v", err, lg)
	}
	sg, err := ec2.NewFromConfig(c.cfg).DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{cp.SecurityGroupID}})
	if err != nil || aws.ToString(sg.SecurityGroups[0].VpcId) != cp.VPCID || len(sg.SecurityGroups[0].IpPermissions) != 0 {
		t.Errorf("agent security group (outbound only, in %s): %v %+v", cp.VPCID, err, sg)
	}
	if cp.AssignPublicIP != "ENABLED" || len(cp.SubnetIDs) == 0 {
		t.Errorf("network outputs %+v", cp)
	}
}

// TestControlPlaneWithEndpointsAndNATInEmulator: the private-subnet options create
// their endpoints and NAT route.
func TestControlPlaneWithEndpointsAndNATInEmulator(t *testing.T) {
	c := emulator(t)
	ctx := context.Background()
	e := ec2.NewFromConfig(c.cfg)
	n, err := DefaultNetwork(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := e.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: aws.String(n.VPCID)})
	if err != nil {
		t.Fatal(err)
	}
	rtID := aws.ToString(rt.RouteTable.RouteTableId)
	t.Cleanup(func() {
		_, _ = e.DeleteRouteTable(context.Background(), &ec2.DeleteRouteTableInput{RouteTableId: aws.String(rtID)})
	})
	n.PublicIP, n.Endpoints, n.NAT, n.RouteTableIDs, n.NATSubnetID = false, true, true, []string{rtID}, n.SubnetIDs[0]
	n.SubnetIDs = n.SubnetIDs[:2]
	deployControlPlane(t, c, ControlPlaneParams{Network: n})
	eps, err := e.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})
	if err != nil {
		t.Fatal(err)
	}
	services := map[string]bool{}
	for _, ep := range eps.VpcEndpoints {
		if aws.ToString(ep.VpcId) == n.VPCID {
			services[aws.ToString(ep.ServiceName)] = true
		}
	}
	for _, s := range []string{"s3", "dynamodb", "sqs", "ecr.api", "ecr.dkr", "logs", "secretsmanager", "sts"} {
		if !services["com.amazonaws."+c.cfg.Region+"."+s] {
			t.Errorf("no %s endpoint (have %v)", s, services)
		}
	}
	rts, err := e.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{rtID}})
	if err != nil {
		t.Fatal(err)
	}
	nat := false
	for _, r := range rts.RouteTables[0].Routes {
		nat = nat || (aws.ToString(r.DestinationCidrBlock) == "0.0.0.0/0" && aws.ToString(r.NatGatewayId) != "")
	}
	if !nat {
		t.Errorf("the route table does not go out through the NAT gateway: %+v", rts.RouteTables[0].Routes)
	}
}

// taskAssets stores a stand-in agent, Lambda zip and the task templates in the assets
// bucket (the asset upload's tests upload real ones).
func taskAssets(t *testing.T, c clients, cp ControlPlaneOutputs) AgentAssets {
	arm := putAsset(t, c, cp.AssetsBucket, []byte("agent arm64"))
	amd := putAsset(t, c, cp.AssetsBucket, []byte("agent amd64"))
	lz := putAsset(t, c, cp.AssetsBucket, zipOf(t, "bootstrap", []byte("agent arm64")))
	for _, tpl := range []Template{S3Task(), ImageTask()} {
		if got := putAsset(t, c, cp.AssetsBucket, []byte(tpl.Body)); got != tpl.SHA256 {
			t.Fatalf("template %s: SHA256 %s, stored %s", tpl.Kind, tpl.SHA256, got)
		}
	}
	return AgentAssets{Image: cp.AgentRepositoryURI + "@sha256:" + exSHA3, Arm64SHA256: arm, Amd64SHA256: amd, LambdaSHA256: lz}
}

func templateURL(c clients, cp ControlPlaneOutputs, tpl Template) string {
	return TemplateURL(cp.AssetsBucket, c.cfg.Region, AssetKey(tpl.SHA256))
}

func TestS3TaskInEmulator(t *testing.T) {
	c := emulator(t)
	ctx := context.Background()
	_, cp := deployControlPlane(t, c, ControlPlaneParams{})
	p := exampleS3Task(cp)
	p.Agent = taskAssets(t, c, cp)
	p.TaskID = testenv.Name("t")
	p.Env["THUB_PREFIX_LIST"] = ListURL(cp.AssetsBucket, p.TaskID, "prefixes.txt")
	params, err := p.Parameters()
	if err != nil {
		t.Fatal(err)
	}
	name := "thub-" + p.TaskID
	out, err := ParseS3TaskOutputs(createStack(t, c, name, S3Task(), params, templateURL(c, cp, S3Task())))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = dynamodb.NewFromConfig(c.cfg).DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(out.TableName)})
	})

	// The queue and its dead-letter queue.
	q := sqs.NewFromConfig(c.cfg)
	qa, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(out.QueueURL), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
	if err != nil {
		t.Fatal(err)
	}
	dlq, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(out.DeadLetterQueueURL), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
	if err != nil {
		t.Fatal(err)
	}
	var redrive struct {
		Target string `json:"deadLetterTargetArn"`
		Max    any    `json:"maxReceiveCount"`
	}
	_ = json.Unmarshal([]byte(qa.Attributes["RedrivePolicy"]), &redrive)
	want := map[string]string{"MessageRetentionPeriod": "1209600", "MaximumMessageSize": "262144", "KmsMasterKeyId": cp.KeyARN,
		"VisibilityTimeout": "300", "ReceiveMessageWaitTimeSeconds": "20"}
	for k, v := range want {
		if qa.Attributes[k] != v {
			t.Errorf("queue %s = %q, want %q", k, qa.Attributes[k], v)
		}
	}
	if redrive.Target != dlq.Attributes["QueueArn"] || strings.Trim(jsonString(redrive.Max), `"`) != "5" {
		t.Errorf("redrive policy %s", qa.Attributes["RedrivePolicy"])
	}
	if dlq.Attributes["KmsMasterKeyId"] != cp.KeyARN || dlq.Attributes["MessageRetentionPeriod"] != "1209600" {
		t.Errorf("dead-letter queue %v", dlq.Attributes)
	}

	// The table: the agent's schema.
	tbl, err := dynamodb.NewFromConfig(c.cfg).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(out.TableName)})
	if err != nil {
		t.Fatal(err)
	}
	if len(tbl.Table.GlobalSecondaryIndexes) != 1 || aws.ToString(tbl.Table.GlobalSecondaryIndexes[0].IndexName) != "byStatus" || tbl.Table.BillingModeSummary == nil || tbl.Table.BillingModeSummary.BillingMode != "PAY_PER_REQUEST" {
		t.Errorf("table %+v", tbl.Table)
	}

	// The workers: launch template and group.
	e := ec2.NewFromConfig(c.cfg)
	lt, err := e.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: aws.String(out.WorkerLaunchTemplateID)})
	if err != nil {
		t.Fatal(err)
	}
	d := lt.LaunchTemplateVersions[0].LaunchTemplateData
	if d.MetadataOptions == nil || d.MetadataOptions.HttpTokens != "required" || !aws.ToBool(d.BlockDeviceMappings[0].Ebs.Encrypted) {
		t.Errorf("launch template: IMDS %+v, volume %+v", d.MetadataOptions, d.BlockDeviceMappings)
	}
	ud, _ := base64.StdEncoding.DecodeString(aws.ToString(d.UserData))
	for _, line := range []string{"THUB_QUEUE_URL=" + out.QueueURL, "THUB_DLQ_URL=" + out.DeadLetterQueueURL, "THUB_TABLE=" + out.TableName,
		"THUB_TASK_ID=" + p.TaskID, "THUB_SRC=s3://photos/2024/", "THUB_EVENTS=create-and-delete", "THUB_GRACE=30s",
		"aarch64) sum=" + p.Agent.Arm64SHA256, "s3://" + cp.AssetsBucket + "/sha256/$sum", "TimeoutStopSec=70",
		`"log_group_name": "` + cp.AgentLogGroup + `"`} {
		if !strings.Contains(string(ud), line) {
			t.Errorf("the deployed user data lacks %q", line)
		}
	}
	g, err := autoscaling.NewFromConfig(c.cfg).DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{out.WorkerGroupName}})
	if err != nil || len(g.AutoScalingGroups) != 1 {
		t.Fatalf("worker group: %v", err)
	}
	if ag := g.AutoScalingGroups[0]; aws.ToInt32(ag.MinSize) != 0 || aws.ToInt32(ag.MaxSize) != 20 || ag.MixedInstancesPolicy == nil {
		t.Errorf("worker group %d..%d, mixed instances %v", aws.ToInt32(ag.MinSize), aws.ToInt32(ag.MaxSize), ag.MixedInstancesPolicy)
	} else if ov := ag.MixedInstancesPolicy.LaunchTemplate.Overrides; len(ov) != 3 || aws.ToString(ov[0].InstanceType) != "c7g.large" {
		t.Errorf("instance types %+v", ov)
	}

	// The finder.
	td, err := ecs.NewFromConfig(c.cfg).DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(out.FinderTaskDefinitionARN)})
	if err != nil {
		t.Fatal(err)
	}
	ctr := td.TaskDefinition.ContainerDefinitions[0]
	env := map[string]string{}
	for _, kv := range ctr.Environment {
		env[aws.ToString(kv.Name)] = aws.ToString(kv.Value)
	}
	if strings.Join(ctr.Command, " ") != "s3 find" || aws.ToString(td.TaskDefinition.Family) != name+"-finder" {
		t.Errorf("finder %s: command %v", aws.ToString(td.TaskDefinition.Family), ctr.Command)
	}
	for k, v := range map[string]string{"THUB_QUEUE_URL": out.QueueURL, "THUB_TABLE": out.TableName, "THUB_PREFIX_LIST": p.Env["THUB_PREFIX_LIST"], "THUB_SCHEDULE": p.Env["THUB_SCHEDULE"]} {
		if env[k] != v {
			t.Errorf("finder %s = %q, want %q", k, env[k], v)
		}
	}
	if ctr.LogConfiguration == nil || ctr.LogConfiguration.Options["awslogs-group"] != cp.AgentLogGroup || ctr.LogConfiguration.Options["awslogs-stream-prefix"] != p.TaskID {
		t.Errorf("finder logs %+v", ctr.LogConfiguration)
	}

	// The roles' policies name this task's queue and buckets.
	pol := rolePolicy(t, c, name, "WorkerRole", "worker")
	for _, s := range []string{qa.Attributes["QueueArn"], "arn:aws:s3:::photos/2024/*", "arn:aws:s3:::archive/photos/*", "/sha256/" + p.Agent.Arm64SHA256} {
		if !strings.Contains(pol, s) {
			t.Errorf("the worker policy does not name %s", s)
		}
	}
	// The finder-failed rule notifies the control plane's topic.
	rules, err := eventbridge.NewFromConfig(c.cfg).ListRules(ctx, &eventbridge.ListRulesInput{NamePrefix: aws.String(name)})
	if err != nil || len(rules.Rules) != 1 {
		t.Fatalf("finder-failed rule: %v %+v", err, rules)
	}
	targets, err := eventbridge.NewFromConfig(c.cfg).ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: rules.Rules[0].Name})
	if err != nil || len(targets.Targets) != 1 || aws.ToString(targets.Targets[0].Arn) != cp.AlertTopicARN {
		t.Errorf("finder-failed rule targets: %v %+v", err, targets)
	}

	// Delete keeping the data, re-create: the new stack adopts the kept table.
	deleteStack(t, c, name)
	if _, err := dynamodb.NewFromConfig(c.cfg).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(out.TableName)}); err != nil {
		t.Fatalf("the table went with the stack: %v", err)
	}
	p.ExistingTable = out.TableName
	params, err = p.Parameters()
	if err != nil {
		t.Fatal(err)
	}
	again, err := ParseS3TaskOutputs(createStack(t, c, name, S3Task(), params, templateURL(c, cp, S3Task())))
	if err != nil {
		t.Fatal(err)
	}
	if again.TableName != out.TableName {
		t.Errorf("the re-created task uses table %s, not its kept %s", again.TableName, out.TableName)
	}
}

func jsonString(v any) string { b, _ := json.Marshal(v); return string(b) }

type stackResource struct {
	id     string
	status cfntypes.ResourceStatus
}

// physicalID finds a stack's resource (the emulator answers DescribeStackResource with
// an error page; DescribeStackResources works).
func physicalID(t *testing.T, c clients, stackName, logical string) stackResource {
	t.Helper()
	out, err := c.cf.DescribeStackResources(context.Background(), &cloudformation.DescribeStackResourcesInput{StackName: aws.String(stackName)})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range out.StackResources {
		if aws.ToString(r.LogicalResourceId) == logical {
			return stackResource{id: aws.ToString(r.PhysicalResourceId), status: r.ResourceStatus}
		}
	}
	t.Fatalf("stack %s has no resource %s", stackName, logical)
	return stackResource{}
}

// rolePolicy returns an inline policy of a stack's role as JSON.
func rolePolicy(t *testing.T, c clients, stackName, logicalRole, policy string) string {
	t.Helper()
	ctx := context.Background()
	out, err := iam.NewFromConfig(c.cfg).GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(physicalID(t, c, stackName, logicalRole).id), PolicyName: aws.String(policy)})
	if err != nil {
		t.Fatalf("policy %s of %s: %v", policy, logicalRole, err)
	}
	doc, _ := url.QueryUnescape(aws.ToString(out.PolicyDocument))
	return doc
}

func TestImageTaskInEmulator(t *testing.T) {
	c := emulator(t)
	ctx := context.Background()
	_, cp := deployControlPlane(t, c, ControlPlaneParams{})
	p := exampleImageTask(cp)
	p.Agent = taskAssets(t, c, cp)
	p.TaskID = testenv.Name("t")
	p.Env["THUB_IMAGE_LIST"] = ListURL(cp.AssetsBucket, p.TaskID, "images.txt")
	params, err := p.Parameters()
	if err != nil {
		t.Fatal(err)
	}
	name := "thub-" + p.TaskID
	out, err := ParseImageTaskOutputs(createStack(t, c, name, ImageTask(), params, templateURL(c, cp, ImageTask())))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = dynamodb.NewFromConfig(c.cfg).DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(out.TableName)})
	})
	fn, err := lambda.NewFromConfig(c.cfg).GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(out.ListFunctionName)})
	if err != nil {
		t.Fatal(err)
	}
	fc := fn.Configuration
	// (The emulator reports every function as x86_64: the template test checks arm64.)
	if fc.Runtime != "provided.al2023" || aws.ToString(fc.Handler) != "image-list" {
		t.Errorf("list function: runtime %s, handler %s", fc.Runtime, aws.ToString(fc.Handler))
	}
	zipSum, _ := hex.DecodeString(p.Agent.LambdaSHA256)
	if aws.ToString(fc.CodeSha256) != base64.StdEncoding.EncodeToString(zipSum) {
		t.Errorf("the function's code is not the uploaded zip: %s", aws.ToString(fc.CodeSha256))
	}
	for k, v := range map[string]string{"THUB_IMAGE_LIST": p.Env["THUB_IMAGE_LIST"], "THUB_DST_ECR": "us-east-1", "THUB_TABLE": out.TableName, "THUB_TASK_ID": p.TaskID} {
		if got := fc.Environment.Variables[k]; got != v {
			t.Errorf("list function %s = %q, want %q", k, got, v)
		}
	}
	td, err := ecs.NewFromConfig(c.cfg).DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(out.CopierTaskDefinitionARN)})
	if err != nil {
		t.Fatal(err)
	}
	if ctr := td.TaskDefinition.ContainerDefinitions[0]; strings.Join(ctr.Command, " ") != "image copy" || aws.ToString(ctr.Image) != p.Agent.Image {
		t.Errorf("copier: image %s, command %v", aws.ToString(ctr.Image), ctr.Command)
	}
	// The emulator keeps state machines CloudFormation creates apart from its Step
	// Functions API while its interpreter is on (the test services' setting), so the
	// definition is checked by TestStateMachine; here: the stack made one.
	if r := physicalID(t, c, name, "StateMachine"); r.status != cfntypes.ResourceStatusCreateComplete || r.id != out.StateMachineARN {
		t.Errorf("state machine resource: %+v", r)
	}
	pol := rolePolicy(t, c, name, "CopierRole", "destination-ecr")
	if !strings.Contains(pol, "repository/mirror*") {
		t.Errorf("the copiers' ECR policy is not scoped to the destination prefix: %s", pol)
	}
}
