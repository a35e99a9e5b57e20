package deployments_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/backend/cloudaccess"
	"transferhub/backend/credentials"
	"transferhub/backend/tasks"
	"transferhub/cloud/deploy"
	"transferhub/cloud/deploy/cfnfake"
	"transferhub/cloud/spec"
)

// pageReader reads a task's view each time the task is said to change, as the monitor
// does to push the task's page, and keeps the operation it shows.
type pageReader struct {
	mu   sync.Mutex
	mgr  *tasks.Manager
	seen []tasks.Operation
}

func (p *pageReader) TaskChanged(id string) {
	p.mu.Lock()
	mgr := p.mgr
	p.mu.Unlock()
	if mgr == nil {
		return
	}
	v, err := mgr.Get(context.Background(), id)
	if err != nil || v.Cloud == nil || v.Cloud.Operation == nil {
		return
	}
	p.mu.Lock()
	p.seen = append(p.seen, *v.Cloud.Operation)
	p.mu.Unlock()
}

func (p *pageReader) TaskProgress(string, tasks.Progress) {}

func (p *pageReader) ops(kind string) []tasks.Operation {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []tasks.Operation
	for _, op := range p.seen {
		if op.Kind == kind {
			out = append(out, op)
		}
	}
	return out
}

// replayTask creates a cloud task whose account has no control plane against the
// replaying CloudFormation fake (scenario plays the control plane's creation; the
// task's own stack then fails: the fake has no S3) and returns what its page saw.
func replayTask(t *testing.T, scenario string) (*pageReader, tasks.View) {
	t.Helper()
	f := cfnfake.New()
	t.Cleanup(f.Close)
	f.Expect(deploy.ControlPlaneStackName("thub"), mustScenario(t, scenario))
	creds := &memCreds{}
	acct := creds.add(credentials.Resolved{Profile: credentials.Profile{Name: "prod", Kind: credentials.KindAWS, Partition: "aws", Region: cfnfake.Region, AccessKeyID: "AKIA"},
		Secret: credentials.Secret{SecretAccessKey: "s"}})
	access := cloudaccess.New(cloudaccess.Options{Credentials: creds, Agents: fakeAgents(), Poll: time.Millisecond,
		Config: func(context.Context, string, string) (aws.Config, error) { return f.Config(), nil }})
	events := tasks.NewEvents()
	page := &pageReader{}
	events.Listen(page)
	runner := tasks.NewCloudRunner(tasks.CloudRunnerOptions{Access: access, Credentials: creds, Observer: events})
	mgr := tasks.New(tasks.Options{Folder: tasks.NewFolder(t.TempDir(), nil), Runners: []tasks.Runner{runner}, Credentials: creds, Observer: events})
	ctx := context.Background()
	require.NoError(t, mgr.Open(ctx))
	t.Cleanup(func() { mgr.Close(context.Background()) })
	page.mu.Lock()
	page.mgr = mgr
	page.mu.Unlock()
	def := tasks.Definition{S3: &tasks.S3Spec{
		Source:      tasks.Location{Side: spec.Side{Kind: tasks.LocationS3, Bucket: "src"}, ProfileID: acct.ID},
		Destination: tasks.Location{Side: spec.Side{Kind: tasks.LocationS3, Bucket: "dst"}, ProfileID: acct.ID},
	}, Cloud: &tasks.CloudOptions{ProfileID: acct.ID, Network: &tasks.CloudNetwork{VPCID: "vpc-0a1b2c3d", SubnetIDs: []string{"subnet-0a1b2c3d"}}}}
	v, err := mgr.Create(ctx, tasks.CreateRequest{Name: "photos", Definition: def, DeployControlPlane: true})
	require.NoError(t, err)
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		v, err = mgr.Get(ctx, v.ID)
		require.NoError(t, err)
		if !v.Cloud.Busy {
			break
		}
		require.True(t, time.Now().Before(deadline), "the deploy did not end: %+v", v.Cloud)
	}
	return page, v
}

