package deployments_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/backend/cloudaccess"
	"transferhub/backend/credentials"
	"transferhub/backend/deployments"
	"transferhub/backend/tasks"
	"transferhub/cloud/deploy"
	"transferhub/cloud/deploy/assets"
	"transferhub/cloud/deploy/cfnfake"
	"transferhub/cloud/invalid"
	"transferhub/cloud/spec"
	"transferhub/cloud/stack"
)

// memCreds holds profiles with their secrets in memory (the keychain is the
// credentials package's business).
type memCreds struct {
	mu sync.Mutex
	ps []credentials.Resolved
}

func (m *memCreds) add(r credentials.Resolved) credentials.Resolved {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r.ID == "" {
		r.ID = fmt.Sprintf("p%d", len(m.ps)+1)
	}
	m.ps = append(m.ps, r)
	return r
}

func (m *memCreds) Resolve(_ context.Context, id string) (credentials.Resolved, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range m.ps {
		if p.ID == id {
			return p, nil
		}
	}
	return credentials.Resolved{}, fmt.Errorf("profile %s: %w", id, credentials.ErrProfileNotFound)
}

func (m *memCreds) Get(ctx context.Context, id string) (credentials.Profile, error) {
	r, err := m.Resolve(ctx, id)
	return r.Profile, err
}

func (m *memCreds) List(context.Context) ([]credentials.Profile, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []credentials.Profile
	for _, p := range m.ps {
		out = append(out, p.Profile)
	}
	return out, nil
}

// fakeAgents stand in for the agents: the fake never reads them.
func fakeAgents() assets.Source {
	return assets.FS(fstest.MapFS{"thub-linux-arm64": {Data: []byte("\x7fELF arm64")}, "thub-linux-amd64": {Data: []byte("\x7fELF amd64")}})
}

// operations collects the operations the service pushes.
type operations struct {
	mu  sync.Mutex
	ops []deployments.Operation
}

func (o *operations) emit(name string, data any) {
	if name != deployments.EventOperation {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ops = append(o.ops, data.(deployments.Operation))
}

func (o *operations) add(op deployments.Operation) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ops = append(o.ops, op)
}

func (o *operations) of(id string) []deployments.Operation {
	return o.where(func(op deployments.Operation) bool { return op.ID == id })
}

func (o *operations) where(keep func(deployments.Operation) bool) []deployments.Operation {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []deployments.Operation
	for _, op := range o.ops {
		if keep(op) {
			out = append(out, op)
		}
	}
	return out
}

// replayAccount is an AWS profile whose account is the replaying CloudFormation fake
// playing scenario on the control plane "thub".
func replayAccount(t *testing.T, scenario string) (*cfnfake.Server, *memCreds, credentials.Resolved, *cloudaccess.Access) {
	t.Helper()
	f := cfnfake.New()
	t.Cleanup(f.Close)
	f.Expect(deploy.ControlPlaneStackName("thub"), mustScenario(t, scenario))
	creds := &memCreds{}
	prof := creds.add(credentials.Resolved{Profile: credentials.Profile{Name: "prod", Kind: credentials.KindAWS, Partition: "aws", Region: cfnfake.Region, AccessKeyID: "AKIA"},
		Secret: credentials.Secret{SecretAccessKey: "s"}})
	access := cloudaccess.New(cloudaccess.Options{Credentials: creds, Agents: fakeAgents(), Poll: time.Millisecond,
		Config: func(context.Context, string, string) (aws.Config, error) { return f.Config(), nil }})
	return f, creds, prof, access
}

