package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// FitRolesToEmulator adapts a TEST deployment's roles to the AWS emulator's IAM, which
// enforces policies with two gaps (see the project's testing notes): a trust policy
// whose statements name only a service cannot be assumed at all, and resource ARNs are
// evaluated for S3 and SQS only (any other service matches a statement against "*", so
// a statement scoped to a table's ARN would deny). For every role of the stack it adds
// principal (the identity the harness assumes roles with) to each trust statement, and
// widens the Resource of each policy statement that names no S3 or SQS resource to "*".
// Actions stay exactly as deployed, so the roles' actions are what is tested; their ARN
// scoping beyond S3 and SQS is checked by the template tests (cloud/stack). Never use it
// outside the emulator.
func FitRolesToEmulator(ctx context.Context, cfg aws.Config, stackName, principal string) ([]string, error) {
	cf := cloudformation.NewFromConfig(cfg)
	rs, err := cf.DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{StackName: aws.String(stackName)})
	if err != nil {
		return nil, fmt.Errorf("the roles of stack %s: %w", stackName, err)
	}
	c := iam.NewFromConfig(cfg)
	var changed []string
	for _, r := range rs.StackResources {
		if aws.ToString(r.ResourceType) != "AWS::IAM::Role" {
			continue
		}
		role := aws.ToString(r.PhysicalResourceId)
		got, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)})
		if err != nil {
			return changed, fmt.Errorf("role %s: %w", role, err)
		}
		trust, err := policyDoc(aws.ToString(got.Role.AssumeRolePolicyDocument))
		if err != nil {
			return changed, fmt.Errorf("the trust policy of %s: %w", role, err)
		}
		for _, st := range statements(trust) {
			p, _ := st["Principal"].(map[string]any)
			if p == nil {
				p = map[string]any{}
				st["Principal"] = p
			}
			p["AWS"] = principal
		}
		if _, err := c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(role), PolicyDocument: aws.String(jsonString(trust))}); err != nil {
			return changed, fmt.Errorf("the trust policy of %s: %w", role, err)
		}
		names, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(role)})
		if err != nil {
			return changed, fmt.Errorf("the policies of %s: %w", role, err)
		}
		for _, name := range names.PolicyNames {
			rp, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(name)})
			if err != nil {
				return changed, fmt.Errorf("policy %s of %s: %w", name, role, err)
			}
			doc, err := policyDoc(aws.ToString(rp.PolicyDocument))
			if err != nil {
				return changed, fmt.Errorf("policy %s of %s: %w", name, role, err)
			}
			for _, st := range statements(doc) {
				if !namesS3OrSQS(st["Resource"]) {
					st["Resource"] = "*"
				}
			}
			if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(name), PolicyDocument: aws.String(jsonString(doc))}); err != nil {
				return changed, fmt.Errorf("policy %s of %s: %w", name, role, err)
			}
		}
		changed = append(changed, role)
	}
	return changed, nil
}

// policyDoc reads a policy document as IAM returns it (URL-encoded JSON).
func policyDoc(s string) (map[string]any, error) {
	if dec, err := url.QueryUnescape(s); err == nil && strings.HasPrefix(strings.TrimSpace(dec), "{") {
		s = dec
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(s), &doc); err != nil {
		return nil, err
	}
	return doc, nil
}

func statements(doc map[string]any) []map[string]any {
	var out []map[string]any
	switch s := doc["Statement"].(type) {
	case []any:
		for _, x := range s {
			if m, ok := x.(map[string]any); ok {
				out = append(out, m)
			}
		}
	case map[string]any:
		out = append(out, s)
	}
	return out
}

func namesS3OrSQS(res any) bool {
	var list []string
	switch r := res.(type) {
	case string:
		list = []string{r}
	case []any:
		for _, x := range r {
			list = append(list, fmt.Sprint(x))
		}
	}
	for _, r := range list {
		if strings.Contains(r, ":s3:::") || strings.Contains(r, ":sqs:") {
			return true
		}
	}
	return false
}
