package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"transferhub/cloud/deploy"
	"transferhub/cloud/stack"
)

// deployResult is what a deploy command prints with --json.
type deployResult struct {
	DryRun    bool                    `json:"dryRun,omitempty"`
	Preflight *deploy.PreflightReport `json:"preflight,omitempty"`
	Preview   *deploy.Preview         `json:"preview,omitempty"`
	Notes     []string                `json:"notes,omitempty"`
	Uploaded  []string                `json:"uploaded,omitempty"`
	Secrets   []deploy.Secret         `json:"secrets,omitempty"`
	Outcome   *deploy.Outcome         `json:"outcome,omitempty"`
	Task      *deploy.TaskOutcome     `json:"task,omitempty"`
}

// planFlags are the flags every create/update command has.
type planFlags struct {
	awsFlags
	dryRun, deleteFailed, noPreflight bool
}

func (f *planFlags) add(c *cobra.Command) {
	f.awsFlags.add(c.Flags())
	c.Flags().BoolVar(&f.dryRun, "dry-run", false, "show the pre-flight and the change set (what would be added, modified, replaced, removed, which parameters change), change nothing")
	c.Flags().BoolVar(&f.deleteFailed, "delete-failed", false, "when the stack's creation failed before (ROLLBACK_COMPLETE), delete it and deploy again")
	c.Flags().BoolVar(&f.noPreflight, "no-preflight", false, "deploy even when the pre-flight check finds problems")
}

// human is where text goes: stdout, or stderr when stdout carries JSON.
func (f *awsFlags) human(cmd *cobra.Command) io.Writer {
	if f.jsonOut {
		return cmd.ErrOrStderr()
	}
	return cmd.OutOrStdout()
}

// preflight runs the pre-flight; its problems stop the deploy unless --no-preflight.
func (f *planFlags) preflight(ctx context.Context, cmd *cobra.Command, d *deploy.Deployer, req deploy.PreflightRequest, res *deployResult) error {
	rep, err := d.Preflight(ctx, req)
	if err != nil {
		return err
	}
	res.Preflight = &rep
	w := f.human(cmd)
	if f.dryRun {
		printPreflight(w, rep)
	} else {
		quiet := rep
		quiet.Checks = nil
		for _, c := range rep.Checks {
			if c.Status != deploy.CheckOK {
				quiet.Checks = append(quiet.Checks, c)
			}
		}
		printPreflight(w, quiet)
	}
	if !rep.OK() && !f.noPreflight && !f.dryRun {
		return usageError{errors.New("the pre-flight check found problems (above): fix them, or deploy anyway with --no-preflight")}
	}
	return nil
}

// finish prints the outcome and turns a failed operation into exit status 1.
func (f *planFlags) finish(cmd *cobra.Command, res deployResult, o deploy.Outcome, err error) error {
	if o.Stack != "" {
		printOutcome(f.human(cmd), o)
		res.Outcome = &o
	}
	return jsonThenExit(cmd, f.jsonOut, res, err)
}

// jsonThenExit prints res as JSON when asked to and turns a failed operation (err a
// *deploy.FailedError) into exit status 1.
func jsonThenExit(cmd *cobra.Command, asJSON bool, res any, err error) error {
	if asJSON {
		if jerr := printJSON(cmd.OutOrStdout(), res); jerr != nil {
			return jerr
		}
	}
	var fe *deploy.FailedError
	if errors.As(err, &fe) {
		return exitError{1}
	}
	return err
}

type cpFlags struct {
	planFlags
	vpc, natSubnet     string
	subnets, routes    []string
	private, endpoints bool
	nat                bool
	logRetention       int
}

