package harness_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/deploy"
	"transferhub/cloud/deploy/harness"
	"transferhub/cloud/image/imagetest"
	"transferhub/cloud/stack"
	"transferhub/cloud/state"
	"transferhub/cloud/testenv"
)

// enforceIAM switches the second emulator's IAM enforcement on (server-wide: only this
// package uses that emulator, and its tests do not run in parallel) after making an
// administrator, whose credentials it returns; the switch goes off at the end.
func enforceIAM(t *testing.T, cfg aws.Config) (aws.Config, string) {
	t.Helper()
	ctx := context.Background()
	c := iam.NewFromConfig(cfg)
	name := testenv.Name("harness-admin")
	u, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
	require.NoError(t, err)
	_, err = c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("everything"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)})
	require.NoError(t, err)
	k, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	require.NoError(t, err)
	admin := cfg.Copy()
	admin.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), "")
	auth := func(v string) {
		req, _ := http.NewRequest(http.MethodPost, aws.ToString(cfg.BaseEndpoint)+"/moto-api/reset-auth", strings.NewReader(v))
		req.Header.Set("Content-Type", "text/plain")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	auth("0")
	t.Cleanup(func() { auth("inf") })
	// Enforced: the emulator's default keys are nobody now.
	_, err = sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.Error(t, err, "IAM enforcement is not on")
	return admin, aws.ToString(u.User.Arn)
}

// physicalID is a stack resource's physical id (the emulator answers a
// DescribeStackResources filtered by logical id with a 500: filter here).
func physicalID(t *testing.T, cfg aws.Config, stackName, logical string) string {
	t.Helper()
	rs, err := cloudformation.NewFromConfig(cfg).DescribeStackResources(context.Background(), &cloudformation.DescribeStackResourcesInput{StackName: aws.String(stackName)})
	require.NoError(t, err)
	for _, r := range rs.StackResources {
		if aws.ToString(r.LogicalResourceId) == logical {
			return aws.ToString(r.PhysicalResourceId)
		}
	}
	t.Fatalf("stack %s has no resource %s", stackName, logical)
	return ""
}

// roleConfig is cfg with one of a stack's roles assumed.
func roleConfig(t *testing.T, admin aws.Config, stackName, logical string) aws.Config {
	t.Helper()
	role, err := iam.NewFromConfig(admin).GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String(physicalID(t, admin, stackName, logical))})
	require.NoError(t, err)
	cfg := admin.Copy()
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(admin), aws.ToString(role.Role.Arn)))
	return cfg
}

// denied: the call failed because the role may not (the emulator answers 403; its
// JSON-protocol services with an XML body the SDK reports as code 403).
func denied(t *testing.T, what string, err error) {
	t.Helper()
	require.Error(t, err, "%s was allowed", what)
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code := ae.ErrorCode()
		if code == "AccessDenied" || code == "AccessDeniedException" || code == "403" || strings.Contains(code, "NotAuthorized") {
			return
		}
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusForbidden {
		return
	}
	t.Fatalf("%s failed, but not as denied: %v", what, err)
}

