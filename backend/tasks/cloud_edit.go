package tasks

// A cloud task's edit: a stack update previewed (a dry run), then planned for real and
// executed; an edit of its sides also retires the fleet and closes the current run.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"

	"transferhub/cloud/deploy"
	"transferhub/cloud/stack"
	"transferhub/cloud/state"
	"transferhub/cloud/taskrun"
)

// EditPlan is a cloud task's stack update, previewed: what the new definition changes.
type EditPlan struct {
	ID      string         `json:"id"`
	TaskID  string         `json:"taskId"`
	Preview deploy.Preview `json:"preview"`
	Notes   []string       `json:"notes,omitempty"`
	// NoChanges: the stack already is what the definition says.
	NoChanges bool `json:"noChanges"`
	// SidesChanged: the source or the destination changes. The task's records describe
	// the old sides, so the update closes the task's current run: the next run starts
	// with none (nothing is skipped for what was copied elsewhere) and a stopped run
	// cannot be resumed.
	SidesChanged bool `json:"sidesChanged"`

	req  deploy.TaskRequest
	def  json.RawMessage
	name string
	t    Task
	p    Placement
}

// sidesChanged reports whether an edit changes where a task copies from or to: any
// field of a side, its credential profile included (another profile may reach
// another account's bucket of the same name).
func sidesChanged(old, d Definition) bool {
	switch {
	case old.S3 != nil && d.S3 != nil:
		return !reflect.DeepEqual(old.S3.Source, d.S3.Source) || !reflect.DeepEqual(old.S3.Destination, d.S3.Destination)
	case old.Image != nil && d.Image != nil:
		return !reflect.DeepEqual(old.Image.Source, d.Image.Source) || !reflect.DeepEqual(old.Image.Destination, d.Image.Destination)
	}
	return true
}

// sideProfiles are the credential profiles of a definition's sides.
func sideProfiles(d Definition) map[deploy.Side]string {
	switch {
	case d.S3 != nil:
		return map[deploy.Side]string{deploy.Source: d.S3.Source.ProfileID, deploy.Destination: d.S3.Destination.ProfileID}
	case d.Image != nil:
		return map[deploy.Side]string{deploy.Source: d.Image.Source.ProfileID, deploy.Destination: d.Image.Destination.ProfileID}
	}
	return nil
}

// errRunActive refuses to change the sides of a task whose run is under way: its
// workers copy between the old sides, and its records would mix the two.
func errRunActive(name string) error {
	return fmt.Errorf("%w: %q has a run under way; stop it (or let it finish) before changing its source or destination", ErrBusy, name)
}

// runActive reads the task's record in its table: whether a run is under way.
func (r *CloudRunner) runActive(ctx context.Context, t Task, p Placement) (bool, error) {
	remote, err := r.remoteStore(ctx, t, p)
	if err != nil {
		return false, err
	}
	rec, err := remote.GetTask(ctx, t.ID)
	if errors.Is(err, state.ErrNotFound) {
		return false, nil // deployed, never run
	}
	if err != nil {
		return false, fmt.Errorf("read the task's run: %w", err)
	}
	return rec.Status == state.TaskRunning || rec.Status == state.TaskStopping, nil
}

