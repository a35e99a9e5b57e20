package deploy

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"transferhub/cloud/deploy/assets"
	"transferhub/cloud/stack"
	"transferhub/cloud/stack/cfnyaml"
	"transferhub/cloud/version"
)

// PlanUpgradeTask plans a task's upgrade to this build's agent and template, keeping
// every setting: the stack's current parameters, with the agent's and the control
// plane's values replaced. Workers of the old agent finish what they hold while new
// ones start (the queue's messages stay readable across minor versions; see
// cloud/docs/deploy.md, Upgrades).
func (d *Deployer) PlanUpgradeTask(ctx context.Context, controlPlane, taskID string, dryRun bool) (*TaskPlan, error) {
	if controlPlane == "" {
		controlPlane = DefaultControlPlane
	}
	cp, err := d.ControlPlane(ctx, controlPlane)
	if err != nil {
		return nil, err
	}
	name := TaskStackName(controlPlane, taskID)
	cur, err := d.describeStack(ctx, name)
	if err != nil {
		return nil, err
	}
	if cur == nil || cur.StackStatus == types.StackStatusReviewInProgress {
		return nil, fmt.Errorf("no task %s to upgrade in control plane %s (%s)", taskID, controlPlane, d.region)
	}
	if err := d.checkChangeable(ctx, cur); err != nil {
		return nil, err
	}
	kind := stack.Kind(tagMap(cur.Tags)[TagKind])
	if kind != stack.KindS3Task && kind != stack.KindImageTask {
		return nil, fmt.Errorf("stack %s is not a Transfer Hub task", name)
	}
	rec, found, err := d.Registry(cp.TasksTable).Get(ctx, taskID)
	if err != nil {
		return nil, err
	}
	if found && rec.Options != nil && rec.State == RecordDeployed {
		// The task as it was deployed, deployed again by this build.
		return d.PlanTask(ctx, TaskRequest{ControlPlane: controlPlane, Kind: kind, TaskID: taskID, TaskName: rec.Name, Env: rec.Env,
			S3: rec.Options.S3, Image: rec.Options.Image, AlarmEmail: rec.Options.AlarmEmail, Definition: []byte(rec.Definition)}, dryRun)
	}
	// A stack without its record: its parameters, with the agent's and the control
	// plane's values replaced.
	tp := &TaskPlan{Request: TaskRequest{ControlPlane: controlPlane, Kind: kind, TaskID: taskID}, ControlPlane: cp, DryRun: dryRun}
	params := paramMap(cur.Parameters)
	tp.before = paramMap(cur.Parameters)
	tp.before["@template"] = tagMap(cur.Tags)[TagTemplate]
	if found {
		tp.Request.TaskName, tp.Request.Env = rec.Name, rec.Env
		tp.Request.Definition = []byte(rec.Definition)
		tp.env, tp.Events = rec.Env, rec.Notification
	}
	agent, url, err := d.prepareAssets(ctx, tp)
	if err != nil {
		return nil, err
	}
	tp.Agent = agent
	for k, v := range map[string]string{"AgentImage": agent.Image, "AgentSha256Arm64": agent.Arm64SHA256, "AgentSha256Amd64": agent.Amd64SHA256,
		"LambdaCodeSha256": agent.LambdaSHA256, "AssetsBucket": cp.AssetsBucket, "KeyArn": cp.KeyARN, "ClusterArn": cp.ClusterARN,
		"AgentRepositoryArn": cp.AgentRepositoryARN, "AgentLogGroup": cp.AgentLogGroup, "AlertTopicArn": cp.AlertTopicARN,
		"SecurityGroupId": cp.SecurityGroupID, "AssignPublicIp": cp.AssignPublicIP} {
		if _, ok := params[k]; ok {
			params[k] = v
		}
	}
	if _, ok := params["SubnetIds"]; ok {
		params["SubnetIds"] = joinList(cp.SubnetIDs)
	}
	tpl := map[stack.Kind]stack.Template{stack.KindS3Task: stack.S3Task(), stack.KindImageTask: stack.ImageTask()}[kind]
	doc, err := cfnyaml.Parse([]byte(tpl.Body))
	if err != nil {
		return nil, err
	}
	var ps []types.Parameter
	for _, k := range slices.Sorted(maps.Keys(params)) {
		p, ok := doc.Parameters[k]
		if !ok {
			continue // a parameter the new template dropped goes
		}
		if typ, _ := p["Type"].(string); strings.HasPrefix(typ, "AWS::SSM::") {
			// The SSM path it was given (DescribeStacks may answer what it resolved to).
			ps = append(ps, types.Parameter{ParameterKey: aws.String(k), UsePreviousValue: aws.Bool(true)})
			continue
		}
		ps = append(ps, types.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(params[k])})
	}
	plan, err := d.Plan(ctx, StackSpec{Name: name, Kind: kind, TemplateURL: url, TemplateSHA: tpl.SHA256, Parameters: ps,
		Tags: stackTags(kind, controlPlane, taskID, version.Version, tpl.SHA256)})
	if err != nil {
		return nil, err
	}
	tp.Plan = plan
	if dryRun {
		if err := d.Discard(ctx, plan); err != nil {
			return nil, err
		}
	}
	return tp, nil
}

// supersede tags the assets the stack used before an upgrade that no stack of the
// control plane uses any more: the bucket's lifecycle deletes them 30 days later.
func (d *Deployer) supersede(ctx context.Context, cp stack.ControlPlaneOutputs, controlPlane string, before map[string]string) error {
	old := map[string]bool{}
	for _, k := range []string{"AgentSha256Arm64", "AgentSha256Amd64", "LambdaCodeSha256", "@template"} {
		if v := before[k]; v != "" {
			old[v] = true
		}
	}
	if len(old) == 0 {
		return nil
	}
	p := cloudformation.NewDescribeStacksPaginator(d.c.CloudFormation, &cloudformation.DescribeStacksInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list the stacks in %s: %w", d.region, err)
		}
		for _, s := range page.Stacks {
			tags := tagMap(s.Tags)
			if tags[TagControlPlane] != controlPlane || s.StackStatus == types.StackStatusDeleteComplete {
				continue
			}
			delete(old, tags[TagTemplate])
			for _, v := range paramMap(s.Parameters) {
				delete(old, v)
			}
		}
	}
	for _, sum := range slices.Sorted(maps.Keys(old)) {
		if err := assets.Supersede(ctx, d.c.S3, cp.AssetsBucket, sum); err != nil {
			return err
		}
	}
	return nil
}

func joinList(items []string) string {
	out := ""
	for i, s := range items {
		if i > 0 {
			out += ","
		}
		out += s
	}
	return out
}
