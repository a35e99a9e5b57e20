package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"transferhub/cloud/deploy/assets"
	"transferhub/cloud/stack"
	"transferhub/cloud/version"
)

// TaskRequest is a cloud task to deploy: created the first time, updated after.
type TaskRequest struct {
	// ControlPlane is the control plane's name (default "thub"); it must be deployed.
	ControlPlane string
	// Kind: stack.KindS3Task or stack.KindImageTask.
	Kind     stack.Kind
	TaskID   string
	TaskName string
	// Env is the task's agent environment (the task spec's THUB_* variables) without
	// keys; far-side keys come in Credentials. THUB_SRC_SECRET_ARN/THUB_DST_SECRET_ARN
	// name secrets the user keeps himself.
	Env map[string]string
	// List is the task's prefix list (S3) or image list (images), one entry a line: it
	// is stored in the assets bucket and the agents get its s3:// URL
	// (THUB_PREFIX_LIST, THUB_IMAGE_LIST). nil: none (or the URL in Env).
	List []byte
	// Credentials are far-side keys to store in Secrets Manager (Source, Destination).
	// A side without keys keeps the secret its stack has, if any, unless DropSecrets.
	Credentials map[Side]Credentials
	// DropSecrets are sides without keys that have no secret any more (edited from
	// another account's keys to the task's own account, or to anonymous access): the
	// stack stops naming theirs, and the secret the deployer made for one is deleted
	// once the update succeeded.
	DropSecrets map[Side]bool
	S3          S3Options
	Image       ImageOptions
	AlarmEmail  string
	// Definition is the caller's own form of the task, kept in the registry (the
	// desktop's saved spec).
	Definition json.RawMessage
}

// S3Options are the cloud options of an S3 task.
type S3Options struct {
	Fleet                      stack.Fleet
	Finder                     stack.FargateSize
	SrcKMSKeyARN, DstKMSKeyARN string
	NoProgress                 time.Duration
}

// ImageOptions are the cloud options of an image task.
type ImageOptions struct {
	Run              stack.ImageRun
	LogRetentionDays int
}

// TaskPlan is a task's change set with what goes with it.
type TaskPlan struct {
	*Plan
	Request      TaskRequest
	ControlPlane stack.ControlPlaneOutputs
	// DryRun: nothing was stored; the change set is discarded already. Secrets that a
	// deploy would make have stand-in ARNs (Pending).
	DryRun bool
	Agent  stack.AgentAssets
	// Uploaded names what went to the assets bucket and the registry (nothing when
	// this version was deployed before).
	Uploaded []string
	Secrets  []Secret
	// AdoptedTable: the table a deleted stack of this task kept, used again.
	AdoptedTable string
	// Events: the S3 event notification to add to the source bucket once the stack
	// is up.
	Events *Notification
	// Notes say what a person should know about this deploy.
	Notes []string

	env map[string]string // the agents' environment as deployed (list URL, secret ARNs)
	// dropped are the deployer's secrets the stack refers to no more (DropSecrets):
	// deleted once the update succeeded.
	dropped []string
	// previous is the notification the task had (from its record): removed when the
	// task no longer asks for it or moved to another bucket.
	previous *Notification
	before   map[string]string // the stack's parameters before, "@template" its template
}

// TaskOutcome is how a task deploy ended.
type TaskOutcome struct {
	Outcome
	Table        string            `json:"table,omitempty"`
	Outputs      map[string]string `json:"outputs,omitempty"`
	Notification *Notification     `json:"notification,omitempty"`
}

// secretEnv are the variables naming a side's secret (both task kinds).
var secretEnv = map[Side]string{Source: "THUB_SRC_SECRET_ARN", Destination: "THUB_DST_SECRET_ARN"}

var secretParam = map[Side]string{Source: "SrcSecretArn", Destination: "DstSecretArn"}

