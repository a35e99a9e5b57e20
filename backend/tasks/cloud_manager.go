package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"transferhub/cloud/deploy"
	"transferhub/cloud/spec"
	"transferhub/cloud/state"
)

// ErrNotCloud: the action is for cloud tasks.
var ErrNotCloud = errors.New("this is not a cloud task")

// cloudEntry returns a cloud task's entry, record and what its runner gets of it.
func (m *Manager) cloudEntry(ctx context.Context, id string) (*entry, state.Task, Task, error) {
	if m.cloud == nil {
		return nil, state.Task{}, Task{}, errors.New("this app cannot run cloud tasks")
	}
	e, err := m.folder.get(id)
	if err != nil {
		return nil, state.Task{}, Task{}, err
	}
	t, err := e.record(ctx)
	if err != nil {
		return nil, t, Task{}, err
	}
	if t.Engine != state.EngineCloud {
		return nil, t, Task{}, fmt.Errorf("%w: %q runs on this computer", ErrNotCloud, t.Name)
	}
	return e, t, e.task(t), nil
}

// Refresh reads a cloud task's figures from its stack (the monitor asks, at the rate
// it chooses, with limit calls a minute at most); a local task has nothing to read.
func (m *Manager) Refresh(ctx context.Context, id string, parts Parts, limit int) error {
	_, _, t, err := m.cloudEntry(ctx, id)
	if errors.Is(err, ErrNotCloud) {
		return nil
	}
	if err != nil {
		return err
	}
	return m.cloud.Refresh(ctx, t, parts, limit)
}

// Panels returns a cloud task's queue, fleet, log lines and stack events as last read.
func (m *Manager) Panels(ctx context.Context, id string) (CloudPanels, error) {
	if _, _, _, err := m.cloudEntry(ctx, id); err != nil {
		return CloudPanels{}, err
	}
	return m.cloud.Panels(id), nil
}

// PreviewCreate validates a new cloud task and previews its deploy: the control plane
// when its account and Region have none, else the task's stack. Nothing is stored.
func (m *Manager) PreviewCreate(ctx context.Context, req CreateRequest) (PreviewCreate, error) {
	if m.cloud == nil {
		return PreviewCreate{}, errors.New("this app cannot run cloud tasks")
	}
	d := req.Definition.normalized()
	if d.Cloud == nil {
		return PreviewCreate{}, ErrNotCloud
	}
	name := strings.TrimSpace(req.Name)
	if err := Validate(ctx, name, d, m.profileLookup(), m.folder.names(ctx, "")); err != nil {
		return PreviewCreate{}, err
	}
	return m.cloud.Preview(ctx, newTaskID(d), name, d)
}

// Redeploy deploys a cloud task whose creation failed again (a stack that rolled back
// is deleted first).
func (m *Manager) Redeploy(ctx context.Context, id string, controlPlane bool) error {
	_, t, rt, err := m.cloudEntry(ctx, id)
	if err != nil {
		return err
	}
	if t.StackID != "" && t.Status != state.TaskFailed {
		return fmt.Errorf("%w: %q is deployed; edit it to change its stack", ErrBusy, t.Name)
	}
	return m.cloud.Deploy(ctx, rt, DeployOptions{ControlPlane: controlPlane})
}

// PlanEdit validates a cloud task's new definition and makes its stack's change set;
// the plan's preview says what changes. ApplyEdit executes it, DiscardEdit drops it.
func (m *Manager) PlanEdit(ctx context.Context, id string, d Definition) (*EditPlan, error) {
	_, t, rt, err := m.cloudEntry(ctx, id)
	if err != nil {
		return nil, err
	}
	d = d.normalized()
	if err := Validate(ctx, t.Name, d, m.profileLookup(), m.folder.names(ctx, id)); err != nil {
		return nil, err
	}
	ep, err := m.cloud.PlanEdit(ctx, rt, d)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.edits[ep.ID] = ep
	m.mu.Unlock()
	return ep, nil
}

// takeEdit removes a previewed edit and returns it (nil when it is gone): an edit is
// applied or discarded once.
func (m *Manager) takeEdit(planID string) *EditPlan {
	m.mu.Lock()
	defer m.mu.Unlock()
	ep := m.edits[planID]
	delete(m.edits, planID)
	return ep
}

// ApplyEdit executes a previewed edit; the task's operation shows its progress.
func (m *Manager) ApplyEdit(ctx context.Context, planID string) error {
	m.mu.Lock()
	ep := m.edits[planID]
	m.mu.Unlock()
	if ep == nil {
		return fmt.Errorf("%w: the edit's preview is gone (applied, discarded or the app restarted); edit again", ErrNotFound)
	}
	if !ep.NoChanges {
		// Refused (a run under way, another operation): the preview stays, to apply
		// later or discard.
		if err := m.cloud.Apply(ctx, ep); err != nil {
			return err
		}
	}
	m.takeEdit(planID)
	return nil
}

