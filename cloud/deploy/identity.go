package deploy

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Identity is who deploys: the account, the partition and the caller's ARN.
type Identity struct {
	Account   string `json:"account"`
	Partition string `json:"partition"` // aws, aws-cn, aws-us-gov, ...
	ARN       string `json:"arn"`
	UserID    string `json:"userId"`
}

// Identity asks STS who the deployer's credentials are (once; the answer is kept).
func (d *Deployer) Identity(ctx context.Context) (Identity, error) {
	if d.who.Account != "" {
		return d.who, nil
	}
	out, err := d.c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Identity{}, fmt.Errorf("who am I (sts:GetCallerIdentity): %w", err)
	}
	arn := aws.ToString(out.Arn)
	d.who = Identity{Account: aws.ToString(out.Account), ARN: arn, UserID: aws.ToString(out.UserId), Partition: partitionOf(arn)}
	return d.who, nil
}

// partitionOf reads arn:<partition>:...
func partitionOf(arn string) string {
	parts := strings.SplitN(arn, ":", 3)
	if len(parts) < 3 || parts[0] != "arn" {
		return "aws"
	}
	return parts[1]
}
