package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"transferhub/cloud/deploy/assets"
	"transferhub/cloud/image/imagetest"
	"transferhub/cloud/stack"
	"transferhub/cloud/state"
	"transferhub/cloud/state/dynamostore"
	"transferhub/cloud/testenv"
	"transferhub/cloud/version"
)

// The deployer against the AWS emulator: the real create, update, no-change and delete
// paths reach their states and the resources exist. (What the emulator cannot produce,
// per-resource progress, failures, rollbacks, parameter changes in a preview, permission
// simulation, is replayed against cloud/deploy/cfnfake in replay_test.go.)

// agentsFS holds two fake agents (seed picks their bytes: another seed is another
// version).
func agentsFS(seed uint64) fstest.MapFS {
	return fstest.MapFS{"thub-linux-arm64": {Data: imagetest.FakeAgent(seed, 200_000), Mode: 0o755}, "thub-linux-amd64": {Data: imagetest.FakeAgent(seed+1, 200_000), Mode: 0o755}}
}

// deployControlPlane deploys a control plane named name; it is deleted when the test
// ends.
func deployControlPlane(ctx context.Context, t *testing.T, d *Deployer, name string) {
	t.Helper()
	p, err := d.PlanControlPlane(ctx, ControlPlaneRequest{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Execute(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := d.DeleteControlPlane(context.Background(), DeleteRequest{ControlPlane: name}, nil); err != nil {
			t.Errorf("delete the control plane: %v", err)
		}
	})
}

// emulatorDeployer is a deployer on the AWS emulator whose agent image goes to the
// local registry behind a proxy that accepts only the emulator's ECR token.
func emulatorDeployer(t *testing.T) (*Deployer, Clients) {
	t.Helper()
	env := testenv.Load(t)
	cfg := env.AWSConfig(t)
	p := imagetest.NewECRProxy(t, env, cfg)
	c := NewClients(cfg)
	d := New(c, cfg.Region)
	d.Poll, d.MaxPoll = 100*time.Millisecond, 500*time.Millisecond
	d.Emulator = true
	d.Assets = AssetSource{Agents: assets.FS(agentsFS(1)), Registry: ECRRegistry(cfg, p.Host, true)}
	return d, c
}

func TestLifecycleInEmulator(t *testing.T) {
	d, c := emulatorDeployer(t)
	ctx := context.Background()
	cpName := testenv.Name("cp")

	// --- control plane ---------------------------------------------------------------
	p, err := d.PlanControlPlane(ctx, ControlPlaneRequest{Name: cpName})
	if err != nil {
		t.Fatal(err)
	}
	if p.Op != OpCreate || p.Preview.Counts().Add < 10 {
		t.Fatalf("control plane plan %+v", p.Preview.Counts())
	}
	var rec recorder
	o, err := d.Execute(ctx, p, rec.add)
	if err != nil || o.Status != "CREATE_COMPLETE" {
		t.Fatalf("control plane: %v %+v", err, o)
	}
	t.Cleanup(func() {
		if _, err := d.DeleteControlPlane(context.Background(), DeleteRequest{ControlPlane: cpName}, nil); err != nil {
			t.Errorf("delete the control plane: %v", err)
		}
	})
	if last := rec.last(); !last.Final || last.Done != last.Total || last.Total != len(p.Preview.Changes) {
		t.Errorf("last progress %+v", last)
	}
	cp, err := d.ControlPlane(ctx, cpName)
	if err != nil {
		t.Fatal(err)
	}
	again, err := d.PlanControlPlane(ctx, ControlPlaneRequest{Name: cpName})
	if err != nil || !again.NoChanges {
		t.Fatalf("the same control plane again: %v %+v", err, again)
	}

	// --- the source bucket, with a notification of its own ---------------------------
	src, dst := testenv.Name("src"), testenv.Name("dst")
	for _, b := range []string{src, dst} {
		if _, err := c.S3.(*s3.Client).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	otherQ, err := c.SQS.(*sqs.Client).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(testenv.Name("other"))})
	if err != nil {
		t.Fatal(err)
	}
	otherARN := queueARN(t, c, aws.ToString(otherQ.QueueUrl))
	theirs := s3types.QueueConfiguration{Id: aws.String("someone-elses"), QueueArn: aws.String(otherARN), Events: []s3types.Event{"s3:ObjectCreated:*"},
		Filter: &s3types.NotificationConfigurationFilter{Key: &s3types.S3KeyFilter{FilterRules: []s3types.FilterRule{{Name: "prefix", Value: aws.String("logs/")}}}}}
	if _, err := c.S3.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{Bucket: aws.String(src),
		NotificationConfiguration: &s3types.NotificationConfiguration{QueueConfigurations: []s3types.QueueConfiguration{theirs}}}); err != nil {
		t.Fatal(err)
	}

	taskID := testenv.Name("t")
	req := TaskRequest{ControlPlane: cpName, Kind: stack.KindS3Task, TaskID: taskID, TaskName: "photos",
		Env:         map[string]string{"THUB_SRC": "s3://" + src + "/photos/", "THUB_DST": "s3://" + dst + "/", "THUB_EVENTS": "create"},
		Credentials: map[Side]Credentials{Destination: {AccessKeyID: "AKIADEST", SecretAccessKey: "dest-secret"}},
		List:        []byte("2024/\n2025/\n"), Definition: json.RawMessage(`{"v":2}`)}

	// Temporary keys are refused, and say what to do instead.
	tmp := req
	tmp.Credentials = map[Side]Credentials{Destination: {AccessKeyID: "ASIA", SecretAccessKey: "s", SessionToken: "tok"}}
	if _, err := d.PlanTask(ctx, tmp, true); !errors.Is(err, ErrTemporaryCredentials) || !strings.Contains(err.Error(), "role") {
		t.Fatalf("temporary keys: %v", err)
	}

	// --- dry run: a preview, nothing stored --------------------------------------------
	dry, err := d.PlanTask(ctx, req, true)
	if err != nil {
		t.Fatal(err)
	}
	if dry.Op != OpCreate || dry.Preview.Counts().Add < 10 || len(dry.Secrets) != 1 || !dry.Secrets[0].Pending || dry.Events == nil {
		t.Fatalf("dry run %+v %+v", dry.Preview.Counts(), dry)
	}
	if pendingOf(dry.Preview, "DstSecretArn") == "" {
		t.Errorf("the preview does not say the secret is made when deploying: %+v", dry.Preview.Parameters)
	}
	if _, err := c.Secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(SecretName(cpName, taskID, Destination))}); err == nil {
		t.Error("a dry run stored the secret")
	}
	if _, err := c.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(cp.AssetsBucket), Key: aws.String(stack.AssetKey(dry.Agent.Arm64SHA256))}); err == nil {
		t.Error("a dry run uploaded the agent")
	}
	if st, _ := d.describeStack(ctx, TaskStackName(cpName, taskID)); st != nil {
		t.Errorf("a dry run left stack %s in %s", aws.ToString(st.StackName), st.StackStatus)
	}

	// --- create --------------------------------------------------------------------------
	tp, err := d.PlanTask(ctx, req, false)
	if err != nil {
		t.Fatal(err)
	}
	if tp.Agent != dry.Agent {
		t.Errorf("the dry run computed %+v, the upload gave %+v", dry.Agent, tp.Agent)
	}
	if len(tp.Uploaded) < 6 {
		t.Errorf("first deploy uploaded %v", tp.Uploaded)
	}
	to, err := d.ExecuteTask(ctx, tp, nil)
	if err != nil || to.Status != "CREATE_COMPLETE" || to.Table == "" {
		t.Fatalf("task: %v %+v", err, to)
	}
	t.Cleanup(func() { // before the control plane goes (cleanups run last first)
		_, _ = d.DeleteTask(context.Background(), DeleteRequest{ControlPlane: cpName, TaskID: taskID}, nil)
	})
	checkSecret(t, c, tp.Secrets[0].ARN, cp.KeyARN, `{"access_key_id":"AKIADEST","secret_access_key":"dest-secret"}`)
	cfgs := bucketQueues(t, c, src)
	if len(cfgs) != 2 || cfgs["someone-elses"] != otherARN || cfgs[TaskStackName(cpName, taskID)] != to.Outputs["QueueArn"] {
		t.Fatalf("the bucket's notifications after the deploy: %v", cfgs)
	}
	if pol := queuePolicy(t, c, to.Outputs["QueueUrl"]); !strings.Contains(pol, "arn:aws:s3:::"+src) || !strings.Contains(pol, "s3.amazonaws.com") {
		t.Errorf("the queue's policy does not let the bucket send: %s", pol)
	}
	record, ok, err := d.Registry(cp.TasksTable).Get(ctx, taskID)
	if err != nil || !ok || record.State != RecordDeployed || record.Table != to.Table || record.Definition != `{"v":2}` || len(record.Secrets) != 1 ||
		record.Env["THUB_PREFIX_LIST"] != stack.ListURL(cp.AssetsBucket, taskID, "prefixes.txt") {
		t.Fatalf("registry %v %v %+v", err, ok, record)
	}

	// --- the same again: nothing uploaded, no change set executed -----------------------
	before := stackEvents(t, d, tp.StackID)
	same, err := d.PlanTask(ctx, req, false)
	if err != nil {
		t.Fatal(err)
	}
	if !same.NoChanges || len(uploadedAgents(same.Uploaded)) != 0 {
		t.Fatalf("redeploy: no changes %v, uploaded %v", same.NoChanges, same.Uploaded)
	}
	if o, err := d.ExecuteTask(ctx, same, nil); err != nil || !o.NoChanges {
		t.Fatalf("redeploy: %v %+v", err, o)
	}
	if after := stackEvents(t, d, tp.StackID); after != before {
		t.Errorf("the redeploy changed the stack: %d events, were %d", after, before)
	}

	// --- update: a parameter change is applied -------------------------------------------
	upd := req
	upd.S3.Fleet.MaxWorkers = 25
	upd.Credentials = map[Side]Credentials{Destination: {AccessKeyID: "AKIADEST2", SecretAccessKey: "rotated"}} // the profile's keys changed
	up, err := d.PlanTask(ctx, upd, false)
	if err != nil {
		t.Fatal(err)
	}
	if up.Op != OpUpdate || up.NoChanges || len(up.Preview.Parameters) != 1 || up.Preview.Parameters[0] != (ValueChange{Name: "MaxWorkers", Old: "10", New: "25"}) {
		t.Fatalf("update preview %+v", up.Preview)
	}
	if o, err := d.ExecuteTask(ctx, up, nil); err != nil || o.Status != "UPDATE_COMPLETE" {
		t.Fatalf("update: %v %+v", err, o)
	}
	if cur, _ := d.describeStack(ctx, tp.Stack); paramMap(cur.Parameters)["MaxWorkers"] != "25" {
		t.Errorf("after the update MaxWorkers is %s", paramMap(cur.Parameters)["MaxWorkers"])
	}
	if len(up.Secrets) != 1 || up.Secrets[0].ARN != tp.Secrets[0].ARN || up.Secrets[0].Created {
		t.Errorf("new keys made another secret: %+v, was %+v", up.Secrets, tp.Secrets)
	}
	checkSecret(t, c, tp.Secrets[0].ARN, cp.KeyARN, `{"access_key_id":"AKIADEST2","secret_access_key":"rotated"}`)

	// --- events turned off: exactly the task's notification goes ----------------------------
	quiet := upd
	quiet.Env = maps.Clone(upd.Env)
	quiet.Env["THUB_EVENTS"] = "none"
	qp, err := d.PlanTask(ctx, quiet, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.ExecuteTask(ctx, qp, nil); err != nil {
		t.Fatal(err)
	}
	if cfgs := bucketQueues(t, c, src); len(cfgs) != 1 || cfgs["someone-elses"] != otherARN {
		t.Errorf("with events off the bucket's notifications are %v: want exactly the other one", cfgs)
	}

	// --- status: from the stack and the task's table -------------------------------------
	store := dynamostore.New(c.DynamoDB, to.Table)
	if err := store.PutTask(ctx, state.Task{ID: taskID, Type: state.TaskS3, Status: state.TaskIdle}); err != nil {
		t.Fatal(err)
	}
	run, err := store.StartRun(ctx, taskID)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.AddCounters(ctx, taskID, run.RunID, state.Counters{DoneObjects: 7, DoneBytes: 700}); err != nil {
		t.Fatal(err)
	}
	ts, err := d.Status(ctx, cpName, taskID)
	if err != nil || ts.Status != "UPDATE_COMPLETE" || ts.Run == nil || ts.Run.Counters.DoneObjects != 7 || ts.Table != to.Table {
		t.Fatalf("status %v %+v", err, ts)
	}

	// --- delete, keeping the data ---------------------------------------------------------
	plan, err := d.DeleteTask(ctx, DeleteRequest{ControlPlane: cpName, TaskID: taskID, KeepData: true, DryRun: true}, nil)
	if err != nil || !hasItem(plan.Survives, "table", to.Table) || !hasItem(plan.Removes, "secret", tp.Secrets[0].ARN) {
		t.Fatalf("delete preview %v %+v", err, plan)
	}
	if _, err := d.DeleteTask(ctx, DeleteRequest{ControlPlane: cpName, TaskID: taskID, KeepData: true}, nil); err != nil {
		t.Fatal(err)
	}
	if there, _ := d.tableExists(ctx, to.Table); !there {
		t.Fatal("the kept table is gone")
	}
	if cfgs := bucketQueues(t, c, src); len(cfgs) != 1 || cfgs["someone-elses"] != otherARN {
		t.Errorf("after the delete the bucket's notifications are %v: want exactly the other one", cfgs)
	}
	if _, err := c.Secrets.(*secretsmanager.Client).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(tp.Secrets[0].ARN)}); err == nil {
		t.Error("the task's secret outlived it")
	}
	deps, err := d.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if k := find(deps, taskID); k == nil || k.Status != RecordDataKept || k.KeptTable != to.Table || k.Stack != "" {
		t.Errorf("listed %+v", k)
	}

	// --- the same task again: its table and records come back ------------------------------
	back, err := d.PlanTask(ctx, req, false)
	if err != nil {
		t.Fatal(err)
	}
	if back.AdoptedTable != to.Table {
		t.Fatalf("re-created task adopts %q, want %q", back.AdoptedTable, to.Table)
	}
	bo, err := d.ExecuteTask(ctx, back, nil)
	if err != nil || bo.Status != "CREATE_COMPLETE" || bo.Table != to.Table {
		t.Fatalf("re-create: %v %+v", err, bo)
	}
	if ts, err := d.Status(ctx, cpName, taskID); err != nil || ts.Run == nil || ts.Run.Counters.DoneObjects != 7 {
		t.Fatalf("the re-created task does not find its records: %v %+v", err, ts.Run)
	}
	if cfgs := bucketQueues(t, c, src); len(cfgs) != 2 {
		t.Errorf("the re-created task's notification: %v", cfgs)
	}

	// --- an edit's plan discarded: the secret keeps the keys the stack runs with ---------
	sec := back.Secrets[0]
	other := req
	other.S3.Fleet.MaxWorkers = 12
	other.Credentials = map[Side]Credentials{Destination: {AccessKeyID: "AKIAOTHER", SecretAccessKey: "other-side"}}
	dropped, err := d.PlanTask(ctx, other, false)
	if err != nil {
		t.Fatal(err)
	}
	checkSecret(t, c, sec.ARN, cp.KeyARN, `{"access_key_id":"AKIAOTHER","secret_access_key":"other-side"}`)
	if err := d.DiscardTask(ctx, dropped); err != nil {
		t.Fatal(err)
	}
	// (The emulator answers GetSecretValue with the newest value, whatever its stage:
	// what AWS and the agents read is the value staged AWSCURRENT.)
	if v, err := c.Secrets.(*secretsmanager.Client).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(sec.ARN),
		VersionStage: aws.String("AWSCURRENT")}); err != nil || aws.ToString(v.SecretString) != `{"access_key_id":"AKIADEST","secret_access_key":"dest-secret"}` {
		t.Errorf("after the discarded plan the current keys are not the ones the stack runs with: %v", err)
	}

	// --- the destination needs no keys any more (DropSecrets): the stack drops its secret --
	own := req
	own.Credentials, own.DropSecrets = nil, map[Side]bool{Destination: true}
	op, err := d.PlanTask(ctx, own, false)
	if err != nil {
		t.Fatal(err)
	}
	var dstChange *ValueChange
	for i, p := range op.Preview.Parameters {
		if p.Name == "DstSecretArn" {
			dstChange = &op.Preview.Parameters[i]
		}
	}
	if dstChange == nil || dstChange.Old != sec.ARN || dstChange.New != "" || len(op.dropped) != 1 || op.dropped[0] != sec.ARN {
		t.Fatalf("the plan of dropping the destination's keys: %+v, drops %v", op.Preview.Parameters, op.dropped)
	}
	// (The emulator cannot execute it: removing the conditional AWS::IAM::Policy of the
	// secret fails there with NoSuchEntity; AWS removes it.)
	if err := d.DiscardTask(ctx, op); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Secrets.(*secretsmanager.Client).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(sec.ARN)}); err != nil {
		t.Errorf("a discarded plan deleted the secret the stack uses: %v", err)
	}

	// --- delete for good -------------------------------------------------------------------
	res, err := d.DeleteTask(ctx, DeleteRequest{ControlPlane: cpName, TaskID: taskID}, nil)
	if err != nil || !res.Outcome.Succeeded || !hasItem(res.Removes, "table", to.Table) {
		t.Fatalf("delete: %v %+v", err, res)
	}
	if there, _ := d.tableExists(ctx, to.Table); there {
		t.Error("the table outlived a delete without --keep-data")
	}
	if _, ok, _ := d.Registry(cp.TasksTable).Get(ctx, taskID); ok {
		t.Error("the registry still holds the task")
	}
	if n := countObjects(t, c, cp.AssetsBucket, "lists/"+taskID+"/"); n != 0 {
		t.Errorf("%d list objects outlived the task", n)
	}
}

