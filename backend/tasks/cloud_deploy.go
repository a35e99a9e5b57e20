package tasks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"

	"transferhub/backend/credentials"
	"transferhub/backend/stackop"
	"transferhub/cloud/deploy"
	"transferhub/cloud/image"
	"transferhub/cloud/spec"
	"transferhub/cloud/stack"
	"transferhub/cloud/state"
	"transferhub/cloud/taskrun"
)

// Operation is a stack operation on a cloud task as the UI follows it: the control
// plane made along with the task, the task's stack created, updated or deleted (the
// same as the Deployments page follows its own).
type Operation = stackop.Operation

// Operation kinds.
const (
	OpControlPlane = "control-plane"
	OpCreate       = "create"
	OpUpdate       = "update"
	OpDelete       = "delete"
)

// DeployOptions say how a cloud task's stack is put in place.
type DeployOptions struct {
	// ControlPlane: deploy the control plane first when the account and Region have
	// none (the first cloud task there).
	ControlPlane bool
	// Start the first run once the stack is up.
	Start bool
}

// startOp starts following an operation on the task's stack: each move tells the
// observer (the monitor pushes the task's page).
func (r *CloudRunner) startOp(id, kind, stackName string, p Placement) *stackop.Tracker {
	tr := stackop.Start(Operation{Kind: kind, Stack: stackName, ProfileID: p.ProfileID, Region: p.Region}, r.now,
		func(Operation) { r.observer.TaskChanged(id) })
	ct := r.task(id)
	ct.mu.Lock()
	ct.op = tr
	ct.mu.Unlock()
	r.observer.TaskChanged(id)
	return tr
}

// Deploy implements Deployer: the task's stack is made (the control plane first when
// asked and missing) in the background; the task is DEPLOYING meanwhile, then IDLE
// (ready to run) or FAILED with why. Far-side keys go from the keychain into Secrets
// Manager. A creation that rolled back before is deleted and made again.
func (r *CloudRunner) Deploy(ctx context.Context, t Task, opt DeployOptions) error {
	if r.access != nil {
		if err := r.access.CheckAgents(); err != nil {
			return err
		}
	}
	if err := t.Store.SetTaskStatus(ctx, t.ID, []state.TaskStatus{state.TaskDraft, state.TaskFailed, state.TaskDeploying}, state.TaskDeploying, ""); err != nil {
		return fmt.Errorf("deploy %s: %w", t.ID, err)
	}
	if !r.background(t.ID, func(ctx context.Context) { r.create(ctx, t, opt) }) {
		return fmt.Errorf("%w: an operation on the stack of %q is under way", ErrBusy, t.Name)
	}
	return nil
}

// create is Deploy's background work.
func (r *CloudRunner) create(ctx context.Context, t Task, opt DeployOptions) {
	logger := t.Log.Logger(slog.LevelInfo, r.log, t.ID)
	fail := func(err error) {
		logger.Error("deploy failed", "err", err.Error())
		if err := t.Store.SetTaskStatus(context.WithoutCancel(ctx), t.ID, []state.TaskStatus{state.TaskDeploying}, state.TaskFailed, "deploy failed: "+err.Error()); err != nil {
			r.log.Warn("record the failed deploy", "task", t.ID, "err", err)
		}
	}
	rec, d, p, err := r.placementOf(ctx, t)
	if err != nil {
		fail(err)
		return
	}
	acct, err := r.account(ctx, p)
	if err != nil {
		fail(err)
		return
	}
	dep := acct.Deployer
	if _, err := dep.ControlPlane(ctx, p.ControlPlane); errors.Is(err, deploy.ErrNoControlPlane) && opt.ControlPlane {
		op := r.startOp(t.ID, OpControlPlane, deploy.ControlPlaneStackName(p.ControlPlane), p)
		logger.Info("deploying the control plane first", "stack", deploy.ControlPlaneStackName(p.ControlPlane))
		var net *stack.Network
		if n := d.Cloud.Network; n != nil {
			net = &stack.Network{VPCID: n.VPCID, SubnetIDs: n.SubnetIDs, PublicIP: !n.Private}
		}
		_, err := op.Follow(func(progress func(deploy.Progress)) (deploy.Outcome, error) {
			plan, err := dep.PlanControlPlane(ctx, deploy.ControlPlaneRequest{Name: p.ControlPlane, Network: net})
			if err != nil {
				return deploy.Outcome{}, err
			}
			op.Planned(plan.Stack, plan.Op, len(plan.Preview.Changes), nil)
			return dep.Execute(ctx, plan, progress)
		})
		if err != nil {
			fail(fmt.Errorf("the control plane: %w", err))
			return
		}
	} else if err != nil {
		fail(err)
		return
	}
	req, err := r.taskRequest(ctx, t, rec, d, p)
	if err != nil {
		fail(err)
		return
	}
	op := r.startOp(t.ID, OpCreate, deploy.TaskStackName(p.ControlPlane, t.ID), p)
	var to deploy.TaskOutcome
	_, err = op.Follow(func(func(deploy.Progress)) (deploy.Outcome, error) {
		to, err = r.deployTask(ctx, t, dep, req, op, true)
		return to.Outcome, err
	})
	if err != nil {
		fail(err)
		return
	}
	logger.Info("deployed", "stack", to.Stack, "table", to.Table)
	if err := r.deployed(ctx, t, rec, p); err != nil {
		fail(err)
		return
	}
	if opt.Start {
		if err := r.Run(ctx, t, ModeStart); err != nil {
			logger.Warn("the first run did not start", "err", err.Error())
		}
	}
}

