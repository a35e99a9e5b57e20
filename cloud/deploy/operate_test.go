package deploy

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	schedtypes "github.com/aws/aws-sdk-go-v2/service/scheduler/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"transferhub/cloud/stack"
	"transferhub/cloud/testenv"
)

// Operating a deployed S3 task against the AWS emulator: its stack read back, a finder
// started and stopped through ECS, the fleet stopped and let go again, the queues and
// the fleet read, the agents' log lines and the stack's events; and a schedule paused
// and resumed through EventBridge Scheduler.
func TestOperateInEmulator(t *testing.T) {
	d, c := emulatorDeployer(t)
	ctx := context.Background()
	cpName := testenv.Name("cp")
	deployControlPlane(ctx, t, d, cpName)
	src, dst := testenv.Name("src"), testenv.Name("dst")
	for _, b := range []string{src, dst} {
		if _, err := c.S3.(*s3.Client).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	taskID := testenv.Name("t")
	if _, err := d.TaskStack(ctx, cpName, taskID); !errors.Is(err, ErrNoTaskStack) {
		t.Fatalf("a task not deployed: %v", err)
	}
	tp, err := d.PlanTask(ctx, TaskRequest{ControlPlane: cpName, Kind: stack.KindS3Task, TaskID: taskID, TaskName: "ops",
		Env: map[string]string{"THUB_SRC": "s3://" + src + "/", "THUB_DST": "s3://" + dst + "/"}, S3: S3Options{Fleet: stack.Fleet{MaxWorkers: 7}}}, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.ExecuteTask(ctx, tp, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = d.DeleteTask(context.Background(), DeleteRequest{ControlPlane: cpName, TaskID: taskID}, nil)
	})

	ts, err := d.TaskStack(ctx, cpName, taskID)
	if err != nil {
		t.Fatal(err)
	}
	if ts.Kind != stack.KindS3Task || ts.Table() == "" || ts.Outputs["QueueUrl"] == "" || ts.Params["MaxWorkers"] != "7" || ts.CP.ClusterARN == "" {
		t.Fatalf("task stack %+v", ts)
	}

	// Run now: the finder's task definition on the control plane's cluster and network.
	started, err := d.RunNow(ctx, ts)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := c.ECS.(*ecs.Client).DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(ts.CP.ClusterARN), Tasks: []string{started.FinderTask}})
	if err != nil || len(desc.Tasks) != 1 {
		t.Fatalf("the started finder: %v %+v", err, desc)
	}
	if got := aws.ToString(desc.Tasks[0].TaskDefinitionArn); got != ts.Outputs["FinderTaskDefinitionArn"] {
		t.Errorf("started %s, want the finder %s", got, ts.Outputs["FinderTaskDefinitionArn"])
	}
	if aws.ToString(desc.Tasks[0].StartedBy) != StartedBy {
		t.Errorf("startedBy %q", aws.ToString(desc.Tasks[0].StartedBy))
	}
	n, err := d.StopRuns(ctx, ts, "stopped by the user")
	if err != nil || n != 1 {
		t.Fatalf("stop the finder: %d %v", n, err)
	}

	// The fleet: stopped (none, none wanted), then back to the stack's maximum.
	if err := d.ScaleWorkers(ctx, ts, true); err != nil {
		t.Fatal(err)
	}
	f, err := d.Fleet(ctx, ts)
	if err != nil || f.Max != 0 || f.Desired != 0 {
		t.Fatalf("stopped fleet %v %+v", err, f)
	}
	if err := d.ScaleWorkers(ctx, ts, false); err != nil {
		t.Fatal(err)
	}
	if f, err = d.Fleet(ctx, ts); err != nil || f.Max != 7 {
		t.Fatalf("resumed fleet %v %+v", err, f)
	}
	g, err := c.Fleet.(*autoscaling.Client).DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{ts.Outputs["WorkerGroupName"]}})
	if err != nil || aws.ToInt32(g.AutoScalingGroups[0].MinSize) != 0 {
		t.Fatalf("group %v %+v", err, g)
	}

	// The queues: two messages waiting, none dead.
	sq := c.SQS.(*sqs.Client)
	for _, body := range []string{`{"v":1}`, `{"v":1}`} {
		if _, err := sq.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(ts.Outputs["QueueUrl"]), MessageBody: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}
	q, err := d.Queue(ctx, ts)
	if err != nil || q.Visible != 2 || q.InFlight != 0 || q.DeadLetters != 0 {
		t.Fatalf("queue %v %+v", err, q)
	}

	// The agents' log lines, this task's streams only.
	lc := c.Logs.(*cloudwatchlogs.Client)
	now := time.Now()
	for _, s := range []struct{ stream, msg string }{{taskID + "/worker/i-1", `{"msg":"object copied"}`}, {"other-task/worker/i-2", `{"msg":"not ours"}`}} {
		if _, err := lc.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(ts.CP.AgentLogGroup), LogStreamName: aws.String(s.stream)}); err != nil {
			t.Fatal(err)
		}
		if _, err := lc.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(ts.CP.AgentLogGroup), LogStreamName: aws.String(s.stream),
			LogEvents: []cwltypes.InputLogEvent{{Message: aws.String(s.msg), Timestamp: aws.Int64(now.UnixMilli())}}}); err != nil {
			t.Fatal(err)
		}
	}
	lines, err := d.RecentLogs(ctx, ts, now.Add(-time.Minute), 50)
	if err != nil || len(lines) != 1 || lines[0].Stream != taskID+"/worker/i-1" || !strings.Contains(lines[0].Message, "object copied") {
		t.Fatalf("logs %v %+v", err, lines)
	}

	evs, err := d.StackEvents(ctx, ts.StackID, 5)
	if err != nil || len(evs) == 0 || len(evs) > 5 {
		t.Fatalf("stack events %v %+v", err, evs)
	}

	// A schedule (the emulator's CloudFormation drops AWS::Scheduler::Schedule, so this
	// one is made through the Scheduler API and named as the stack would).
	sc := c.Scheduler.(*scheduler.Client)
	name := testenv.Name("sched")
	if _, err := sc.CreateSchedule(ctx, &scheduler.CreateScheduleInput{Name: aws.String(name), ScheduleExpression: aws.String("rate(6 hours)"),
		FlexibleTimeWindow: &schedtypes.FlexibleTimeWindow{Mode: schedtypes.FlexibleTimeWindowModeOff},
		Target:             &schedtypes.Target{Arn: aws.String(ts.CP.ClusterARN), RoleArn: aws.String("arn:aws:iam::123456789012:role/x")}}); err != nil {
		t.Fatal(err)
	}
	ts.Schedule = name
	if err := d.PauseSchedule(ctx, ts, true); err != nil {
		t.Fatal(err)
	}
	got, err := sc.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String(name)})
	if err != nil || got.State != schedtypes.ScheduleStateDisabled || aws.ToString(got.ScheduleExpression) != "rate(6 hours)" {
		t.Fatalf("paused schedule %v %+v", err, got)
	}
	if err := d.PauseSchedule(ctx, ts, false); err != nil {
		t.Fatal(err)
	}
	if got, err = sc.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String(name)}); err != nil || got.State != schedtypes.ScheduleStateEnabled {
		t.Fatalf("resumed schedule %v %+v", err, got)
	}
}

func TestFamilyOf(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:ecs:us-east-1:123456789012:task-definition/thub-task-s3-1-finder:3": "thub-task-s3-1-finder",
		"arn:aws-cn:ecs:cn-north-1:1:task-definition/fam:12":                         "fam",
		"fam": "fam",
	} {
		if got := familyOf(in); got != want {
			t.Errorf("familyOf(%q) = %q, want %q", in, got, want)
		}
	}
}
