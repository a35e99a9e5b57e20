package harness_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/deploy"
	"transferhub/cloud/internal/s3test"
	"transferhub/cloud/stack"
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

	bodies := putObjects(ctx, t, s3c, src, 20, func(i int) (string, int) {
		return fmt.Sprintf("in/batch %d/file-%02d.txt", i%3, i), 500 + 37*i
	})
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

	t.Run("a broken launch template fails", func(t *testing.T) {
		require.NoError(t, h.Close())
		brokenLaunchTemplate(t, c, o.Outputs["WorkerGroupName"], name)
	})
}

// brokenLaunchTemplate gives the worker group launch template versions with a fault
// each, as a wrong template would deploy them, and asserts that the harness reports
// every one (a test of the stack then fails).
func brokenLaunchTemplate(t *testing.T, c *cloud, group, stackName string) {
	ctx := context.Background()
	e := ec2.NewFromConfig(c.cfg)
	asg := autoscaling.NewFromConfig(c.cfg)
	g, err := asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{group}})
	require.NoError(t, err)
	mip := g.AutoScalingGroups[0].MixedInstancesPolicy
	lt := mip.LaunchTemplate.LaunchTemplateSpecification
	v, err := e.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: lt.LaunchTemplateId, Versions: []string{aws.ToString(lt.Version)}})
	require.NoError(t, err)
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(v.LaunchTemplateVersions[0].LaunchTemplateData.UserData))
	require.NoError(t, err)
	script := string(raw)
	for _, fault := range []struct{ name, from, to, want, output string }{
		{"a missing variable", "THUB_QUEUE_URL=", "THUB_QUEUE_LURL=", "exited with status 2 before it was stopped", "THUB_QUEUE_URL"},
		{"a wrong command", "ExecStart=/usr/local/bin/thub s3 work", "ExecStart=/usr/local/bin/thub s3 wrok", "exited with status 0 before it was stopped", "Available Commands"},
		{"a bad path", "ExecStart=/usr/local/bin/thub s3 work", "ExecStart=/usr/bin/thub s3 work", "the worker unit runs /usr/bin/thub, but the agent is installed as /usr/local/bin/thub", ""},
	} {
		t.Run(fault.name, func(t *testing.T) {
			require.Contains(t, script, fault.from)
			// A launch template as a wrong template would make it (the emulator keeps the
			// user data of CreateLaunchTemplateVersion unusable for launches).
			data := v.LaunchTemplateVersions[0].LaunchTemplateData
			nt, err := e.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String(testenv.Name("broken")),
				LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: data.ImageId,
					IamInstanceProfile: &ec2types.LaunchTemplateIamInstanceProfileSpecificationRequest{Arn: data.IamInstanceProfile.Arn},
					UserData:           aws.String(base64.StdEncoding.EncodeToString([]byte(strings.Replace(script, fault.from, fault.to, 1))))}})
			require.NoError(t, err)
			// The group launches it, and keeps one instance.
			_, err = asg.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(group), MinSize: aws.Int32(1), DesiredCapacity: aws.Int32(1),
				MixedInstancesPolicy: &astypes.MixedInstancesPolicy{InstancesDistribution: mip.InstancesDistribution, LaunchTemplate: &astypes.LaunchTemplate{
					LaunchTemplateSpecification: &astypes.LaunchTemplateSpecification{LaunchTemplateId: nt.LaunchTemplate.LaunchTemplateId, Version: aws.String("1")},
					Overrides:                   mip.LaunchTemplate.Overrides}}})
			require.NoError(t, err)
			h := c.harness(false, time.Second)
			require.NoError(t, h.Play(ctx, stackName))
			deadline := time.Now().Add(time.Minute)
			for len(h.Problems()) == 0 && time.Now().Before(deadline) {
				time.Sleep(200 * time.Millisecond)
			}
			require.NotEmpty(t, h.Problems(), "the harness did not notice %s", fault.name)
			require.ErrorContains(t, h.Problems()[0], fault.want)
			if fault.output != "" {
				require.Contains(t, h.Processes()[0].Output(), fault.output)
			}
			_, err = asg.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(group), MinSize: aws.Int32(0), DesiredCapacity: aws.Int32(0)})
			require.NoError(t, err)
			require.NoError(t, h.Close())
		})
	}
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