func pendingOf(p Preview, name string) string {
	for _, v := range p.Parameters {
		if v.Name == name {
			return v.Pending
		}
	}
	return ""
}

func hasItem(items []Item, what, name string) bool {
	for _, i := range items {
		if i.What == what && i.Name == name {
			return true
		}
	}
	return false
}

func find(deps []Deployment, taskID string) *Deployment {
	for i := range deps {
		if deps[i].TaskID == taskID {
			return &deps[i]
		}
	}
	return nil
}

// uploadedAgents are the content-addressed keys among what went up.
func uploadedAgents(up []string) []string {
	var out []string
	for _, u := range up {
		if strings.HasPrefix(u, "sha256/") || strings.Contains(u, "@sha256:") {
			out = append(out, u)
		}
	}
	return out
}

func queueARN(t *testing.T, c Clients, url string) string {
	t.Helper()
	out, err := c.SQS.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Attributes["QueueArn"]
}

func queuePolicy(t *testing.T, c Clients, url string) string {
	t.Helper()
	out, err := c.SQS.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{"Policy"}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Attributes["Policy"]
}

// bucketQueues maps the bucket's queue notifications' ids to their queues.
func bucketQueues(t *testing.T, c Clients, bucket string) map[string]string {
	t.Helper()
	out, err := c.S3.GetBucketNotificationConfiguration(context.Background(), &s3.GetBucketNotificationConfigurationInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, q := range out.QueueConfigurations {
		m[aws.ToString(q.Id)] = aws.ToString(q.QueueArn)
	}
	return m
}

func checkSecret(t *testing.T, c Clients, arn, key, want string) {
	t.Helper()
	ctx := context.Background()
	desc, err := c.Secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(desc.KmsKeyId) != key {
		t.Errorf("secret encrypted with %s, want the control plane's key %s", aws.ToString(desc.KmsKeyId), key)
	}
	v, err := c.Secrets.(*secretsmanager.Client).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	if err != nil || aws.ToString(v.SecretString) != want {
		t.Errorf("secret value: %v (%d bytes)", err, len(aws.ToString(v.SecretString)))
	}
}

func stackEvents(t *testing.T, d *Deployer, id string) int {
	t.Helper()
	es, err := d.newEvents(context.Background(), id, "")
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

func countObjects(t *testing.T, c Clients, bucket, prefix string) int {
	t.Helper()
	out, err := c.S3.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	if err != nil {
		t.Fatal(err)
	}
	return int(aws.ToInt32(out.KeyCount))
}

// TestUpgradeInEmulator: a task deployed by an older build with an older agent is
// listed as upgradable; the upgrade's preview names the agent's parameters and the
// version; after it the stack runs the new agent and the old one is marked superseded.
func TestUpgradeInEmulator(t *testing.T) {
	d, c := emulatorDeployer(t)
	ctx := context.Background()
	cpName := testenv.Name("up")
	deployControlPlane(ctx, t, d, cpName)
	cp, err := d.ControlPlane(ctx, cpName)
	if err != nil {
		t.Fatal(err)
	}
	taskID := testenv.Name("t")
	req := TaskRequest{ControlPlane: cpName, Kind: stack.KindS3Task, TaskID: taskID,
		Env: map[string]string{"THUB_SRC": "s3://" + testenv.Name("a") + "/", "THUB_DST": "s3://" + testenv.Name("b") + "/"}}

	current := version.Version
	version.Version = "0.9.0-old"
	tp, err := d.PlanTask(ctx, req, false)
	if err == nil {
		_, err = d.ExecuteTask(ctx, tp, nil)
	}
	version.Version = current
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = d.DeleteTask(context.Background(), DeleteRequest{ControlPlane: cpName, TaskID: taskID}, nil)
	})
	deps, err := d.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if dep := find(deps, taskID); dep == nil || !dep.UpgradeAvailable || dep.Version != "0.9.0-old" {
		t.Fatalf("listed %+v", dep)
	}

	d.Assets.Agents = assets.FS(agentsFS(5))
	up, err := d.PlanUpgradeTask(ctx, cpName, taskID, true)
	if err != nil {
		t.Fatal(err)
	}
	pv := up.Preview
	if got := names(pv.Parameters); got != "AgentImage,AgentSha256Amd64,AgentSha256Arm64" {
		t.Errorf("upgrade preview parameters %s", got)
	}
	if pv.VersionChange == nil || pv.VersionChange.Old != "0.9.0-old" || pv.VersionChange.New != current {
		t.Errorf("version change %+v", pv.VersionChange)
	}
	up, err = d.PlanUpgradeTask(ctx, cpName, taskID, false)
	if err != nil {
		t.Fatal(err)
	}
	if o, err := d.ExecuteTask(ctx, up, nil); err != nil || o.Status != "UPDATE_COMPLETE" {
		t.Fatalf("upgrade: %v %+v", err, o)
	}
	cur, _ := d.describeStack(ctx, TaskStackName(cpName, taskID))
	if got := paramMap(cur.Parameters)["AgentSha256Arm64"]; got != up.Agent.Arm64SHA256 || got == tp.Agent.Arm64SHA256 {
		t.Errorf("after the upgrade the stack runs agent %s", got)
	}
	// (The version tag is not checked here: the emulator keeps a stack's tags from its
	// creation; replay_test.go checks that an upgrade's tags reach the stack.)
	tags, err := c.S3.(*s3.Client).GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(cp.AssetsBucket), Key: aws.String(stack.AssetKey(tp.Agent.Arm64SHA256))})
	if err != nil || len(tags.TagSet) != 1 || aws.ToString(tags.TagSet[0].Key) != stack.SupersededTag {
		t.Errorf("the old agent is not marked superseded: %v %+v", err, tags)
	}
	if tags, _ := c.S3.(*s3.Client).GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(cp.AssetsBucket), Key: aws.String(stack.AssetKey(up.Agent.Arm64SHA256))}); tags != nil && len(tags.TagSet) != 0 {
		t.Errorf("the new agent is marked: %+v", tags.TagSet)
	}
	if got := paramMap(cur.Parameters)["MaxWorkers"]; got != "10" {
		t.Errorf("the upgrade changed a setting: MaxWorkers %s", got)
	}
}

