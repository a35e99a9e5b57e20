package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"transferhub/cloud/deploy"
	"transferhub/cloud/image/imagetest"
	"transferhub/cloud/stack"
	"transferhub/cloud/testenv"
)

// thub deploy against the AWS emulator, through the standard AWS configuration
// (AWS_ENDPOINT_URL, AWS_REGION, keys in the environment): the commands' contract
// (exit codes, --dry-run, --json, what they print), the control plane and a task
// deployed, listed, read, deleted keeping the data; an image task's list stored.

type deployEnv struct {
	env    []string // the process environment of thub
	cfg    aws.Config
	common []string // flags every deploy command takes here
	agents string
}

func newDeployEnv(t *testing.T) deployEnv {
	t.Helper()
	te := testenv.Load(t)
	cfg := te.AWSConfig(t)
	p := imagetest.NewECRProxy(t, te, cfg)
	agents := t.TempDir()
	for i, arch := range []string{"arm64", "amd64"} {
		if err := os.WriteFile(filepath.Join(agents, "thub-linux-"+arch), imagetest.FakeAgent(uint64(i+40), 100_000), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	empty := filepath.Join(t.TempDir(), "none")
	return deployEnv{
		env: []string{"AWS_ENDPOINT_URL=" + te.Get("TH_AWS_ENDPOINT"), "AWS_REGION=" + cfg.Region, "AWS_ACCESS_KEY_ID=" + te.Get("TH_AWS_ACCESS_KEY"),
			"AWS_SECRET_ACCESS_KEY=" + te.Get("TH_AWS_SECRET_KEY"), "AWS_CONFIG_FILE=" + empty, "AWS_SHARED_CREDENTIALS_FILE=" + empty,
			"AWS_EC2_METADATA_DISABLED=true", "AWS_PROFILE=",
			// as testenv.AWSConfig: the emulator now and then closes a connection under a
			// response, which the SDK's retries absorb
			"AWS_MAX_ATTEMPTS=3"},
		cfg:    cfg,
		common: []string{"--emulator", "--poll", "50ms", "--registry-host", p.Host, "--registry-insecure"},
		agents: agents,
	}
}

// publicVPC makes a VPC whose subnet routes to an internet gateway (the emulator's
// default VPC has no such route, so the pre-flight would rightly refuse it).
func publicVPC(t *testing.T, cfg aws.Config) (vpc, subnet string) {
	t.Helper()
	ctx := context.Background()
	c := ec2.NewFromConfig(cfg)
	v, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.77.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	vpc = aws.ToString(v.Vpc.VpcId)
	s, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(vpc), CidrBlock: aws.String("10.77.1.0/24")})
	if err != nil {
		t.Fatal(err)
	}
	igw, err := c.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{VpcId: aws.String(vpc), InternetGatewayId: igw.InternetGateway.InternetGatewayId}); err != nil {
		t.Fatal(err)
	}
	rts, err := c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpc}}}})
	if err != nil || len(rts.RouteTables) == 0 {
		t.Fatalf("route tables of %s: %v", vpc, err)
	}
	if _, err := c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: rts.RouteTables[0].RouteTableId, DestinationCidrBlock: aws.String("0.0.0.0/0"),
		GatewayId: igw.InternetGateway.InternetGatewayId}); err != nil {
		t.Fatal(err)
	}
	return vpc, aws.ToString(s.Subnet.SubnetId)
}

func (e deployEnv) run(t *testing.T, args ...string) runResult {
	t.Helper()
	return thub(t, e.env, append(append([]string{"deploy"}, args...), e.common...)...)
}

func decode[T any](t *testing.T, r runResult) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("stdout is not one JSON document (%v):\n%s\nstderr:\n%s", err, r.stdout, r.stderr)
	}
	return v
}

