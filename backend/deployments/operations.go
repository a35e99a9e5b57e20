package deployments

import (
	"context"
	"fmt"
	"slices"
	"time"

	"transferhub/backend/stackop"
	"transferhub/cloud/deploy"
)

// Operation is a deploy, upgrade or removal under way (or just ended) as the page
// follows it (the same as a cloud task's page follows its stack's).
type Operation = stackop.Operation

// Operation kinds.
const (
	OpDeploy       = "deploy"
	OpDeleteFailed = "delete-failed"
	OpRemove       = "remove"
)

// Execute runs a previewed change set in the background and returns its operation;
// its progress is pushed as EventOperation.
func (s *Service) Execute(ctx context.Context, planID string) (Operation, error) {
	p, err := s.take(planID)
	if err != nil {
		return Operation{}, err
	}
	acct, err := s.access.Account(ctx, p.place.ProfileID, p.place.Region)
	if err != nil {
		return Operation{}, err
	}
	op := Operation{Kind: OpDeploy, ProfileID: p.place.ProfileID, Region: p.place.Region}
	if p.cp != nil {
		op.Stack = p.cp.Stack
	} else {
		op.Stack, op.Uploads = p.task.Stack, p.task.Uploaded
	}
	return s.launch(op, func(ctx context.Context, _ *stackop.Tracker, progress func(deploy.Progress)) (deploy.Outcome, error) {
		if p.cp != nil {
			return acct.Deployer.Execute(ctx, p.cp, progress)
		}
		to, err := acct.Deployer.ExecuteTask(ctx, p.task, progress)
		return to.Outcome, err
	}), nil
}

// DeleteFailed deletes a stack whose creation failed (ROLLBACK_COMPLETE, or a failed
// delete) so that it can be deployed again: a control plane (taskID "") or a task's
// stack. A task's empty table goes with it; nothing else is touched.
func (s *Service) DeleteFailed(ctx context.Context, profileID, region, controlPlane, taskID string) (Operation, error) {
	acct, err := s.access.Account(ctx, profileID, region)
	if err != nil {
		return Operation{}, err
	}
	d := acct.Deployer
	name := deploy.ControlPlaneStackName(controlPlane)
	if taskID != "" {
		name = deploy.TaskStackName(controlPlane, taskID)
	}
	deps, err := d.List(ctx)
	if err != nil {
		return Operation{}, err
	}
	i := slices.IndexFunc(deps, func(x deploy.Deployment) bool { return x.Stack == name })
	if i < 0 || !deps[i].DeleteAndRetry {
		return Operation{}, fmt.Errorf("stack %s did not fail to be created: remove it instead", name)
	}
	op := Operation{Kind: OpDeleteFailed, ProfileID: profileID, Region: acct.Region, Stack: name}
	return s.launch(op, func(ctx context.Context, _ *stackop.Tracker, progress func(deploy.Progress)) (deploy.Outcome, error) {
		if taskID != "" {
			res, err := d.DeleteTask(ctx, deploy.DeleteRequest{ControlPlane: controlPlane, TaskID: taskID}, progress)
			return res.Outcome, err
		}
		return d.DeleteStack(ctx, name, progress)
	}), nil
}

// RemoveRequest removes a control plane (TaskID "") or a task's stack.
type RemoveRequest struct {
	ProfileID    string `json:"profileId"`
	Region       string `json:"region"`
	ControlPlane string `json:"controlPlane"`
	TaskID       string `json:"taskId,omitempty"`
	// KeepData keeps a task's table (its records and report), or a control plane's
	// tasks table, the tables of deleted tasks and its key; deploying again adopts them.
	KeepData bool `json:"keepData"`
}

