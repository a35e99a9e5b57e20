package deploy

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"transferhub/cloud/objstore"
	"transferhub/cloud/stack"
	"transferhub/cloud/stack/cfnyaml"
)

// CheckStatus is how one pre-flight check came out.
type CheckStatus string

// The outcomes. Only CheckProblem stops a deploy.
const (
	CheckOK      CheckStatus = "ok"
	CheckWarning CheckStatus = "warning"
	// CheckProblem: the deploy would fail or the agents could not work.
	CheckProblem CheckStatus = "problem"
	// CheckUnknown: the check could not be made (the API refused or does not exist);
	// Summary says why and what will tell instead.
	CheckUnknown CheckStatus = "unknown"
)

// Check is one pre-flight check.
type Check struct {
	Name    string      `json:"name"`
	Status  CheckStatus `json:"status"`
	Summary string      `json:"summary"`
	Details []string    `json:"details,omitempty"`
}

// PreflightRequest says what is about to be deployed.
type PreflightRequest struct {
	// ControlPlane is the control plane's name (default "thub").
	ControlPlane string
	// Network to check; nil: the deployed control plane's, or the default VPC's.
	Network *stack.Network
	// Tasks: task stacks about to be added (each needs a stack, roles, for S3 tasks an
	// Auto Scaling group).
	S3Tasks, ImageTasks int
}

// PreflightReport is the pre-flight's answer.
type PreflightReport struct {
	Identity Identity `json:"identity"`
	Region   string   `json:"region"`
	Checks   []Check  `json:"checks"`
	// Missing are the actions the identity lacks, as the IAM policy simulator sees
	// them (empty when they could not be checked).
	Missing []string `json:"missing,omitempty"`
	// Policy is the minimal policy the identity needs (cloud/docs/deploy.md).
	Policy string `json:"policy"`
}

// OK: nothing would stop the deploy.
func (r PreflightReport) OK() bool {
	for _, c := range r.Checks {
		if c.Status == CheckProblem {
			return false
		}
	}
	return true
}

// Preflight checks, before a deploy, who deploys (account, partition), whether the
// identity has the permissions the deploy needs, quotas that would stop it, and what
// the agents' subnets can reach. A check that cannot be made says so (CheckUnknown);
// only identity errors fail the call.
func (d *Deployer) Preflight(ctx context.Context, req PreflightRequest) (PreflightReport, error) {
	if req.ControlPlane == "" {
		req.ControlPlane = DefaultControlPlane
	}
	who, err := d.Identity(ctx)
	if err != nil {
		return PreflightReport{}, err
	}
	rep := PreflightReport{Identity: who, Region: d.region, Policy: PolicyDocument(who.Partition, who.Account, req.ControlPlane)}
	rep.Checks = append(rep.Checks, d.checkIdentity(who))
	perm, missing := d.checkPermissions(ctx, who, req.ControlPlane)
	rep.Checks, rep.Missing = append(rep.Checks, perm), missing
	rep.Checks = append(rep.Checks, d.checkQuotas(ctx, req)...)
	rep.Checks = append(rep.Checks, d.checkNetwork(ctx, req))
	return rep, nil
}

func (d *Deployer) checkIdentity(who Identity) Check {
	c := Check{Name: "identity", Status: CheckOK, Summary: fmt.Sprintf("%s in account %s (%s partition), Region %s", who.ARN, who.Account, who.Partition, d.region)}
	if p := objstore.Partition(d.region); p != who.Partition {
		c.Status = CheckProblem
		c.Summary = fmt.Sprintf("the credentials are for the %s partition but Region %s is in %s: use a profile of that partition", who.Partition, d.region, p)
	}
	if strings.HasSuffix(who.ARN, ":root") {
		c.Status = CheckWarning
		c.Details = append(c.Details, "these are the account's root user credentials: deploy with an IAM role or user holding the policy below")
	}
	return c
}