// PlanTask makes a task's change set. Unless dryRun it first puts in place what the
// stack refers to: the assets (skipped when there), the task's list, its secrets. A
// dry run stores nothing (only the task template, which CloudFormation must read to
// make a change set, goes to the assets bucket if it is not there), makes the change
// set, describes it and discards it.
func (d *Deployer) PlanTask(ctx context.Context, req TaskRequest, dryRun bool) (*TaskPlan, error) {
	if req.ControlPlane == "" {
		req.ControlPlane = DefaultControlPlane
	}
	if req.Kind != stack.KindS3Task && req.Kind != stack.KindImageTask {
		return nil, fmt.Errorf("task kind %q: s3-task or image-task", req.Kind)
	}
	cp, err := d.ControlPlane(ctx, req.ControlPlane)
	if err != nil {
		return nil, err
	}
	who, err := d.Identity(ctx)
	if err != nil {
		return nil, err
	}
	tp := &TaskPlan{Request: req, ControlPlane: cp, DryRun: dryRun}
	stackName := TaskStackName(req.ControlPlane, req.TaskID)
	cur, err := d.describeStack(ctx, stackName)
	if err != nil {
		return nil, err
	}
	var curParams map[string]string
	if cur != nil && cur.StackStatus != types.StackStatusReviewInProgress && cur.StackStatus != types.StackStatusRollbackComplete {
		curParams = paramMap(cur.Parameters)
		tp.before = maps.Clone(curParams)
		tp.before["@template"] = tagMap(cur.Tags)[TagTemplate]
	}
	env := maps.Clone(req.Env)
	if env == nil {
		env = map[string]string{}
	}
	if err := d.putList(ctx, tp, env); err != nil {
		return nil, err
	}
	var templateURL string
	tp.Agent, templateURL, err = d.prepareAssets(ctx, tp)
	if err != nil {
		return nil, err
	}
	pending := map[string]string{}
	if err := d.prepareSecrets(ctx, tp, who, env, curParams, pending); err != nil {
		return nil, err
	}
	if rec, ok, err := d.Registry(cp.TasksTable).Get(ctx, req.TaskID); err != nil {
		return nil, errors.Join(err, d.dropNewSecrets(ctx, tp))
	} else if ok && rec.State == RecordDeployed {
		tp.previous = rec.Notification
	}
	existing, err := d.existingTable(ctx, tp, curParams)
	if err != nil {
		return nil, errors.Join(err, d.dropNewSecrets(ctx, tp))
	}
	ps, err := taskParameters(req, cp, tp.Agent, env, existing)
	if err != nil {
		return nil, errors.Join(err, d.dropNewSecrets(ctx, tp))
	}
	tpl := map[stack.Kind]stack.Template{stack.KindS3Task: stack.S3Task(), stack.KindImageTask: stack.ImageTask()}[req.Kind]
	plan, err := d.Plan(ctx, StackSpec{Name: stackName, Kind: req.Kind, TemplateURL: templateURL, TemplateSHA: tpl.SHA256, Parameters: ps,
		Tags: stackTags(req.Kind, req.ControlPlane, req.TaskID, version.Version, tpl.SHA256), Pending: pending})
	if err != nil {
		return nil, errors.Join(err, d.dropNewSecrets(ctx, tp))
	}
	tp.Plan, tp.env = plan, env
	d.planEvents(ctx, tp, env, stackName)
	if dryRun {
		if err := d.Discard(ctx, plan); err != nil {
			return nil, err
		}
	}
	return tp, nil
}

// listFile is the name of a task's list in the assets bucket, and its variable.
func listFile(k stack.Kind) (name, envVar string) {
	if k == stack.KindImageTask {
		return "images.txt", "THUB_IMAGE_LIST"
	}
	return "prefixes.txt", "THUB_PREFIX_LIST"
}

func (d *Deployer) putList(ctx context.Context, tp *TaskPlan, env map[string]string) error {
	if tp.Request.List == nil {
		return nil
	}
	name, v := listFile(tp.Request.Kind)
	env[v] = stack.ListURL(tp.ControlPlane.AssetsBucket, tp.Request.TaskID, name)
	if tp.DryRun {
		tp.Notes = append(tp.Notes, fmt.Sprintf("the list (%d bytes) goes to %s when deploying", len(tp.Request.List), env[v]))
		return nil
	}
	if _, err := assets.PutList(ctx, d.c.S3, tp.ControlPlane.AssetsBucket, tp.Request.TaskID, name, tp.Request.List); err != nil {
		return err
	}
	tp.Uploaded = append(tp.Uploaded, env[v])
	return nil
}

