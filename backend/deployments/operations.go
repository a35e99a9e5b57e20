package deployments

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"transferhub/cloud/deploy"
)

// Operation is a deploy, upgrade or removal under way (or just ended) as the page
// follows it: N of M resources, each resource's status and reason, the elapsed time,
// the first failure pinned.
type Operation struct {
	ID string `json:"id"`
	// Kind: deploy, delete-failed (a creation that rolled back, deleted to retry) or
	// remove.
	Kind string `json:"kind"`
	Place
	Stack   string    `json:"stack"`
	Started time.Time `json:"started"`
	// Progress is the newest report.
	Progress *deploy.Progress `json:"progress,omitempty"`
	// Resources are each resource's latest status, in the order first seen.
	Resources []deploy.ResourceEvent `json:"resources"`
	Uploads   []string               `json:"uploads,omitempty"`
	Done      bool                   `json:"done"`
	Succeeded bool                   `json:"succeeded"`
	Error     string                 `json:"error,omitempty"`
	// FirstFailure is the operation's first real failure (cancellations skipped).
	FirstFailure *deploy.Failure `json:"firstFailure,omitempty"`
	// DeleteAndRetry: a creation that rolled back; delete it (DeleteFailed) and deploy
	// again.
	DeleteAndRetry bool `json:"deleteAndRetry,omitempty"`
	// Removed says what a removal deleted and what it kept.
	Removed *deploy.DeleteResult `json:"removed,omitempty"`
}

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
	op := &Operation{Kind: OpDeploy, Place: p.place}
	if p.cp != nil {
		op.Stack = p.cp.Stack
	} else {
		op.Stack, op.Uploads = p.task.Stack, p.task.Uploaded
	}
	return s.launch(op, func(ctx context.Context, progress func(deploy.Progress)) (deploy.Outcome, error) {
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
	op := &Operation{Kind: OpDeleteFailed, Place: Place{ProfileID: profileID, Region: acct.Region}, Stack: name}
	return s.launch(op, func(ctx context.Context, progress func(deploy.Progress)) (deploy.Outcome, error) {
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
	op := &Operation{Kind: OpRemove, Place: Place{ProfileID: req.ProfileID, Region: acct.Region}, Stack: name}
	dr := deploy.DeleteRequest{ControlPlane: req.ControlPlane, TaskID: req.TaskID, KeepData: req.KeepData}
	return s.launch(op, func(ctx context.Context, progress func(deploy.Progress)) (deploy.Outcome, error) {
		var res deploy.DeleteResult
		var err error
		if req.TaskID != "" {
			res, err = d.DeleteTask(ctx, dr, progress)
		} else {
			res, err = d.DeleteControlPlane(ctx, dr, progress)
		}
		s.mu.Lock()
		op.Removed = &res
		s.mu.Unlock()
		return res.Outcome, err
	}), nil
}

// launch starts an operation in the background.
func (s *Service) launch(op *Operation, run func(context.Context, func(deploy.Progress)) (deploy.Outcome, error)) Operation {
	op.Started = s.now()
	op.ID = fmt.Sprintf("op-%d", op.Started.UnixNano())
	op.Resources = []deploy.ResourceEvent{}
	s.mu.Lock()
	s.ops[op.ID] = op
	s.mu.Unlock()
	s.send(op)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		o, err := run(s.base, func(p deploy.Progress) {
			s.mu.Lock()
			pc := p
			op.Progress = &pc
			if e := p.Resource; e != nil {
				i := slices.IndexFunc(op.Resources, func(x deploy.ResourceEvent) bool { return x.LogicalID == e.LogicalID })
				if i < 0 {
					op.Resources = append(op.Resources, *e)
				} else {
					op.Resources[i] = *e
				}
			}
			if p.FirstFailure != nil {
				op.FirstFailure = p.FirstFailure
			}
			s.mu.Unlock()
			s.send(op)
		})
		s.mu.Lock()
		op.Done, op.Succeeded = true, err == nil
		if o.FirstFailure != nil {
			op.FirstFailure = o.FirstFailure
		}
		if err != nil {
			op.Error = err.Error()
			op.DeleteAndRetry = errors.Is(err, deploy.ErrRolledBack) || o.DeleteAndRetry
			if errors.Is(err, context.Canceled) {
				op.Error = "the app stopped following it; it goes on in CloudFormation (the page shows its state when the app opens again)"
			}
		}
		s.mu.Unlock()
		s.send(op)
		s.log.Info("deployment operation ended", "kind", op.Kind, "stack", op.Stack, "ok", err == nil, "err", errString(err))
	}()
	return s.snapshot(op)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func (s *Service) snapshot(op *Operation) Operation {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := *op
	c.Resources = append([]deploy.ResourceEvent{}, op.Resources...)
	return c
}

func (s *Service) send(op *Operation) {
	c := s.snapshot(op)
	s.mu.Lock()
	emit := s.emit
	s.mu.Unlock()
	emit(EventOperation, c)
}

// Operations lists the operations of this session, newest first (a page opened while
// one goes on finds it here).
func (s *Service) Operations() []Operation {
	s.mu.Lock()
	ops := make([]*Operation, 0, len(s.ops))
	for _, op := range s.ops {
		ops = append(ops, op)
	}
	s.mu.Unlock()
	out := make([]Operation, 0, len(ops))
	for _, op := range ops {
		out = append(out, s.snapshot(op))
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
	return s.snapshot(op), nil
}

func (s *Service) operationsAt(p Place) []Operation {
	out := []Operation{}
	for _, op := range s.Operations() {
		if op.Place == p && !op.Done {
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