// deployTask plans and executes a task's stack; a creation that rolled back before is
// deleted first when retry is set.
func (r *CloudRunner) deployTask(ctx context.Context, t Task, dep *deploy.Deployer, req deploy.TaskRequest, op *stackop.Tracker, retry bool) (deploy.TaskOutcome, error) {
	logger := t.Log.Logger(slog.LevelInfo, r.log, t.ID)
	tp, err := dep.PlanTask(ctx, req, false)
	if errors.Is(err, deploy.ErrRolledBack) && retry {
		logger.Info("the stack's last creation failed and rolled back: deleting it before deploying again")
		if _, err := dep.DeleteTask(ctx, deploy.DeleteRequest{ControlPlane: req.ControlPlane, TaskID: req.TaskID}, op.Progress); err != nil {
			return deploy.TaskOutcome{}, fmt.Errorf("delete the stack whose creation failed: %w", err)
		}
		tp, err = dep.PlanTask(ctx, req, false)
	}
	if err != nil {
		return deploy.TaskOutcome{}, err
	}
	op.Planned(tp.Stack, tp.Op, len(tp.Preview.Changes), tp.Uploaded)
	for _, n := range tp.Notes {
		logger.Info(n)
	}
	return dep.ExecuteTask(ctx, tp, op.Progress)
}

// deployed records a stack that is up: its outputs in the task's file, the task's
// record in its table (which its agents find: it keeps the desktop's name and
// definition), the task ready (IDLE).
func (r *CloudRunner) deployed(ctx context.Context, t Task, rec state.Task, p Placement) error {
	acct, err := r.account(ctx, p)
	if err != nil {
		return err
	}
	ts, err := acct.Deployer.TaskStack(ctx, p.ControlPlane, t.ID)
	if err != nil {
		return err
	}
	r.keepStack(ctx, t, ts)
	rec.StackID, rec.StackOutputs = ts.StackID, ts.Outputs
	if err := t.Store.PutTask(ctx, rec); err != nil {
		return fmt.Errorf("record the stack: %w", err)
	}
	remote, err := r.remoteStore(ctx, t, p)
	if err != nil {
		return err
	}
	if _, err := taskrun.Ensure(ctx, remote, state.Task{ID: t.ID, Type: rec.Type, Name: rec.Name, Engine: state.EngineCloud,
		Definition: rec.Definition, Status: state.TaskIdle}); err != nil {
		return err
	}
	err = t.Store.SetTaskStatus(ctx, t.ID, []state.TaskStatus{state.TaskDeploying, state.TaskFailed, state.TaskDraft}, state.TaskIdle, "")
	if err != nil && !errors.Is(err, state.ErrConflict) {
		return err
	}
	return nil
}

