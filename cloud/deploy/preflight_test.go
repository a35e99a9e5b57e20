package deploy

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"transferhub/cloud/deploy/cfnfake"
	"transferhub/cloud/stack"
	"transferhub/cloud/stack/cfnyaml"
	"transferhub/cloud/testenv"
)

// The pre-flight's permission check against the replaying fake's
// SimulatePrincipalPolicy (the AWS emulator has none); its network logic against a
// small stand-in of EC2's answers.

// netStub answers the EC2 and Auto Scaling reads the pre-flight makes.
type netStub struct {
	EC2API
	subnets   []ec2types.Subnet
	tables    []ec2types.RouteTable
	endpoints []ec2types.VpcEndpoint
	asgs, max int32
}

func (n *netStub) DescribeSubnets(_ context.Context, in *ec2.DescribeSubnetsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	var out []ec2types.Subnet
	for _, s := range n.subnets {
		for _, id := range in.SubnetIds {
			if aws.ToString(s.SubnetId) == id {
				out = append(out, s)
			}
		}
	}
	return &ec2.DescribeSubnetsOutput{Subnets: out}, nil
}

func (n *netStub) DescribeRouteTables(context.Context, *ec2.DescribeRouteTablesInput, ...func(*ec2.Options)) (*ec2.DescribeRouteTablesOutput, error) {
	return &ec2.DescribeRouteTablesOutput{RouteTables: n.tables}, nil
}

func (n *netStub) DescribeVpcEndpoints(context.Context, *ec2.DescribeVpcEndpointsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error) {
	return &ec2.DescribeVpcEndpointsOutput{VpcEndpoints: n.endpoints}, nil
}

func (n *netStub) DescribeAccountLimits(context.Context, *autoscaling.DescribeAccountLimitsInput, ...func(*autoscaling.Options)) (*autoscaling.DescribeAccountLimitsOutput, error) {
	return &autoscaling.DescribeAccountLimitsOutput{NumberOfAutoScalingGroups: aws.Int32(n.asgs), MaxNumberOfAutoScalingGroups: aws.Int32(n.max)}, nil
}

// publicNet: two subnets, a main table with a route to an internet gateway.
func publicNet() *netStub {
	return &netStub{
		subnets: []ec2types.Subnet{{SubnetId: aws.String("subnet-a")}, {SubnetId: aws.String("subnet-b")}},
		tables: []ec2types.RouteTable{{RouteTableId: aws.String("rtb-main"), Associations: []ec2types.RouteTableAssociation{{Main: aws.Bool(true)}},
			Routes: []ec2types.Route{{DestinationCidrBlock: aws.String("10.0.0.0/16"), GatewayId: aws.String("local")}, {DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: aws.String("igw-1")}}}},
		asgs: 3, max: 500,
	}
}

func preflightDeployer(t *testing.T, net *netStub) (*Deployer, *cfnfake.Server) {
	d, f := fakeDeployer(t)
	d.c.EC2, d.c.AutoScaling = net, net
	f.SetAccountSummary(map[string]int32{"Roles": 40, "RolesQuota": 1000})
	f.SetLimits(map[string]int32{"StackLimit": 2000})
	return d, f
}

var pubNetwork = &stack.Network{VPCID: "vpc-1", SubnetIDs: []string{"subnet-a", "subnet-b"}, PublicIP: true}

func checkOf(r PreflightReport, prefix string) Check {
	for _, c := range r.Checks {
		if strings.HasPrefix(c.Name, prefix) {
			return c
		}
	}
	return Check{}
}

