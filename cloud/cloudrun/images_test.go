package cloudrun_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/cloudrun"
	"transferhub/cloud/image"
	"transferhub/cloud/image/imagetest"
	"transferhub/cloud/state"
	"transferhub/cloud/state/dynamostore"
	"transferhub/cloud/taskrun"
	"transferhub/cloud/testenv"
)

// imageRun is an image task on the emulator's DynamoDB with three images in the open
// registry, copied to a prefix of the same registry.
type imageRun struct {
	eng    *image.Engine
	spec   image.Spec
	st     state.Store
	taskID string
}

func newImageRun(t *testing.T) imageRun {
	t.Helper()
	env := testenv.Load(t)
	env.Require(t, testenv.RegOpen)
	ctx := context.Background()
	client := dynamodb.NewFromConfig(env.AWSConfig(t))
	table := testenv.Name("th-images")
	require.NoError(t, dynamostore.CreateTable(ctx, client, table))
	t.Cleanup(func() {
		client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	})
	open := env.Get("TH_REG_OPEN")
	eng, err := image.New(ctx, image.Config{Access: image.Access{InsecureHTTP: []string{open}, NoDockerConfig: true}})
	require.NoError(t, err)
	rc, err := eng.Client().RegClient(ctx)
	require.NoError(t, err)
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	ns := "th-lease/" + hex.EncodeToString(b)
	spec := image.Spec{Destination: image.Destination{Registry: open, Prefix: ns + "-mirror"}}
	for i, tag := range []string{"v1", "v2", "v3"} {
		_, err := imagetest.Push(ctx, rc, open+"/"+ns+"/app:"+tag, imagetest.Spec{Layers: []int64{2048 + int64(i)}, Seed: uint64(700 + i)})
		require.NoError(t, err)
		spec.Sources = append(spec.Sources, image.Source{Registry: open, Repository: ns + "/app", Tag: tag})
	}
	return imageRun{eng: eng, spec: spec, st: dynamostore.New(client, table), taskID: testenv.Name("img")}
}

func (r imageRun) list(ctx context.Context, o cloudrun.ListOptions) (cloudrun.ImageList, error) {
	if o.BatchSize == 0 {
		o.BatchSize = 2
	}
	return cloudrun.ListImages(ctx, r.eng, r.spec, r.st, r.taskID, "lease test", o)
}

func (r imageRun) task(t *testing.T) state.Task {
	t.Helper()
	tk, err := r.st.GetTask(context.Background(), r.taskID)
	require.NoError(t, err)
	return tk
}

// executions plays Step Functions' DescribeExecution: which executions still run.
type executions struct {
	mu      sync.Mutex
	running map[string]bool
	err     error
}

func (e *executions) start(name string) string {
	arn := "arn:aws:states:us-east-1:123456789012:execution:images-sm:" + name
	e.mu.Lock()
	defer e.mu.Unlock()
	e.running[arn] = true
	return arn
}

func (e *executions) end(arn string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.running[arn] = false
}

func (e *executions) ended(_ context.Context, arn string) (bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.err != nil {
		return false, e.err
	}
	run, ok := e.running[arn]
	if !ok {
		return false, fmt.Errorf("no execution %s", arn)
	}
	return !run, nil
}