// TestReachabilityInEmulator reads real EC2 answers: a subnet routed to an internet
// gateway, a private one with only an S3 gateway endpoint in its route table.
func TestReachabilityInEmulator(t *testing.T) {
	d, c := emulatorDeployer(t)
	ctx := context.Background()
	e := c.EC2.(*ec2.Client)
	vpc, err := e.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.88.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	vpcID := vpc.Vpc.VpcId
	pub, _ := e.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpcID, CidrBlock: aws.String("10.88.1.0/24")})
	priv, _ := e.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpcID, CidrBlock: aws.String("10.88.2.0/24")})
	igw, _ := e.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{})
	if _, err := e.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{VpcId: vpcID, InternetGatewayId: igw.InternetGateway.InternetGatewayId}); err != nil {
		t.Fatal(err)
	}
	pubRT, _ := e.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: vpcID})
	privRT, _ := e.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: vpcID})
	if _, err := e.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: pubRT.RouteTable.RouteTableId, DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: igw.InternetGateway.InternetGatewayId}); err != nil {
		t.Fatal(err)
	}
	for sub, rt := range map[*string]*string{pub.Subnet.SubnetId: pubRT.RouteTable.RouteTableId, priv.Subnet.SubnetId: privRT.RouteTable.RouteTableId} {
		if _, err := e.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{SubnetId: sub, RouteTableId: rt}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: vpcID, ServiceName: aws.String("com.amazonaws.us-east-1.s3"),
		VpcEndpointType: "Gateway", RouteTableIds: []string{aws.ToString(privRT.RouteTable.RouteTableId)}}); err != nil {
		t.Fatal(err)
	}
	n := stack.Network{VPCID: aws.ToString(vpcID), SubnetIDs: []string{aws.ToString(pub.Subnet.SubnetId), aws.ToString(priv.Subnet.SubnetId)}, PublicIP: true}
	got := reachability(ctx, t, d, n)
	if r := got[aws.ToString(pub.Subnet.SubnetId)]; !r.Internet || !strings.HasPrefix(r.Route, "igw-") {
		t.Errorf("public subnet %+v", r)
	}
	if r := got[aws.ToString(priv.Subnet.SubnetId)]; r.Internet || strings.Join(r.Services, ",") != "s3" || len(r.Missing) != 7 {
		t.Errorf("private subnet %+v: want S3 through its gateway endpoint only", r)
	}
}
