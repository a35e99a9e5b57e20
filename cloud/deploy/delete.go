package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"transferhub/cloud/stack"
)

// DeleteRequest is a deployment to remove: a task (TaskID set) or a control plane.
type DeleteRequest struct {
	ControlPlane string
	TaskID       string
	// KeepData keeps what holds the data: a task's table (every object's or image's
	// record, from which its report is written); for a control plane its tasks table
	// and the tables its deleted tasks kept. Deploying the same task (control plane)
	// again adopts them.
	KeepData bool
	// DryRun says what would go and what would stay, and changes nothing.
	DryRun bool
}

// Item is one thing a delete removes or keeps, and why.
type Item struct {
	What string `json:"what"`
	Name string `json:"name"`
	Why  string `json:"why,omitempty"`
}

// DeleteResult says what went and what stayed.
type DeleteResult struct {
	Stack    string  `json:"stack"`
	DryRun   bool    `json:"dryRun,omitempty"`
	Removes  []Item  `json:"removes"`
	Survives []Item  `json:"survives"`
	Outcome  Outcome `json:"outcome"`
}

// taskGoing is what a task delete works on.
type taskGoing struct {
	cur      *types.Stack
	params   map[string]string
	kind     string
	rec      TaskRecord
	recFound bool
	table    string // the task's table ("" when none)
	empty    bool   // the table was made by a creation that failed: no data in it
	secrets  []string
	notify   *Notification
}

// DeleteTask deletes a task's stack, its secrets, its S3 event notification and its
// lists, and its table unless KeepData. A task deleted before with its data kept has
// no stack: deleting it again without KeepData removes the kept table.
func (d *Deployer) DeleteTask(ctx context.Context, req DeleteRequest, fn func(Progress)) (DeleteResult, error) {
	if req.ControlPlane == "" {
		req.ControlPlane = DefaultControlPlane
	}
	cp, err := d.ControlPlane(ctx, req.ControlPlane)
	if err != nil {
		return DeleteResult{}, err
	}
	name := TaskStackName(req.ControlPlane, req.TaskID)
	g, err := d.taskGoing(ctx, cp, req, name)
	if err != nil {
		return DeleteResult{}, err
	}
	res := DeleteResult{Stack: name, DryRun: req.DryRun}
	if g.cur == nil && !g.recFound {
		return res, fmt.Errorf("no task %s in control plane %s (%s)", req.TaskID, req.ControlPlane, d.region)
	}
	d.describeTaskDelete(&res, g, req, cp)
	if req.DryRun {
		return res, nil
	}
	if g.notify != nil {
		if _, err := d.RemoveNotification(ctx, g.notify.Bucket, g.notify.ID); err != nil {
			return res, err
		}
	}
	if g.cur != nil {
		o, err := d.DeleteStack(ctx, name, fn)
		res.Outcome = o
		if err != nil {
			return res, err // nothing else goes while the stack stays
		}
	}
	var errs []error
	for _, arn := range g.secrets {
		errs = append(errs, d.DeleteSecret(ctx, arn))
	}
	errs = append(errs, d.deletePrefix(ctx, cp.AssetsBucket, "lists/"+req.TaskID+"/"))
	reg := d.Registry(cp.TasksTable)
	switch {
	case g.table != "" && req.KeepData && !g.empty:
		errs = append(errs, d.markKept(ctx, g.table, req.ControlPlane, req.TaskID))
		rec := g.rec
		if !g.recFound {
			rec = TaskRecord{TaskID: req.TaskID, Kind: g.kind, Stack: name, Created: aws.ToTime(g.cur.CreationTime)}
		}
		rec.State, rec.KeptTable, rec.Table, rec.Secrets, rec.Notification = RecordDataKept, g.table, "", nil, nil
		errs = append(errs, reg.Put(ctx, rec))
	default:
		if g.table != "" {
			errs = append(errs, d.deleteTable(ctx, g.table))
		}
		errs = append(errs, reg.Delete(ctx, req.TaskID))
	}
	return res, errors.Join(errs...)
}

