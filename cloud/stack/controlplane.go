package stack

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"transferhub/cloud/invalid"
)

// ControlPlaneParams are the control plane's parameters.
type ControlPlaneParams struct {
	// Name, lower case (default "thub"): the agent repository is <Name>/agent.
	Name    string
	Network Network
	// LogRetentionDays of the agents' log group (default 30; one of CloudWatch Logs'
	// retention values).
	LogRetentionDays int
	// ExistingTasksTable adopts the tasks table a deleted control plane kept (tables are
	// retained on delete); empty: create one.
	ExistingTasksTable string
}

// Network is where the agents run. The deployer fills VPCID and SubnetIDs with the
// default VPC's (DefaultNetwork) unless the user chose them.
type Network struct {
	VPCID     string
	SubnetIDs []string
	// PublicIP: the subnets are public (the default VPC's are); agents get public
	// addresses. Private subnets need NAT or Endpoints (or a way out of their own).
	PublicIP bool
	// Endpoints creates VPC endpoints for S3, DynamoDB, SQS, ECR, CloudWatch Logs,
	// Secrets Manager and STS (at most one subnet per Availability Zone then).
	Endpoints bool
	// RouteTableIDs of the subnets: the gateway endpoints and the NAT route go there.
	RouteTableIDs []string
	// NAT creates a NAT gateway in NATSubnetID (a public subnet of the VPC) and routes
	// RouteTableIDs (at most 3) through it.
	NAT         bool
	NATSubnetID string
}

var (
	cpNameRE  = regexp.MustCompile(`^[a-z][a-z0-9-]{0,29}$`)
	vpcRE     = regexp.MustCompile(`^vpc-[0-9a-f]+$`)
	subnetRE  = regexp.MustCompile(`^subnet-[0-9a-f]+$`)
	rtbRE     = regexp.MustCompile(`^rtb-[0-9a-f]+$`)
	retention = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)

// Parameters validates p and renders every parameter of the control plane template.
func (p ControlPlaneParams) Parameters() ([]types.Parameter, error) {
	var l invalid.List
	name := p.Name
	if name == "" {
		name = "thub"
	}
	if !cpNameRE.MatchString(name) {
		l.Add("name", "use 1 to 30 lower-case letters, digits and dashes, starting with a letter")
	}
	n := p.Network
	if !vpcRE.MatchString(n.VPCID) {
		l.Add("network.vpcId", "give the VPC (vpc-...) the agents run in")
	}
	if len(n.SubnetIDs) == 0 {
		l.Add("network.subnetIds", "give at least one subnet of the VPC")
	}
	for _, s := range n.SubnetIDs {
		if !subnetRE.MatchString(s) {
			l.Add("network.subnetIds", fmt.Sprintf("%q is not a subnet id (subnet-...)", s))
		}
	}
	for _, r := range n.RouteTableIDs {
		if !rtbRE.MatchString(r) {
			l.Add("network.routeTableIds", fmt.Sprintf("%q is not a route table id (rtb-...)", r))
		}
	}
	if (n.Endpoints || n.NAT) && len(n.RouteTableIDs) == 0 {
		l.Add("network.routeTableIds", "VPC endpoints and NAT need the subnets' route tables")
	}
	if n.NAT {
		if !subnetRE.MatchString(n.NATSubnetID) {
			l.Add("network.natSubnetId", "a NAT gateway needs a public subnet of the VPC (subnet-...)")
		}
		if len(n.RouteTableIDs) > 3 {
			l.Add("network.routeTableIds", "at most 3 route tables are routed through the NAT gateway")
		}
	}
	days := p.LogRetentionDays
	if days == 0 {
		days = 30
	}
	if !oneOf(days, retention) {
		l.Add("logRetentionDays", fmt.Sprintf("%d is not a CloudWatch Logs retention; use one of %v", days, retention))
	}
	if err := l.Err("control plane"); err != nil {
		return nil, err
	}
	return parameters(map[string]string{
		"Name":               name,
		"VpcId":              n.VPCID,
		"SubnetIds":          strings.Join(n.SubnetIDs, ","),
		"AssignPublicIp":     enabled(n.PublicIP),
		"VpcEndpoints":       strconv.FormatBool(n.Endpoints),
		"RouteTableIds":      strings.Join(n.RouteTableIDs, ","),
		"NatGateway":         strconv.FormatBool(n.NAT),
		"NatSubnetId":        n.NATSubnetID,
		"LogRetentionDays":   strconv.Itoa(days),
		"ExistingTasksTable": p.ExistingTasksTable,
	}), nil
}

// ControlPlaneOutputs is what the control plane stack outputs; task stacks take it as
// parameters.
type ControlPlaneOutputs struct {
	AssetsBucket       string   `cfn:"AssetsBucket"`
	KeyARN             string   `cfn:"KeyArn"`
	AgentRepositoryURI string   `cfn:"AgentRepositoryUri"`
	AgentRepositoryARN string   `cfn:"AgentRepositoryArn"`
	ClusterARN         string   `cfn:"ClusterArn"`
	TasksTable         string   `cfn:"TasksTable"`
	AlertTopicARN      string   `cfn:"AlertTopicArn"`
	AgentLogGroup      string   `cfn:"AgentLogGroup"`
	SecurityGroupID    string   `cfn:"SecurityGroupId"`
	SubnetIDs          []string `cfn:"SubnetIds"`
	AssignPublicIP     string   `cfn:"AssignPublicIp"` // ENABLED or DISABLED
	VPCID              string   `cfn:"VpcId"`
}

// ParseControlPlaneOutputs reads a control plane stack's outputs (DescribeStacks).
func ParseControlPlaneOutputs(outs []types.Output) (ControlPlaneOutputs, error) {
	return parseOutputs[ControlPlaneOutputs](outs, "control plane")
}

// taskParameters are the parameters every task stack takes from the control plane.
func (o ControlPlaneOutputs) taskParameters(l *invalid.List, m map[string]string) {
	for _, f := range []struct{ name, v string }{
		{"AssetsBucket", o.AssetsBucket}, {"KeyArn", o.KeyARN}, {"ClusterArn", o.ClusterARN},
		{"AgentRepositoryArn", o.AgentRepositoryARN}, {"AgentLogGroup", o.AgentLogGroup},
		{"AlertTopicArn", o.AlertTopicARN}, {"SecurityGroupId", o.SecurityGroupID},
	} {
		if f.v == "" {
			l.Add("controlPlane."+f.name, "missing: read the control plane's outputs (ParseControlPlaneOutputs)")
		}
		m[f.name] = f.v
	}
	if len(o.SubnetIDs) == 0 {
		l.Add("controlPlane.SubnetIds", "missing: read the control plane's outputs (ParseControlPlaneOutputs)")
	}
	m["SubnetIds"] = strings.Join(o.SubnetIDs, ",")
	switch o.AssignPublicIP {
	case "ENABLED", "DISABLED":
	default:
		l.Add("controlPlane.AssignPublicIp", "ENABLED or DISABLED")
	}
	m["AssignPublicIp"] = o.AssignPublicIP
}

func enabled(b bool) string {
	if b {
		return "ENABLED"
	}
	return "DISABLED"
}

func oneOf(v int, set []int) bool {
	for _, s := range set {
		if s == v {
			return true
		}
	}
	return false
}