func newDeployControlPlaneCmd() *cobra.Command {
	var f cpFlags
	c := &cobra.Command{
		Use:   "control-plane",
		Short: "Create, update or upgrade the control plane of this account and Region",
		Long: `Create the control plane (assets bucket, agent repository, ECS cluster, tasks table,
KMS key, alert topic, log group, network) once per account and Region; run it again to
update it or to upgrade it to this build's template. The agents run in the default VPC
unless --vpc-id and --subnet-ids say otherwise; private subnets need --endpoints or
--nat (or a way out of their own). What it creates: cloud/docs/deploy.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDeployControlPlane(cmd, &f) },
	}
	f.planFlags.add(c)
	fs := c.Flags()
	fs.StringVar(&f.vpc, "vpc-id", "", "VPC the agents run in (default: the Region's default VPC)")
	fs.StringSliceVar(&f.subnets, "subnet-ids", nil, "subnets of --vpc-id for the agents (comma-separated)")
	fs.BoolVar(&f.private, "private", false, "the subnets are private: agents get no public address (then give --endpoints or --nat)")
	fs.BoolVar(&f.endpoints, "endpoints", false, "create VPC endpoints for S3, DynamoDB, SQS, ECR, CloudWatch Logs, Secrets Manager and STS")
	fs.BoolVar(&f.nat, "nat", false, "create a NAT gateway in --nat-subnet-id and route --route-table-ids through it (about 33 USD a month)")
	fs.StringVar(&f.natSubnet, "nat-subnet-id", "", "a public subnet of the VPC for the NAT gateway")
	fs.StringSliceVar(&f.routes, "route-table-ids", nil, "route tables of the subnets, for the gateway endpoints and the NAT route")
	fs.IntVar(&f.logRetention, "log-retention-days", 0, "days the agents' logs are kept (default 30; a deployed control plane keeps its value)")
	return c
}

func (f *cpFlags) network() (*stack.Network, error) {
	if f.vpc == "" {
		if len(f.subnets) > 0 || f.private || f.endpoints || f.nat {
			return nil, usageError{errors.New("--subnet-ids, --private, --endpoints and --nat need --vpc-id")}
		}
		return nil, nil
	}
	return &stack.Network{VPCID: f.vpc, SubnetIDs: f.subnets, PublicIP: !f.private, Endpoints: f.endpoints,
		RouteTableIDs: f.routes, NAT: f.nat, NATSubnetID: f.natSubnet}, nil
}

func runDeployControlPlane(cmd *cobra.Command, f *cpFlags) error {
	ctx := cmd.Context()
	d, err := f.deployer(ctx, "")
	if err != nil {
		return err
	}
	n, err := f.network()
	if err != nil {
		return err
	}
	var res deployResult
	res.DryRun = f.dryRun
	if !f.noPreflight || f.dryRun {
		if err := f.preflight(ctx, cmd, d, deploy.PreflightRequest{ControlPlane: f.controlPlane, Network: n}, &res); err != nil {
			return err
		}
	}
	view := newProgressView(cmd.ErrOrStderr(), f.terminal())
	req := deploy.ControlPlaneRequest{Name: f.controlPlane, Network: n, LogRetentionDays: f.logRetention}
	p, err := d.PlanControlPlane(ctx, req)
	if errors.Is(err, deploy.ErrRolledBack) && f.deleteFailed && !f.dryRun {
		fmt.Fprintf(f.human(cmd), "Deleting the failed control plane %s before deploying it again.\n", deploy.ControlPlaneStackName(f.controlPlane))
		if _, err := d.DeleteControlPlane(ctx, deploy.DeleteRequest{ControlPlane: f.controlPlane}, view.stack); err != nil {
			return err
		}
		p, err = d.PlanControlPlane(ctx, req)
	}
	if err != nil {
		return badInput(err)
	}
	res.Preview = &p.Preview
	printPreview(f.human(cmd), p.Preview, nil)
	if f.dryRun {
		if err := d.Discard(ctx, p); err != nil {
			return err
		}
		return f.finish(cmd, res, deploy.Outcome{}, nil)
	}
	o, err := d.Execute(ctx, p, view.stack)
	view.clear()
	return f.finish(cmd, res, o, err)
}