// RemovePreview says what a removal would delete and keep (nothing changes).
func (s *Service) RemovePreview(ctx context.Context, req RemoveRequest) (deploy.DeleteResult, error) {
	acct, err := s.access.Account(ctx, req.ProfileID, req.Region)
	if err != nil {
		return deploy.DeleteResult{}, err
	}
	dr := deploy.DeleteRequest{ControlPlane: req.ControlPlane, TaskID: req.TaskID, KeepData: req.KeepData, DryRun: true}
	if req.TaskID != "" {
		return acct.Deployer.DeleteTask(ctx, dr, nil)
	}
	return acct.Deployer.DeleteControlPlane(ctx, dr, nil)
}

// Remove deletes in the background what RemovePreview described. A cloud task of this
// app removed here leaves its page showing that its stack is gone.
func (s *Service) Remove(ctx context.Context, req RemoveRequest) (Operation, error) {
	acct, err := s.access.Account(ctx, req.ProfileID, req.Region)
	if err != nil {
		return Operation{}, err
	}
	d := acct.Deployer
	name := deploy.ControlPlaneStackName(req.ControlPlane)
	if req.TaskID != "" {
		name = deploy.TaskStackName(req.ControlPlane, req.TaskID)
	}
	op := Operation{Kind: OpRemove, ProfileID: req.ProfileID, Region: acct.Region, Stack: name}
	dr := deploy.DeleteRequest{ControlPlane: req.ControlPlane, TaskID: req.TaskID, KeepData: req.KeepData}
	return s.launch(op, func(ctx context.Context, tr *stackop.Tracker, progress func(deploy.Progress)) (deploy.Outcome, error) {
		var res deploy.DeleteResult
		var err error
		if req.TaskID != "" {
			res, err = d.DeleteTask(ctx, dr, progress)
		} else {
			res, err = d.DeleteControlPlane(ctx, dr, progress)
		}
		tr.Update(func(op *Operation) { op.Removed = &res })
		return res.Outcome, err
	}), nil
}

// launch starts an operation in the background; its tracker pushes each move as
// EventOperation.
func (s *Service) launch(op Operation, run func(context.Context, *stackop.Tracker, func(deploy.Progress)) (deploy.Outcome, error)) Operation {
	tr := stackop.Start(op, s.now, func(o Operation) {
		s.mu.Lock()
		emit := s.emit
		s.mu.Unlock()
		emit(EventOperation, o)
	})
	first := tr.Snapshot()
	s.mu.Lock()
	s.ops[first.ID] = tr
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_, err := tr.Follow(func(progress func(deploy.Progress)) (deploy.Outcome, error) { return run(s.base, tr, progress) })
		s.log.Info("deployment operation ended", "kind", first.Kind, "stack", first.Stack, "ok", err == nil, "err", errString(err))
	}()
	return first
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Operations lists the operations of this session, newest first (a page opened while
// one goes on finds it here).
func (s *Service) Operations() []Operation {
	s.mu.Lock()
	ops := make([]*stackop.Tracker, 0, len(s.ops))
	for _, op := range s.ops {
		ops = append(ops, op)
	}
	s.mu.Unlock()
	out := make([]Operation, 0, len(ops))
	for _, op := range ops {
		out = append(out, op.Snapshot())
	}
	slices.SortFunc(out, func(a, b Operation) int { return b.Started.Compare(a.Started) })
	return out
}

// Operation returns one operation.
func (s *Service) Operation(id string) (Operation, error) {
	s.mu.Lock()
	op := s.ops[id]
	s.mu.Unlock()
	if op == nil {
		return Operation{}, fmt.Errorf("no operation %s", id)
	}
	return op.Snapshot(), nil
}

func (s *Service) operationsAt(p Place) []Operation {
	out := []Operation{}
	for _, op := range s.Operations() {
		if (Place{ProfileID: op.ProfileID, Region: op.Region}) == p && !op.Done {
			out = append(out, op)
		}
	}
	return out
}

// Wait waits for an operation to end (tests, and callers that need its outcome).
func (s *Service) Wait(ctx context.Context, id string) (Operation, error) {
	for {
		op, err := s.Operation(id)
		if err != nil || op.Done {
			return op, err
		}
		select {
		case <-ctx.Done():
			return op, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