func (d *Deployer) taskGoing(ctx context.Context, cp stack.ControlPlaneOutputs, req DeleteRequest, name string) (taskGoing, error) {
	var g taskGoing
	var err error
	if g.cur, err = d.describeStack(ctx, name); err != nil {
		return g, err
	}
	if g.rec, g.recFound, err = d.Registry(cp.TasksTable).Get(ctx, req.TaskID); err != nil {
		return g, err
	}
	if g.cur == nil {
		if g.recFound && g.rec.State == RecordDataKept {
			g.table = g.rec.KeptTable
		}
		return g, nil
	}
	if strings.HasSuffix(string(g.cur.StackStatus), "_IN_PROGRESS") && g.cur.StackStatus != types.StackStatusReviewInProgress {
		return g, &StackStateError{Stack: name, Status: string(g.cur.StackStatus), kind: ErrBusy}
	}
	g.params = paramMap(g.cur.Parameters)
	g.kind = tagMap(g.cur.Tags)[TagKind]
	outs := outputMap(g.cur.Outputs)
	g.table = outs["TableName"]
	if g.table == "" {
		g.table = g.params["ExistingTable"]
	}
	if g.cur.StackStatus == types.StackStatusRollbackComplete && g.params["ExistingTable"] == "" {
		// A creation that failed: a table it made was kept by its DeletionPolicy and
		// holds nothing.
		for _, r := range d.resourceStates(ctx, aws.ToString(g.cur.StackId)) {
			if r.Type == "AWS::DynamoDB::Table" && r.PhysicalID != "" {
				g.table, g.empty = r.PhysicalID, true
			}
		}
	}
	g.secrets = managedSecrets(req.ControlPlane, req.TaskID, map[string]string{
		secretEnv[Source]: g.params[secretParam[Source]], secretEnv[Destination]: g.params[secretParam[Destination]]})
	switch {
	case g.recFound && g.rec.Notification != nil:
		g.notify = g.rec.Notification
	case notificationEvents(g.params["Events"]) != nil && g.params["SrcBucket"] != "":
		g.notify = &Notification{Bucket: g.params["SrcBucket"], ID: name}
	}
	return g, nil
}

func (d *Deployer) describeTaskDelete(res *DeleteResult, g taskGoing, req DeleteRequest, cp stack.ControlPlaneOutputs) {
	if g.cur != nil {
		res.Removes = append(res.Removes, Item{What: "stack", Name: res.Stack, Why: "the task's queues, workers, finder or state machine, schedule, alarms, dashboard and roles"})
	}
	for _, arn := range g.secrets {
		res.Removes = append(res.Removes, Item{What: "secret", Name: arn, Why: "the far side's keys (stored again when the task is deployed again)"})
	}
	if g.notify != nil {
		res.Removes = append(res.Removes, Item{What: "S3 event notification", Name: g.notify.ID + " on bucket " + g.notify.Bucket, Why: "only this task's; the bucket's other notifications stay"})
	}
	res.Removes = append(res.Removes, Item{What: "lists", Name: "s3://" + cp.AssetsBucket + "/lists/" + req.TaskID + "/", Why: "the task's prefix or image list"})
	switch {
	case g.table == "":
	case g.empty:
		res.Removes = append(res.Removes, Item{What: "table", Name: g.table, Why: "made by the creation that failed: it holds no records"})
	case req.KeepData:
		res.Survives = append(res.Survives, Item{What: "table", Name: g.table,
			Why: "every object's (or image's) record: status, attempts, errors, checksums, from which the task's report is written; deploying the same task again uses it and finds them"})
	default:
		res.Removes = append(res.Removes, Item{What: "table", Name: g.table, Why: "every record of the task and its report (keep it with --keep-data)"})
	}
	res.Survives = append(res.Survives, Item{What: "logs", Name: cp.AgentLogGroup, Why: "the agents' logs stay in the control plane's log group for its retention"})
}

