package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"transferhub/cloud/deploy"
)

func newDeployListCmd() *cobra.Command {
	var f awsFlags
	var regions []string
	c := &cobra.Command{
		Use:   "list",
		Short: "List the control planes and cloud tasks of the account, per Region",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(regions) == 0 {
				regions = []string{f.region}
			}
			var all []deploy.Deployment
			for _, r := range regions {
				f.region = r
				d, err := f.deployer(cmd.Context(), "")
				if err != nil {
					return err
				}
				deps, err := d.List(cmd.Context())
				if err != nil {
					return err
				}
				all = append(all, deps...)
			}
			if f.jsonOut {
				if all == nil {
					all = []deploy.Deployment{}
				}
				return printJSON(cmd.OutOrStdout(), all)
			}
			printDeployments(cmd.OutOrStdout(), all)
			return nil
		},
	}
	f.add(c.Flags())
	c.Flags().StringSliceVar(&regions, "regions", nil, "Regions to list (comma-separated; default: --region or the configured one)")
	return c
}

func newDeployStatusCmd() *cobra.Command {
	var f awsFlags
	c := &cobra.Command{
		Use:   "status TASK",
		Short: "A cloud task's state: its stack and, from its table, its run and counts",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := f.deployer(cmd.Context(), "")
			if err != nil {
				return err
			}
			s, err := d.Status(cmd.Context(), f.controlPlane, args[0])
			if err != nil {
				return err
			}
			if f.jsonOut {
				return printJSON(cmd.OutOrStdout(), s)
			}
			printStatus(cmd.OutOrStdout(), s)
			return nil
		},
	}
	f.add(c.Flags())
	return c
}

func newDeployDeleteCmd() *cobra.Command {
	var f awsFlags
	var keep, dryRun bool
	c := &cobra.Command{
		Use:   "delete TASK|control-plane",
		Short: "Delete a cloud task (its stack, secrets, S3 event notification) or the control plane",
		Long: `Delete a cloud task: its stack, its secrets, its S3 event notification (the bucket's
others stay) and its lists; its table too unless --keep-data. With --keep-data the table
stays (every object's or image's record, from which its report is written) and deploying
the same task again uses it. 'delete control-plane' removes the control plane once it
has no tasks; --keep-data keeps its tasks table, the tables deleted tasks kept and its
KMS key. --dry-run says what would go and what would stay.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			d, err := f.deployer(ctx, "")
			if err != nil {
				return err
			}
			view := newProgressView(cmd.ErrOrStderr(), f.terminal())
			req := deploy.DeleteRequest{ControlPlane: f.controlPlane, KeepData: keep, DryRun: dryRun}
			var res deploy.DeleteResult
			if args[0] == "control-plane" {
				res, err = d.DeleteControlPlane(ctx, req, view.stack)
			} else {
				req.TaskID = args[0]
				res, err = d.DeleteTask(ctx, req, view.stack)
			}
			view.clear()
			w := f.human(cmd)
			if res.Stack != "" {
				printDelete(w, res)
			}
			if res.Outcome.Stack != "" {
				printOutcome(w, res.Outcome)
			}
			return jsonThenExit(cmd, f.jsonOut && res.Stack != "", res, err)
		},
	}
	f.add(c.Flags())
	c.Flags().BoolVar(&keep, "keep-data", false, "keep the task's table (its records and report) so that deploying it again finds them")
	c.Flags().BoolVar(&dryRun, "dry-run", false, "say what would be removed and what would stay; change nothing")
	return c
}

func newDeployUpgradeCmd() *cobra.Command {
	var f planFlags
	var agents string
	c := &cobra.Command{
		Use:   "upgrade TASK|control-plane",
		Short: "Upgrade a cloud task (or the control plane) to this build's agent and template, keeping its settings",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if agents == "" {
				agents = defaultAgents()
			}
			d, err := f.deployer(ctx, agents)
			if err != nil {
				return err
			}
			view := newProgressView(cmd.ErrOrStderr(), f.terminal())
			d.Assets.Progress = view.asset
			res := deployResult{DryRun: f.dryRun}
			var p *deploy.Plan
			var tp *deploy.TaskPlan
			if args[0] == "control-plane" {
				p, err = d.PlanControlPlane(ctx, deploy.ControlPlaneRequest{Name: f.controlPlane})
				if err == nil && f.dryRun {
					err = d.Discard(ctx, p)
				}
			} else if tp, err = d.PlanUpgradeTask(ctx, f.controlPlane, args[0], f.dryRun); err == nil {
				p = tp.Plan
				res.Uploaded = tp.Uploaded
			}
			view.clear()
			if err != nil {
				return badInput(err)
			}
			res.Preview = &p.Preview
			printPreview(f.human(cmd), p.Preview, nil)
			if f.dryRun {
				return f.finish(cmd, res, deploy.Outcome{}, nil)
			}
			var o deploy.Outcome
			if tp != nil {
				var to deploy.TaskOutcome
				to, err = d.ExecuteTask(ctx, tp, view.stack)
				o = to.Outcome
			} else {
				o, err = d.Execute(ctx, p, view.stack)
			}
			view.clear()
			return f.finish(cmd, res, o, err)
		},
	}
	f.add(c)
	c.Flags().StringVar(&agents, "agents", "", "directory with the linux agents thub-linux-arm64 and thub-linux-amd64 (default: next to thub, else build/bin)")
	return c
}

func newDeployCheckCmd() *cobra.Command {
	var f awsFlags
	var policy bool
	var s3Tasks, imageTasks int
	c := &cobra.Command{
		Use:   "check",
		Short: "The pre-flight check: identity, permissions, quotas, what the agents' subnets reach",
		Long: `Check, before deploying, who deploys (account, partition), whether that identity has the
permissions a deploy needs (through the IAM policy simulator; said plainly when it
cannot be asked), the quotas a deploy would meet and what the control plane's subnets
reach. --policy prints the minimal IAM policy for this account instead.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := f.deployer(cmd.Context(), "")
			if err != nil {
				return err
			}
			if policy {
				who, err := d.Identity(cmd.Context())
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), deploy.PolicyDocument(who.Partition, who.Account, f.controlPlane))
				return nil
			}
			rep, err := d.Preflight(cmd.Context(), deploy.PreflightRequest{ControlPlane: f.controlPlane, S3Tasks: s3Tasks, ImageTasks: imageTasks})
			if err != nil {
				return err
			}
			if f.jsonOut {
				if err := printJSON(cmd.OutOrStdout(), rep); err != nil {
					return err
				}
			} else {
				printPreflight(cmd.OutOrStdout(), rep)
				if len(rep.Missing) > 0 {
					fmt.Fprintf(cmd.OutOrStdout(), "The identity lacks: %s\n(thub deploy check --policy prints the policy it needs)\n", strings.Join(rep.Missing, ", "))
				}
			}
			if !rep.OK() {
				return exitError{1}
			}
			return nil
		},
	}
	f.add(c.Flags())
	c.Flags().BoolVar(&policy, "policy", false, "print the minimal IAM policy a deploying identity needs (for this account and control plane)")
	c.Flags().IntVar(&s3Tasks, "s3-tasks", 1, "S3 task stacks about to be added (for the quotas)")
	c.Flags().IntVar(&imageTasks, "image-tasks", 0, "image task stacks about to be added (for the quotas)")
	return c
}