func TestDeployCLIInEmulator(t *testing.T) {
	e := newDeployEnv(t)
	ctx := context.Background()
	cp := testenv.Name("cli")
	vpc, subnet := publicVPC(t, e.cfg)
	cpArgs := []string{"control-plane", "--control-plane", cp, "--vpc-id", vpc, "--subnet-ids", subnet}

	// --- the control plane: a dry run changes nothing ------------------------------------
	r := e.run(t, append(cpArgs, "--dry-run", "--json")...)
	if r.code != 0 {
		t.Fatalf("dry run: exit %d\n%s", r.code, r.stderr)
	}
	dry := decode[deployResult](t, r)
	if !dry.DryRun || dry.Preview == nil || dry.Preview.Op != deploy.OpCreate || dry.Preview.Counts().Add < 10 || dry.Preflight == nil {
		t.Fatalf("dry run result %+v", dry)
	}
	if perm := checkNamed(dry.Preflight, "permissions"); perm.Status != deploy.CheckUnknown || !strings.Contains(perm.Summary, "could not be checked") {
		t.Errorf("the emulator has no IAM policy simulator; the pre-flight must say so: %+v", perm)
	}
	if net := checkNamed(dry.Preflight, "network"); net.Status != deploy.CheckOK {
		t.Errorf("network check %+v", net)
	}
	if !strings.Contains(r.stderr, "will be created") || !strings.Contains(r.stderr, "AWS::KMS::Key") {
		t.Errorf("the preview on stderr:\n%s", r.stderr)
	}
	if st := stackStatus(t, e.cfg, deploy.ControlPlaneStackName(cp)); st != "" {
		t.Fatalf("a dry run left the stack %s", st)
	}

	r = e.run(t, cpArgs...)
	if r.code != 0 || !strings.Contains(r.stdout, "CREATE_COMPLETE") {
		t.Fatalf("control plane: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	t.Cleanup(func() {
		thub(t, e.env, append([]string{"deploy", "delete", "control-plane", "--control-plane", cp}, e.common...)...)
	})
	if !strings.Contains(r.stderr, "CREATE_COMPLETE") || strings.Contains(r.stderr, "\r") {
		t.Errorf("progress off a terminal is plain lines with the stack's states:\n%q", r.stderr)
	}
	if r = e.run(t, cpArgs...); r.code != 0 || !strings.Contains(r.stdout, "no changes") {
		t.Fatalf("the same control plane again: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// --- an S3 task ------------------------------------------------------------------------
	s3c := s3.NewFromConfig(e.cfg, func(o *s3.Options) { o.UsePathStyle = true })
	src, dst := testenv.Name("src"), testenv.Name("dst")
	for _, b := range []string{src, dst} {
		if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	list := filepath.Join(t.TempDir(), "prefixes.txt")
	if err := os.WriteFile(list, []byte("2024/\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	task := testenv.Name("t")
	taskArgs := []string{"s3-task", "s3://" + src + "/photos/", "s3://" + dst + "/", "--control-plane", cp, "--task-id", task, "--agents", e.agents,
		"--dst-access-key", "AKIADEST", "--dst-secret-key", "dest-secret", "--events", "create", "--schedule", "@every 6h",
		"--max-workers", "20", "--prefix-list", list, "--compare", "size"}

	// Temporary keys are refused with what to do instead.
	r = thub(t, append(e.env, "THUB_SRC_SESSION_TOKEN=tok", "THUB_SRC_ACCESS_KEY_ID=ASIA", "THUB_SRC_SECRET_ACCESS_KEY=x"), append(append([]string{"deploy"}, taskArgs...), e.common...)...)
	if r.code != 2 || !strings.Contains(r.stderr, "temporary credentials") || !strings.Contains(r.stderr, "--src-role-arn") {
		t.Fatalf("temporary keys: exit %d\n%s", r.code, r.stderr)
	}

	r = e.run(t, append(taskArgs, "--json")...)
	if r.code != 0 {
		t.Fatalf("s3-task: exit %d\n%s", r.code, r.stderr)
	}
	res := decode[deployResult](t, r)
	if res.Task == nil || res.Task.Status != "CREATE_COMPLETE" || res.Task.Notification == nil || len(res.Secrets) != 1 || len(res.Uploaded) < 6 {
		t.Fatalf("s3-task result %+v", res)
	}
	if !strings.Contains(r.stderr, "agent linux/arm64: uploaded") {
		t.Errorf("the uploads were not shown:\n%s", r.stderr)
	}
	sec, err := secretsmanager.NewFromConfig(e.cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(res.Secrets[0].ARN)})
	if err != nil || !strings.Contains(aws.ToString(sec.SecretString), "AKIADEST") {
		t.Errorf("the destination's keys in Secrets Manager: %v", err)
	}
	params := stackParams(t, e.cfg, deploy.TaskStackName(cp, task))
	if params["MaxWorkers"] != "20" || params["Compare"] != "size" || params["DstSecretArn"] != res.Secrets[0].ARN || params["ScheduleExpression"] != "rate(6 hours)" ||
		params["PrefixList"] != stack.ListURL(outputsOf(t, e.cfg, deploy.ControlPlaneStackName(cp))["AssetsBucket"], task, "prefixes.txt") {
		t.Errorf("the task stack's parameters: %v", params)
	}
	if strings.Contains(strings.Join(mapValues(params), " "), "dest-secret") {
		t.Error("a key reached a stack parameter")
	}

	// The same again (dry run and real): no changes, nothing uploaded.
	r = e.run(t, append(taskArgs, "--dry-run", "--json")...)
	if again := decode[deployResult](t, r); r.code != 0 || again.Preview == nil || !again.Preview.Empty() {
		t.Fatalf("the same task, dry run: exit %d %+v\n%s", r.code, again.Preview, r.stderr)
	}
	r = e.run(t, append(taskArgs, "--json")...)
	if again := decode[deployResult](t, r); r.code != 0 || again.Task == nil || !again.Task.NoChanges || len(agentKeys(again.Uploaded)) != 0 {
		t.Fatalf("the same task again: exit %d %+v\n%s", r.code, again, r.stderr)
	}

	// list and status
	r = e.run(t, "list", "--json")
	deps := decode[[]deploy.Deployment](t, r)
	var sawCP, sawTask bool
	for _, d := range deps {
		sawCP = sawCP || (d.Kind == stack.KindControlPlane && d.ControlPlane == cp && d.Status == "CREATE_COMPLETE")
		sawTask = sawTask || (d.TaskID == task && d.Kind == stack.KindS3Task && d.ControlPlane == cp)
	}
	if r.code != 0 || !sawCP || !sawTask {
		t.Errorf("list: exit %d, control plane %v, task %v\n%s", r.code, sawCP, sawTask, r.stdout)
	}
	if r = e.run(t, "list"); !strings.Contains(r.stdout, task) || !strings.Contains(r.stdout, "CONTROL PLANE") {
		t.Errorf("list table:\n%s", r.stdout)
	}
	r = e.run(t, "status", task, "--control-plane", cp, "--json")
	st := decode[deploy.TaskStatus](t, r)
	if r.code != 0 || st.Status != "CREATE_COMPLETE" || st.Table == "" || st.Run != nil {
		t.Errorf("status: exit %d %+v", r.code, st)
	}

	// delete, keeping the data: the dry run says what stays
	r = e.run(t, "delete", task, "--control-plane", cp, "--keep-data", "--dry-run")
	if r.code != 0 || !strings.Contains(r.stdout, "Would keep table "+st.Table) || !strings.Contains(r.stdout, "Would remove secret") {
		t.Fatalf("delete dry run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = e.run(t, "delete", task, "--control-plane", cp, "--keep-data"); r.code != 0 || !strings.Contains(r.stdout, "Kept table "+st.Table) {
		t.Fatalf("delete: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, err := dynamodb.NewFromConfig(e.cfg).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(st.Table)}); err != nil {
		t.Errorf("the kept table: %v", err)
	}
	if r = e.run(t, "status", task, "--control-plane", cp); r.code != 0 || !strings.Contains(r.stdout, deploy.RecordDataKept) {
		t.Errorf("status of a kept task: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// --- an image task: its references become its image list ------------------------------
	img := testenv.Name("i")
	r = e.run(t, "image-task", "registry.example.com/app:v1", "registry.example.com/tools:v2", "mirror.example.com/copies",
		"--control-plane", cp, "--task-id", img, "--agents", e.agents, "--dst-creds", "robot:pw", "--json")
	if r.code != 0 {
		t.Fatalf("image-task: exit %d\n%s", r.code, r.stderr)
	}
	ires := decode[deployResult](t, r)
	if ires.Task == nil || ires.Task.Status != "CREATE_COMPLETE" || len(ires.Secrets) != 1 {
		t.Fatalf("image-task result %+v", ires)
	}
	bucket := outputsOf(t, e.cfg, deploy.ControlPlaneStackName(cp))["AssetsBucket"]
	got, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(stack.ListKey(img, "images.txt"))})
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 200)
	n, _ := got.Body.Read(b)
	if string(b[:n]) != "registry.example.com/app:v1\nregistry.example.com/tools:v2\n" {
		t.Errorf("image list %q", b[:n])
	}
	if r = e.run(t, "delete", img, "--control-plane", cp); r.code != 0 {
		t.Fatalf("delete the image task: exit %d\n%s", r.code, r.stderr)
	}

	// The control plane goes last, with what the kept task left.
	if r = e.run(t, "delete", "control-plane", "--control-plane", cp); r.code != 0 || !strings.Contains(r.stdout, "Removed table "+st.Table) {
		t.Fatalf("delete the control plane: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func checkNamed(r *deploy.PreflightReport, name string) deploy.Check {
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	return deploy.Check{}
}

func agentKeys(up []string) []string {
	var out []string
	for _, u := range up {
		if strings.HasPrefix(u, "sha256/") || strings.Contains(u, "@sha256:") {
			out = append(out, u)
		}
	}
	return out
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func describe(t *testing.T, cfg aws.Config, name string) *cftypes.Stack {
	t.Helper()
	out, err := cloudformation.NewFromConfig(cfg).DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil || len(out.Stacks) == 0 {
		return nil
	}
	return &out.Stacks[0]
}

func stackStatus(t *testing.T, cfg aws.Config, name string) string {
	t.Helper()
	if s := describe(t, cfg, name); s != nil {
		return string(s.StackStatus)
	}
	return ""
}

func stackParams(t *testing.T, cfg aws.Config, name string) map[string]string {
	t.Helper()
	m := map[string]string{}
	if s := describe(t, cfg, name); s != nil {
		for _, p := range s.Parameters {
			m[aws.ToString(p.ParameterKey)] = aws.ToString(p.ParameterValue)
		}
	}
	return m
}

func outputsOf(t *testing.T, cfg aws.Config, name string) map[string]string {
	t.Helper()
	m := map[string]string{}
	if s := describe(t, cfg, name); s != nil {
		for _, o := range s.Outputs {
			m[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
		}
	}
	return m
}
