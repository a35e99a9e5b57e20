package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
)

// Scale-in as the group's terminate hook plays it on AWS: the instance waits in
// Terminating:Wait, its metadata service says target-lifecycle-state Terminated, the
// worker stops by itself and completes the lifecycle action (CONTINUE), and the
// instance goes. The emulator removes the instance at once and keeps completions only
// (build/testenv/moto_server.py), so the harness holds the instance's worker meanwhile.

// lifecycleAction is one CompleteLifecycleAction the emulator received.
type lifecycleAction struct {
	Group, Hook, Instance, Result string
}

// retire stops the worker of an instance that left the group. A worker told its
// terminate hook gets the hook's wait (the unit's stop timeout, which the template sets
// to the hook's HeartbeatTimeout) to stop and complete the action; one that does not is
// a problem, and is then stopped as EC2 would on the hook's timeout (shutdown: SIGTERM).
func (t *s3Task) retire(ctx context.Context, w *worker, group string, wait time.Duration) {
	defer func() { _ = w.imds.Close() }()
	if w.hook == "" {
		w.proc.Stop(wait)
		return
	}
	w.imds.SetLifecycleState("Terminated")
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-w.proc.Done():
	case <-timer.C:
		t.h.problem(fmt.Errorf("stack %s: the worker on %s did not stop within the terminate hook's %s after its instance was terminated (log %s)",
			t.d.name, w.instance, wait, w.proc.LogFile))
		w.proc.Stop(wait)
		return
	case <-ctx.Done():
		w.proc.Stop(wait)
		return
	}
	acts, err := t.h.lifecycleActions(context.WithoutCancel(ctx))
	if err != nil {
		t.h.problem(fmt.Errorf("stack %s: read the lifecycle actions: %w", t.d.name, err))
		return
	}
	for _, a := range acts {
		if a.Instance == w.instance && a.Group == group && a.Hook == w.hook && a.Result == "CONTINUE" {
			t.mu.Lock()
			t.completed = append(t.completed, w.instance)
			t.mu.Unlock()
			return
		}
	}
	if t.h.stackGoing(context.WithoutCancel(ctx), t.d.name) {
		// The emulator deletes the group at once (AWS waits for its instances), so a
		// worker of a stack being deleted may find no group to complete the action in.
		t.h.log.Info("a worker of a deleted stack did not complete the lifecycle action", "stack", t.d.name, "instance", w.instance)
		return
	}
	t.h.problem(fmt.Errorf("stack %s: the worker on %s stopped (status %d) without completing lifecycle hook %s of group %s (log %s)",
		t.d.name, w.instance, w.proc.ExitCode(), w.hook, group, w.proc.LogFile))
}

// lifecycleActions lists the lifecycle actions completed in the emulator.
func (h *Harness) lifecycleActions(ctx context.Context) ([]lifecycleAction, error) {
	resp, b, err := send(ctx, http.MethodGet, h.emulatorURL("/_thub/autoscaling/lifecycle-actions"), nil)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s (an emulator without build/testenv/moto_server.py's lifecycle actions?)", resp.Status, b)
	}
	var out []lifecycleAction
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("the lifecycle actions are not JSON: %w", err)
	}
	return out, nil
}

// envValue is the environment file's value of name ("" when unset).
func (u *userData) envValue(name string) string {
	for _, l := range u.env {
		if k, v, ok := strings.Cut(l, "="); ok && k == name {
			return v
		}
	}
	return ""
}

// stackGoing: the stack is being deleted or is gone (its resources may be missing
// before the harness sees it go).
func (h *Harness) stackGoing(ctx context.Context, name string) bool {
	out, err := h.cf.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil {
		return strings.Contains(err.Error(), "does not exist")
	}
	return len(out.Stacks) == 0 || strings.HasPrefix(string(out.Stacks[0].StackStatus), "DELETE_")
}
