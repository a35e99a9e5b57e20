package deploy

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"transferhub/cloud/deploy/cfnfake"
	"transferhub/cloud/stack"
)

// The deployer's change sets, progress, failures and rollbacks against the replaying
// fake of CloudFormation (cloud/deploy/cfnfake), fed with the sequences AWS writes:
// what the AWS emulator cannot produce.

func fakeDeployer(t *testing.T) (*Deployer, *cfnfake.Server) {
	t.Helper()
	f := cfnfake.New()
	t.Cleanup(f.Close)
	d := New(NewClients(f.Config()), cfnfake.Region)
	d.Poll, d.MaxPoll = time.Millisecond, 2*time.Millisecond
	return d, f
}

// plannedControlPlane is a deployer on the fake, which plays the scenario name for the
// control plane "thub", and its plan for that control plane.
func plannedControlPlane(t *testing.T, name string) (*Deployer, *cfnfake.Server, *Plan) {
	t.Helper()
	d, f := fakeDeployer(t)
	f.Expect("thub-control-plane", scenario(t, name))
	p, err := d.Plan(context.Background(), cpSpec("1.0.0", "Name", "thub"))
	if err != nil {
		t.Fatal(err)
	}
	return d, f, p
}

func scenario(t *testing.T, name string) cfnfake.Script {
	t.Helper()
	sc, err := cfnfake.Scenario(name)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func params(kv ...string) []types.Parameter {
	var out []types.Parameter
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, types.Parameter{ParameterKey: aws.String(kv[i]), ParameterValue: aws.String(kv[i+1])})
	}
	return out
}

func cpSpec(version string, p ...string) StackSpec {
	return StackSpec{Name: "thub-control-plane", Kind: stack.KindControlPlane, TemplateBody: "{}", TemplateSHA: "aaa",
		Parameters: params(p...), Tags: stackTags(stack.KindControlPlane, "thub", "", version, "aaa")}
}

// recorder keeps every progress report.
type recorder struct{ reports []Progress }

func (r *recorder) add(p Progress) { r.reports = append(r.reports, p) }

func (r *recorder) last() Progress { return r.reports[len(r.reports)-1] }

func TestCreateShowsEachResourceAndCountsToTheEnd(t *testing.T) {
	d, f := fakeDeployer(t)
	f.Expect("thub-control-plane", scenario(t, "control-plane-create"))
	ctx := context.Background()

	p, err := d.Plan(ctx, cpSpec("1.0.0", "Name", "thub", "VpcId", "vpc-0a1b2c3d", "NatSubnetId", ""))
	if err != nil {
		t.Fatal(err)
	}
	if p.Op != OpCreate || p.NoChanges || p.ChangeSetID == "" {
		t.Fatalf("plan %+v", p)
	}
	c := p.Preview.Counts()
	if c.Add != 12 || c.Modify != 0 || c.Remove != 0 || len(p.Preview.Changes) != 12 {
		t.Errorf("preview counts %+v", c)
	}
	// On create every parameter given a value is listed; empty ones are not.
	if got := names(p.Preview.Parameters); got != "Name,VpcId" {
		t.Errorf("parameters of a create: %s", got)
	}
	if f.StackStatus("thub-control-plane") != "REVIEW_IN_PROGRESS" {
		t.Errorf("before executing the stack is %s", f.StackStatus("thub-control-plane"))
	}

	var rec recorder
	o, err := d.Execute(ctx, p, rec.add)
	if err != nil {
		t.Fatal(err)
	}
	if !o.Succeeded || o.Status != "CREATE_COMPLETE" || o.FirstFailure != nil || o.DeleteAndRetry {
		t.Errorf("outcome %+v", o)
	}
	if len(o.Resources) != 12 {
		t.Errorf("%d resources in the outcome", len(o.Resources))
	}
	for _, r := range o.Resources {
		if r.Status != "CREATE_COMPLETE" {
			t.Errorf("%s ended %s", r.LogicalID, r.Status)
		}
	}
	if key := resourceOf(o, "Key"); key.Elapsed != 2*time.Minute+3*time.Second {
		t.Errorf("the key took %s (from its first event to CREATE_COMPLETE), want 2m3s", key.Elapsed)
	}
	if len(o.Outputs) != 12 {
		t.Errorf("%d outputs", len(o.Outputs))
	}

	// N of M never goes back, ends at M; each resource event is reported.
	done, perResource := 0, 0
	for _, r := range rec.reports {
		if r.Total != 12 {
			t.Fatalf("total %d in %+v", r.Total, r)
		}
		if r.Done < done {
			t.Fatalf("done went from %d back to %d", done, r.Done)
		}
		done = r.Done
		if r.Resource != nil {
			perResource++
		}
	}
	if perResource != 36 {
		t.Errorf("%d resource reports, want the scenario's 36 resource events", perResource)
	}
	last := rec.last()
	if !last.Final || last.Done != 12 || last.StackStatus != "CREATE_COMPLETE" || len(last.InProgress) != 0 {
		t.Errorf("last report %+v", last)
	}
	// Mid-way: the key was in progress while the log group had completed.
	mid := false
	for _, r := range rec.reports {
		if r.Resource != nil && r.Resource.LogicalID == "TasksTable" && r.Resource.Status == "CREATE_COMPLETE" {
			mid = r.Done == 5 && contains(r.InProgress, "Key")
		}
	}
	if !mid {
		t.Error("when the tasks table completed, 5 of 12 should have been done with the key in progress")
	}
	// Events were read page by page (5 a page) and never the whole history each time.
	if n := f.Count("DescribeStackEvents"); n < 10 {
		t.Errorf("%d DescribeStackEvents calls for 41 events revealed 2 at a time", n)
	}
}

