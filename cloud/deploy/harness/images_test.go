package harness_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/regclient/regclient/types/ref"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/deploy/assets"
	"transferhub/cloud/deploy/harness"
	"transferhub/cloud/image/imagetest"
	"transferhub/cloud/state"
	"transferhub/cloud/taskrun"
	"transferhub/cloud/testenv"
)

// The deployed image task end to end, on the second emulator (its Step Functions
// interpreter is off; the harness interprets the deployed definition): a run started
// as the app starts one (StartExecution with {}) lists the images of the task's list
// in the assets bucket (the list Lambda's code under aws-lambda-rie), copies them in
// batches (ecs:runTask.sync: Fargate copiers, at most MaxConcurrency at once) to the
// destination registry, and SUCCEEDS. A second run whose list names an image that does
// not exist retries that batch per the state machine, finishes the others and ends
// FAILED with its reason, in the emulator and in the task's table. One execution runs the
// task at a time: one started while another holds the task ends at once without a run,
// the lease of an execution that has ended is taken over, and each run's last step
// releases it.
func TestImageTask(t *testing.T) {
	ctx := context.Background()
	c, open, oci, rc, ns := newImageCloud(ctx, t)
	pushed := map[string]string{}
	var refs []string
	for i, r := range []string{"app:v1", "app:v2", "web:1.0", "db:latest", "cache:7"} {
		full := open + "/" + ns + "/" + r
		spec := imagetest.Spec{Layers: []int64{int64(16<<10 + i*1024)}, Seed: uint64(900 + i)}
		if i == 1 {
			spec.Platforms = []string{"linux/amd64", "linux/arm64"}
		}
		img, err := imagetest.Push(ctx, rc, full, spec)
		require.NoError(t, err)
		pushed[full] = img.Digest
		refs = append(refs, full)
	}

	taskID := testenv.Name("t")
	o, name, h := c.playImageTask(taskID, "harness images", open, oci, 2, 2, refs)
	sm := sfn.NewFromConfig(c.cfg)
	st := c.store(o.Table)

	// A run, started as the app does.
	ex := startRun(t, sm, o.Outputs["StateMachineArn"])
	firstEx := ex
	e := waitExecution(t, h, sm, name, ex)
	require.Equal(t, sfntypes.ExecutionStatusSucceeded, e.Status, "%s: %s", aws.ToString(e.Error), aws.ToString(e.Cause))
	tk, err := st.GetTask(ctx, taskID)
	require.NoError(t, err)
	require.Equal(t, state.TaskCompleted, tk.Status, tk.LastError)
	require.Equal(t, state.Counters{FoundObjects: 5, DoneObjects: 5}, zeroBytes(tk.Counters))
	page, err := st.ListImages(ctx, taskID, state.ListOptions{})
	require.NoError(t, err)
	require.Len(t, page.Items, 5)
	for _, im := range page.Items {
		require.Equal(t, state.ItemDone, im.Status, "%s: %s", im.Source, im.Error)
		require.Equal(t, pushed[im.Source], im.Digest)
		dst, err := ref.New(im.Destination)
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(im.Destination, oci+"/mirror/"), im.Destination)
		m, err := rc.ManifestHead(ctx, dst)
		require.NoError(t, err, im.Destination)
		require.Equal(t, pushed[im.Source], m.GetDescriptor().Digest.String(), "digest at %s", im.Destination)
	}
	copiers := h.Tasks(name)
	require.Len(t, copiers, 3, "one copier per batch of 2")
	for _, ct := range copiers {
		require.Equal(t, "copier", ct.Kind)
		require.Equal(t, 0, ct.ExitCode())
	}
	require.LessOrEqual(t, maxOverlap(copiers), 2, "copiers at once (MaxConcurrency)")

	// One execution at a time: the run's last step released the task's execution lease.
	leaseFree := func() {
		t.Helper()
		require.NoError(t, st.Lease(ctx, taskID, taskrun.ExecutionLease, "probe", time.Minute), "the execution lease is free")
		require.NoError(t, st.ReleaseLease(ctx, taskID, taskrun.ExecutionLease, "probe"))
	}
	leaseFree()
	firstRun, err := st.GetTask(ctx, taskID)
	require.NoError(t, err)
	// While another execution holds it (one Step Functions cannot describe: it may run),
	// a run started now ends at once without a run, saying why, and changes nothing.
	other := strings.Replace(o.Outputs["StateMachineArn"], ":stateMachine:", ":execution:", 1) + ":elsewhere"
	require.NoError(t, st.Lease(ctx, taskID, taskrun.ExecutionLease, other, time.Hour))
	ex = startRun(t, sm, o.Outputs["StateMachineArn"])
	e = waitExecution(t, h, sm, name, ex)
	require.Equal(t, sfntypes.ExecutionStatusSucceeded, e.Status, "%s: %s", aws.ToString(e.Error), aws.ToString(e.Cause))
	require.Contains(t, aws.ToString(e.Output), "TaskBusy")
	require.Contains(t, aws.ToString(e.Output), "elsewhere", "the output names the execution that runs the task")
	tk, err = st.GetTask(ctx, taskID)
	require.NoError(t, err)
	require.Equal(t, firstRun.RunID, tk.RunID, "the refused execution began no run")
	require.Equal(t, firstRun.Status, tk.Status)
	require.Len(t, h.Tasks(name), 3, "the refused execution started no copier")
	// The lease of an execution that has ended (stopped or timed out before its last
	// step; here the first run, SUCCEEDED) is taken over by the next run below.
	require.NoError(t, st.ReleaseLease(ctx, taskID, taskrun.ExecutionLease, other))

	// Stopped by its user (as the app's Stop leaves it), a task's execution started anyway
	// (its schedule fired as Stop paused it) begins no run and ends SUCCEEDED in Stopped:
	// nothing failed, so the run-failed alarm stays quiet.
	require.NoError(t, st.SetTaskStatus(ctx, taskID, []state.TaskStatus{firstRun.Status}, state.TaskStopped, ""))
	ex = startRun(t, sm, o.Outputs["StateMachineArn"])
	e = waitExecution(t, h, sm, name, ex)
	require.Equal(t, sfntypes.ExecutionStatusSucceeded, e.Status, "%s: %s", aws.ToString(e.Error), aws.ToString(e.Cause))
	require.Contains(t, aws.ToString(e.Output), "TaskStopped")
	tk, err = st.GetTask(ctx, taskID)
	require.NoError(t, err)
	require.Equal(t, firstRun.RunID, tk.RunID, "the stopped task began no run")
	require.Equal(t, state.TaskStopped, tk.Status)
	require.Len(t, h.Tasks(name), 3, "the stopped task started no copier")
	leaseFree()
	require.NoError(t, st.SetTaskStatus(ctx, taskID, []state.TaskStatus{state.TaskStopped}, firstRun.Status, ""))

	require.NoError(t, st.Lease(ctx, taskID, taskrun.ExecutionLease, firstEx, time.Hour))

	// The list lives in the cloud: a new one, without a redeploy, names an image that
	// does not exist. Its batch fails, is retried once, is caught; the run fails.
	ghost := open + "/" + ns + "/ghost:v9"
	_, err = assets.PutList(ctx, s3.NewFromConfig(c.cfg, func(o *s3.Options) { o.UsePathStyle = true }), c.cp.AssetsBucket, taskID, "images.txt",
		[]byte(strings.Join(append(refs, ghost), "\n")+"\n"))
	require.NoError(t, err)
	ex = startRun(t, sm, o.Outputs["StateMachineArn"])
	e = waitExecution(t, h, sm, name, ex)
	require.Equal(t, sfntypes.ExecutionStatusFailed, e.Status)
	require.Equal(t, "ImageBatchesFailed", aws.ToString(e.Error))
	require.Contains(t, aws.ToString(e.Cause), "every image's outcome and error are in the task's table")
	// As the task page reads a failed execution (deploy.Deployer DescribeExecution).
	fe, err := c.d.DescribeExecution(ctx, ex)
	require.NoError(t, err)
	require.True(t, fe.Failed())
	require.Equal(t, "ImageBatchesFailed", fe.Error)
	require.Contains(t, fe.Cause, "every image's outcome and error are in the task's table")
	require.False(t, fe.Stop.IsZero())
	var run2 *harness.Execution
	for _, x := range h.Executions(name) {
		if x.ARN == ex {
			run2 = x
		}
	}
	require.NotNil(t, run2)
	retries, caught := 0, 0
	for _, ev := range run2.Events() {
		if ev.State == "CopyBatch" && ev.Type == "TaskRetry" {
			retries++
			require.Equal(t, time.Second, ev.Wait, "RetryIntervalSeconds")
		}
		if ev.State == "CopyBatch" && ev.Type == "Caught" {
			caught++
		}
	}
	require.Equal(t, 1, retries, "the failing batch is retried RetryAttempts times")
	require.Equal(t, 1, caught)
	tk, err = st.GetTask(ctx, taskID)
	require.NoError(t, err)
	require.Equal(t, state.TaskFailed, tk.Status)
	require.Contains(t, tk.LastError, "1 of 6 images failed")
	g, err := st.GetImage(ctx, taskID, ghost)
	require.NoError(t, err)
	require.Equal(t, state.ItemFailed, g.Status)
	require.NotEmpty(t, g.Error)
	leaseFree() // released after a failed run too

	// The Lambda's and the copiers' logs are where the stack says.
	cw := cloudwatchlogs.NewFromConfig(c.cfg)
	lg, err := cw.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/aws/lambda/" + o.Outputs["ListFunctionName"])})
	require.NoError(t, err)
	require.NotEmpty(t, lg.Events, "the list Lambda's log")
	logs := agentLogs(t, c, taskID)
	n := 0
	for stream := range logs {
		if strings.HasPrefix(stream, taskID+"/copier/") {
			n++
		}
	}
	require.Equal(t, len(h.Tasks(name)), n, "a log stream per copier task")
	require.Empty(t, h.Problems())
}