// The stacks' roles under IAM enforcement, on the second emulator: every agent (finder,
// workers, the list Lambda, copiers) runs with its role's credentials, and so do the
// log shipping (instance and execution roles), the state machine's RunTask and the
// schedule's start; the S3 task copies between two of the account's buckets and the
// image task copies its images, both to the end. Then, each asserted, what the roles
// may not do.
func TestRolesUnderIAMEnforcement(t *testing.T) {
	env := testenv.Load(t)
	env.Require(t, testenv.RegOpen, testenv.RegOCI)
	admin, principal := enforceIAM(t, env.AWS2Config(t))
	c := newCloud(t, admin)
	ctx := context.Background()
	s3c := s3.NewFromConfig(admin, func(o *s3.Options) { o.UsePathStyle = true })
	bucket := func(prefix string) string {
		name := testenv.Name(prefix)
		_, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
		require.NoError(t, err)
		t.Cleanup(func() { emptyAndDelete(s3c, name) })
		return name
	}
	srcA, dstA, srcB := bucket("th-iam-src"), bucket("th-iam-dst"), bucket("th-iam-other")
	bodies := putObjects(ctx, t, s3c, srcA, 30, func(i int) (string, int) {
		return fmt.Sprintf("in/part%d/o-%02d.bin", i%3, i), 300 + 41*i
	})
	_, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(srcB), Key: aws.String("secret-plans.txt"), Body: strings.NewReader("not task A's")})
	require.NoError(t, err)

	// Task A copies between the account's own buckets with its roles alone; task B is
	// another task (its queue, its secret) that A's roles must not touch.
	a := testenv.Name("ta")
	oa := c.deployTask(deploy.TaskRequest{Kind: stack.KindS3Task, TaskID: a, TaskName: "iam A",
		Env: map[string]string{"THUB_SRC": "s3://" + srcA + "/in/", "THUB_DST": "s3://" + dstA + "/out/"},
		S3:  deploy.S3Options{Fleet: stack.Fleet{MaxWorkers: 2, BacklogPerWorker: 5, Idle: time.Minute}}})
	gb := env.Get("TH_S3_B_ENDPOINT")
	bID := testenv.Name("tb")
	ob := c.deployTask(deploy.TaskRequest{Kind: stack.KindS3Task, TaskID: bID, TaskName: "iam B",
		Env:         map[string]string{"THUB_SRC": "s3://" + srcB + "/", "THUB_DST": "s3://elsewhere/", "THUB_DST_ENDPOINT": gb},
		Credentials: map[deploy.Side]deploy.Credentials{deploy.Destination: {AccessKeyID: "AKIAOTHERTASK0000000", SecretAccessKey: "other-task-secret-value-0123456789"}}})
	// Task C: images, on a schedule (its start goes through the scheduler's role).
	open, oci, rc := registries(ctx, t, env)
	var refs []string
	for i, r := range []string{"svc:1", "svc:2", "tool:x"} {
		full := open + "/th-iam/" + strings.ToLower(testenv.Name("ns")) + "/" + r
		_, err := imagetest.Push(ctx, rc, full, imagetest.Spec{Layers: []int64{8 << 10}, Seed: uint64(700 + i)})
		require.NoError(t, err)
		refs = append(refs, full)
	}
	cID := testenv.Name("tc")
	oc := c.deployTask(deploy.TaskRequest{Kind: stack.KindImageTask, TaskID: cID, TaskName: "iam C",
		Env:   map[string]string{"THUB_IMAGE_DEST": oci + "/iam", "THUB_INSECURE_HTTP": open + "," + oci, "THUB_BATCH_SIZE": "2", "THUB_SCHEDULE": "@every 6h"},
		List:  []byte(strings.Join(refs, "\n")),
		Image: deploy.ImageOptions{Run: stack.ImageRun{MaxConcurrency: 2, RetryAttempts: -1}, LogRetentionDays: 1}})
	stacks := []string{c.stackName(a), c.stackName(bID), c.stackName(cID)}
	for _, s := range stacks {
		roles, err := harness.FitRolesToEmulator(ctx, admin, s, principal)
		require.NoError(t, err)
		require.NotEmpty(t, roles)
	}

	h := c.harness(true, time.Second)
	require.NoError(t, h.Play(ctx, stacks[0]))
	require.NoError(t, h.Play(ctx, stacks[2]))

	// A: run now; the finder and the workers with their roles copy everything.
	c.runNow(oa.Outputs["FinderTaskDefinitionArn"])
	tk := waitTask(t, c.store(oa.Table), a, 5*time.Minute, h)
	require.Equal(t, state.TaskCompleted, tk.Status, tk.LastError)
	require.Equal(t, int64(30), tk.Counters.DoneObjects)
	for k, body := range bodies {
		out, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(dstA), Key: aws.String("out/" + strings.TrimPrefix(k, "in/"))})
		require.NoError(t, err, k)
		var got bytes.Buffer
		_, _ = got.ReadFrom(out.Body)
		out.Body.Close()
		require.Equal(t, body, got.Bytes(), "bytes of %q", k)
	}

	// C: its schedule fires (the scheduler's role starts the state machine); the Lambda
	// and the copiers with their roles, RunTask with the state machine's.
	fired, err := h.Fire(ctx, stacks[2])
	require.NoError(t, err)
	require.Len(t, fired, 1)
	ex := waitHarnessExecution(t, h, stacks[2], fired[0].Execution)
	require.Equal(t, "SUCCEEDED", ex.Status, "%s: %s", ex.Error, ex.Cause)
	tc, err := c.store(oc.Table).GetTask(ctx, cID)
	require.NoError(t, err)
	require.Equal(t, state.TaskIdle, tc.Status, "a scheduled task rests IDLE between runs: %s", tc.LastError)
	require.Equal(t, int64(3), tc.Counters.DoneObjects)
	require.Empty(t, h.Problems(), "every process and its log shipping ran with its role")

	// What the roles may not do.
	worker := roleConfig(t, admin, stacks[0], "WorkerRole")
	finder := roleConfig(t, admin, stacks[0], "FinderRole")
	t.Run("worker writes its own queue, not another task's", func(t *testing.T) {
		q := sqs.NewFromConfig(worker)
		_, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(oa.Outputs["QueueUrl"]), MessageBody: aws.String(`{"v":1,"run":"x","objects":[]}`)})
		require.NoError(t, err)
		_, err = q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(ob.Outputs["QueueUrl"]), MessageBody: aws.String("{}")})
		denied(t, "the worker writing another task's queue", err)
	})
	t.Run("worker reads its source, not a bucket outside its task", func(t *testing.T) {
		s := s3.NewFromConfig(worker, func(o *s3.Options) { o.UsePathStyle = true })
		_, err := s.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(srcA), Key: aws.String("in/part0/o-00.bin")})
		require.NoError(t, err)
		_, err = s.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(srcB), Key: aws.String("secret-plans.txt")})
		denied(t, "the worker reading a bucket not in its task", err)
		_, err = s.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(srcA), Key: aws.String("not-in/the-prefix")})
		denied(t, "the worker reading outside its source prefix", err)
	})
	t.Run("no secret of another task", func(t *testing.T) {
		// The emulator checks Secrets Manager at the action level only: a task without
		// secrets has no secretsmanager action at all, so the other task's secret is out
		// of reach. (That a task's policy names only its own secrets' ARNs is checked
		// statically, cloud/stack.)
		rec, ok, err := c.d.Registry(c.cp.TasksTable).Get(ctx, bID)
		require.NoError(t, err)
		require.True(t, ok)
		require.Len(t, rec.Secrets, 1)
		_, err = secretsmanager.NewFromConfig(worker).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(rec.Secrets[0])})
		denied(t, "task A's worker reading task B's secret", err)
		_, err = secretsmanager.NewFromConfig(finder).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(rec.Secrets[0])})
		denied(t, "task A's finder reading task B's secret", err)
	})
	t.Run("no IAM at all", func(t *testing.T) {
		for name, cfg := range map[string]aws.Config{"worker": worker, "finder": finder,
			"copier": roleConfig(t, admin, stacks[2], "CopierRole"), "lister": roleConfig(t, admin, stacks[2], "ListRole")} {
			_, err := iam.NewFromConfig(cfg).ListRoles(ctx, &iam.ListRolesInput{})
			denied(t, "iam:ListRoles by the "+name, err)
			_, err = iam.NewFromConfig(cfg).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("mallory")})
			denied(t, "iam:CreateUser by the "+name, err)
		}
	})
	t.Run("finder deletes nothing when the task does not delete", func(t *testing.T) {
		s := s3.NewFromConfig(finder, func(o *s3.Options) { o.UsePathStyle = true })
		_, err := s.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(dstA), Key: aws.String("out/part0/o-00.bin")})
		require.NoError(t, err, "the finder reads the destination")
		_, err = s.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(dstA), Key: aws.String("out/part0/o-00.bin")})
		denied(t, "the finder deleting at the destination", err)
	})
	t.Run("a role without a needed action fails the run", func(t *testing.T) {
		// Take sqs:SendMessage from the finder: its next run cannot queue anything.
		roleName := aws.String(physicalID(t, admin, stacks[0], "FinderRole"))
		ic := iam.NewFromConfig(admin)
		pol, err := ic.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: roleName, PolicyName: aws.String("finder")})
		require.NoError(t, err)
		doc := aws.ToString(pol.PolicyDocument)
		cut := strings.Replace(strings.Replace(decodePolicy(doc), `"sqs:SendMessage",`, "", 1), `"sqs:SendMessage"`, `"sqs:GetQueueUrl"`, 1)
		require.NotEqual(t, decodePolicy(doc), cut)
		_, err = ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: roleName, PolicyName: aws.String("finder"), PolicyDocument: aws.String(cut)})
		require.NoError(t, err)
		_, err = s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(srcA), Key: aws.String("in/new.bin"), Body: strings.NewReader("new")})
		require.NoError(t, err)
		arn := c.runNow(oa.Outputs["FinderTaskDefinitionArn"])
		waitFor(t, time.Minute, h, "the finder task", func() bool { return h.Task(arn) != nil })
		ft := h.Task(arn)
		select {
		case <-ft.Done():
		case <-time.After(3 * time.Minute):
			t.Fatal("the finder that may not send ran on")
		}
		require.NotZero(t, ft.ExitCode(), "a finder that may not send on its queue")
		require.Regexp(t, `(?i)403|AccessDenied|not authorized`, ft.Proc.Output())
	})
}

func decodePolicy(s string) string {
	if d, err := url.QueryUnescape(s); err == nil {
		return d
	}
	return s
}

func waitHarnessExecution(t *testing.T, h *harness.Harness, stackName, arn string) *harness.Execution {
	t.Helper()
	var ex *harness.Execution
	waitFor(t, 3*time.Minute, h, "execution "+arn, func() bool {
		for _, e := range h.Executions(stackName) {
			if e.ARN == arn {
				ex = e
			}
		}
		if ex == nil {
			return false
		}
		select {
		case <-ex.Done():
			return true
		default:
			return false
		}
	})
	return ex
}
