package harness_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/deploy"
	"transferhub/cloud/internal/s3test"
	"transferhub/cloud/stack"
	"transferhub/cloud/state"
	"transferhub/cloud/testenv"
)

// S3 events wired by the deployer: the source bucket is the account's own (in the
// emulator's S3, which sends its notifications to SQS), the deployer merged the task's
// notification into it; objects put there are copied to gateway B by workers the wake
// alarm starts, objects deleted there are deleted at the destination, and the fleet goes
// back to zero. The workers reach the source the way they reach every AWS service: the
// SDK's standard endpoint setting and their role.
func TestS3TaskEvents(t *testing.T) {
	env := testenv.Load(t)
	c := newCloud(t, env.AWSConfig(t))
	_, b := s3test.Gateways(t)
	ctx := context.Background()
	s3c := s3.NewFromConfig(c.cfg, func(o *s3.Options) { o.UsePathStyle = true })
	src := testenv.Name("th-h-events")
	_, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(src)})
	require.NoError(t, err)
	t.Cleanup(func() { emptyAndDelete(s3c, src) })
	dst := b.Bucket(t, "th-h-events-dst")

	taskID := testenv.Name("t")
	o := c.deployTask(deploy.TaskRequest{Kind: stack.KindS3Task, TaskID: taskID, TaskName: "harness events",
		Env: map[string]string{"THUB_SRC": "s3://" + src + "/in/", "THUB_DST": "s3://" + dst + "/", "THUB_DST_ENDPOINT": b.Endpoint,
			"THUB_EVENTS": "create-and-delete"},
		Credentials: map[deploy.Side]deploy.Credentials{deploy.Destination: {AccessKeyID: b.AccessKey, SecretAccessKey: b.SecretKey}},
		S3:          deploy.S3Options{Fleet: stack.Fleet{MaxWorkers: 2, BacklogPerWorker: 5, Idle: time.Minute}}})
	require.NotNil(t, o.Notification, "the deployer wired the source bucket's notification")
	name := c.stackName(taskID)
	h := c.harness(false, time.Second)
	require.NoError(t, h.Play(ctx, name))

	bodies := map[string][]byte{}
	for i := range 20 {
		key := fmt.Sprintf("in/batch %d/file-%02d.txt", i%3, i)
		bodies[key] = s3test.RandBytes(500 + 37*i)
		_, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(src), Key: aws.String(key), Body: bytes.NewReader(bodies[key])})
		require.NoError(t, err)
	}
	_, err = s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(src), Key: aws.String("elsewhere/not-mine.txt"), Body: strings.NewReader("x")})
	require.NoError(t, err)
	want := func() []string {
		var out []string
		for k := range bodies {
			out = append(out, strings.TrimPrefix(k, "in/"))
		}
		slices.Sort(out)
		return out
	}
	waitDst := func(what string) {
		t.Helper()
		waitFor(t, 3*time.Minute, h, what, func() bool {
			var got []string
			for _, l := range b.List(t, dst, "") {
				got = append(got, l.Key)
			}
			return slices.Equal(got, want())
		})
	}
	waitDst("the created objects at the destination")
	for k, body := range bodies {
		require.Equal(t, body, b.Get(t, dst, strings.TrimPrefix(k, "in/")), "bytes of %q", k)
	}

	// Deletions at the source delete the copies.
	for i := range 5 {
		key := fmt.Sprintf("in/batch %d/file-%02d.txt", i%3, i)
		_, err := s3c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(src), Key: aws.String(key)})
		require.NoError(t, err)
		delete(bodies, key)
	}
	waitDst("the deleted objects gone from the destination")

	waitFor(t, time.Minute, h, "the fleet to go to zero", func() bool {
		f, err := h.Fleet(ctx, name)
		return err == nil && f.Desired == 0 && f.Running == 0 && !workersAlive(h, name)
	})
	tk, err := c.store(o.Table).GetTask(ctx, taskID)
	require.NoError(t, err)
	require.Equal(t, int64(20), tk.Counters.DoneObjects, "event copies count as done: %+v", tk.Counters)
	logs := strings.Join(values(agentLogs(t, c, taskID)), "")
	require.Equal(t, 5, strings.Count(logs, `"outcome":"DELETED"`), "deletions in the workers' logs")
	f, err := h.Fleet(ctx, name)
	require.NoError(t, err)
	require.Equal(t, "WakePolicy", f.History[0].Policy)
	require.Empty(t, h.Problems())
	_ = state.TaskCompleted
}

func values(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func emptyAndDelete(c *s3.Client, bucket string) {
	ctx := context.Background()
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return
		}
		for _, o := range page.Contents {
			_, _ = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: o.Key})
		}
	}
	_, _ = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
}