func zeroBytes(c state.Counters) state.Counters {
	c.FoundBytes, c.DoneBytes, c.SkippedBytes, c.FailedBytes = 0, 0, 0, 0
	return c
}

func startRun(t *testing.T, sm *sfn.Client, arn string) string {
	t.Helper()
	out, err := sm.StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String("{}")})
	require.NoError(t, err)
	return aws.ToString(out.ExecutionArn)
}

// waitExecution waits for the harness to end an execution and returns it as the
// emulator tells it.
func waitExecution(t *testing.T, h *harness.Harness, sm *sfn.Client, stackName, arn string) *sfn.DescribeExecutionOutput {
	t.Helper()
	var out *sfn.DescribeExecutionOutput
	waitFor(t, 5*time.Minute, h, "execution "+arn, func() bool {
		var err error
		out, err = sm.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		return err == nil && out.Status != sfntypes.ExecutionStatusRunning
	})
	return out
}

// maxOverlap is the most tasks whose processes ran at the same time.
func maxOverlap(ts []*harness.ECSTask) int {
	most := 0
	for _, a := range ts {
		n := 0
		for _, b := range ts {
			if b.Proc != nil && a.Proc != nil && !b.Proc.Started.After(a.Proc.Started) && b.Proc.Ended().After(a.Proc.Started) {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}