// PlanEdit previews the stack update of a task for a new definition (same kind and
// account; its sides may change): a dry run, which stores nothing (no key leaves the
// keychain until the edit is applied). Apply plans it again for real and executes it.
func (r *CloudRunner) PlanEdit(ctx context.Context, t Task, d Definition) (*EditPlan, error) {
	if r.Busy(t.ID) {
		return nil, fmt.Errorf("%w: an operation on the stack of %q is under way", ErrBusy, t.Name)
	}
	rec, old, p, err := r.placementOf(ctx, t)
	if err != nil {
		return nil, err
	}
	if d.Cloud == nil || d.Type() != old.Type() {
		return nil, fmt.Errorf("an edit keeps the task's kind and runs it in the cloud; clone it for another")
	}
	if np := d.Cloud.placement(p.Region); np != p {
		return nil, fmt.Errorf("an edit keeps the task in its account and Region (%s, %s); move it by cloning", p.ProfileID, p.Region)
	}
	changed := sidesChanged(old, d)
	if changed {
		active, err := r.runActive(ctx, t, p)
		if err != nil {
			return nil, err
		}
		if active {
			return nil, errRunActive(t.Name)
		}
	}
	raw, err := d.Encode()
	if err != nil {
		return nil, err
	}
	rec.Definition = raw
	req, err := r.taskRequest(ctx, t, rec, d, p)
	if err != nil {
		return nil, err
	}
	// A side this app gave keys before and that needs none now (the task's own account,
	// a registry without login, anonymous) loses its secret. A side this app never gave
	// keys (a task deployed with thub) keeps the one its stack names.
	req.DropSecrets = map[deploy.Side]bool{}
	before, now := sideProfiles(old), sideProfiles(d)
	for side, was := range before {
		if _, keys := req.Credentials[side]; !keys && (was != "" || now[side] != "") {
			req.DropSecrets[side] = true
		}
	}
	acct, err := r.account(ctx, p)
	if err != nil {
		return nil, err
	}
	if err := r.access.CheckAgents(); err != nil {
		return nil, err
	}
	tp, err := acct.Deployer.PlanTask(ctx, req, true)
	if err != nil {
		return nil, err
	}
	return &EditPlan{ID: randomHex(6), TaskID: t.ID, Preview: tp.Preview, Notes: tp.Notes, NoChanges: tp.NoChanges, SidesChanged: changed,
		req: req, def: raw, name: rec.Name, t: t, p: p}, nil
}

// Apply executes an edit in the background (the task's operation shows it): the
// stack's plan is made again, this time storing the sides' keys in Secrets Manager,
// and executed; the task's definition changes once the stack is updated. An edit of the
// sides is refused while a run is under way, and closes the current run once done.
func (r *CloudRunner) Apply(ctx context.Context, ep *EditPlan) error {
	if ep.SidesChanged {
		active, err := r.runActive(ctx, ep.t, ep.p)
		if err != nil {
			return err
		}
		if active {
			return errRunActive(ep.name)
		}
	}
	ok := r.background(ep.TaskID, func(ctx context.Context) {
		stackName := deploy.TaskStackName(ep.p.ControlPlane, ep.TaskID)
		op := r.startOp(ep.TaskID, OpUpdate, stackName, ep.p)
		logger := ep.t.Log.Logger(slog.LevelInfo, r.log, ep.TaskID)
		acct, err := r.account(ctx, ep.p)
		var to deploy.TaskOutcome
		if err == nil {
			_, err = op.Follow(func(func(deploy.Progress)) (deploy.Outcome, error) {
				release, err := r.retireWorkers(ctx, ep, acct.Deployer, logger)
				if err != nil {
					return deploy.Outcome{}, err
				}
				defer release()
				tp, err := acct.Deployer.PlanTask(ctx, ep.req, false)
				if err != nil {
					return deploy.Outcome{}, err
				}
				op.Planned(tp.Stack, tp.Op, len(tp.Preview.Changes), tp.Uploaded)
				to, err = acct.Deployer.ExecuteTask(ctx, tp, op.Progress)
				if err != nil {
					return to.Outcome, err
				}
				return to.Outcome, r.edited(ctx, ep, acct.Deployer, logger)
			})
		} else {
			op.End(to.Outcome, err)
		}
		if err != nil {
			logger.Error("the stack's update failed", "err", err.Error())
		}
	})
	if !ok {
		return fmt.Errorf("%w: an operation on the stack is under way", ErrBusy)
	}
	return nil
}