// A control plane whose creation fails, through the Deployments page's service against
// the replaying CloudFormation fake: the live progress counts N of M, pins the first
// real failure past the cancellations and follows the rollback; the page then offers
// delete-and-retry, and after it the create succeeds.
func TestDeployFailureRollbackAndDeleteAndRetry(t *testing.T) {
	cpStack := deploy.ControlPlaneStackName("thub")
	f, creds, prof, access := replayAccount(t, "control-plane-create-failed")
	svc := deployments.New(deployments.Options{Access: access, Profiles: creds, File: t.TempDir() + "/deployments.json"})
	var pushed operations
	svc.Start(pushed.emit)
	t.Cleanup(func() { svc.Close(context.Background()) })
	ctx := context.Background()
	net := &stack.Network{VPCID: "vpc-0a1b2c3d", SubnetIDs: []string{"subnet-0a1b2c3d"}, PublicIP: true}

	plan, err := svc.PlanControlPlane(ctx, deployments.ControlPlaneRequest{ProfileID: prof.ID, Region: cfnfake.Region, Name: "thub", Network: net})
	require.NoError(t, err)
	assert.Equal(t, 7, plan.Preview.Counts().Add, "the preview lists the change set's resources")
	assert.Equal(t, cpStack, plan.Stack)
	op, err := svc.Execute(ctx, plan.PlanID)
	require.NoError(t, err)
	op, err = svc.Wait(ctx, op.ID)
	require.NoError(t, err)
	require.True(t, op.Done)
	assert.False(t, op.Succeeded)
	assert.True(t, op.DeleteAndRetry, "a rolled-back creation is offered delete and retry")
	require.NotNil(t, op.FirstFailure)
	assert.Equal(t, "AgentRepository", op.FirstFailure.LogicalID, "the cause, not a cancelled resource")
	assert.Contains(t, op.FirstFailure.Reason, "KMS key is pending deletion")
	assert.Contains(t, op.Error, "delete the stack and deploy again")

	// What the page saw: N of M moving, each resource's status, the failure pinned from
	// the moment it happened through the rollback.
	seen := pushed.of(op.ID)
	require.NotEmpty(t, seen)
	doneMax, pinned, rolling := 0, false, false
	for _, o := range seen {
		if p := o.Progress; p != nil {
			assert.Equal(t, 7, p.Total)
			doneMax = max(doneMax, p.Done)
			if p.FirstFailure != nil {
				pinned = true
				assert.Equal(t, "AgentRepository", p.FirstFailure.LogicalID)
			}
			if p.RollingBack {
				rolling = true
				assert.NotNil(t, p.FirstFailure, "rolling back without its cause")
			}
		}
	}
	assert.Positive(t, doneMax)
	assert.True(t, pinned && rolling, "pinned %v, rolling back %v", pinned, rolling)
	assert.True(t, seen[len(seen)-1].Done)
	res := map[string]string{}
	for _, r := range op.Resources {
		res[r.LogicalID] = r.Status
	}
	assert.Equal(t, "DELETE_SKIPPED", res["Key"], "the retained key: %v", res)

	// The list says the stack must be deleted, and planning again says so too.
	l, err := svc.List(ctx, prof.ID, cfnfake.Region)
	require.NoError(t, err)
	require.Len(t, l.Deployments, 1)
	assert.Equal(t, "ROLLBACK_COMPLETE", l.Deployments[0].Status)
	assert.True(t, l.Deployments[0].DeleteAndRetry)
	again, err := svc.PlanControlPlane(ctx, deployments.ControlPlaneRequest{ProfileID: prof.ID, Region: cfnfake.Region, Name: "thub", Network: net})
	require.NoError(t, err)
	assert.True(t, again.DeleteAndRetry)
	require.NotNil(t, again.FirstFailure)
	assert.Equal(t, "AgentRepository", again.FirstFailure.LogicalID)
	assert.Empty(t, again.PlanID, "nothing to execute")

	// Delete and retry.
	_, err = svc.DeleteFailed(ctx, prof.ID, cfnfake.Region, "thub", "some-task")
	assert.ErrorContains(t, err, "did not fail to be created", "only a failed stack is deleted this way")
	del, err := svc.DeleteFailed(ctx, prof.ID, cfnfake.Region, "thub", "")
	require.NoError(t, err)
	del, err = svc.Wait(ctx, del.ID)
	require.NoError(t, err)
	require.True(t, del.Succeeded, del.Error)
	f.Expect(cpStack, mustScenario(t, "control-plane-create"))
	plan, err = svc.PlanControlPlane(ctx, deployments.ControlPlaneRequest{ProfileID: prof.ID, Region: cfnfake.Region, Name: "thub", Network: net})
	require.NoError(t, err)
	require.False(t, plan.DeleteAndRetry)
	op, err = svc.Execute(ctx, plan.PlanID)
	require.NoError(t, err)
	op, err = svc.Wait(ctx, op.ID)
	require.NoError(t, err)
	require.True(t, op.Succeeded, op.Error)
	last := op.Progress
	require.NotNil(t, last)
	assert.True(t, last.Final)
	assert.Equal(t, last.Total, last.Done, "every resource done")
	assert.Equal(t, "CREATE_COMPLETE", last.StackStatus)
	_, err = svc.Execute(ctx, plan.PlanID)
	assert.ErrorContains(t, err, "is gone", "a plan runs once")
}

// A build without agents cannot deploy, and says so plainly before anything happens.
func TestNoAgentsNoDeploy(t *testing.T) {
	creds := &memCreds{}
	prof := creds.add(credentials.Resolved{Profile: credentials.Profile{Name: "prod", Kind: credentials.KindAWS, Region: "us-east-1"}})
	empty := assets.FS(fstest.MapFS{".gitkeep": {}})
	access := cloudaccess.New(cloudaccess.Options{Credentials: creds, Agents: empty,
		Config: func(context.Context, string, string) (aws.Config, error) {
			return aws.Config{}, fmt.Errorf("no AWS call expected")
		}})
	svc := deployments.New(deployments.Options{Access: access, Profiles: creds})
	info := svc.Info()
	assert.False(t, info.HasAgents)
	assert.Contains(t, info.Problem, "carries no agents")
	_, err := svc.PlanControlPlane(context.Background(), deployments.ControlPlaneRequest{ProfileID: prof.ID})
	require.ErrorIs(t, err, cloudaccess.ErrNoAgents)
	assert.True(t, strings.Contains(err.Error(), "make build-desktop"))
}

func mustScenario(t *testing.T, name string) cfnfake.Script {
	t.Helper()
	sc, err := cfnfake.Scenario(name)
	require.NoError(t, err)
	return sc
}