func TestPreflightAllowed(t *testing.T) {
	d, f := preflightDeployer(t, publicNet())
	r, err := d.Preflight(context.Background(), PreflightRequest{Network: pubNetwork, S3Tasks: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() || r.Identity.Account != cfnfake.Account || r.Identity.Partition != "aws" || len(r.Missing) != 0 {
		t.Fatalf("report %+v", r)
	}
	for _, name := range []string{"identity", "permissions", "quota: CloudFormation stacks", "quota: IAM roles", "quota: Auto Scaling groups", "network"} {
		if c := checkOf(r, name); c.Status != CheckOK {
			t.Errorf("%s: %+v", name, c)
		}
	}
	// Every required action was simulated, for the caller (a user), on concrete ARNs
	// for the scoped statements.
	simulated := map[string]bool{}
	for _, c := range f.Calls() {
		if c.Action != "SimulatePrincipalPolicy" {
			continue
		}
		if c.Form.Get("PolicySourceArn") != "arn:aws:iam::"+cfnfake.Account+":user/deployer" {
			t.Errorf("simulated for %s", c.Form.Get("PolicySourceArn"))
		}
		for k, v := range c.Form {
			if strings.HasPrefix(k, "ActionNames.member.") {
				simulated[v[0]] = true
			}
			if strings.HasPrefix(k, "ResourceArns.member.") && strings.Contains(v[0], "*") {
				t.Errorf("simulated on a pattern %s", v[0])
			}
		}
	}
	if len(simulated) != len(RequiredActions()) {
		t.Errorf("%d actions simulated, %d required", len(simulated), len(RequiredActions()))
	}
}

func TestPreflightNamesTheMissingActions(t *testing.T) {
	d, f := preflightDeployer(t, publicNet())
	f.SetIdentity(cfnfake.Identity{Account: cfnfake.Account, Arn: "arn:aws:sts::" + cfnfake.Account + ":assumed-role/AWSReservedSSO_Deployers_0a1b2c/alice@example.com", UserID: "AROA:alice"})
	f.AddRole("AWSReservedSSO_Deployers_0a1b2c", "arn:aws:iam::"+cfnfake.Account+":role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Deployers_0a1b2c")
	f.Decide("implicitDeny", "iam:PassRole", "ecr:PutImage")
	f.Decide("explicitDeny", "secretsmanager:CreateSecret")
	r, err := d.Preflight(context.Background(), PreflightRequest{Network: pubNetwork})
	if err != nil {
		t.Fatal(err)
	}
	c := checkOf(r, "permissions")
	if r.OK() || c.Status != CheckProblem || strings.Join(r.Missing, ",") != "ecr:PutImage,iam:PassRole,secretsmanager:CreateSecret" {
		t.Fatalf("check %+v missing %v", c, r.Missing)
	}
	if !strings.Contains(c.Summary, "role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Deployers_0a1b2c lacks 3") {
		t.Errorf("summary %q: want the role (with its path) the session belongs to", c.Summary)
	}
}

func TestPreflightSaysWhenPermissionsCannotBeChecked(t *testing.T) {
	d, f := preflightDeployer(t, publicNet())
	f.FailSimulation(&cfnfake.APIError{Status: 403, Code: "AccessDenied", Message: "User: arn:aws:iam::123456789012:user/deployer is not authorized to perform: iam:SimulatePrincipalPolicy"})
	r, err := d.Preflight(context.Background(), PreflightRequest{Network: pubNetwork})
	if err != nil {
		t.Fatal(err)
	}
	c := checkOf(r, "permissions")
	if c.Status != CheckUnknown || !strings.Contains(c.Summary, "could not be checked") || !strings.Contains(c.Summary, "not authorized to perform: iam:SimulatePrincipalPolicy") || !r.OK() {
		t.Fatalf("%+v", c)
	}
	f.SetIdentity(cfnfake.Identity{Account: cfnfake.Account, Arn: "arn:aws:iam::" + cfnfake.Account + ":root"})
	d.who = Identity{}
	r, _ = d.Preflight(context.Background(), PreflightRequest{Network: pubNetwork})
	if c := checkOf(r, "permissions"); c.Status != CheckUnknown || !strings.Contains(c.Summary, "root") {
		t.Errorf("root: %+v", c)
	}
	if c := checkOf(r, "identity"); c.Status != CheckWarning {
		t.Errorf("root identity: %+v", c)
	}
}

func TestPreflightQuotasAndPartition(t *testing.T) {
	net := publicNet()
	net.asgs, net.max = 500, 500
	d, f := preflightDeployer(t, net)
	f.SetLimits(map[string]int32{"StackLimit": 1})
	f.AddStack(cfnfake.Stack{Name: "someone-elses", Status: "CREATE_COMPLETE"})
	f.SetAccountSummary(map[string]int32{"Roles": 998, "RolesQuota": 1000})
	r, _ := d.Preflight(context.Background(), PreflightRequest{Network: pubNetwork, S3Tasks: 1})
	for _, name := range []string{"quota: CloudFormation stacks", "quota: IAM roles", "quota: Auto Scaling groups"} {
		if c := checkOf(r, name); c.Status != CheckProblem || !strings.Contains(c.Summary, "needs") {
			t.Errorf("%s: %+v", name, c)
		}
	}
	d.region = "cn-north-1"
	r, _ = d.Preflight(context.Background(), PreflightRequest{Network: pubNetwork})
	if c := checkOf(r, "identity"); c.Status != CheckProblem || !strings.Contains(c.Summary, "aws-cn") {
		t.Errorf("a global identity in a China Region: %+v", c)
	}
}

func TestReachability(t *testing.T) {
	net := publicNet()
	// subnet-p: private, own table, default route nowhere; gateway endpoints for S3
	// and DynamoDB there, interface endpoints for the rest but STS.
	net.subnets = append(net.subnets, ec2types.Subnet{SubnetId: aws.String("subnet-p")}, ec2types.Subnet{SubnetId: aws.String("subnet-n")})
	net.tables = append(net.tables,
		ec2types.RouteTable{RouteTableId: aws.String("rtb-p"), Associations: []ec2types.RouteTableAssociation{{SubnetId: aws.String("subnet-p")}},
			Routes: []ec2types.Route{{DestinationCidrBlock: aws.String("10.0.0.0/16"), GatewayId: aws.String("local")}}},
		ec2types.RouteTable{RouteTableId: aws.String("rtb-n"), Associations: []ec2types.RouteTableAssociation{{SubnetId: aws.String("subnet-n")}},
			Routes: []ec2types.Route{{DestinationCidrBlock: aws.String("0.0.0.0/0"), NatGatewayId: aws.String("nat-1")}}})
	for _, svc := range []string{"s3", "dynamodb"} {
		net.endpoints = append(net.endpoints, ec2types.VpcEndpoint{ServiceName: aws.String("com.amazonaws.us-east-1." + svc), State: ec2types.StateAvailable,
			VpcEndpointType: ec2types.VpcEndpointTypeGateway, RouteTableIds: []string{"rtb-p"}})
	}
	for _, svc := range []string{"sqs", "ecr.api", "ecr.dkr", "logs", "secretsmanager"} {
		net.endpoints = append(net.endpoints, ec2types.VpcEndpoint{ServiceName: aws.String("com.amazonaws.us-east-1." + svc), State: ec2types.StateAvailable,
			VpcEndpointType: ec2types.VpcEndpointTypeInterface, PrivateDnsEnabled: aws.Bool(true)})
	}
	d, _ := preflightDeployer(t, net)
	ctx := context.Background()
	n := stack.Network{VPCID: "vpc-1", SubnetIDs: []string{"subnet-a", "subnet-p", "subnet-n"}, PublicIP: true}
	got := reachability(ctx, t, d, n)
	if r := got["subnet-a"]; !r.Internet || r.Route != "igw-1" || len(r.Missing) != 0 {
		t.Errorf("public subnet %+v", r)
	}
	if r := got["subnet-n"]; !r.Internet || r.Route != "nat-1" {
		t.Errorf("NAT subnet %+v", r)
	}
	if r := got["subnet-p"]; r.Internet || strings.Join(r.Missing, ",") != "sts" {
		t.Errorf("private subnet %+v: want everything but STS through endpoints", r)
	}
	r, _ := d.Preflight(ctx, PreflightRequest{Network: &n})
	if c := checkOf(r, "network"); c.Status != CheckProblem || !strings.Contains(strings.Join(c.Details, "\n"), "subnet-p: no route to the internet and no VPC endpoint for sts") {
		t.Errorf("%+v", c)
	}
	// The control plane's own endpoints cover the private subnet.
	n.Endpoints = true
	r, _ = d.Preflight(ctx, PreflightRequest{Network: &n})
	if c := checkOf(r, "network"); c.Status != CheckWarning {
		t.Errorf("with endpoints: %+v", c)
	}
	// An internet gateway without public addresses is no way out.
	n = stack.Network{VPCID: "vpc-1", SubnetIDs: []string{"subnet-a"}}
	reach, _ := d.Reachability(ctx, n)
	if reach[0].Internet || !strings.Contains(reach[0].Route, "no public address") {
		t.Errorf("igw without public IPs: %+v", reach[0])
	}
}

// TestPolicyCoversTheTemplates: every resource type of the templates has its
// permissions listed, and cloud/docs/deploy.md shows the policy the code checks.
func TestPolicyCoversTheTemplates(t *testing.T) {
	for _, tpl := range stack.Templates() {
		doc, err := cfnyaml.Parse([]byte(tpl.Body))
		if err != nil {
			t.Fatal(err)
		}
		for name, r := range doc.Resources {
			if _, ok := resourceActions[r.Type]; !ok {
				t.Errorf("%s: %s is a %s, whose permissions are not in resourceActions", tpl.Kind, name, r.Type)
			}
		}
		for name, p := range doc.Parameters {
			if typ, _ := p["Type"].(string); strings.HasPrefix(typ, "AWS::SSM::") {
				if _, ok := resourceActions[typ]; !ok {
					t.Errorf("%s: parameter %s of type %s needs its permissions listed", tpl.Kind, name, typ)
				}
			}
		}
	}
	var policy map[string]any
	if err := json.Unmarshal([]byte(PolicyDocument("", "", "")), &policy); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "cloud", "docs", "deploy.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "```json\n"+PolicyDocument("", "", DefaultControlPlane)+"\n```") {
		t.Error("cloud/docs/deploy.md does not show the policy of PolicyDocument(\"\", \"\", \"thub\"): update its Permissions section")
	}
	acts := RequiredActions()
	if !sort.StringsAreSorted(acts) || len(acts) < 150 {
		t.Errorf("%d required actions", len(acts))
	}
}

// reachability is d.Reachability of n by subnet.
func reachability(ctx context.Context, t *testing.T, d *Deployer, n stack.Network) map[string]SubnetReach {
	t.Helper()
	reach, err := d.Reachability(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]SubnetReach{}
	for _, r := range reach {
		got[r.Subnet] = r
	}
	return got
}
