package harness_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/deploy"
	"transferhub/cloud/deploy/harness"
	"transferhub/cloud/image/imagetest"
	"transferhub/cloud/internal/s3test"
	"transferhub/cloud/stack"
	"transferhub/cloud/state"
	"transferhub/cloud/testenv"
)

// smallObjects puts n objects under prefix and returns their total size.
func smallObjects(t *testing.T, g *s3test.Gateway, bucket, prefix string, n int) int64 {
	t.Helper()
	var total int64
	for i := range n {
		body := s3test.RandBytes(100 + i%900)
		g.Put(t, bucket, fmt.Sprintf("%sd%02d/obj-%04d.bin", prefix, i%17, i), body, nil)
		total += int64(len(body))
	}
	return total
}

// putGiant uploads size pseudo-random bytes in parts of partSize and returns their
// SHA-256 (nothing is held in memory but a part).
func putGiant(t *testing.T, g *s3test.Gateway, bucket, key string, size, partSize int64) string {
	t.Helper()
	ctx := context.Background()
	up, err := g.Client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	require.NoError(t, err)
	data, sum := imagetest.Data(7, size), sha256.New()
	var parts []s3types.CompletedPart
	buf := make([]byte, partSize)
	for n := int32(1); ; n++ {
		k, err := io.ReadFull(data, buf)
		if k == 0 {
			break
		}
		sum.Write(buf[:k])
		out, perr := g.Client.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: up.UploadId,
			PartNumber: aws.Int32(n), Body: bytes.NewReader(buf[:k])})
		require.NoError(t, perr)
		parts = append(parts, s3types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag})
		if err != nil {
			break
		}
	}
	_, err = g.Client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: up.UploadId,
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts}})
	require.NoError(t, err)
	return hex.EncodeToString(sum.Sum(nil))
}

func objectSHA256(t *testing.T, g *s3test.Gateway, bucket, key string) (string, int64) {
	t.Helper()
	out, err := g.Client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	require.NoError(t, err)
	defer out.Body.Close()
	h := sha256.New()
	n, err := io.Copy(h, out.Body)
	require.NoError(t, err)
	return hex.EncodeToString(h.Sum(nil)), n
}

const giantSize = 1<<30 + 3<<20 // the agent's giant threshold is 1 GiB: a little more

