package harness_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/regclient/regclient"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/deploy"
	"transferhub/cloud/deploy/assets"
	"transferhub/cloud/deploy/harness"
	"transferhub/cloud/image"
	"transferhub/cloud/image/imagetest"
	"transferhub/cloud/internal/s3test"
	"transferhub/cloud/stack"
	"transferhub/cloud/state"
	"transferhub/cloud/state/dynamostore"
	"transferhub/cloud/testenv"
)

// The agents the stacks deploy: thub for linux/arm64 and linux/amd64, built once per
// test run (the harness runs the one of this machine; the other is deployed as AWS
// would get it).
var linuxAgents = &testenv.Agents{Arches: assets.Arches}

func TestMain(m *testing.M) { linuxAgents.Main(m) }

// cloud is an account in an AWS emulator with a control plane deployed through
// cloud/deploy, its agent image in the local registry behind a proxy that accepts only
// the emulator's ECR token (as ECR would), and a harness playing its compute.
type cloud struct {
	t       *testing.T
	env     *testenv.Env
	cfg     aws.Config
	c       deploy.Clients
	d       *deploy.Deployer
	proxy   *imagetest.Proxy
	cpName  string
	cp      stack.ControlPlaneOutputs
	appLogs *testenv.LogBuffer // the deployer's own log (the app's side)
}