// DiscardEdit drops a previewed edit.
func (m *Manager) DiscardEdit(ctx context.Context, planID string) error {
	ep := m.takeEdit(planID)
	if ep == nil {
		return nil
	}
	return m.cloud.Discard(ctx, ep)
}

// MoveRequest moves a local task to the cloud.
type MoveRequest struct {
	TaskID string       `json:"taskId"`
	Cloud  CloudOptions `json:"cloud"`
	// DeployControlPlane: deploy the control plane first when there is none.
	DeployControlPlane bool `json:"deployControlPlane"`
	// Start the first cloud run once the stack is up.
	Start bool `json:"start"`
}

// MoveToCloud makes a local task a cloud task with the same definition (the same
// name; its local file goes). The cloud run lists the source and the destination as
// the local runs did and compares them by the same rules, so what they copied is
// skipped.
func (m *Manager) MoveToCloud(ctx context.Context, req MoveRequest) (View, error) {
	e, t, d, err := m.moving(ctx, req)
	if err != nil {
		return View{}, err
	}
	lg := e.log.Logger(slog.LevelInfo, m.log, e.id)
	v, err := m.create(ctx, t.Name, d, req.Start, req.DeployControlPlane)
	if err != nil {
		return View{}, err
	}
	lg.Info("moved to AWS: the cloud task " + v.ID + " takes over")
	if err := m.DeleteWith(ctx, e.id, DeleteOptions{}); err != nil {
		m.log.Warn("remove the moved local task", "task", e.id, "err", err)
	}
	return m.Get(ctx, v.ID)
}

// PreviewMove previews what moving a local task to AWS deploys, as creating a cloud
// task does (PreviewCreate): the control plane when its account and Region have none,
// else the task's stack. Nothing is stored and the local task stays.
func (m *Manager) PreviewMove(ctx context.Context, req MoveRequest) (PreviewCreate, error) {
	_, t, d, err := m.moving(ctx, req)
	if err != nil {
		return PreviewCreate{}, err
	}
	return m.cloud.Preview(ctx, newTaskID(d), t.Name, d)
}

// moving checks that a local task can move to AWS and returns its entry, record and
// definition as a cloud task (validated; its own name is not taken by itself).
func (m *Manager) moving(ctx context.Context, req MoveRequest) (*entry, state.Task, Definition, error) {
	if m.cloud == nil {
		return nil, state.Task{}, Definition{}, errors.New("this app cannot run cloud tasks")
	}
	e, err := m.folder.get(req.TaskID)
	if err != nil {
		return nil, state.Task{}, Definition{}, err
	}
	t, err := e.record(ctx)
	if err != nil {
		return nil, t, Definition{}, err
	}
	if t.Engine == state.EngineCloud {
		return nil, t, Definition{}, fmt.Errorf("%w: %q runs in the cloud already", ErrBusy, t.Name)
	}
	if m.active(e.id) || t.Status == state.TaskRunning || t.Status == state.TaskStopping {
		return nil, t, Definition{}, fmt.Errorf("%w: %q is running; stop it first", ErrBusy, t.Name)
	}
	d, err := DecodeDefinition(t.Definition)
	if err != nil {
		return nil, t, Definition{}, err
	}
	c := req.Cloud
	d.Cloud = &c
	d = d.normalized()
	if err := Validate(ctx, t.Name, d, m.profileLookup(), m.folder.names(ctx, e.id)); err != nil {
		return nil, t, Definition{}, err
	}
	return e, t, d, nil
}

// Found is a cloud task in a control plane's registry, and where.
type Found struct {
	Placement
	Record deploy.TaskRecord `json:"record"`
}

// Discover lists the cloud tasks of the control planes at places (accounts and
// Regions of the app's profiles) and adds those this app does not know yet (made on
// another computer, or with thub deploy) beside the local tasks. It returns how many
// were added; a place that cannot be read is reported and the others still looked at.
func (m *Manager) Discover(ctx context.Context, places []Placement) (int, error) {
	if m.cloud == nil {
		return 0, nil
	}
	found, err := m.cloud.Discover(ctx, places)
	added := 0
	for _, f := range found {
		if _, gerr := m.folder.get(f.Record.TaskID); gerr == nil {
			continue
		}
		if aerr := m.adopt(ctx, f); aerr != nil {
			err = errors.Join(err, aerr)
			continue
		}
		added++
	}
	return added, err
}