// simulationPrincipal is the ARN SimulatePrincipalPolicy takes for the caller: a user
// as it is, an assumed role's session as its role (with its path).
func (d *Deployer) simulationPrincipal(ctx context.Context, who Identity) (string, string) {
	arn := who.ARN
	switch {
	case strings.Contains(arn, ":iam::") && strings.Contains(arn, ":user/"):
		return arn, ""
	case strings.HasSuffix(arn, ":root"):
		return "", "the root user is allowed everything (and should not deploy)"
	case strings.Contains(arn, ":assumed-role/"):
		parts := strings.Split(arn[strings.Index(arn, ":assumed-role/")+len(":assumed-role/"):], "/")
		out, err := d.c.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(parts[0])})
		if err != nil {
			return "", fmt.Sprintf("the role %s could not be read (iam:GetRole: %v)", parts[0], err)
		}
		return aws.ToString(out.Role.Arn), ""
	}
	return "", "the IAM policy simulator takes users and roles, not " + arn
}

// checkPermissions simulates the required policy's actions for the caller.
func (d *Deployer) checkPermissions(ctx context.Context, who Identity, controlPlane string) (Check, []string) {
	c := Check{Name: "permissions"}
	principal, why := d.simulationPrincipal(ctx, who)
	if principal == "" {
		c.Status, c.Summary = CheckUnknown, "the permissions could not be checked: "+why+"; the deploy itself will name any action that is denied"
		return c, nil
	}
	var missing []string
	for _, st := range RequiredPolicy() {
		var resources []string
		for _, r := range st.Resources {
			if r != "*" {
				resources = append(resources, example(expand(r, who.Partition, who.Account, controlPlane), d.region))
			}
		}
		denied, err := d.simulate(ctx, principal, st, resources)
		if err != nil {
			c.Status = CheckUnknown
			c.Summary = fmt.Sprintf("the permissions could not be checked: iam:SimulatePrincipalPolicy failed (%v). The deploy itself will name any action that is denied; the policy it needs is in cloud/docs/deploy.md", err)
			return c, nil
		}
		missing = append(missing, denied...)
	}
	missing = sortedSet(toSet(missing))
	if len(missing) == 0 {
		c.Status, c.Summary = CheckOK, fmt.Sprintf("%s may do all %d actions a deploy needs", principal, len(RequiredActions()))
		return c, nil
	}
	c.Status = CheckProblem
	c.Summary = fmt.Sprintf("%s lacks %d of the actions a deploy needs (the IAM policy simulator's answer; a permissions boundary or SCP may also deny)", principal, len(missing))
	c.Details = missing
	return c, missing
}

// example turns a resource pattern into an ARN the simulator can match it with.
func example(r, region string) string {
	r = strings.Replace(r, ":cloudformation:*:", ":cloudformation:"+region+":", 1)
	return strings.ReplaceAll(r, "*", "example")
}

// simulate returns the actions not allowed on the resources (all pages).
func (d *Deployer) simulate(ctx context.Context, principal string, st Statement, resources []string) ([]string, error) {
	var denied []string
	in := &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(principal), ActionNames: st.Actions, ResourceArns: resources}
	if len(st.Services) > 0 {
		// The condition the policy puts on service-linked roles.
		in.ContextEntries = []iamtypes.ContextEntry{{ContextKeyName: aws.String("iam:AWSServiceName"), ContextKeyType: iamtypes.ContextKeyTypeEnumString,
			ContextKeyValues: st.Services[:1]}}
	}
	for {
		out, err := d.c.IAM.SimulatePrincipalPolicy(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, r := range out.EvaluationResults {
			if r.EvalDecision != "allowed" {
				denied = append(denied, aws.ToString(r.EvalActionName))
			}
		}
		if !out.IsTruncated {
			return denied, nil
		}
		in.Marker = out.Marker
	}
}

