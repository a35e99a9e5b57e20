package deploy

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"transferhub/cloud/stack"
	"transferhub/cloud/version"
)

// ControlPlaneRequest is a control plane to deploy (create, update or upgrade).
type ControlPlaneRequest struct {
	// Name of the control plane (default "thub"; its stack is <name>-control-plane).
	Name string
	// Network where the agents run; nil keeps a deployed control plane's network and
	// gives a new one the Region's default VPC.
	Network *stack.Network
	// LogRetentionDays of the agents' logs; 0 keeps the deployed value (new: 30).
	LogRetentionDays int
}

// ErrNoControlPlane: the account and Region have no control plane of that name yet.
var ErrNoControlPlane = errors.New("no control plane here yet: deploy it first (thub deploy control-plane)")

// PlanControlPlane makes the change set of a control plane: its creation, or an update
// (an upgrade when this build carries another template). A new control plane adopts
// the tasks table a deleted one of the same name kept.
func (d *Deployer) PlanControlPlane(ctx context.Context, req ControlPlaneRequest) (*Plan, error) {
	name := req.Name
	if name == "" {
		name = DefaultControlPlane
	}
	if err := checkControlPlaneName(name); err != nil {
		return nil, err
	}
	stackName := ControlPlaneStackName(name)
	cur, err := d.describeStack(ctx, stackName)
	if err != nil {
		return nil, err
	}
	p := stack.ControlPlaneParams{Name: name, LogRetentionDays: req.LogRetentionDays}
	var curParams map[string]string
	if cur != nil && cur.StackStatus != types.StackStatusReviewInProgress && cur.StackStatus != types.StackStatusRollbackComplete {
		curParams = paramMap(cur.Parameters)
	}
	switch {
	case req.Network != nil:
		p.Network = *req.Network
	case curParams != nil:
		p.Network = networkOf(curParams)
	default:
		n, err := stack.DefaultNetwork(ctx, d.c.EC2)
		if err != nil {
			return nil, err
		}
		p.Network = n
	}
	if p.LogRetentionDays == 0 && curParams != nil {
		p.LogRetentionDays, _ = strconv.Atoi(curParams["LogRetentionDays"])
	}
	if curParams != nil {
		p.ExistingTasksTable = curParams["ExistingTasksTable"]
	} else if kept, err := d.keptTasksTable(ctx, name); err != nil {
		return nil, err
	} else {
		p.ExistingTasksTable = kept
	}
	ps, err := p.Parameters()
	if err != nil {
		return nil, err
	}
	tpl := stack.ControlPlane()
	return d.Plan(ctx, StackSpec{Name: stackName, Kind: stack.KindControlPlane, TemplateBody: tpl.Body, TemplateSHA: tpl.SHA256,
		Parameters: ps, Tags: stackTags(stack.KindControlPlane, name, "", version.Version, tpl.SHA256)})
}

// networkOf reads a deployed control plane's network back from its parameters.
func networkOf(m map[string]string) stack.Network {
	return stack.Network{VPCID: m["VpcId"], SubnetIDs: splitList(m["SubnetIds"]), PublicIP: m["AssignPublicIp"] == "ENABLED",
		Endpoints: m["VpcEndpoints"] == "true", RouteTableIDs: splitList(m["RouteTableIds"]), NAT: m["NatGateway"] == "true", NATSubnetID: m["NatSubnetId"]}
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// ControlPlane reads a deployed control plane's outputs; ErrNoControlPlane when there
// is none (or it is not usable: still being created, rolled back).
func (d *Deployer) ControlPlane(ctx context.Context, name string) (stack.ControlPlaneOutputs, error) {
	if name == "" {
		name = DefaultControlPlane
	}
	cur, err := d.describeStack(ctx, ControlPlaneStackName(name))
	if err != nil {
		return stack.ControlPlaneOutputs{}, err
	}
	if cur == nil || cur.StackStatus == types.StackStatusReviewInProgress {
		return stack.ControlPlaneOutputs{}, fmt.Errorf("control plane %q in %s: %w", name, d.region, ErrNoControlPlane)
	}
	switch cur.StackStatus {
	case types.StackStatusCreateComplete, types.StackStatusUpdateComplete, types.StackStatusUpdateRollbackComplete:
	default:
		return stack.ControlPlaneOutputs{}, &StackStateError{Stack: aws.ToString(cur.StackName), Status: string(cur.StackStatus),
			Reason: "the control plane is not ready", DeleteAndRetry: cur.StackStatus == types.StackStatusRollbackComplete, kind: ErrStuck}
	}
	return stack.ParseControlPlaneOutputs(cur.Outputs)
}

// Tags on a kept tasks table: whose it was, so a new control plane of that name
// adopts it.
const (
	tagKept = "thub:kept"
)

// keptTasksTable finds the tasks table a deleted control plane of this name kept
// (tagged when it was deleted with its data). Table names CloudFormation gave start
// with the stack's name.
func (d *Deployer) keptTasksTable(ctx context.Context, name string) (string, error) {
	prefix := ControlPlaneStackName(name) + "-"
	p := dynamodb.NewListTablesPaginator(d.c.DynamoDB, &dynamodb.ListTablesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("look for a kept tasks table: %w", err)
		}
		for _, t := range page.TableNames {
			if !strings.HasPrefix(t, prefix) {
				continue
			}
			desc, err := d.c.DynamoDB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(t)})
			if err != nil {
				return "", fmt.Errorf("look at table %s: %w", t, err)
			}
			tags, err := d.c.DynamoDB.ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: desc.Table.TableArn})
			if err != nil {
				return "", fmt.Errorf("read the tags of table %s: %w", t, err)
			}
			m := map[string]string{}
			for _, tg := range tags.Tags {
				m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
			}
			if m[tagKept] == "true" && m[TagControlPlane] == name {
				return t, nil
			}
		}
	}
	return "", nil
}

// markKept tags a table that outlives its stack.
func (d *Deployer) markKept(ctx context.Context, table, controlPlane, taskID string) error {
	desc, err := d.c.DynamoDB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		return fmt.Errorf("look at table %s: %w", table, err)
	}
	tags := []ddbtypes.Tag{{Key: aws.String(tagKept), Value: aws.String("true")}, {Key: aws.String(TagControlPlane), Value: aws.String(controlPlane)}}
	if taskID != "" {
		tags = append(tags, ddbtypes.Tag{Key: aws.String(TagTaskID), Value: aws.String(taskID)})
	}
	if _, err := d.c.DynamoDB.TagResource(ctx, &dynamodb.TagResourceInput{ResourceArn: desc.Table.TableArn, Tags: tags}); err != nil {
		return fmt.Errorf("tag the kept table %s: %w", table, err)
	}
	return nil
}

// tableExists tells whether a table is there.
func (d *Deployer) tableExists(ctx context.Context, table string) (bool, error) {
	_, err := d.c.DynamoDB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	var nf *ddbtypes.ResourceNotFoundException
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &nf):
		return false, nil
	}
	return false, fmt.Errorf("look at table %s: %w", table, err)
}

// deleteTable deletes a table; one that is gone is deleted.
func (d *Deployer) deleteTable(ctx context.Context, table string) error {
	_, err := d.c.DynamoDB.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	var nf *ddbtypes.ResourceNotFoundException
	if err != nil && !errors.As(err, &nf) {
		return fmt.Errorf("delete table %s: %w", table, err)
	}
	return nil
}