// A cloud task whose creation deploys the control plane first, against the replaying
// CloudFormation fake: its page's operation says N of M from the moment the change set
// is made (0 of 12 before CloudFormation moved), then each resource's status and
// reason as they move, and at the end that it succeeded with every resource done.
func TestTaskOperationFollowsTheDeploy(t *testing.T) {
	page, _ := replayTask(t, "control-plane-create")
	ops := page.ops(tasks.OpControlPlane)
	require.NotEmpty(t, ops)
	assert.Equal(t, deploy.ControlPlaneStackName("thub"), ops[0].Stack)
	assert.Equal(t, cfnfake.Region, ops[0].Region)
	assert.NotEmpty(t, ops[0].ID)
	first, midway, reasons := -1, 0, false
	for i, op := range ops {
		if op.Done {
			continue
		}
		if op.Progress == nil {
			continue
		}
		if first < 0 {
			first = i
			assert.Equal(t, 0, op.Progress.Done, "planned: nothing done yet")
			assert.Equal(t, 12, op.Progress.Total, "planned: the change set's size")
			assert.Empty(t, op.Resources)
		}
		assert.Equal(t, 12, op.Progress.Total, "N of M, M the change set's size")
		if op.Progress.Done > 0 && op.Progress.Done < op.Progress.Total && len(op.Resources) > 0 {
			midway++
		}
		for _, r := range op.Resources {
			if r.Reason == "Resource creation Initiated" {
				reasons = true
			}
		}
	}
	require.GreaterOrEqual(t, first, 0, "the page never saw N of M while deploying")
	assert.Positive(t, midway, "the page never saw the deploy midway (N of M with resources)")
	assert.True(t, reasons, "each resource's reason")
	last := ops[len(ops)-1]
	require.True(t, last.Done)
	assert.True(t, last.Succeeded, last.Error)
	require.NotNil(t, last.Progress)
	assert.Equal(t, 12, last.Progress.Done)
	assert.Len(t, last.Resources, 12)
	for _, r := range last.Resources {
		assert.Equal(t, "CREATE_COMPLETE", r.Status, r.LogicalID)
	}
	// The task's own stack follows; the fake has no S3 to upload its assets to, so it
	// fails, and its operation says so.
	creates := page.ops(tasks.OpCreate)
	require.NotEmpty(t, creates)
	end := creates[len(creates)-1]
	assert.True(t, end.Done)
	assert.False(t, end.Succeeded)
	assert.NotEmpty(t, end.Error)
}

// A control plane whose creation rolls back, deployed as part of creating a task: the
// task's page pins the first real failure with its reason (not a cancelled resource)
// from the moment it happens, and ends with delete-and-retry offered.
func TestTaskOperationPinsTheFirstFailure(t *testing.T) {
	page, v := replayTask(t, "control-plane-create-failed")
	ops := page.ops(tasks.OpControlPlane)
	require.NotEmpty(t, ops)
	pinnedMidway := false
	for _, op := range ops {
		if !op.Done && op.FirstFailure != nil {
			pinnedMidway = true
			assert.Equal(t, "AgentRepository", op.FirstFailure.LogicalID)
		}
	}
	assert.True(t, pinnedMidway, "the first failure is pinned while it rolls back")
	last := ops[len(ops)-1]
	require.True(t, last.Done)
	assert.False(t, last.Succeeded)
	require.NotNil(t, last.FirstFailure)
	assert.Equal(t, "AgentRepository", last.FirstFailure.LogicalID)
	assert.Contains(t, last.FirstFailure.Reason, "KMS key is pending deletion")
	assert.True(t, last.DeleteAndRetry)
	assert.Contains(t, v.LastError, "the control plane")
	assert.Empty(t, page.ops(tasks.OpCreate), "no task stack without its control plane")
}