// An image task's run belongs to one state machine execution from its listing to its
// last step: a second execution while it runs (a schedule firing during a run-now) is
// refused and changes nothing, so the copiers of the running one record in a run that
// still counts and end it. The last step releases the lease; an execution that ended
// without it (aborted, timed out) is taken over; a lease nobody can ask about lapses.
func TestImageExecutionLease(t *testing.T) {
	r := newImageRun(t)
	ctx := context.Background()
	ex := &executions{running: map[string]bool{}}

	a := ex.start("run-now")
	listA, err := r.list(ctx, cloudrun.ListOptions{Execution: a, Ended: ex.ended})
	require.NoError(t, err)
	require.Equal(t, 3, listA.Found)
	require.Len(t, listA.Batches, 2)

	// The schedule fires while A's copiers work.
	b := ex.start("scheduled")
	_, err = r.list(ctx, cloudrun.ListOptions{Execution: b, Ended: ex.ended})
	require.ErrorIs(t, err, cloudrun.ErrRunning)
	require.ErrorIs(t, err, taskrun.ErrBusy)
	require.Contains(t, err.Error(), a, "the refusal names the execution that runs the task")
	tk := r.task(t)
	require.Equal(t, listA.RunID, tk.RunID, "the run under way is not replaced")
	require.Equal(t, state.TaskRunning, tk.Status)
	require.Equal(t, int64(3), tk.Counters.FoundObjects)
	ex.end(b)

	// So is a listing run by hand.
	_, err = r.list(ctx, cloudrun.ListOptions{})
	require.ErrorIs(t, err, cloudrun.ErrRunning)

	// A's listing retried by Step Functions (same execution) renews its own lease.
	retried, err := r.list(ctx, cloudrun.ListOptions{Execution: a, Ended: ex.ended})
	require.NoError(t, err)
	listA = retried

	// A's copiers record in A's run, which counts: the last one ends it.
	for _, batch := range listA.Batches {
		sum, err := cloudrun.CopyImageBatch(ctx, r.eng, r.st, batch, image.CopyOptions{}, 2, false, nil)
		require.NoError(t, err)
		require.Zero(t, sum.Failed)
	}
	tk = r.task(t)
	require.Equal(t, listA.RunID, tk.RunID)
	require.Equal(t, state.TaskIdle, tk.Status, tk.LastError)
	require.Equal(t, int64(3), tk.Counters.DoneObjects)

	// Still A's until its last step releases it.
	c := ex.start("next")
	_, err = r.list(ctx, cloudrun.ListOptions{Execution: c, Ended: ex.ended})
	require.ErrorIs(t, err, cloudrun.ErrRunning)
	require.NoError(t, cloudrun.ReleaseExecution(ctx, r.st, r.taskID, a))
	ex.end(a)
	listC, err := r.list(ctx, cloudrun.ListOptions{Execution: c, Ended: ex.ended})
	require.NoError(t, err)
	require.NotEqual(t, listA.RunID, listC.RunID)

	// C is aborted: no last step. While Step Functions cannot say so, its lease holds.
	ex.end(c)
	d := ex.start("after-abort")
	ex.err = errors.New("AccessDenied")
	_, err = r.list(ctx, cloudrun.ListOptions{Execution: d, Ended: ex.ended})
	require.ErrorIs(t, err, cloudrun.ErrRunning)
	require.Equal(t, listC.RunID, r.task(t).RunID)
	// Once it can, the next execution takes over and begins a new run.
	ex.err = nil
	listD, err := r.list(ctx, cloudrun.ListOptions{Execution: d, Ended: ex.ended})
	require.NoError(t, err)
	require.NotEqual(t, listC.RunID, listD.RunID)
	tk = r.task(t)
	require.Equal(t, listD.RunID, tk.RunID)
	require.Equal(t, state.TaskRunning, tk.Status)
	// C's copiers, had any outlived it, would skip their batches.
	_, err = cloudrun.CopyImageBatch(ctx, r.eng, r.st, listC.Batches[0], image.CopyOptions{}, 2, false, nil)
	require.ErrorIs(t, err, cloudrun.ErrStaleBatch)

	// D dies without a last step and nobody can ask: its lease lapses (LeaseTTL, the
	// state machine's timeout and a margin). The lease is taken for an hour and that hour
	// passing is played, not waited for: a wait as long as the TTL would let a loaded
	// machine lapse the lease before the refusal is even tried.
	require.NoError(t, cloudrun.ReleaseExecution(ctx, r.st, r.taskID, d))
	e := ex.start("short")
	const ttl = time.Hour
	before := time.Now()
	_, err = r.list(ctx, cloudrun.ListOptions{Execution: e, LeaseTTL: ttl})
	require.NoError(t, err)
	after := time.Now()
	f := ex.start("after-lapse")
	_, err = r.list(ctx, cloudrun.ListOptions{Execution: f})
	require.ErrorIs(t, err, cloudrun.ErrRunning)
	held := &taskrun.LeaseError{}
	require.ErrorAs(t, err, &held)
	require.Equal(t, e, held.Holder)
	// The lease ends LeaseTTL after the listing took it, not at the default TTL.
	require.False(t, held.Until.Before(before.Add(ttl)), "lease until %s, taken after %s for %s", held.Until, before, ttl)
	require.False(t, held.Until.After(after.Add(ttl)), "lease until %s, taken before %s for %s", held.Until, after, ttl)
	// The hour passes: the lease's end moves to an instant ago, as if its holder's last
	// renewal had been that long before (the store's own clock decides what has lapsed).
	require.NoError(t, r.st.Lease(ctx, r.taskID, taskrun.ExecutionLease, e, -time.Minute))
	_, err = r.list(ctx, cloudrun.ListOptions{Execution: f})
	require.NoError(t, err, "the lease of an execution that died lapses")
	require.Equal(t, state.TaskRunning, r.task(t).Status)
	require.NoError(t, cloudrun.ReleaseExecution(ctx, r.st, r.taskID, f))

	// A listing by hand holds the lease only while it lists.
	_, err = r.list(ctx, cloudrun.ListOptions{})
	require.NoError(t, err)
	g := ex.start("after-hand")
	_, err = r.list(ctx, cloudrun.ListOptions{Execution: g, Ended: ex.ended})
	require.NoError(t, err)
}

