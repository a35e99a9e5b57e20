package stack

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// EC2API is what DefaultNetwork reads.
type EC2API interface {
	DescribeVpcs(context.Context, *ec2.DescribeVpcsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error)
	DescribeSubnets(context.Context, *ec2.DescribeSubnetsInput, ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error)
}

// ErrNoDefaultVPC: the Region has no default VPC (it was deleted); the user must pick a
// VPC and subnets.
var ErrNoDefaultVPC = errors.New("this Region has no default VPC: choose a VPC and subnets for the agents")

// DefaultNetwork is the Region's default VPC with its default subnets (one per
// Availability Zone, public): where the control plane runs the agents unless the user
// chooses a network.
func DefaultNetwork(ctx context.Context, api EC2API) (Network, error) {
	vpcs, err := api.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: aws.String("is-default"), Values: []string{"true"}}}})
	if err != nil {
		return Network{}, fmt.Errorf("look up the default VPC: %w", err)
	}
	if len(vpcs.Vpcs) == 0 {
		return Network{}, ErrNoDefaultVPC
	}
	vpc := aws.ToString(vpcs.Vpcs[0].VpcId)
	n := Network{VPCID: vpc, PublicIP: true}
	p := ec2.NewDescribeSubnetsPaginator(api, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{vpc}},
		{Name: aws.String("default-for-az"), Values: []string{"true"}},
	}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return Network{}, fmt.Errorf("look up the default subnets of %s: %w", vpc, err)
		}
		for _, s := range page.Subnets {
			n.SubnetIDs = append(n.SubnetIDs, aws.ToString(s.SubnetId))
		}
	}
	if len(n.SubnetIDs) == 0 {
		return Network{}, fmt.Errorf("the default VPC %s has no default subnets: choose subnets for the agents", vpc)
	}
	sort.Strings(n.SubnetIDs)
	return n, nil
}