// adopt adds a cloud task found in a registry: its definition as the registry keeps it
// (the desktop's, or the spec thub deployed), run in the account where it was found.
func (m *Manager) adopt(ctx context.Context, f Found) error {
	rec := f.Record
	raw := json.RawMessage(rec.Definition)
	if len(raw) == 0 {
		return fmt.Errorf("cloud task %s in %s keeps no definition", rec.TaskID, f.Region)
	}
	d, err := DecodeDefinition(raw)
	if err != nil {
		return fmt.Errorf("cloud task %s: %w", rec.TaskID, err)
	}
	c := CloudOptions{ProfileID: f.ProfileID, Region: f.Region, ControlPlane: f.ControlPlane}
	if d.Cloud != nil {
		c.AlarmEmail, c.MaxWorkers, c.InstanceTypes, c.Spot, c.MaxCopiers = d.Cloud.AlarmEmail, d.Cloud.MaxWorkers, d.Cloud.InstanceTypes, d.Cloud.Spot, d.Cloud.MaxCopiers
	} else if o := rec.Options; o != nil {
		c.AlarmEmail, c.MaxWorkers, c.InstanceTypes, c.Spot = o.AlarmEmail, o.S3.Fleet.MaxWorkers, o.S3.Fleet.InstanceTypes, o.S3.Fleet.Spot
		c.MaxCopiers = o.Image.Run.MaxConcurrency
	}
	if d.Schedule.Kind == ScheduleNone {
		d.Schedule = spec.ParseSchedule(rec.Env["THUB_SCHEDULE"])
	}
	d.Cloud = &c
	enc, err := d.Encode()
	if err != nil {
		return err
	}
	name := rec.Name
	if name == "" {
		name = rec.TaskID
	}
	for _, n := range m.folder.names(ctx, "") {
		if strings.EqualFold(n, name) {
			name += " (" + f.Region + ")"
			break
		}
	}
	created := rec.Created
	if created.IsZero() {
		created = m.now().UTC()
	}
	e, err := m.folder.create(ctx, state.Task{ID: rec.TaskID, Type: d.Type(), Name: name, Engine: state.EngineCloud, Definition: enc,
		Status: state.TaskIdle, StackID: rec.Stack, CreatedAt: created, UpdatedAt: m.now().UTC()})
	if err != nil {
		return err
	}
	e.log.Logger(slog.LevelInfo, m.log, e.id).Info("cloud task found in the control plane's registry", "account_profile", f.ProfileID,
		"region", f.Region, "control_plane", f.ControlPlane, "deployed_by", rec.Version)
	m.observer.TaskChanged(e.id)
	return nil
}

// placements are the accounts and Regions of this app's cloud tasks.
func (m *Manager) Placements(ctx context.Context) []Placement {
	seen := map[Placement]bool{}
	var out []Placement
	for _, t := range m.folder.tasks(ctx, "") {
		if t.Engine != state.EngineCloud {
			continue
		}
		d, err := DecodeDefinition(t.Definition)
		if err != nil || d.Cloud == nil {
			continue
		}
		region := d.Cloud.Region
		if region == "" && m.creds != nil {
			if p, err := m.creds.Get(ctx, d.Cloud.ProfileID); err == nil {
				region = p.Region
			}
		}
		p := d.Cloud.placement(region)
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// Discover lists the DEPLOYED tasks of the registries at places.
func (r *CloudRunner) Discover(ctx context.Context, places []Placement) ([]Found, error) {
	var out []Found
	var errs []error
	for _, p := range places {
		if p.ControlPlane == "" {
			p.ControlPlane = deploy.DefaultControlPlane
		}
		acct, err := r.account(ctx, p)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p.Region, err))
			continue
		}
		cp, err := acct.Deployer.ControlPlane(ctx, p.ControlPlane)
		if errors.Is(err, deploy.ErrNoControlPlane) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p.Region, err))
			continue
		}
		recs, err := acct.Deployer.Registry(cp.TasksTable).List(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p.Region, err))
			continue
		}
		for _, rec := range recs {
			if rec.State == deploy.RecordDeployed {
				out = append(out, Found{Placement: p, Record: rec})
			}
		}
	}
	return out, errors.Join(errs...)
}

// Operation returns the operation on a cloud task's stack (for a page opened while a
// deploy goes on).
func (m *Manager) Operation(ctx context.Context, id string) (*Operation, error) {
	if _, _, _, err := m.cloudEntry(ctx, id); err != nil {
		return nil, err
	}
	return m.cloud.Remote(id).Operation, nil
}