// The deployed S3 task end to end: deployed through cloud/deploy, its finder run on
// demand (RunTask, as the app does), its workers booted from the launch template's user
// data and scaled by the template's alarms. 1,000 objects and a giant one (1 GiB, split
// into part jobs that several workers take) go from gateway A to gateway B, with a stop
// (the group scaled to zero) and a resume in the middle; the run ends COMPLETED with
// exact counts; the fleet scaled out to the task's maximum and back to zero; every
// process's log reached CloudWatch Logs; no secret is anywhere.
func TestS3Task(t *testing.T) {
	env := testenv.Load(t)
	c := newCloud(t, env.AWSConfig(t))
	a, b := s3test.Gateways(t)
	ctx := context.Background()
	src, dst := a.Bucket(t, "th-h-src"), b.Bucket(t, "th-h-dst")
	total := smallObjects(t, a, src, "data/small/", 1000)
	giantSum := putGiant(t, a, src, "data/giant/huge.bin", giantSize, 8<<20)
	total += giantSize

	const maxWorkers = 3
	taskID := testenv.Name("t")
	o := c.deployTask(deploy.TaskRequest{Kind: stack.KindS3Task, TaskID: taskID, TaskName: "harness 1000",
		Env: map[string]string{"THUB_SRC": "s3://" + src + "/data/", "THUB_SRC_ENDPOINT": a.Endpoint, "THUB_DST": "s3://" + dst + "/copy/", "THUB_DST_ENDPOINT": b.Endpoint},
		Credentials: map[deploy.Side]deploy.Credentials{deploy.Source: {AccessKeyID: a.AccessKey, SecretAccessKey: a.SecretKey},
			deploy.Destination: {AccessKeyID: b.AccessKey, SecretAccessKey: b.SecretKey}},
		S3: deploy.S3Options{Fleet: stack.Fleet{MaxWorkers: maxWorkers, BacklogPerWorker: 2, Idle: time.Minute}}})
	name := c.stackName(taskID)
	h := c.harness(false, time.Second)
	require.NoError(t, h.Play(ctx, name))
	st := c.store(o.Table)
	asg := autoscaling.NewFromConfig(c.cfg)
	group := aws.String(o.Outputs["WorkerGroupName"])

	// Run now; stop as soon as objects are being copied: the group goes to zero (as the
	// app's "stop" does), its workers stop gracefully, the work waits in the queue.
	c.runNow(o.Outputs["FinderTaskDefinitionArn"])
	waitFor(t, 3*time.Minute, h, "the first copies", func() bool {
		tk, err := st.GetTask(ctx, taskID)
		return err == nil && tk.Counters.DoneObjects > 0
	})
	_, err := asg.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: group, MaxSize: aws.Int32(0), DesiredCapacity: aws.Int32(0)})
	require.NoError(t, err)
	waitFor(t, 2*time.Minute, h, "the workers to stop", func() bool {
		f, err := h.Fleet(ctx, name)
		return err == nil && f.Running == 0 && !workersAlive(h, name)
	})
	// Each went through the terminate hook: told by its instance's metadata service, it
	// stopped and completed the lifecycle action (the harness reports one that did not).
	stoppedFleet, err := h.Fleet(ctx, name)
	require.NoError(t, err)
	require.NotEmpty(t, stoppedFleet.Completed, "workers that completed the terminate hook's action")
	// Let the finder finish too: the run then waits for the workers alone.
	waitFor(t, 3*time.Minute, h, "the finder", func() bool {
		tk, err := st.GetTask(ctx, taskID)
		return err == nil && tk.FinderDone
	})
	stopped, err := st.GetTask(ctx, taskID)
	require.NoError(t, err)
	require.Equal(t, state.TaskRunning, stopped.Status)
	require.Less(t, stopped.Counters.Settled(), stopped.Counters.FoundObjects, "stopped before the end")
	queued := peekQueue(t, c, o.Outputs["QueueUrl"])
	require.NotEmpty(t, queued, "the stopped task's work waits in its queue")

	// Resume: the group may grow again; the wake alarm starts a worker, the backlog
	// scales the fleet out to its maximum, the run completes, the fleet goes to zero.
	_, err = asg.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: group, MaxSize: aws.Int32(maxWorkers)})
	require.NoError(t, err)
	tk := waitTask(t, st, taskID, 10*time.Minute, h)
	require.Equal(t, state.TaskCompleted, tk.Status, tk.LastError)
	require.Equal(t, state.Counters{FoundObjects: 1001, FoundBytes: total, DoneObjects: 1001, DoneBytes: total}, tk.Counters)
	counts, err := st.CountObjects(ctx, taskID)
	require.NoError(t, err)
	require.Equal(t, int64(1001), counts[state.ItemDone], "object records: %v", counts)
	waitFor(t, time.Minute, h, "the fleet to go to zero", func() bool {
		f, err := h.Fleet(ctx, name)
		return err == nil && f.Desired == 0 && f.Running == 0 && !workersAlive(h, name)
	})
	f, err := h.Fleet(ctx, name)
	require.NoError(t, err)
	require.Equal(t, maxWorkers, f.Most, "the fleet scaled out to the task's maximum: %+v", f.History)
	require.Equal(t, "ScaleOutPolicy", scaledBy(f.History, maxWorkers), "history %+v", f.History)
	require.Equal(t, 0, f.History[len(f.History)-1].To)
	require.Greater(t, len(f.Completed), len(stoppedFleet.Completed), "the workers of the scale-in to zero completed the terminate hook's action")

	// The bytes at the destination are the source's.
	s3test.VerifyData(t, a, src, "data/small/", b, dst, "copy/small/")
	sum, n := objectSHA256(t, b, dst, "copy/giant/huge.bin")
	require.Equal(t, int64(giantSize), n)
	require.Equal(t, giantSum, sum, "the giant object's bytes")

	// The giant object went to several workers; every process's log is in CloudWatch
	// Logs, in the streams the stack names.
	logs := agentLogs(t, c, taskID)
	partsBy := 0
	for stream, lines := range logs {
		if m := regexp.MustCompile(`"msg":"worker stopped".*"parts":([0-9]+)`).FindStringSubmatch(lines); m != nil && m[1] != "0" && strings.Contains(stream, "/worker/") {
			partsBy++
		}
	}
	require.GreaterOrEqual(t, partsBy, 2, "workers that uploaded parts of the giant object (log streams %v)", keys(logs))
	finders := 0
	for stream, lines := range logs {
		if strings.HasPrefix(stream, taskID+"/finder/") && strings.Contains(lines, `"msg":"finder done"`) {
			finders++
		}
	}
	require.Equal(t, 1, finders, "finder log streams: %v", keys(logs))
	require.Empty(t, h.Problems())

	t.Run("no secret anywhere", func(t *testing.T) {
		noSecrets(t, c, h, map[string]string{"gateway A's secret key": a.SecretKey, "gateway B's secret key": b.SecretKey}, queued)
	})
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// scaledBy names the policy that first took the group to n.
func scaledBy(h []harness.ScalingEvent, n int) string {
	for _, e := range h {
		if e.To == n {
			return e.Policy
		}
	}
	return ""
}

func workersAlive(h *harness.Harness, stackName string) bool {
	for _, p := range h.Processes() {
		if _, done := p.Exited(); !done && p.Kind == "worker" && p.Stack == stackName {
			return true
		}
	}
	return false
}

func waitFor(t *testing.T, within time.Duration, h *harness.Harness, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if ps := h.Problems(); len(ps) > 0 {
			t.Fatalf("waiting for %s, the harness met problems: %v", what, ps)
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", within, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// peekQueue reads the queue's messages and gives them back at once (one receive each
// counts against maxReceiveCount, which allows 5).
func peekQueue(t *testing.T, c *cloud, url string) []string {
	t.Helper()
	ctx := context.Background()
	q := sqs.NewFromConfig(c.cfg)
	var bodies, handles []string
	for i := 0; i < 50; i++ {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, VisibilityTimeout: 60})
		require.NoError(t, err)
		if len(out.Messages) == 0 {
			break
		}
		for _, m := range out.Messages {
			bodies, handles = append(bodies, aws.ToString(m.Body)), append(handles, aws.ToString(m.ReceiptHandle))
		}
	}
	for _, rh := range handles {
		_, err := q.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String(rh), VisibilityTimeout: 0})
		require.NoError(t, err)
	}
	return bodies
}

// agentLogs reads every stream of the task in the control plane's agent log group.
func agentLogs(t *testing.T, c *cloud, taskID string) map[string]string {
	t.Helper()
	cw := cloudwatchlogs.NewFromConfig(c.cfg)
	out := map[string]string{}
	p := cloudwatchlogs.NewFilterLogEventsPaginator(cw, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(c.cp.AgentLogGroup), LogStreamNamePrefix: aws.String(taskID + "/")})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		require.NoError(t, err)
		for _, e := range page.Events {
			out[aws.ToString(e.LogStreamName)] += aws.ToString(e.Message) + "\n"
		}
	}
	return out
}