// prepareAssets uploads the agents, the Lambda zip, the templates and the image
// (whatever is not there yet) and returns what the stack runs and its template URL. A
// dry run computes the same values without uploading (only a missing template goes
// up: CloudFormation reads it from there).
func (d *Deployer) prepareAssets(ctx context.Context, tp *TaskPlan) (stack.AgentAssets, string, error) {
	src := d.Assets
	if src.Agents == nil {
		return stack.AgentAssets{}, "", errors.New("no agents to deploy: give the directory with thub-linux-arm64 and thub-linux-amd64 (make build-thub writes them to build/bin)")
	}
	registry := src.Registry
	if registry == nil {
		return stack.AgentAssets{}, "", errors.New("no way to the agent repository: set AssetSource.Registry (ECRRegistry)")
	}
	rc, repo, err := registry(ctx, tp.ControlPlane)
	if err != nil {
		return stack.AgentAssets{}, "", err
	}
	cp := tp.ControlPlane
	if !tp.DryRun {
		u := &assets.Uploader{S3: d.c.S3, Bucket: cp.AssetsBucket, Region: d.region, Registry: rc, Repository: repo, Progress: src.Progress}
		res, err := u.Upload(ctx, src.Agents)
		if err != nil {
			return stack.AgentAssets{}, "", err
		}
		tp.Uploaded = append(tp.Uploaded, res.Uploaded...)
		return res.Agent, res.Templates[tp.Request.Kind], nil
	}
	agent, err := localAssets(src.Agents, repo)
	if err != nil {
		return stack.AgentAssets{}, "", err
	}
	tpl := map[stack.Kind]stack.Template{stack.KindS3Task: stack.S3Task(), stack.KindImageTask: stack.ImageTask()}[tp.Request.Kind]
	u := &assets.Uploader{S3: d.c.S3, Bucket: cp.AssetsBucket, Region: d.region}
	url, err := u.PutTemplate(ctx, tpl)
	if err != nil {
		return stack.AgentAssets{}, "", err
	}
	return agent, url, nil
}

// prepareSecrets stores (or, in a dry run, looks up) each side's keys and names the
// secret in env. A side without keys keeps its stack's secret.
func (d *Deployer) prepareSecrets(ctx context.Context, tp *TaskPlan, who Identity, env, curParams map[string]string, pending map[string]string) error {
	for _, side := range []Side{Source, Destination} {
		c := tp.Request.Credentials[side]
		if c.empty() {
			cur := curParams[secretParam[side]]
			switch {
			case env[secretEnv[side]] != "" || cur == "":
			case !tp.Request.DropSecrets[side]:
				env[secretEnv[side]] = cur
			case strings.Contains(cur, ":secret:"+SecretName(tp.Request.ControlPlane, tp.Request.TaskID, side)+"-"):
				tp.dropped = append(tp.dropped, cur)
			}
			continue
		}
		name := SecretName(tp.Request.ControlPlane, tp.Request.TaskID, side)
		if arn := env[secretEnv[side]]; arn != "" && !strings.Contains(arn, ":secret:"+name+"-") {
			return fmt.Errorf("the %s has both keys to store and a secret of its own (%s): give one", sideName(side), secretEnv[side])
		}
		var s Secret
		var err error
		if tp.DryRun {
			s, err = d.pendingSecret(ctx, who.Partition, who.Account, tp.Request.ControlPlane, tp.Request.TaskID, side, c)
			if s.Created {
				pending[secretParam[side]] = "a new secret " + s.Name + ", made when deploying"
			}
		} else {
			s, err = d.PutSecret(ctx, tp.ControlPlane.KeyARN, tp.Request.ControlPlane, tp.Request.TaskID, side, c)
		}
		if err != nil {
			return errors.Join(err, d.dropNewSecrets(ctx, tp))
		}
		tp.Secrets = append(tp.Secrets, s)
		env[secretEnv[side]] = s.ARN
	}
	return nil
}

// dropNewSecrets undoes what this plan did to the secrets (it will not be deployed, or
// its update failed): the secrets it made are deleted, the previous values of those it
// gave new ones are current again.
func (d *Deployer) dropNewSecrets(ctx context.Context, tp *TaskPlan) error {
	var errs []error
	for _, s := range tp.Secrets {
		if s.Created && !s.Pending {
			errs = append(errs, d.DeleteSecret(context.WithoutCancel(ctx), s.ARN))
		} else {
			errs = append(errs, d.restorePrevious(context.WithoutCancel(ctx), s))
		}
	}
	return errors.Join(errs...)
}