// pageReader reads a task's view each time the task is said to change, as the monitor
// does to push the task's page, and keeps the operation it shows.
type pageReader struct {
	operations
	mu  sync.Mutex
	mgr *tasks.Manager
}

func (p *pageReader) TaskChanged(id string) {
	p.mu.Lock()
	mgr := p.mgr
	p.mu.Unlock()
	if mgr == nil {
		return
	}
	if v, err := mgr.Get(context.Background(), id); err == nil && v.Cloud != nil && v.Cloud.Operation != nil {
		p.add(*v.Cloud.Operation)
	}
}

func (p *pageReader) TaskProgress(string, tasks.Progress) {}

func (p *pageReader) ops(kind string) []tasks.Operation {
	return p.where(func(op tasks.Operation) bool { return op.Kind == kind })
}

// replayModel is the task model over a profile whose account is the replaying
// CloudFormation fake (scenario plays the control plane "thub"), with a page reading
// its tasks' operations.
func replayModel(t *testing.T, scenario string) (*cfnfake.Server, *tasks.Manager, *pageReader, tasks.Definition) {
	t.Helper()
	f, creds, acct, access := replayAccount(t, scenario)
	events := tasks.NewEvents()
	page := &pageReader{}
	events.Listen(page)
	runner := tasks.NewCloudRunner(tasks.CloudRunnerOptions{Access: access, Credentials: creds, Observer: events})
	local := tasks.NewLocalRunner(tasks.LocalOptions{Credentials: creds, Observer: events})
	mgr := openManager(t, tasks.Options{Folder: tasks.NewFolder(t.TempDir(), nil), Runners: []tasks.Runner{local, runner}, Credentials: creds, Observer: events})
	page.mu.Lock()
	page.mgr = mgr
	page.mu.Unlock()
	def := tasks.Definition{S3: &tasks.S3Spec{
		Source:      tasks.Location{Side: spec.Side{Kind: tasks.LocationS3, Bucket: "src"}, ProfileID: acct.ID},
		Destination: tasks.Location{Side: spec.Side{Kind: tasks.LocationS3, Bucket: "dst"}, ProfileID: acct.ID},
	}, Cloud: &tasks.CloudOptions{ProfileID: acct.ID, Network: &tasks.CloudNetwork{VPCID: "vpc-0a1b2c3d", SubnetIDs: []string{"subnet-0a1b2c3d"}}}}
	return f, mgr, page, def
}

// replayTask creates a cloud task whose account has no control plane against the
// replaying CloudFormation fake (scenario plays the control plane's creation; the
// task's own stack then fails: the fake has no S3) and returns what its page saw.
func replayTask(t *testing.T, scenario string) (*pageReader, tasks.View) {
	t.Helper()
	_, mgr, page, def := replayModel(t, scenario)
	ctx := context.Background()
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

// Moving a local task to AWS previews what it deploys before anything happens, as
// creating a cloud task does: with no control plane in the account and Region, the
// control plane's change set (made and discarded: no stack is left); the local task
// stays, its own name is not in the way, and a move that cannot be made says which
// field to fix.
func TestPreviewMoveToAWS(t *testing.T) {
	f, mgr, _, def := replayModel(t, "control-plane-create")
	ctx := context.Background()
	cloud := *def.Cloud
	def.Cloud = nil
	local, err := mgr.Create(ctx, tasks.CreateRequest{Name: "photos", Definition: def})
	require.NoError(t, err)
	require.Equal(t, "local", string(local.Engine))

	p, err := mgr.PreviewMove(ctx, tasks.MoveRequest{TaskID: local.ID, Cloud: cloud, DeployControlPlane: true})
	require.NoError(t, err)
	assert.True(t, p.ControlPlaneMissing)
	require.NotNil(t, p.ControlPlane)
	assert.Equal(t, deploy.ControlPlaneStackName("thub"), p.ControlPlane.Stack)
	assert.Equal(t, 12, p.ControlPlane.Counts().Add, "the control plane's change set")
	assert.Nil(t, p.Task, "the task's stack is previewed once the control plane is up")
	assert.Equal(t, cfnfake.Region, p.Placement.Region)
	assert.Zero(t, f.Count("ExecuteChangeSet"), "a preview deploys nothing")
	assert.Equal(t, 1, f.Count("CreateChangeSet"))
	assert.Empty(t, f.StackStatus(deploy.ControlPlaneStackName("thub")), "the preview's stack under review is removed")
	v, err := mgr.Get(ctx, local.ID)
	require.NoError(t, err, "the local task stays")
	assert.Equal(t, "local", string(v.Engine))

	_, err = mgr.PreviewMove(ctx, tasks.MoveRequest{TaskID: local.ID, Cloud: tasks.CloudOptions{ProfileID: "gone"}})
	fields, err := invalid.Fields(err)
	require.NoError(t, err, "a field to fix, not a failure")
	require.NotEmpty(t, fields)
	assert.Equal(t, "cloud.profileId", fields[0].Field)
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