// watchDeploy follows a deploy the previous app started and records how it ended.
func (r *CloudRunner) watchDeploy(t Task) error {
	r.background(t.ID, func(ctx context.Context) {
		rec, _, p, err := r.placementOf(ctx, t)
		if err == nil {
			var acct = r.account
			a, aerr := acct(ctx, p)
			if aerr != nil {
				err = aerr
			} else {
				op := r.startOp(t.ID, OpCreate, deploy.TaskStackName(p.ControlPlane, t.ID), p)
				_, err = op.Follow(func(progress func(deploy.Progress)) (deploy.Outcome, error) {
					return a.Deployer.Watch(ctx, deploy.TaskStackName(p.ControlPlane, t.ID), progress)
				})
				if err == nil {
					err = r.deployed(ctx, t, rec, p)
				}
			}
		}
		if err != nil && ctx.Err() == nil {
			_ = t.Store.SetTaskStatus(context.WithoutCancel(ctx), t.ID, []state.TaskStatus{state.TaskDeploying}, state.TaskFailed, "deploy failed: "+err.Error())
		}
	})
	return nil
}

// taskRequest is the deployer's request for a task: its spec as the cloud runs it
// (each side completed from its profile: provider, endpoint, Region; keys of sides
// outside the task's account moved to Secrets Manager; a prefix list or image
// references stored in the assets bucket), its fleet and alarms.
func (r *CloudRunner) taskRequest(ctx context.Context, t Task, rec state.Task, d Definition, p Placement) (deploy.TaskRequest, error) {
	sp := d.Spec()
	req := deploy.TaskRequest{ControlPlane: p.ControlPlane, TaskID: t.ID, TaskName: rec.Name, Credentials: map[deploy.Side]deploy.Credentials{},
		AlarmEmail: d.Cloud.AlarmEmail, Definition: rec.Definition}
	switch {
	case d.S3 != nil:
		req.Kind = stack.KindS3Task
		s := *sp.S3
		for _, x := range []struct {
			side    deploy.Side
			sd      *spec.Side
			profile string
		}{{deploy.Source, &s.Source, d.S3.Source.ProfileID}, {deploy.Destination, &s.Destination, d.S3.Destination.ProfileID}} {
			c, err := r.sideAccess(ctx, x.sd, x.profile, p, string(x.side))
			if err != nil {
				return req, err
			}
			if c != (deploy.Credentials{}) {
				req.Credentials[x.side] = c
			}
		}
		if s.PrefixList != "" {
			b, err := os.ReadFile(s.PrefixList)
			if err != nil {
				return req, fmt.Errorf("the prefix list: %w", err)
			}
			req.List, s.PrefixList = b, ""
		}
		sp.S3 = &s
		req.S3 = deploy.S3Options{Fleet: stack.Fleet{MaxWorkers: d.Cloud.MaxWorkers, InstanceTypes: d.Cloud.InstanceTypes, Spot: d.Cloud.Spot}}
	case d.Image != nil:
		req.Kind = stack.KindImageTask
		im := *sp.Image
		for _, x := range []struct {
			side     deploy.Side
			kind     string
			registry *string
			region   *string
			profile  string
		}{{deploy.Source, im.Source.Kind, &im.Source.Registry, &im.Source.Region, d.Image.Source.ProfileID},
			{deploy.Destination, im.Destination.Kind, &im.Destination.Registry, &im.Destination.Region, d.Image.Destination.ProfileID}} {
			c, err := r.imageAccess(ctx, x.kind, x.registry, x.region, &im.InsecureHTTP, x.profile, p, string(x.side))
			if err != nil {
				return req, err
			}
			if c != (deploy.Credentials{}) {
				req.Credentials[x.side] = c
			}
		}
		list, err := cloudImageList(im.Source)
		if err != nil {
			return req, err
		}
		im.Source.References, im.Source.Lists = nil, nil
		if len(list) > 0 {
			req.List = []byte(strings.Join(list, "\n") + "\n")
			// Stands in for the list the deployer stores, so that the spec has a source;
			// the deployer names the real one (THUB_IMAGE_LIST).
			im.Source.Lists = []string{"s3://list/stored-when-deploying"}
		}
		sp.Image = &im
		req.Image = deploy.ImageOptions{Run: stack.ImageRun{MaxConcurrency: d.Cloud.MaxCopiers}}
	}
	if err := sp.Validate(spec.CloudRun); err != nil {
		return req, err
	}
	req.Env = stack.TaskEnv(sp)
	delete(req.Env, "THUB_IMAGE_LIST")
	return req, nil
}