// existingTable is the table the stack adopts: the one it adopted already, or the
// one a deleted stack of this task kept.
func (d *Deployer) existingTable(ctx context.Context, tp *TaskPlan, curParams map[string]string) (string, error) {
	if curParams != nil {
		return curParams["ExistingTable"], nil
	}
	rec, ok, err := d.Registry(tp.ControlPlane.TasksTable).Get(ctx, tp.Request.TaskID)
	if err != nil || !ok || rec.State != RecordDataKept || rec.KeptTable == "" {
		return "", err
	}
	if rec.Kind != string(tp.Request.Kind) {
		return "", fmt.Errorf("task %s was an %s whose data was kept; an %s cannot use its table: choose another task id, or delete the kept data first", tp.Request.TaskID, rec.Kind, tp.Request.Kind)
	}
	there, err := d.tableExists(ctx, rec.KeptTable)
	if err != nil || !there {
		if err == nil {
			tp.Notes = append(tp.Notes, fmt.Sprintf("the table %s kept when the task was deleted is gone: the task starts with a new table", rec.KeptTable))
		}
		return "", err
	}
	tp.AdoptedTable = rec.KeptTable
	tp.Notes = append(tp.Notes, fmt.Sprintf("the task's kept table %s is used again: its records (and report) are there", rec.KeptTable))
	return rec.KeptTable, nil
}

// taskParameters renders the stack parameters (validation included).
func taskParameters(req TaskRequest, cp stack.ControlPlaneOutputs, agent stack.AgentAssets, env map[string]string, existing string) ([]types.Parameter, error) {
	if req.Kind == stack.KindImageTask {
		return stack.ImageTaskParams{ControlPlane: cp, Agent: agent, TaskID: req.TaskID, TaskName: req.TaskName, Env: env,
			Run: req.Image.Run, LogRetentionDays: req.Image.LogRetentionDays, AlarmEmail: req.AlarmEmail, ExistingTable: existing}.Parameters()
	}
	return stack.S3TaskParams{ControlPlane: cp, Agent: agent, TaskID: req.TaskID, TaskName: req.TaskName, Env: env,
		Fleet: req.S3.Fleet, Finder: req.S3.Finder, SrcKMSKeyARN: req.S3.SrcKMSKeyARN, DstKMSKeyARN: req.S3.DstKMSKeyARN,
		AlarmEmail: req.AlarmEmail, NoProgress: req.S3.NoProgress, ExistingTable: existing}.Parameters()
}

// planEvents: an S3 task with THUB_EVENTS gets its source bucket's notification when
// the bucket is the deploying account's; otherwise the note says what its owner does.
func (d *Deployer) planEvents(ctx context.Context, tp *TaskPlan, env map[string]string, stackName string) {
	events := notificationEvents(env["THUB_EVENTS"])
	if tp.Request.Kind != stack.KindS3Task || events == nil {
		return
	}
	bucket, prefix, _ := strings.Cut(strings.TrimPrefix(env["THUB_SRC"], "s3://"), "/")
	n := &Notification{Bucket: bucket, Prefix: prefix, ID: stackName, Events: events}
	who, err := d.Identity(ctx)
	if err == nil {
		_, err = d.notifications(ctx, bucket, who.Account)
	}
	if err != nil {
		tp.Notes = append(tp.Notes, fmt.Sprintf("S3 events: the deployer cannot set the notifications of bucket %s (%v). Its owner adds one that sends %s under %q to the task's queue (output QueueArn), and lets the bucket send to it (cloud/docs/deploy.md, S3 events)",
			bucket, err, strings.Join(events, " and "), prefix))
		return
	}
	tp.Events = n
	tp.Notes = append(tp.Notes, fmt.Sprintf("S3 events: bucket %s gets the notification %s (%s under %q) next to its others", bucket, n.ID, strings.Join(events, ", "), prefix))
}