// DeleteControlPlane deletes a control plane once it has no tasks: it empties the
// assets bucket (CloudFormation cannot delete a bucket with objects) and deletes the
// stack. The KMS key always outlives the stack (its DeletionPolicy): with KeepData it
// stays with the tasks table and the tables of deleted tasks; without, those tables are
// deleted and the key is scheduled for deletion (30 days, cancellable).
func (d *Deployer) DeleteControlPlane(ctx context.Context, req DeleteRequest, fn func(Progress)) (DeleteResult, error) {
	name := req.ControlPlane
	if name == "" {
		name = DefaultControlPlane
	}
	stackName := ControlPlaneStackName(name)
	res := DeleteResult{Stack: stackName, DryRun: req.DryRun}
	cur, err := d.describeStack(ctx, stackName)
	if err != nil || cur == nil {
		if err == nil {
			err = fmt.Errorf("control plane %q in %s: %w", name, d.region, ErrNoControlPlane)
		}
		return res, err
	}
	deps, err := d.List(ctx)
	if err != nil {
		return res, err
	}
	var tasks []string
	for _, dep := range deps {
		if dep.ControlPlane == name && dep.Kind != stack.KindControlPlane && dep.Stack != "" {
			tasks = append(tasks, dep.TaskID)
		}
	}
	if len(tasks) > 0 {
		return res, fmt.Errorf("control plane %s still runs %d task(s): %s; delete them first (their stacks use its key, bucket and cluster)", name, len(tasks), strings.Join(tasks, ", "))
	}
	outs := outputMap(cur.Outputs)
	var kept []TaskRecord
	if t := outs["TasksTable"]; t != "" {
		if recs, err := d.Registry(t).List(ctx); err == nil {
			for _, r := range recs {
				if r.State == RecordDataKept && r.KeptTable != "" {
					kept = append(kept, r)
				}
			}
		}
	}
	describeControlPlaneDelete(&res, outs, kept, req.KeepData)
	if req.DryRun {
		return res, nil
	}
	if b := outs["AssetsBucket"]; b != "" {
		if err := d.deletePrefix(ctx, b, ""); err != nil {
			return res, fmt.Errorf("empty the assets bucket: %w", err)
		}
	}
	o, err := d.DeleteStack(ctx, stackName, fn)
	res.Outcome = o
	if err != nil {
		return res, err
	}
	var errs []error
	if t := outs["TasksTable"]; t != "" {
		if req.KeepData {
			errs = append(errs, d.markKept(ctx, t, name, ""))
		} else {
			for _, r := range kept {
				errs = append(errs, d.deleteTable(ctx, r.KeptTable))
			}
			errs = append(errs, d.deleteTable(ctx, t))
		}
	}
	if k := outs["KeyArn"]; k != "" && !req.KeepData && d.c.KMS != nil {
		// The key's id (its ARN's last part): AWS takes either, the AWS emulator only the id.
		id := k[strings.LastIndex(k, "/")+1:]
		if _, err := d.c.KMS.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(id), PendingWindowInDays: aws.Int32(30)}); err != nil {
			errs = append(errs, fmt.Errorf("schedule the deletion of key %s: %w", k, err))
		}
	}
	return res, errors.Join(errs...)
}

func describeControlPlaneDelete(res *DeleteResult, outs map[string]string, kept []TaskRecord, keep bool) {
	res.Removes = append(res.Removes,
		Item{What: "stack", Name: res.Stack, Why: "the ECS cluster, the agent repository and its images, the alert topic, the network pieces it made"},
		Item{What: "assets bucket", Name: outs["AssetsBucket"], Why: "emptied first: agents, Lambda zips, templates and lists are uploaded again by the next deploy"},
		Item{What: "logs", Name: outs["AgentLogGroup"], Why: "the agents' log group and its logs"})
	if keep {
		res.Survives = append(res.Survives,
			Item{What: "tasks table", Name: outs["TasksTable"], Why: "the registry of cloud tasks; a control plane of the same name deployed again adopts it"},
			Item{What: "KMS key", Name: outs["KeyArn"], Why: "kept tables and their backups were encrypted with it (it costs 1 USD a month; schedule its deletion when no kept data needs it)"})
		for _, r := range kept {
			res.Survives = append(res.Survives, Item{What: "table", Name: r.KeptTable, Why: "the kept records of deleted task " + r.TaskID})
		}
		return
	}
	res.Removes = append(res.Removes, Item{What: "tasks table", Name: outs["TasksTable"], Why: "the registry of cloud tasks"})
	for _, r := range kept {
		res.Removes = append(res.Removes, Item{What: "table", Name: r.KeptTable, Why: "the kept records of deleted task " + r.TaskID})
	}
	res.Removes = append(res.Removes, Item{What: "KMS key", Name: outs["KeyArn"], Why: "scheduled for deletion in 30 days (cancellable until then)"})
}

// deletePrefix deletes every object version (and delete marker) under prefix.
func (d *Deployer) deletePrefix(ctx context.Context, bucket, prefix string) error {
	in := &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(prefix)}
	for {
		out, err := d.c.S3.ListObjectVersions(ctx, in)
		if err != nil {
			return fmt.Errorf("list s3://%s/%s: %w", bucket, prefix, err)
		}
		var ids []s3types.ObjectIdentifier
		for _, v := range out.Versions {
			ids = append(ids, s3types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
		for _, m := range out.DeleteMarkers {
			ids = append(ids, s3types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
		}
		for len(ids) > 0 {
			n := min(len(ids), 1000)
			del, err := d.c.S3.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &s3types.Delete{Objects: ids[:n], Quiet: aws.Bool(true)}})
			if err != nil {
				return fmt.Errorf("delete under s3://%s/%s: %w", bucket, prefix, err)
			}
			if len(del.Errors) > 0 {
				e := del.Errors[0]
				return fmt.Errorf("delete s3://%s/%s: %s %s", bucket, aws.ToString(e.Key), aws.ToString(e.Code), aws.ToString(e.Message))
			}
			ids = ids[n:]
		}
		if !aws.ToBool(out.IsTruncated) {
			return nil
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
}
