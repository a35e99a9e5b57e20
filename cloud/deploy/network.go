package deploy

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"transferhub/cloud/stack"
)

// awsServices are what the agents reach in AWS, by VPC endpoint service suffix.
var awsServices = []string{"s3", "dynamodb", "sqs", "ecr.api", "ecr.dkr", "logs", "secretsmanager", "sts"}

// SubnetReach is what one subnet's agents can reach.
type SubnetReach struct {
	Subnet string `json:"subnet"`
	// Internet: a default route to an internet gateway (with public addresses) or a
	// NAT gateway.
	Internet bool   `json:"internet"`
	Route    string `json:"route,omitempty"` // the default route's target
	// Services are the AWS services reachable through VPC endpoints (or the
	// internet); Missing those that are not.
	Services []string `json:"services,omitempty"`
	Missing  []string `json:"missing,omitempty"`
}

// Reachability says what each of the network's subnets reaches: the internet (an
// internet gateway with public addresses, or a NAT gateway) or, without it, the VPC
// endpoints of the AWS services the agents use. Endpoints and a NAT gateway the control
// plane is to make count as there.
func (d *Deployer) Reachability(ctx context.Context, n stack.Network) ([]SubnetReach, error) {
	subnets, err := d.c.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: n.SubnetIDs})
	if err != nil {
		return nil, fmt.Errorf("look up the subnets %s: %w", strings.Join(n.SubnetIDs, ", "), err)
	}
	tables, err := d.c.EC2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{n.VPCID}}}})
	if err != nil {
		return nil, fmt.Errorf("look up the route tables of %s: %w", n.VPCID, err)
	}
	eps, err := d.c.EC2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{n.VPCID}}}})
	if err != nil {
		return nil, fmt.Errorf("look up the VPC endpoints of %s: %w", n.VPCID, err)
	}
	var out []SubnetReach
	for _, s := range subnets.Subnets {
		id := aws.ToString(s.SubnetId)
		rt := routeTableOf(id, tables.RouteTables)
		r := SubnetReach{Subnet: id}
		target := defaultRoute(rt)
		r.Route = target
		switch {
		case strings.HasPrefix(target, "igw-"):
			r.Internet = n.PublicIP
			if !n.PublicIP {
				r.Route = target + " (but the agents get no public address: AssignPublicIp is DISABLED)"
			}
		case strings.HasPrefix(target, "nat-"):
			r.Internet = true
		case n.NAT && slices.Contains(n.RouteTableIDs, aws.ToString(rt.RouteTableId)):
			r.Internet, r.Route = true, "the NAT gateway the control plane makes"
		}
		reach := map[string]bool{}
		for _, svc := range awsServices {
			reach[svc] = r.Internet || n.Endpoints
		}
		for _, ep := range eps.VpcEndpoints {
			if ep.State != ec2types.StateAvailable && ep.State != "available" {
				continue
			}
			svc := serviceOf(aws.ToString(ep.ServiceName))
			switch ep.VpcEndpointType {
			case ec2types.VpcEndpointTypeGateway:
				if rt != nil && slices.Contains(ep.RouteTableIds, aws.ToString(rt.RouteTableId)) {
					reach[svc] = true
				}
			default:
				if aws.ToBool(ep.PrivateDnsEnabled) {
					reach[svc] = true
				}
			}
		}
		for _, svc := range awsServices {
			if reach[svc] {
				r.Services = append(r.Services, svc)
			} else {
				r.Missing = append(r.Missing, svc)
			}
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Subnet < out[j].Subnet })
	return out, nil
}

// routeTableOf: the subnet's own route table, or the VPC's main one.
func routeTableOf(subnet string, tables []ec2types.RouteTable) *ec2types.RouteTable {
	var main *ec2types.RouteTable
	for i := range tables {
		for _, a := range tables[i].Associations {
			if aws.ToString(a.SubnetId) == subnet {
				return &tables[i]
			}
			if aws.ToBool(a.Main) {
				main = &tables[i]
			}
		}
	}
	return main
}

// defaultRoute is the target of the table's 0.0.0.0/0 route ("" when none).
func defaultRoute(rt *ec2types.RouteTable) string {
	if rt == nil {
		return ""
	}
	for _, r := range rt.Routes {
		if aws.ToString(r.DestinationCidrBlock) != "0.0.0.0/0" || r.State == ec2types.RouteStateBlackhole {
			continue
		}
		for _, t := range []*string{r.NatGatewayId, r.GatewayId, r.TransitGatewayId, r.NetworkInterfaceId, r.VpcPeeringConnectionId, r.InstanceId} {
			if v := aws.ToString(t); v != "" {
				return v
			}
		}
	}
	return ""
}

// serviceOf: com.amazonaws.us-east-1.ecr.api → ecr.api.
func serviceOf(name string) string {
	parts := strings.Split(name, ".")
	if len(parts) < 4 {
		return name
	}
	return strings.Join(parts[3:], ".")
}

// checkNetwork is the pre-flight's reachability check.
func (d *Deployer) checkNetwork(ctx context.Context, req PreflightRequest) Check {
	c := Check{Name: "network"}
	n := req.Network
	if n == nil {
		if cp, err := d.describeStack(ctx, ControlPlaneStackName(req.ControlPlane)); err == nil && cp != nil && len(cp.Parameters) > 0 {
			nw := networkOf(paramMap(cp.Parameters))
			n = &nw
		} else if nw, err := stack.DefaultNetwork(ctx, d.c.EC2); err == nil {
			n = &nw
		} else {
			c.Status, c.Summary = CheckProblem, err.Error()
			return c
		}
	}
	reach, err := d.Reachability(ctx, *n)
	if err != nil {
		c.Status, c.Summary = CheckUnknown, fmt.Sprintf("could not be checked: %v", err)
		return c
	}
	c.Status = CheckOK
	cut, internet := 0, 0
	for _, r := range reach {
		switch {
		case r.Internet:
			internet++
			c.Details = append(c.Details, fmt.Sprintf("%s: the internet through %s", r.Subnet, r.Route))
		case len(r.Missing) == 0:
			c.Details = append(c.Details, fmt.Sprintf("%s: AWS through VPC endpoints only (a far side outside AWS needs a way out: NAT or a proxy)", r.Subnet))
			if c.Status == CheckOK {
				c.Status = CheckWarning
			}
		default:
			cut++
			c.Details = append(c.Details, fmt.Sprintf("%s: no route to the internet and no VPC endpoint for %s", r.Subnet, strings.Join(r.Missing, ", ")))
		}
	}
	switch {
	case cut > 0:
		c.Status = CheckProblem
		c.Summary = fmt.Sprintf("%d of %d subnets of %s reach neither the internet nor every AWS service the agents use: give public subnets, or a NAT gateway or VPC endpoints (cloud/docs/deploy.md, Private subnets)", cut, len(reach), n.VPCID)
	case internet == len(reach):
		c.Summary = fmt.Sprintf("the %d subnets of %s reach the internet", len(reach), n.VPCID)
	default:
		c.Summary = fmt.Sprintf("the subnets of %s reach AWS; %d of %d reach the internet", n.VPCID, internet, len(reach))
	}
	return c
}