// ExecuteTask executes a task's plan, follows its stack, then adds the S3 event
// notification and records the task in the registry. A plan without changes executes
// nothing (and still makes sure of the notification and the record).
func (d *Deployer) ExecuteTask(ctx context.Context, tp *TaskPlan, fn func(Progress)) (TaskOutcome, error) {
	if tp.DryRun {
		return TaskOutcome{}, errors.New("a dry run's plan cannot be executed: plan again without dry run")
	}
	o, err := d.Execute(ctx, tp.Plan, fn)
	to := TaskOutcome{Outcome: o}
	if err != nil {
		if o.Status == string(types.StackStatusUpdateRollbackComplete) {
			// The update rolled back: the stack runs the old sides with the old keys.
			err = errors.Join(err, d.dropNewSecrets(ctx, tp))
		}
		return to, err
	}
	outs := o.Outputs
	if len(outs) == 0 {
		cur, err := d.describeStack(ctx, tp.Stack)
		if err != nil {
			return to, err
		}
		if cur != nil {
			outs = cur.Outputs
		}
	}
	to.Outputs = outputMap(outs)
	to.Table = to.Outputs["TableName"]
	if p := tp.previous; p != nil && (tp.Events == nil || p.Bucket != tp.Events.Bucket) {
		if _, err := d.RemoveNotification(ctx, p.Bucket, p.ID); err != nil {
			return to, err
		}
	}
	if tp.Events != nil {
		n := *tp.Events
		n.QueueARN, n.QueueURL = to.Outputs["QueueArn"], to.Outputs["QueueUrl"]
		if err := d.AddNotification(ctx, n); err != nil {
			return to, err
		}
		to.Notification = &n
	}
	if !o.NoChanges && tp.before != nil {
		if err := d.supersede(ctx, tp.ControlPlane, tp.Request.ControlPlane, tp.before); err != nil {
			d.log().Warn("old assets were not marked superseded; they stay in the assets bucket", "err", err)
		}
	}
	if err := d.record(ctx, tp, to); err != nil {
		return to, err
	}
	for _, arn := range tp.dropped {
		if err := d.DeleteSecret(ctx, arn); err != nil {
			return to, fmt.Errorf("the stack no longer uses it: %w", err)
		}
	}
	return to, nil
}

// record writes the task's registry entry.
func (d *Deployer) record(ctx context.Context, tp *TaskPlan, to TaskOutcome) error {
	reg := d.Registry(tp.ControlPlane.TasksTable)
	now := time.Now().UTC()
	rec, found, err := reg.Get(ctx, tp.Request.TaskID)
	if err != nil {
		return err
	}
	if !found || rec.State != RecordDeployed {
		rec = TaskRecord{Created: now}
	}
	rec.TaskID, rec.Name, rec.Kind, rec.Stack, rec.State = tp.Request.TaskID, tp.Request.TaskName, string(tp.Request.Kind), tp.Stack, RecordDeployed
	rec.Env, rec.Definition, rec.Table, rec.KeptTable = tp.env, definition(tp.Request.Definition), to.Table, ""
	rec.Secrets = managedSecrets(tp.Request.ControlPlane, tp.Request.TaskID, tp.env)
	rec.Options = &TaskOptions{S3: tp.Request.S3, Image: tp.Request.Image, AlarmEmail: tp.Request.AlarmEmail}
	if to.Notification != nil {
		rec.Notification = to.Notification
	} else if tp.Events == nil {
		rec.Notification = nil
	}
	rec.Version, rec.Updated = version.Version, now
	return reg.Put(ctx, rec)
}

// managedSecrets are the secrets of env the deployer made (and deletes with the task);
// a secret the user named himself is his.
func managedSecrets(controlPlane, taskID string, env map[string]string) []string {
	var out []string
	for _, side := range []Side{Source, Destination} {
		if arn := env[secretEnv[side]]; strings.Contains(arn, ":secret:"+SecretName(controlPlane, taskID, side)+"-") {
			out = append(out, arn)
		}
	}
	return out
}

// DiscardTask drops a plan that will not be executed: its change set, and the secrets
// it made.
func (d *Deployer) DiscardTask(ctx context.Context, tp *TaskPlan) error {
	if tp.DryRun {
		return nil
	}
	return errors.Join(d.Discard(ctx, tp.Plan), d.dropNewSecrets(ctx, tp))
}

func outputMap(outs []types.Output) map[string]string {
	m := map[string]string{}
	for _, o := range outs {
		m[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return m
}