// cloudImageList is the image list a cloud task's lister reads: the references and the
// lines of the list files, each made a full reference when they are relative to a
// registry's host (the cloud has no profile to take the host from: a relative one would
// be Docker Hub's); an ECR's stay relative to the ECR the stack names.
func cloudImageList(src spec.ImageSource) ([]string, error) {
	var list []string
	if src.Kind == ECRKind || src.Registry == "" {
		list = append(list, src.References...)
		for _, f := range src.Lists {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("the image list: %w", err)
			}
			list = append(list, strings.TrimSpace(string(b)))
		}
		return list, nil
	}
	for _, r := range src.References {
		s, err := image.ParseSource(r, src.Registry)
		if err != nil {
			return nil, err
		}
		list = append(list, s.String())
	}
	for _, f := range src.Lists {
		ss, err := image.ReadListFile(f, src.Registry)
		if err != nil {
			return nil, fmt.Errorf("the image list: %w", err)
		}
		for _, s := range ss {
			list = append(list, s.String())
		}
	}
	return list, nil
}

// sideAccess completes an S3 side from its profile and returns the keys to store:
// none for the task's own account (its roles reach the bucket) or an anonymous side.
func (r *CloudRunner) sideAccess(ctx context.Context, sd *spec.Side, profileID string, p Placement, what string) (deploy.Credentials, error) {
	if profileID == "" {
		return deploy.Credentials{}, nil
	}
	res, err := r.resolveSide(ctx, profileID, what)
	if err != nil {
		return deploy.Credentials{}, err
	}
	switch res.Kind {
	case credentials.KindS3Compatible:
		sd.Provider, sd.Endpoint = res.Provider, res.Endpoint
		if res.PathStyle {
			sd.Addressing = "path"
		}
		if sd.Region == "" {
			sd.Region = res.Region
		}
	case credentials.KindAWS:
		if sd.Region == "" && profileID != p.ProfileID {
			sd.Region = res.Region // the profile's partition finds the bucket
		}
		if profileID == p.ProfileID {
			return deploy.Credentials{}, nil
		}
		sd.RoleARN, sd.ExternalID = res.RoleARN, res.ExternalID
	default:
		return deploy.Credentials{}, fmt.Errorf("the %s: %q is not an AWS or S3-compatible profile", sideWord(what), res.Name)
	}
	return storedKeys(res, what)
}

// imageAccess completes an image side from its profile (a registry's host, an ECR's
// Region; a plain-HTTP registry's host added to insecure, as a local run's access
// does) and returns the login or keys to store.
func (r *CloudRunner) imageAccess(ctx context.Context, kind string, registry, region *string, insecure *[]string, profileID string, p Placement, what string) (deploy.Credentials, error) {
	if profileID == "" {
		return deploy.Credentials{}, nil
	}
	res, err := r.resolveSide(ctx, profileID, what)
	if err != nil {
		return deploy.Credentials{}, err
	}
	if kind == ECRKind {
		if *region == "" {
			*region = res.Region
		}
		if profileID == p.ProfileID {
			return deploy.Credentials{}, nil
		}
		return storedKeys(res, what)
	}
	if res.Kind != credentials.KindRegistry {
		return deploy.Credentials{}, fmt.Errorf("the %s: %q is not a container registry profile", sideWord(what), res.Name)
	}
	if msg := cloudCAProblem(res.Profile); msg != "" { // the profile got its CA file after the task was checked
		return deploy.Credentials{}, fmt.Errorf("the %s: %s", sideWord(what), msg)
	}
	*registry = res.Host
	if res.InsecureHTTP && !slices.Contains(*insecure, res.Host) {
		*insecure = append(*insecure, res.Host)
	}
	if res.Username == "" && res.Secret.Password == "" {
		return deploy.Credentials{}, nil
	}
	return deploy.Credentials{Username: res.Username, Password: res.Secret.Password}, nil
}

