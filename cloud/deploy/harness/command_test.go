package harness_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/deploy/smoke"
	"transferhub/cloud/state"
	"transferhub/cloud/testenv"
)

// The thub-harness command as the desktop's end-to-end tests run it, beside a deploy
// it knows nothing of: the smoke test of a real account (package smoke, `make
// smoke-aws`) rehearsed against the emulator. The command watches the emulator, plays
// the task stack the smoke test deploys (its finder, its workers woken by the alarm)
// and stands in for ECR's registry; the smoke test sees its run COMPLETED, its copies,
// and deletes everything it made.
func TestHarnessCommandAndSmokeRehearsal(t *testing.T) {
	env := testenv.Load(t)
	env.Require(t, testenv.RegAuth)
	cfg := env.AWSConfig(t)
	ctx := context.Background()
	bin := filepath.Join(t.TempDir(), "thub-harness")
	build := exec.Command("go", "build", "-o", bin, "./cloud/deploy/harness/cmd/thub-harness")
	build.Dir = testenv.RepoRoot()
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	name := testenv.Name("smoke")
	cmd := exec.Command(bin, "-stacks", name+"-", "-tick", "1s", "-rie", filepath.Join(env.Get("TH_BIN_DIR"), "aws-lambda-rie"),
		"-ecr-registry", "https://"+env.Get("TH_REG_AUTH"), "-ecr-registry-ca", env.Get("TH_REG_AUTH_CA"))
	cmd.Env = append(os.Environ(), "AWS_ENDPOINT_URL="+env.Get(string(testenv.AWS)), "AWS_REGION="+cfg.Region,
		"AWS_ACCESS_KEY_ID="+env.Get("TH_AWS_ACCESS_KEY"), "AWS_SECRET_ACCESS_KEY="+env.Get("TH_AWS_SECRET_KEY"),
		"AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent",
		"THUB_HARNESS_REGISTRY_AUTH="+env.Get("TH_REG_AUTH_USER")+":"+env.Get("TH_REG_AUTH_PASS"))
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(90 * time.Second):
			_ = cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("thub-harness's log:\n%s", stderr.String())
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err, "the command's ready line; its log:\n%s", stderr.String())
	var ready struct {
		Ready       bool   `json:"ready"`
		API         string `json:"api"`
		ECRRegistry string `json:"ecrRegistry"`
	}
	require.NoError(t, json.Unmarshal([]byte(line), &ready), line)
	require.True(t, ready.Ready)
	require.NotEmpty(t, ready.ECRRegistry)
	go func() { _, _ = io.Copy(io.Discard, stdout) }()

	// A schedule of a stack it does not play cannot fire; the answer says why.
	resp, err := http.Post(ready.API+"/fire?stack=nothing-here", "", nil)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, string(body), "is not played")

	var log bytes.Buffer
	rep, err := smoke.Run(ctx, smoke.Options{AWS: cfg, Agents: linuxAgents.Dir(t), Name: name, Objects: 12, Timeout: 3 * time.Minute, Out: &log,
		Emulator: true, RegistryHost: ready.ECRRegistry, RegistryInsecure: true, Poll: 500 * time.Millisecond})
	t.Logf("smoke test output:\n%s", log.String())
	require.NoError(t, err)
	require.NotNil(t, rep.Task)
	require.Equal(t, state.TaskCompleted, rep.Task.Status)
	require.Equal(t, int64(12), rep.Task.Counters.DoneObjects)
	joined := strings.Join(rep.Created, "\n")
	for _, want := range []string{"bucket " + name + "-src", "bucket " + name + "-dst", "stack " + name + "-control-plane", "-task-smoke"} {
		require.Contains(t, joined, want)
	}
	removed := strings.Join(rep.Removed, "\n")
	for _, want := range []string{"bucket " + name + "-src", "bucket " + name + "-dst", name + "-control-plane"} {
		require.Contains(t, removed, want)
	}
	// Nothing of it is left but what a delete keeps on purpose (and says so).
	for _, l := range rep.Left {
		require.NotContains(t, l, "could not", "left: %v", rep.Left)
	}
	stacks, err := cloudformation.NewFromConfig(cfg).DescribeStacks(ctx, &cloudformation.DescribeStacksInput{})
	require.NoError(t, err)
	for _, s := range stacks.Stacks {
		require.False(t, strings.HasPrefix(aws.ToString(s.StackName), name), "stack %s (%s) is left", aws.ToString(s.StackName), s.StackStatus)
	}
	_, err = s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name + "-src")})
	require.Error(t, err, "the source bucket is left")

	// The command stops cleanly.
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-exited:
		require.NoError(t, err, stderr.String())
	case <-time.After(90 * time.Second):
		t.Fatal("thub-harness did not stop on SIGTERM")
	}
	require.NotContains(t, stderr.String(), "level=ERROR", "the command met problems")
}