func TestFailedCreateNamesTheFirstRealFailureAndOffersDeleteAndRetry(t *testing.T) {
	d, f, p := plannedControlPlane(t, "control-plane-create-failed")
	ctx := context.Background()
	var rec recorder
	o, err := d.Execute(ctx, p, rec.add)
	var fe *FailedError
	if !errors.As(err, &fe) || !errors.Is(err, ErrRolledBack) {
		t.Fatalf("a rolled-back create returned %v", err)
	}
	if o.Succeeded || o.Status != "ROLLBACK_COMPLETE" || !o.DeleteAndRetry {
		t.Errorf("outcome %+v", o)
	}
	ff := o.FirstFailure
	if ff == nil || ff.LogicalID != "AgentRepository" || ff.Status != "CREATE_FAILED" || !strings.Contains(ff.Reason, "KMS key is pending deletion") {
		t.Fatalf("first failure %+v: want the repository's, not a cancelled one", ff)
	}
	if !strings.Contains(err.Error(), "AgentRepository") || !strings.Contains(err.Error(), "delete the stack and deploy again") {
		t.Errorf("error %q", err)
	}
	// The failure was pinned from the moment it happened, through the rollback.
	pinned, rolling := false, false
	for _, r := range rec.reports {
		if r.FirstFailure != nil {
			pinned = true
			if r.FirstFailure.LogicalID != "AgentRepository" {
				t.Fatalf("pinned failure changed to %+v", r.FirstFailure)
			}
		}
		if r.RollingBack {
			rolling = true
			if r.FirstFailure == nil {
				t.Fatal("rolling back without the failure that caused it")
			}
		}
	}
	if !pinned || !rolling {
		t.Errorf("pinned %v, rolling back reported %v", pinned, rolling)
	}
	last := rec.last()
	if !last.Final || last.StackStatus != "ROLLBACK_COMPLETE" {
		t.Errorf("last report %+v", last)
	}
	if r := resourceOf(o, "Key"); r.Status != "DELETE_SKIPPED" {
		t.Errorf("the retained key ended %s", r.Status)
	}

	// Planning again refuses and says why, with the original failure.
	_, err = d.Plan(ctx, cpSpec("1.0.0", "Name", "thub"))
	var se *StackStateError
	if !errors.As(err, &se) || !errors.Is(err, ErrRolledBack) || !se.DeleteAndRetry {
		t.Fatalf("plan on ROLLBACK_COMPLETE: %v", err)
	}
	if se.FirstFailure == nil || se.FirstFailure.LogicalID != "AgentRepository" {
		t.Errorf("the refusal does not name the failure: %+v", se.FirstFailure)
	}

	// Delete and retry: the stack goes, a new create succeeds.
	del, err := d.DeleteStack(ctx, "thub-control-plane", nil)
	if err != nil || !del.Succeeded {
		t.Fatalf("delete the failed stack: %v %+v", err, del)
	}
	f.Expect("thub-control-plane", scenario(t, "control-plane-create"))
	p, err = d.Plan(ctx, cpSpec("1.0.0", "Name", "thub"))
	if err != nil || p.Op != OpCreate {
		t.Fatalf("plan after delete: %v %+v", err, p)
	}
	if o, err := d.Execute(ctx, p, nil); err != nil || o.Status != "CREATE_COMPLETE" {
		t.Fatalf("retry: %v %+v", err, o)
	}
}

