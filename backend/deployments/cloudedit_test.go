package deployments_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/backend/tasks"
	"transferhub/cloud/deploy"
	"transferhub/cloud/spec"
	"transferhub/cloud/state"
	"transferhub/cloud/state/dynamostore"
	"transferhub/cloud/testenv"
)

// A cloud S3 task's sides edited from the desktop, against the AWS emulator, the two
// S3 gateways and the compute harness: its first run copies to gateway B and fails one
// object; an edit of the sides is refused while a run is under way; the edit moves the
// destination to a bucket of gateway A reached with other keys (previewed first, then
// the stack updated): the destination's secret holds the new keys, no parameter holds
// a key, the run whose records describe the old destination is closed: counters zero,
// its failed object can no longer be retried into the new destination, nothing is
// resumed; the next run, played by the harness from the updated stack, is a new one
// that copies every object to the new destination, skipping none, and leaves the old
// destination as it was.
func TestCloudTaskEditChangesItsSides(t *testing.T) {
	ctx := context.Background()
	r := newCloudRig(t)
	env, baseCfg, a, b, creds, acct := r.env, r.cfg, r.a, r.b, r.creds, r.acct
	srcBucket, oldDst, newDst := a.bucket(t, "th-edit-src"), b.bucket(t, "th-edit-old"), a.bucket(t, "th-edit-new")
	oldProf := creds.add(b.profile("cloud B", b.endpoint))
	newProf := creds.add(a.profile("cloud A direct", a.endpoint))

	access := r.access(t, nil)
	events := tasks.NewEvents()
	runner := tasks.NewCloudRunner(tasks.CloudRunnerOptions{Access: access, Credentials: creds, Observer: events})
	mgr := openManager(t, tasks.Options{Folder: tasks.NewFolder(t.TempDir(), nil), Runners: []tasks.Runner{runner}, Credentials: creds, Observer: events})
	account, err := access.Account(ctx, acct.ID, "")
	require.NoError(t, err)

	for i := range 6 {
		a.put(t, srcBucket, fmt.Sprintf("data/o%02d.bin", i), body(i))
	}
	a.put(t, srcBucket, "data/poison.bin", []byte("this object changes during every copy"))
	side := func(bucket, prefix, profile string) tasks.Location {
		return tasks.Location{Side: spec.Side{Kind: tasks.LocationS3, Bucket: bucket, Prefix: prefix}, ProfileID: profile}
	}
	cpName := testenv.Name("cp")
	def := tasks.Definition{S3: &tasks.S3Spec{Source: side(srcBucket, "data/", r.srcProf.ID), Destination: side(oldDst, "copy/", oldProf.ID)},
		Cloud: &tasks.CloudOptions{ProfileID: acct.ID, ControlPlane: cpName, MaxWorkers: 2}}
	v, err := mgr.Create(ctx, tasks.CreateRequest{Name: "edit my sides", Definition: def, DeployControlPlane: true})
	require.NoError(t, err)
	id := v.ID
	t.Cleanup(func() { // the task, then its control plane
		if _, err := mgr.Get(ctx, id); err == nil && mgr.DeleteWith(ctx, id, tasks.DeleteOptions{}) == nil {
			waitGone(t, mgr, id, 3*time.Minute)
		}
		if _, err := account.Deployer.DeleteControlPlane(context.Background(), deploy.DeleteRequest{ControlPlane: cpName}, nil); err != nil {
			t.Errorf("remove the control plane: %v", err)
		}
	})
	v = waitView(t, mgr, id, 5*time.Minute, nil, "the deploy", func(v tasks.View) bool { return v.Cloud.Deployed && !v.Cloud.Busy })
	require.Equal(t, state.TaskIdle, v.Status, v.LastError)
	stk, err := account.Deployer.TaskStack(ctx, cpName, id)
	require.NoError(t, err)
	dstSecret := stk.Params["DstSecretArn"]
	require.Contains(t, dstSecret, ":secret:thub/"+cpName+"/"+id+"/dst")

	h := newHarness(t, env, r.reg.Host)
	require.NoError(t, h.Play(ctx, v.Cloud.Stack))

	edited := def
	s3 := *def.S3
	s3.Destination = side(newDst, "moved/", newProf.ID)
	edited.S3 = &s3

	// --- a run under way: an edit of the sides is refused (a fleet edit is not) --------
	table := dynamostore.New(dynamodb.NewFromConfig(baseCfg), stk.Outputs["TableName"])
	busy, err := table.StartRun(ctx, id) // as the finder begins one
	require.NoError(t, err)
	_, err = mgr.PlanEdit(ctx, id, edited)
	require.ErrorIs(t, err, tasks.ErrBusy)
	assert.Contains(t, err.Error(), "stop it (or let it finish) before changing its source or destination")
	fleet := def
	fleet.Cloud = &tasks.CloudOptions{ProfileID: acct.ID, ControlPlane: cpName, MaxWorkers: 3}
	fp, err := mgr.PlanEdit(ctx, id, fleet)
	require.NoError(t, err, "the fleet may change during a run")
	assert.False(t, fp.SidesChanged)
	require.NoError(t, mgr.DiscardEdit(ctx, fp.ID))
	require.NoError(t, table.FinishRun(ctx, id, busy.RunID, []state.TaskStatus{state.TaskRunning}, state.TaskIdle, ""))

	// --- the first run: to gateway B, one object failed ----------------------------------
	require.NoError(t, mgr.Start(ctx, id))
	v = waitView(t, mgr, id, runWait, h, "the first run", func(v tasks.View) bool { return v.Status == state.TaskFailed && v.RunID != busy.RunID })
	require.Equal(t, int64(6), v.Counters.DoneObjects, v.LastError)
	require.Equal(t, int64(1), v.Counters.FailedObjects)
	require.True(t, v.CanRetry)
	firstRun := v.RunID
	oldCopies := b.objects(t, oldDst, "copy/")
	require.Len(t, oldCopies, 6)
	r.poisoned.Store(false)

	// --- the edit: previewed, then applied ---------------------------------------------------
	plan, err := mgr.PlanEdit(ctx, id, edited)
	require.NoError(t, err)
	require.True(t, plan.SidesChanged)
	require.False(t, plan.NoChanges)
	var params []string
	for _, p := range plan.Preview.Parameters {
		params = append(params, p.Name)
		assert.NotContains(t, p.Old+p.New, a.sec, "parameter %s", p.Name)
		assert.NotContains(t, p.Old+p.New, b.sec, "parameter %s", p.Name)
	}
	assert.Contains(t, params, "DstBucket", "the preview names the new destination")
	assert.Contains(t, params, "DstEndpoint")
	cur := secretValue(t, baseCfg, dstSecret)
	assert.Contains(t, cur, b.key, "a preview stores no keys")
	require.NoError(t, mgr.ApplyEdit(ctx, plan.ID))
	v = waitView(t, mgr, id, 3*time.Minute, nil, "the update", func(v tasks.View) bool {
		return v.Cloud.Operation != nil && v.Cloud.Operation.Kind == tasks.OpUpdate && v.Cloud.Operation.Done
	})
	require.Empty(t, v.Cloud.Operation.Error)
	assert.True(t, v.Cloud.Operation.Succeeded)

	stk, err = account.Deployer.TaskStack(ctx, cpName, id)
	require.NoError(t, err)
	assert.Equal(t, newDst, stk.Params["DstBucket"])
	assert.Equal(t, dstSecret, stk.Params["DstSecretArn"], "the destination's secret got the new keys")
	for k, val := range stk.Params {
		assert.NotContains(t, val, a.sec, "parameter %s", k)
		assert.NotContains(t, val, b.sec, "parameter %s", k)
	}
	cur = secretValue(t, baseCfg, dstSecret)
	assert.Contains(t, cur, a.key)
	assert.Contains(t, cur, a.sec)
	got, err := mgr.Get(ctx, id)
	require.NoError(t, err)
	require.NotNil(t, got.Spec.S3)
	assert.Equal(t, newDst, got.Spec.S3.Destination.Bucket, "the task's definition")

	// The run of the old destination is closed: nothing of it is retried or resumed into
	// the new one.
	v = waitView(t, mgr, id, time.Minute, nil, "the closed run", func(v tasks.View) bool { return v.RunID != firstRun })
	assert.Equal(t, state.TaskIdle, v.Status)
	assert.True(t, v.Counters.IsZero(), "%+v", v.Counters)
	assert.False(t, v.CanRetry)
	assert.False(t, v.CanResume)
	require.ErrorIs(t, mgr.RetryFailed(ctx, id), tasks.ErrBusy)
	closedRun := v.RunID

	// --- the next run copies everything to the new destination ---------------------------
	require.NoError(t, h.Play(ctx, v.Cloud.Stack)) // the harness reads the updated stack
	require.NoError(t, mgr.Start(ctx, id))
	v = waitView(t, mgr, id, runWait, h, "the run to the new destination", func(v tasks.View) bool {
		return v.RunID != firstRun && v.RunID != closedRun && v.Status == state.TaskCompleted
	})
	assert.Equal(t, int64(7), v.Counters.FoundObjects)
	assert.Equal(t, int64(7), v.Counters.DoneObjects)
	assert.Zero(t, v.Counters.SkippedObjects)
	assert.Zero(t, v.Counters.FailedObjects)
	sameObjects(t, a.objects(t, srcBucket, "data/"), a.objects(t, newDst, "moved/"))
	assert.Equal(t, oldCopies, b.objects(t, oldDst, "copy/"), "the old destination is left as it was")
	assert.Empty(t, h.Problems())
}

// secretValue reads a secret's current value (staged AWSCURRENT, as the agents read it).
func secretValue(t *testing.T, cfg aws.Config, arn string) string {
	t.Helper()
	out, err := secretsmanager.NewFromConfig(cfg).GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn),
		VersionStage: aws.String("AWSCURRENT")})
	require.NoError(t, err)
	return aws.ToString(out.SecretString)
}