// newCloud deploys a control plane in the emulator whose SDK config cfg is.
func newCloud(t *testing.T, cfg aws.Config) *cloud {
	t.Helper()
	env := testenv.Load(t)
	env.Require(t, testenv.RegAuth)
	c := &cloud{t: t, env: env, cfg: cfg, c: deploy.NewClients(cfg), cpName: testenv.Name("cp"), appLogs: &testenv.LogBuffer{}}
	p := imagetest.NewECRProxy(t, env, cfg)
	c.proxy = p
	c.d = deploy.New(c.c, cfg.Region)
	c.d.Poll, c.d.MaxPoll = 100*time.Millisecond, 500*time.Millisecond
	c.d.Emulator = true
	c.d.Log = slog.New(slog.NewJSONHandler(c.appLogs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c.d.Assets = deploy.AssetSource{Agents: assets.Dir(linuxAgents.Dir(t)), Registry: deploy.ECRRegistry(cfg, p.Host, true)}
	ctx := context.Background()
	plan, err := c.d.PlanControlPlane(ctx, deploy.ControlPlaneRequest{Name: c.cpName, LogRetentionDays: 1})
	if err != nil {
		t.Fatal(err)
	}
	if o, err := c.d.Execute(ctx, plan, nil); err != nil || o.Status != "CREATE_COMPLETE" {
		t.Fatalf("control plane: %v %+v", err, o)
	}
	t.Cleanup(func() {
		if _, err := c.d.DeleteControlPlane(context.Background(), deploy.DeleteRequest{ControlPlane: c.cpName}, nil); err != nil {
			t.Errorf("delete the control plane: %v", err)
		}
	})
	if c.cp, err = c.d.ControlPlane(ctx, c.cpName); err != nil {
		t.Fatal(err)
	}
	return c
}

// deployTask deploys a task through the deployer (as `thub deploy` and the app do) and
// deletes it (and its data) when the test ends.
func (c *cloud) deployTask(req deploy.TaskRequest) deploy.TaskOutcome {
	c.t.Helper()
	ctx := context.Background()
	req.ControlPlane = c.cpName
	tp, err := c.d.PlanTask(ctx, req, false)
	if err != nil {
		c.t.Fatalf("plan task %s: %v", req.TaskID, err)
	}
	o, err := c.d.ExecuteTask(ctx, tp, nil)
	if err != nil || o.Status != "CREATE_COMPLETE" {
		c.t.Fatalf("deploy task %s: %v %+v", req.TaskID, err, o)
	}
	c.t.Cleanup(func() {
		if _, err := c.d.DeleteTask(context.Background(), deploy.DeleteRequest{ControlPlane: c.cpName, TaskID: req.TaskID}, nil); err != nil {
			c.t.Errorf("delete task %s: %v", req.TaskID, err)
		}
	})
	return o
}

// playImageTask deploys an image task that copies refs (read from srcRegistry) to
// oci's mirror/ in batches of batch images, at most maxConcurrency batches at once, a
// failed batch retried once; a harness plays it. It returns the task's outcome, its
// stack and the harness.
func (c *cloud) playImageTask(taskID, taskName, srcRegistry, oci string, batch, maxConcurrency int, refs []string) (deploy.TaskOutcome, string, *harness.Harness) {
	c.t.Helper()
	o := c.deployTask(deploy.TaskRequest{Kind: stack.KindImageTask, TaskID: taskID, TaskName: taskName,
		Env:   map[string]string{"THUB_IMAGE_DEST": oci + "/mirror", "THUB_INSECURE_HTTP": srcRegistry + "," + oci, "THUB_BATCH_SIZE": strconv.Itoa(batch)},
		List:  []byte(strings.Join(refs, "\n") + "\n"),
		Image: deploy.ImageOptions{Run: stack.ImageRun{MaxConcurrency: maxConcurrency, RetryAttempts: 1, RetryInterval: time.Second}, LogRetentionDays: 1}})
	name := c.stackName(taskID)
	h := c.harness(false, time.Second)
	if err := h.Play(context.Background(), name); err != nil {
		c.t.Fatal(err)
	}
	return o, name, h
}

// registries are the test environment's open registry (the images' source) and OCI
// registry (their destination), both plain HTTP, and a client of both.
func registries(ctx context.Context, t *testing.T, env *testenv.Env) (open, oci string, rc *regclient.RegClient) {
	t.Helper()
	open, oci = env.Get("TH_REG_OPEN"), env.Get("TH_REG_OCI")
	cl, err := image.NewClient(image.Access{InsecureHTTP: []string{open, oci}, NoDockerConfig: true}, nil)
	require.NoError(t, err)
	rc, err = cl.RegClient(ctx)
	require.NoError(t, err)
	return open, oci, rc
}

// newImageCloud is what the image task tests open with: a control plane in the second
// emulator, whose Step Functions interpreter is off (the harness interprets the deployed
// definition), the registries (see registries) and a fresh namespace for the test's
// images.
func newImageCloud(ctx context.Context, t *testing.T) (c *cloud, open, oci string, rc *regclient.RegClient, ns string) {
	t.Helper()
	env := testenv.Load(t)
	env.Require(t, testenv.RegOpen, testenv.RegOCI)
	c = newCloud(t, env.AWS2Config(t))
	open, oci, rc = registries(ctx, t, env)
	return c, open, oci, rc, namespace()
}

// namespace is a fresh repository namespace for a test's images.
func namespace() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "th-harness/" + hex.EncodeToString(b)
}

func (c *cloud) stackName(taskID string) string { return deploy.TaskStackName(c.cpName, taskID) }

// harness starts a harness on this cloud; it is closed (and its processes' output
// kept in the test's log when the test failed) at the end.
func (c *cloud) harness(roles bool, tick time.Duration) *harness.Harness {
	c.t.Helper()
	return c.harnessEnv(roles, tick, nil)
}

// harnessEnv is harness with env added to every process's environment.
func (c *cloud) harnessEnv(roles bool, tick time.Duration, env []string) *harness.Harness {
	c.t.Helper()
	dir, err := os.MkdirTemp("", "thub-harness-test-")
	if err != nil {
		c.t.Fatal(err)
	}
	h, err := harness.New(context.Background(), harness.Config{AWS: c.cfg, Dir: dir, RIE: filepath.Join(c.env.Get("TH_BIN_DIR"), "aws-lambda-rie"),
		Roles: roles, InsecureRegistries: []string{c.proxy.Host}, Tick: tick, Env: env,
		Log: slog.New(slog.NewTextHandler(testWriter{c.t}, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() {
		_ = h.Close()
		if c.t.Failed() {
			c.t.Logf("the processes' output stays in %s", dir)
			for _, p := range h.Processes() {
				out := p.Output()
				if len(out) > 4000 {
					out = "..." + out[len(out)-4000:]
				}
				c.t.Logf("--- %s %s (exit %v) %s:\n%s", p.Kind, p.Name, exitOf(p), p.LogFile, out)
			}
			return
		}
		os.RemoveAll(dir)
	})
	return h
}

func exitOf(p *harness.Process) string {
	if code, done := p.Exited(); done {
		return fmt.Sprint(code)
	}
	return "running"
}

// testWriter sends the harness's log to the test's (while the test runs).
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	defer func() { _ = recover() }() // a log line after the test ended
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// runNow starts an S3 task's finder as the app's "run now" does: RunTask of the stack's
// finder task definition in the control plane's cluster and network.
func (c *cloud) runNow(finderTaskDefinition string) string {
	c.t.Helper()
	out, err := ecs.NewFromConfig(c.cfg).RunTask(context.Background(), &ecs.RunTaskInput{Cluster: aws.String(c.cp.ClusterARN),
		TaskDefinition: aws.String(finderTaskDefinition), LaunchType: ecstypes.LaunchTypeFargate, Count: aws.Int32(1),
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets: c.cp.SubnetIDs, SecurityGroups: []string{c.cp.SecurityGroupID}, AssignPublicIp: ecstypes.AssignPublicIp(c.cp.AssignPublicIP)}}})
	if err != nil || len(out.Tasks) != 1 {
		c.t.Fatalf("run the finder: %v %+v", err, out)
	}
	return aws.ToString(out.Tasks[0].TaskArn)
}

// store is the task's table as the app reads it.
func (c *cloud) store(table string) state.Store {
	return dynamostore.New(dynamodb.NewFromConfig(c.cfg), table)
}

// waitTask waits until the task's run ends (or the time is up) and returns it.
func waitTask(t *testing.T, st state.Store, taskID string, within time.Duration, h *harness.Harness) state.Task {
	t.Helper()
	deadline := time.Now().Add(within)
	var last state.Task
	for time.Now().Before(deadline) {
		tk, err := st.GetTask(context.Background(), taskID)
		if err == nil {
			last = tk
			if tk.Status == state.TaskCompleted || tk.Status == state.TaskFailed {
				return tk
			}
		}
		if ps := h.Problems(); len(ps) > 0 {
			t.Fatalf("the harness met problems while task %s ran: %v", taskID, ps)
		}
		for _, p := range h.Processes() {
			// A finder ends 0 (done) or 3 (another one runs the task); anything else failed.
			if code, done := p.Exited(); done && p.Kind == "finder" && code != 0 && code != 3 {
				t.Fatalf("the finder %s of %s failed (exit %d):\n%s", p.Name, p.Stack, code, p.Output())
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("task %s did not finish within %s: %+v", taskID, within, last)
	return last
}

// putObjects writes n objects of random bytes to bucket, object i with the key and size
// that obj(i) names, and returns their bodies by key.
func putObjects(ctx context.Context, t *testing.T, c *s3.Client, bucket string, n int, obj func(i int) (key string, size int)) map[string][]byte {
	t.Helper()
	bodies := map[string][]byte{}
	for i := range n {
		key, size := obj(i)
		bodies[key] = s3test.RandBytes(size)
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(bodies[key])})
		if err != nil {
			t.Fatal(err)
		}
	}
	return bodies
}