func (r *CloudRunner) resolveSide(ctx context.Context, id, what string) (credentials.Resolved, error) {
	if r.creds == nil {
		return credentials.Resolved{}, errors.New("credential profiles are not available in this app")
	}
	res, err := r.creds.Resolve(ctx, id)
	if errors.Is(err, ErrProfileNotFound) {
		return res, fmt.Errorf("the %s: its credential profile was deleted; choose other credentials", sideWord(what))
	}
	if err != nil {
		return res, fmt.Errorf("the %s: read the credentials: %w", sideWord(what), err)
	}
	return res, nil
}

// storedKeys are the keys of a profile a cloud task keeps in Secrets Manager:
// long-lived ones only.
func storedKeys(res credentials.Resolved, what string) (deploy.Credentials, error) {
	if res.SharedProfile != "" || res.Secret.SessionToken != "" {
		return deploy.Credentials{}, fmt.Errorf("the %s: %w", sideWord(what), deploy.ErrTemporaryCredentials)
	}
	if res.AccessKeyID == "" || res.Secret.SecretAccessKey == "" {
		return deploy.Credentials{}, fmt.Errorf("the %s: profile %q has no access keys in the keychain; set them under Credentials", sideWord(what), res.Name)
	}
	return deploy.Credentials{AccessKeyID: res.AccessKeyID, SecretAccessKey: res.Secret.SecretAccessKey}, nil
}

func sideWord(s string) string {
	switch s {
	case string(deploy.Source):
		return "source"
	case string(deploy.Destination):
		return "destination"
	}
	return s
}

// PreviewCreate is what creating a cloud task would deploy: the control plane when
// the account and Region have none, else the task's stack (a dry run: nothing is
// stored, no key leaves the keychain).
type PreviewCreate struct {
	Placement Placement `json:"placement"`
	// ControlPlaneMissing: the account and Region have no control plane yet; its
	// preview is ControlPlane (the task's stack is previewed once it is up).
	ControlPlaneMissing bool            `json:"controlPlaneMissing"`
	ControlPlane        *deploy.Preview `json:"controlPlane,omitempty"`
	Task                *deploy.Preview `json:"task,omitempty"`
	Notes               []string        `json:"notes,omitempty"`
}

// Preview previews a new cloud task's deploy.
func (r *CloudRunner) Preview(ctx context.Context, id, name string, d Definition) (PreviewCreate, error) {
	region := d.Cloud.Region
	if region == "" && r.creds != nil {
		if prof, err := r.creds.Get(ctx, d.Cloud.ProfileID); err == nil {
			region = prof.Region
		}
	}
	p := d.Cloud.placement(region)
	out := PreviewCreate{Placement: p}
	acct, err := r.account(ctx, p)
	if err != nil {
		return out, err
	}
	if err := r.access.CheckAgents(); err != nil {
		return out, err
	}
	dep := acct.Deployer
	if _, err := dep.ControlPlane(ctx, p.ControlPlane); errors.Is(err, deploy.ErrNoControlPlane) {
		out.ControlPlaneMissing = true
		var net *stack.Network
		if n := d.Cloud.Network; n != nil {
			net = &stack.Network{VPCID: n.VPCID, SubnetIDs: n.SubnetIDs, PublicIP: !n.Private}
		}
		plan, err := dep.PlanControlPlane(ctx, deploy.ControlPlaneRequest{Name: p.ControlPlane, Network: net})
		if err != nil {
			return out, err
		}
		if err := dep.Discard(ctx, plan); err != nil {
			return out, err
		}
		out.ControlPlane = &plan.Preview
		out.Notes = append(out.Notes, "the task's own stack is shown once the control plane is up")
		return out, nil
	} else if err != nil {
		return out, err
	}
	raw, err := d.Encode()
	if err != nil {
		return out, err
	}
	req, err := r.taskRequest(ctx, Task{ID: id, Name: name}, state.Task{Name: name, Definition: raw}, d, p)
	if err != nil {
		return out, err
	}
	tp, err := dep.PlanTask(ctx, req, true)
	if err != nil {
		return out, err
	}
	out.Task, out.Notes = &tp.Preview, tp.Notes
	return out, nil
}
