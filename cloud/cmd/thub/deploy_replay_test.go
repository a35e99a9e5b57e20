package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"transferhub/cloud/deploy"
	"transferhub/cloud/deploy/cfnfake"
)

// thub deploy against the replaying CloudFormation fake: what the emulator cannot
// produce (a failed creation with its cascade, its rollback, delete-and-retry), as a
// user sees it in a log.

func TestDeployCLIShowsAFailureAndDeletesAndRetries(t *testing.T) {
	f := cfnfake.New()
	t.Cleanup(f.Close)
	failed, err := cfnfake.Scenario("control-plane-create-failed")
	if err != nil {
		t.Fatal(err)
	}
	ok, err := cfnfake.Scenario("control-plane-create")
	if err != nil {
		t.Fatal(err)
	}
	f.Expect("thub-control-plane", failed)
	env := []string{"AWS_ENDPOINT_URL=" + f.URL, "AWS_REGION=" + cfnfake.Region, "AWS_ACCESS_KEY_ID=AKIDFAKE", "AWS_SECRET_ACCESS_KEY=fake",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_MAX_ATTEMPTS=1", "AWS_PROFILE="}
	args := []string{"deploy", "control-plane", "--vpc-id", "vpc-0a1b2c3d", "--subnet-ids", "subnet-0a1,subnet-0b2", "--no-preflight", "--poll", "1ms"}

	r := thub(t, env, args...)
	if r.code != 1 {
		t.Fatalf("a failed creation: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	// The failure is pinned once, as soon as it happens, and named again at the end;
	// the cancelled resources do not pass for it.
	if n := strings.Count(r.stderr, "First failure: AgentRepository (AWS::ECR::Repository) CREATE_FAILED"); n != 1 {
		t.Errorf("the pinned failure appears %d times in the progress:\n%s", n, r.stderr)
	}
	pinnedAt := strings.Index(r.stderr, "First failure")
	if rb := strings.Index(r.stderr, "ROLLBACK_IN_PROGRESS"); rb < 0 || pinnedAt > rb {
		t.Errorf("the failure should be pinned before the rollback starts:\n%s", r.stderr)
	}
	for _, want := range []string{"[0/7]", "failed to create: [AgentRepository", "CREATE_IN_PROGRESS", "DELETE_SKIPPED", "ROLLBACK_COMPLETE", "KMS key is pending deletion"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("progress lacks %q:\n%s", want, r.stderr)
		}
	}
	if !strings.Contains(r.stderr, "KeyAlias  Resource creation cancelled") {
		t.Errorf("each cancelled resource says so on its line:\n%s", r.stderr)
	}
	if !strings.Contains(r.stdout, "ROLLBACK_COMPLETE") || !strings.Contains(r.stdout, "First failure: AgentRepository") || !strings.Contains(r.stdout, "--delete-failed") {
		t.Errorf("the outcome:\n%s", r.stdout)
	}

	// Deploying again without --delete-failed says what to do.
	r = thub(t, env, args...)
	if r.code != 2 || !strings.Contains(r.stderr, "ROLLBACK_COMPLETE") || !strings.Contains(r.stderr, "delete it and deploy again") {
		t.Fatalf("plan on a rolled-back stack: exit %d\n%s", r.code, r.stderr)
	}

	// With --delete-failed: the stack goes, then is created again.
	f.Expect("thub-control-plane", ok)
	r = thub(t, env, append(args, "--delete-failed")...)
	if r.code != 0 || !strings.Contains(r.stdout, "Deleting the failed control plane") || !strings.Contains(r.stdout, "CREATE_COMPLETE") {
		t.Fatalf("delete and retry: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if f.StackStatus("thub-control-plane") != "CREATE_COMPLETE" {
		t.Errorf("the stack is %s", f.StackStatus("thub-control-plane"))
	}
	if n := f.Count("DeleteStack"); n != 1 {
		t.Errorf("%d DeleteStack calls", n)
	}
	if !strings.Contains(r.stderr, "[12/12]") {
		t.Errorf("the retried creation did not count to 12/12:\n%s", r.stderr)
	}
}

// TestProgressOnATerminal: the status line is redrawn in place, lines go above it, the
// failure is pinned once and the status line is gone at the end.
func TestProgressOnATerminal(t *testing.T) {
	var b bytes.Buffer
	v := newProgressView(&b, true)
	fail := &deploy.Failure{LogicalID: "Queue", Type: "AWS::SQS::Queue", Status: "CREATE_FAILED", Reason: "boom"}
	v.stack(deploy.Progress{Stack: "s", Total: 2, Elapsed: 3 * time.Second, InProgress: []string{"Queue"},
		Resource: &deploy.ResourceEvent{LogicalID: "Queue", Type: "AWS::SQS::Queue", Status: "CREATE_IN_PROGRESS"}})
	v.stack(deploy.Progress{Stack: "s", Total: 2, Elapsed: 4 * time.Second, FirstFailure: fail,
		Resource: &deploy.ResourceEvent{LogicalID: "Queue", Type: "AWS::SQS::Queue", Status: "CREATE_FAILED", Reason: "boom"}})
	v.stack(deploy.Progress{Stack: "s", Total: 2, Done: 1, Elapsed: 5 * time.Second, FirstFailure: fail, RollingBack: true, StackStatus: "ROLLBACK_IN_PROGRESS"})
	v.stack(deploy.Progress{Stack: "s", Total: 2, Done: 2, Elapsed: 65 * time.Second, FirstFailure: fail, StackStatus: "ROLLBACK_COMPLETE", Final: true})
	out := b.String()
	if strings.Count(out, "First failure") != 1 {
		t.Errorf("pinned %d times:\n%q", strings.Count(out, "First failure"), out)
	}
	if !strings.Contains(out, "\r\x1b[Ks 0/2 resources  0:03  in progress: Queue") || !strings.Contains(out, "rolling back") {
		t.Errorf("status line:\n%q", out)
	}
	if !strings.Contains(out, red+"CREATE_FAILED") || !strings.HasSuffix(out, "\r\x1b[K") {
		t.Errorf("colours or the final clear:\n%q", out)
	}
	if clock(65*time.Second) != "1:05" || clock(3725*time.Second) != "1:02:05" {
		t.Errorf("clock %s %s", clock(65*time.Second), clock(3725*time.Second))
	}
}