// retireWorkers: an S3 task whose sides change has its fleet scaled to zero during the
// update. Its running workers carry the old sides in their environment (a launch
// template's new version reaches new instances only) and would copy the next run's
// jobs to the old destination; new workers start from the new template. release lets
// the fleet grow again, unless the task was stopped (Resume does it then).
func (r *CloudRunner) retireWorkers(ctx context.Context, ep *EditPlan, dep *deploy.Deployer, logger *slog.Logger) (release func(), err error) {
	if !ep.SidesChanged || ep.req.Kind != stack.KindS3Task {
		return func() {}, nil
	}
	ts, err := r.stackOf(ctx, ep.t, ep.p, true)
	if err != nil {
		return nil, err
	}
	if err := dep.ScaleWorkers(ctx, ts, true); err != nil {
		return nil, fmt.Errorf("retire the workers of the old sides: %w", err)
	}
	logger.Info("the sides change: the workers of the old sides are retired")
	return func() {
		remote, err := r.remoteStore(ctx, ep.t, ep.p)
		var rec state.Task
		if err == nil {
			rec, err = remote.GetTask(ctx, ep.TaskID)
		}
		if err == nil && rec.Status == state.TaskStopped {
			return
		}
		ts, serr := r.stackOf(ctx, ep.t, ep.p, true)
		if serr == nil {
			serr = dep.ScaleWorkers(ctx, ts, false)
		}
		if serr != nil {
			logger.Warn("the fleet stays at zero workers; Stop then Resume lets it grow", "err", serr.Error())
		}
	}, nil
}

// edited records an applied edit: the new definition in the task's file and its
// table's record, the stack's new outputs, and, when the sides changed, a new empty run
// (counters zero, its finder done), which closes the run whose records describe the
// old sides: the next run is a new one (a run's workers skip what their own run's
// records say is copied, and Resume and Retry failed reopen the current run).
func (r *CloudRunner) edited(ctx context.Context, ep *EditPlan, dep *deploy.Deployer, logger *slog.Logger) error {
	rec, err := ep.t.Store.GetTask(ctx, ep.TaskID)
	if err != nil {
		return err
	}
	rec.Definition, rec.UpdatedAt = ep.def, r.now().UTC()
	if err := ep.t.Store.PutTask(ctx, rec); err != nil {
		return fmt.Errorf("record the new definition: %w", err)
	}
	if ts, err := dep.TaskStack(ctx, ep.p.ControlPlane, ep.TaskID); err == nil {
		r.keepStack(ctx, ep.t, ts)
	}
	logger.Info("the task's stack was updated to its new definition")
	remote, err := r.remoteStore(ctx, ep.t, ep.p)
	if err != nil {
		return err
	}
	cur, err := taskrun.Ensure(ctx, remote, state.Task{ID: ep.TaskID, Type: rec.Type, Name: rec.Name, Engine: state.EngineCloud, Definition: ep.def, Status: state.TaskIdle})
	if err != nil {
		return err
	}
	cur.Definition = ep.def
	if err := remote.PutTask(ctx, cur); err != nil {
		return fmt.Errorf("record the new definition in the task's table: %w", err)
	}
	if !ep.SidesChanged {
		return nil
	}
	was := cur.Status
	run, err := remote.StartRun(ctx, ep.TaskID)
	if errors.Is(err, state.ErrConflict) {
		// A run began during the update (a schedule): it is a new run already.
		logger.Warn("the sides changed, and a run began during the update: it keeps its records", "run", run.RunID)
		return nil
	}
	if err != nil {
		return fmt.Errorf("close the run of the old sides: %w", err)
	}
	to := state.TaskIdle
	if was == state.TaskStopped {
		to = state.TaskStopped // the fleet and schedule stay stopped until Resume
	}
	err = remote.FinishFinder(ctx, ep.TaskID, run.RunID)
	if err == nil {
		err = remote.FinishRun(ctx, ep.TaskID, run.RunID, []state.TaskStatus{state.TaskRunning}, to, "")
	}
	if err != nil && !errors.Is(err, state.ErrConflict) {
		return fmt.Errorf("close the run of the old sides: %w", err)
	}
	logger.Info("the source or destination changed: the records of run " + cur.RunID + " describe the old sides; the next run starts afresh")
	r.readRecord(ctx, ep.t, ep.p)
	return nil
}

// Discard drops an edit that will not be applied: its preview was a dry run, so
// nothing was stored.
func (r *CloudRunner) Discard(context.Context, *EditPlan) error { return nil }