func TestUpdateRolledBackLeavesAUsableStack(t *testing.T) {
	d, f := fakeDeployer(t)
	f.AddStack(cfnfake.Stack{Name: "thub-task-t1", Status: "UPDATE_COMPLETE", Parameters: map[string]string{"InstanceTypes": "c6g.large"},
		Tags: map[string]string{TagVersion: "1.0.0", TagTemplate: "aaa"}})
	f.Expect("thub-task-t1", scenario(t, "s3-task-update-rollback"))
	ctx := context.Background()
	spec := StackSpec{Name: "thub-task-t1", Kind: stack.KindS3Task, TemplateURL: "https://x/t", Parameters: params("InstanceTypes", "c7g.large"),
		Tags: map[string]string{TagVersion: "1.0.0", TagTemplate: "aaa"}}
	p, err := d.Plan(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if p.Op != OpUpdate || len(p.Preview.Parameters) != 1 || p.Preview.Parameters[0] != (ValueChange{Name: "InstanceTypes", Old: "c6g.large", New: "c7g.large"}) {
		t.Fatalf("preview %+v", p.Preview)
	}
	var rec recorder
	o, err := d.Execute(ctx, p, rec.add)
	if err == nil || errors.Is(err, ErrRolledBack) {
		t.Fatalf("a rolled-back update: %v", err)
	}
	if o.Status != "UPDATE_ROLLBACK_COMPLETE" || o.DeleteAndRetry || o.Succeeded {
		t.Errorf("outcome %+v", o)
	}
	if o.FirstFailure == nil || o.FirstFailure.LogicalID != "WorkerGroup" || !strings.Contains(o.FirstFailure.Reason, "not supported in availability zone") {
		t.Errorf("first failure %+v", o.FirstFailure)
	}
	if !rec.last().RollingBack {
		t.Error("the rollback was not reported")
	}
	// The stack takes the next update.
	f.Expect("thub-task-t1", cfnfake.Script{ChangeSet: &cfnfake.ChangeSet{Changes: []cfnfake.Change{{Action: "Modify", LogicalID: "WorkerGroup", Type: "AWS::AutoScaling::AutoScalingGroup"}}}})
	spec.Parameters = params("InstanceTypes", "m7g.large")
	p, err = d.Plan(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if o, err := d.Execute(ctx, p, nil); err != nil || o.Status != "UPDATE_COMPLETE" {
		t.Fatalf("the next update: %v %+v", err, o)
	}
}

func TestUpgradePreviewListsParameterChangesAndReplacements(t *testing.T) {
	d, f := fakeDeployer(t)
	old := map[string]string{"AgentSha256Arm64": "a1", "AgentSha256Amd64": "b1", "AgentImage": "repo@sha256:c1", "TaskId": "t1"}
	f.AddStack(cfnfake.Stack{Name: "thub-task-t1", Status: "CREATE_COMPLETE", Parameters: old,
		Tags: map[string]string{TagVersion: "1.0.0", TagTemplate: "aaa", TagKind: "s3-task"}})
	f.Expect("thub-task-t1", scenario(t, "s3-task-upgrade"))
	spec := StackSpec{Name: "thub-task-t1", Kind: stack.KindS3Task, TemplateURL: "https://x/t",
		Parameters: params("AgentSha256Arm64", "a2", "AgentSha256Amd64", "b2", "AgentImage", "repo@sha256:c2", "TaskId", "t1"),
		Tags:       map[string]string{TagVersion: "1.1.0", TagTemplate: "bbb", TagKind: "s3-task"}}
	p, err := d.Plan(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	pv := p.Preview
	if got := names(pv.Parameters); got != "AgentImage,AgentSha256Amd64,AgentSha256Arm64" {
		t.Errorf("parameter changes %s", got)
	}
	if pv.VersionChange == nil || pv.VersionChange.Old != "1.0.0" || pv.VersionChange.New != "1.1.0" || !pv.TemplateChanged {
		t.Errorf("version %+v, template changed %v", pv.VersionChange, pv.TemplateChanged)
	}
	c := pv.Counts()
	if c.Modify != 4 || c.Replace != 1 || c.IAM != 0 {
		t.Errorf("counts %+v", c)
	}
	td := changeOf(pv, "FinderTaskDefinition")
	if td.Replacement != "True" || len(td.Details) != 1 || td.Details[0].CausingEntity != "AgentImage" || td.Details[0].RequiresRecreation != "Always" {
		t.Errorf("task definition change %+v", td)
	}
	o, err := d.Execute(context.Background(), p, nil)
	if err != nil || o.Status != "UPDATE_COMPLETE" {
		t.Fatalf("%v %+v", err, o)
	}
	if got := f.StackParameters("thub-task-t1")["AgentImage"]; got != "repo@sha256:c2" {
		t.Errorf("after the upgrade the stack has AgentImage %s", got)
	}
	deps, err := d.List(context.Background())
	if err != nil || len(deps) != 1 || deps[0].Version != "1.1.0" || deps[0].TemplateSHA != "bbb" {
		t.Errorf("after the upgrade: %v %+v", err, deps)
	}
}

func TestNoChangesExecutesNothing(t *testing.T) {
	d, f := fakeDeployer(t)
	f.AddStack(cfnfake.Stack{Name: "thub-control-plane", Status: "UPDATE_COMPLETE", Parameters: map[string]string{"Name": "thub"},
		Tags: stackTags(stack.KindControlPlane, "thub", "", "1.0.0", "aaa")})
	f.Expect("thub-control-plane", cfnfake.Script{ChangeSet: &cfnfake.ChangeSet{Status: "FAILED", Polls: 2,
		Reason: "The submitted information didn't contain changes. Submit different information to create a change set."}})
	p, err := d.Plan(context.Background(), cpSpec("1.0.0", "Name", "thub"))
	if err != nil {
		t.Fatal(err)
	}
	if !p.NoChanges || p.ChangeSetID != "" || !p.Preview.Empty() {
		t.Fatalf("plan %+v", p)
	}
	o, err := d.Execute(context.Background(), p, nil)
	if err != nil || !o.NoChanges || !o.Succeeded {
		t.Errorf("execute a plan without changes: %v %+v", err, o)
	}
	if n := f.Count("ExecuteChangeSet"); n != 0 {
		t.Errorf("%d change sets executed", n)
	}
	if n := f.Count("DeleteChangeSet"); n != 1 {
		t.Errorf("the empty change set was deleted %d times", n)
	}
}

func TestFailedChangeSetSaysWhy(t *testing.T) {
	d, f := fakeDeployer(t)
	f.Expect("thub-control-plane", cfnfake.Script{ChangeSet: &cfnfake.ChangeSet{Status: "FAILED",
		Reason: "Parameter validation failed: parameter value vpc-x for parameter name VpcId does not exist."}})
	_, err := d.Plan(context.Background(), cpSpec("1.0.0", "VpcId", "vpc-x"))
	if err == nil || !strings.Contains(err.Error(), "parameter value vpc-x for parameter name VpcId does not exist") {
		t.Fatalf("error %v", err)
	}
	if st := f.StackStatus("thub-control-plane"); st != "" {
		t.Errorf("the failed plan left a stack in %s", st)
	}
}

func TestDiscardedDryRunLeavesNothing(t *testing.T) {
	d, f, p := plannedControlPlane(t, "control-plane-create")
	if err := d.Discard(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if st := f.StackStatus("thub-control-plane"); st != "" {
		t.Errorf("a discarded create left a stack in %s", st)
	}
	if _, err := d.Execute(context.Background(), p, nil); err == nil {
		t.Error("a discarded plan executed")
	}
}

func TestBusyStackIsRefused(t *testing.T) {
	d, f := fakeDeployer(t)
	f.AddStack(cfnfake.Stack{Name: "thub-control-plane", Status: "UPDATE_IN_PROGRESS"})
	_, err := d.Plan(context.Background(), cpSpec("1.0.0"))
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("%v", err)
	}
}

func TestDeleteFailedNamesTheResourceAndKeepsWhatIsRetained(t *testing.T) {
	d, f := fakeDeployer(t)
	f.AddStack(cfnfake.Stack{Name: "thub-control-plane", Status: "CREATE_COMPLETE", Resources: map[string]string{
		"AssetsBucket": "AWS::S3::Bucket", "AssetsBucketPolicy": "AWS::S3::BucketPolicy", "Cluster": "AWS::ECS::Cluster",
		"TasksTable": "AWS::DynamoDB::Table", "Key": "AWS::KMS::Key"}})
	f.Expect("thub-control-plane", scenario(t, "control-plane-delete-failed"))
	var rec recorder
	o, err := d.DeleteStack(context.Background(), "thub-control-plane", rec.add)
	if err == nil || o.Status != "DELETE_FAILED" || !o.DeleteAndRetry {
		t.Fatalf("%v %+v", err, o)
	}
	if o.FirstFailure == nil || o.FirstFailure.LogicalID != "AssetsBucket" || !strings.Contains(o.FirstFailure.Reason, "not empty") {
		t.Errorf("first failure %+v", o.FirstFailure)
	}
	if rec.last().Total != 5 {
		t.Errorf("total %d, want the stack's 5 resources", rec.last().Total)
	}
	// Done counts the skipped (retained) ones and the deleted ones, not the failed.
	if got := rec.last().Done; got != 4 {
		t.Errorf("done %d, want 4 (policy and cluster deleted, table and key skipped)", got)
	}
}

func TestWatchPicksUpAnOperationUnderWay(t *testing.T) {
	d, _, p := plannedControlPlane(t, "control-plane-create")
	ctx := context.Background()
	// Execute with a wait that gives up at once: the operation goes on.
	d.Timeout = time.Nanosecond
	if _, err := d.Execute(ctx, p, nil); !errors.Is(err, ErrTimeout) {
		t.Fatalf("a timed-out wait returned %v", err)
	}
	d.Timeout = time.Hour
	var rec recorder
	o, err := d.Watch(ctx, "thub-control-plane", rec.add)
	if err != nil || o.Status != "CREATE_COMPLETE" || o.Op != OpCreate {
		t.Fatalf("%v %+v", err, o)
	}
	if len(o.Resources) != 12 {
		t.Errorf("watch saw %d resources of the operation", len(o.Resources))
	}
}

func names(vs []ValueChange) string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Name)
	}
	return strings.Join(out, ",")
}

func resourceOf(o Outcome, logical string) ResourceEvent {
	for _, r := range o.Resources {
		if r.LogicalID == logical {
			return r
		}
	}
	return ResourceEvent{}
}

func changeOf(p Preview, logical string) ResourceChange {
	for _, c := range p.Changes {
		if c.LogicalID == logical {
			return c
		}
	}
	return ResourceChange{}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
