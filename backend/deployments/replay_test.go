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
	"transferhub/cloud/deploy"
	"transferhub/cloud/deploy/assets"
	"transferhub/cloud/deploy/cfnfake"
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

func (o *operations) of(id string) []deployments.Operation {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []deployments.Operation
	for _, op := range o.ops {
		if op.ID == id {
			out = append(out, op)
		}
	}
	return out
}

// A control plane whose creation fails, through the Deployments page's service against
// the replaying CloudFormation fake: the live progress counts N of M, pins the first
// real failure past the cancellations and follows the rollback; the page then offers
// delete-and-retry, and after it the create succeeds.
func TestDeployFailureRollbackAndDeleteAndRetry(t *testing.T) {
	f := cfnfake.New()
	t.Cleanup(f.Close)
	cpStack := deploy.ControlPlaneStackName("thub")
	f.Expect(cpStack, mustScenario(t, "control-plane-create-failed"))
	creds := &memCreds{}
	prof := creds.add(credentials.Resolved{Profile: credentials.Profile{Name: "prod", Kind: credentials.KindAWS, Partition: "aws", Region: cfnfake.Region, AccessKeyID: "AKIA"},
		Secret: credentials.Secret{SecretAccessKey: "s"}})
	access := cloudaccess.New(cloudaccess.Options{Credentials: creds, Agents: fakeAgents(), Poll: time.Millisecond,
		Config: func(context.Context, string, string) (aws.Config, error) { return f.Config(), nil }})
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