// checkQuotas reads the quotas a deploy would meet: stacks, IAM roles, Auto Scaling
// groups, and Elastic IPs when a NAT gateway is to be made.
func (d *Deployer) checkQuotas(ctx context.Context, req PreflightRequest) []Check {
	newStacks := req.S3Tasks + req.ImageTasks + 1
	roles := req.S3Tasks*rolesOf(stack.S3Task()) + req.ImageTasks*rolesOf(stack.ImageTask()) + rolesOf(stack.ControlPlane())
	var out []Check
	out = append(out, d.quota("CloudFormation stacks", newStacks, func() (int, int, error) {
		lim, err := d.c.CloudFormation.DescribeAccountLimits(ctx, &cloudformation.DescribeAccountLimitsInput{})
		if err != nil {
			return 0, 0, err
		}
		limit := 0
		for _, l := range lim.AccountLimits {
			if aws.ToString(l.Name) == "StackLimit" {
				limit = int(aws.ToInt32(l.Value))
			}
		}
		n := 0
		p := cloudformation.NewDescribeStacksPaginator(d.c.CloudFormation, &cloudformation.DescribeStacksInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return 0, 0, err
			}
			n += len(page.Stacks)
		}
		return n, limit, nil
	}))
	out = append(out, d.quota("IAM roles", roles, func() (int, int, error) {
		s, err := d.c.IAM.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
		if err != nil {
			return 0, 0, err
		}
		return int(s.SummaryMap["Roles"]), int(s.SummaryMap["RolesQuota"]), nil
	}))
	if req.S3Tasks > 0 {
		out = append(out, d.quota("Auto Scaling groups", req.S3Tasks, func() (int, int, error) {
			l, err := d.c.AutoScaling.DescribeAccountLimits(ctx, &autoscaling.DescribeAccountLimitsInput{})
			if err != nil {
				return 0, 0, err
			}
			return int(aws.ToInt32(l.NumberOfAutoScalingGroups)), int(aws.ToInt32(l.MaxNumberOfAutoScalingGroups)), nil
		}))
	}
	if req.Network != nil && req.Network.NAT {
		out = append(out, d.quota("Elastic IP addresses (for the NAT gateway)", 1, func() (int, int, error) {
			attrs, err := d.c.EC2.DescribeAccountAttributes(ctx, &ec2.DescribeAccountAttributesInput{})
			if err != nil {
				return 0, 0, err
			}
			limit := 0
			for _, a := range attrs.AccountAttributes {
				if aws.ToString(a.AttributeName) == "vpc-max-elastic-ips" && len(a.AttributeValues) > 0 {
					fmt.Sscan(aws.ToString(a.AttributeValues[0].AttributeValue), &limit)
				}
			}
			addrs, err := d.c.EC2.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{})
			if err != nil {
				return 0, 0, err
			}
			return len(addrs.Addresses), limit, nil
		}))
	}
	return out
}

// quota checks that used + need fits limit.
func (d *Deployer) quota(name string, need int, read func() (used, limit int, err error)) Check {
	c := Check{Name: "quota: " + name}
	used, limit, err := read()
	switch {
	case err != nil:
		c.Status, c.Summary = CheckUnknown, fmt.Sprintf("could not be read (%v)", err)
	case limit == 0:
		c.Status, c.Summary = CheckUnknown, fmt.Sprintf("%d in use; the quota was not given", used)
	case used+need > limit:
		c.Status, c.Summary = CheckProblem, fmt.Sprintf("%d of %d in use; the deploy needs %d more: ask for a higher quota (Service Quotas) or remove unused ones", used, limit, need)
	default:
		c.Status, c.Summary = CheckOK, fmt.Sprintf("%d of %d in use; the deploy needs %d", used, limit, need)
	}
	return c
}

// rolesOf counts the IAM roles a template makes (at most: some are conditional).
func rolesOf(t stack.Template) int {
	doc, err := cfnyaml.Parse([]byte(t.Body))
	if err != nil {
		return 0
	}
	return len(doc.OfType("AWS::IAM::Role"))
}