// A listing that fails releases the lease its execution took: the execution ends there.
func TestImageListingFailureReleases(t *testing.T) {
	r := newImageRun(t)
	ctx := context.Background()
	ex := &executions{running: map[string]bool{}}
	bad := r
	bad.spec.Sources = []image.Source{{Registry: "127.0.0.1:1", Repository: "nowhere/app", Tag: image.AllTags}}
	a := ex.start("fails")
	_, err := bad.list(ctx, cloudrun.ListOptions{Execution: a, Ended: ex.ended})
	require.Error(t, err)
	require.NotErrorIs(t, err, cloudrun.ErrRunning)
	b := ex.start("next")
	_, err = r.list(ctx, cloudrun.ListOptions{Execution: b, Ended: ex.ended})
	require.NotErrorIs(t, err, cloudrun.ErrRunning, "the failed listing left the lease behind")
}

// An execution's last step ends a run its copies left RUNNING (a copier died before it
// recorded its batch): FAILED saying how many images were left, or IDLE with that error
// for a scheduled task; before, the task stayed RUNNING until the next execution. A run
// stopped meanwhile, or not the task's current one, is left alone.
func TestEndUnsettledRun(t *testing.T) {
	for _, c := range []struct {
		name    string
		oneTime bool
		want    state.TaskStatus
	}{
		{"one-time", true, state.TaskFailed},
		{"scheduled", false, state.TaskIdle},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newImageRun(t)
			ctx := context.Background()
			ex := &executions{running: map[string]bool{}}
			out, err := r.list(ctx, cloudrun.ListOptions{Execution: ex.start("a"), Ended: ex.ended, OneTime: c.oneTime})
			require.NoError(t, err)
			require.Len(t, out.Batches, 2)
			// The first batch is copied; the second's copier died before recording anything.
			_, err = cloudrun.CopyImageBatch(ctx, r.eng, r.st, out.Batches[0], image.CopyOptions{}, 2, c.oneTime, nil)
			require.NoError(t, err)
			require.Equal(t, state.TaskRunning, r.task(t).Status)

			ended, err := cloudrun.EndUnsettledRun(ctx, r.st, r.taskID, "another-run", c.oneTime, nil)
			require.NoError(t, err)
			require.False(t, ended, "not the task's current run")
			require.Equal(t, state.TaskRunning, r.task(t).Status)

			ended, err = cloudrun.EndUnsettledRun(ctx, r.st, r.taskID, out.RunID, c.oneTime, nil)
			require.NoError(t, err)
			require.True(t, ended)
			tk := r.task(t)
			require.Equal(t, c.want, tk.Status)
			require.Equal(t, "the run's execution ended with 1 of 3 images not copied: a copier stopped before it recorded them (run again: what was copied is skipped)", tk.LastError)
			require.Equal(t, out.RunID, tk.RunID)

			ended, err = cloudrun.EndUnsettledRun(ctx, r.st, r.taskID, out.RunID, c.oneTime, nil)
			require.NoError(t, err)
			require.False(t, ended, "ended already")
		})
	}

	// Stopped: the stop stands (resume goes on from there).
	r := newImageRun(t)
	ctx := context.Background()
	out, err := r.list(ctx, cloudrun.ListOptions{OneTime: true})
	require.NoError(t, err)
	require.NoError(t, r.st.SetTaskStatus(ctx, r.taskID, []state.TaskStatus{state.TaskRunning}, state.TaskStopped, ""))
	ended, err := cloudrun.EndUnsettledRun(ctx, r.st, r.taskID, out.RunID, true, nil)
	require.NoError(t, err)
	require.False(t, ended)
	require.Equal(t, state.TaskStopped, r.task(t).Status)
}
