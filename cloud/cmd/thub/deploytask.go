package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"transferhub/cloud/deploy"
	"transferhub/cloud/spec"
	"transferhub/cloud/stack"
	"transferhub/cloud/state"
)

// taskFlags are the flags both task commands add to their spec's.
type taskFlags struct {
	planFlags
	agent              spec.Agent
	taskID, name       string
	agents             string
	schedule           string
	alarmEmail         string
	defaultID, cmdName string
}

func (f *taskFlags) add(c *cobra.Command) {
	f.planFlags.add(c)
	fs := c.Flags()
	fs.StringVar(&f.taskID, "task-id", "", "the task's id (default: derived from its sources and destination, so deploying the same task again updates it)")
	fs.StringVar(&f.name, "name", "", "the task's name (default: SRC to DST)")
	fs.StringVar(&f.agents, "agents", "", "directory with the linux agents thub-linux-arm64 and thub-linux-amd64 (default: next to thub, else build/bin)")
	fs.StringVar(&f.schedule, "schedule", "", `when the task runs: "0 2 * * *" (cron), "@every 6h", "@at 2026-05-01T02:00", with "CRON_TZ=Europe/Berlin " for a time zone (default UTC); empty: once, now`)
	fs.StringVar(&f.alarmEmail, "alarm-email", "", "an address subscribed to the task's alarms")
}

// agentsDir is --agents or the default.
func (f *taskFlags) agentsDir() string {
	if f.agents != "" {
		return f.agents
	}
	return defaultAgents()
}

// finishSpec applies the schedule, validates the spec for a cloud run and returns
// its agent environment.
func (f *taskFlags) finishSpec(names *spec.Names) (map[string]string, error) {
	if f.schedule != "" {
		f.agent.Task.Schedule = spec.ParseSchedule(f.schedule)
	}
	if err := f.agent.Task.Validate(spec.CloudRun); err != nil {
		return nil, badInput(names.Explain(err))
	}
	return stack.TaskEnv(f.agent.Task), nil
}

// id is --task-id, or one derived from what the task copies (the same task deployed
// again is an update of its stack).
func (f *taskFlags) id(parts ...string) string {
	if f.taskID != "" {
		return f.taskID
	}
	h := sha256.Sum256([]byte(f.defaultID + "\x00" + strings.Join(parts, "\x00")))
	return f.defaultID + "-" + hex.EncodeToString(h[:6])
}

// profileKeys reads a profile's keys for storing: long-lived keys only.
func profileKeys(ctx context.Context, profile string) (deploy.Credentials, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithSharedConfigProfile(profile))
	if err != nil {
		return deploy.Credentials{}, fmt.Errorf("profile %s: %w", profile, err)
	}
	c, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return deploy.Credentials{}, fmt.Errorf("the keys of profile %s: %w", profile, err)
	}
	if c.SessionToken != "" || c.CanExpire {
		return deploy.Credentials{}, fmt.Errorf("profile %s: %w", profile, deploy.ErrTemporaryCredentials)
	}
	return deploy.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey}, nil
}

// --- S3 ------------------------------------------------------------------------------

type s3TaskFlags struct {
	taskFlags
	spec                 *spec.S3Flags
	events               string
	fleet                stack.Fleet
	finderCPU, finderMem int
	srcKMS, dstKMS       string
	noProgress           time.Duration
}

func newDeployS3TaskCmd() *cobra.Command {
	f := &s3TaskFlags{}
	f.defaultID, f.cmdName = "s3", "s3-task"
	c := &cobra.Command{
		Use:   "s3-task SRC DST",
		Short: "Deploy an S3 task: workers in this account copy SRC to DST on a schedule or on S3 events",
		Long: `Deploy (or update) a cloud S3 task in the control plane's account and Region. SRC and
DST are s3://bucket[/prefix]; the flags are those of 'thub s3 sync', plus the fleet, the
schedule and the alarms. Far-side keys (--src-profile, --src-access-key, THUB_SRC_*)
are stored in Secrets Manager; only long-lived keys can be: for SSO or other temporary
credentials give a role (--src-role-arn, --src-external-id) the task's roles assume.`,
		Args: syncArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runDeployS3Task(cmd, f, args[0], args[1]) },
	}
	f.agent = spec.NewAgent(state.TaskS3)
	fs := c.Flags()
	f.spec = spec.BindS3Sync(fs, &f.agent)
	f.taskFlags.add(c)
	f.addFleet(fs)
	return c
}

func (f *s3TaskFlags) addFleet(fs *pflag.FlagSet) {
	fs.StringVar(&f.events, "events", "none", "S3 event notifications of SRC's bucket (this account's) start copies: none, create, create-and-delete")
	fs.IntVar(&f.fleet.MaxWorkers, "max-workers", 10, "most worker instances at once (the fleet scales from 0 on the queue's backlog)")
	fs.StringSliceVar(&f.fleet.InstanceTypes, "instance-types", nil, "1 to 3 worker instance types of one architecture, the first preferred (default c7g.large,c6g.large,m7g.large: Graviton)")
	fs.BoolVar(&f.fleet.Spot, "spot", false, "run workers on Spot capacity")
	fs.IntVar(&f.fleet.BacklogPerWorker, "backlog-per-worker", 10, "queued messages per worker the fleet scales to")
	fs.DurationVar(&f.fleet.Idle, "idle", 10*time.Minute, "workers go to zero after the queue was empty this long")
	fs.IntVar(&f.fleet.VolumeGiB, "volume-gib", 8, "worker disk size")
	fs.IntVar(&f.finderCPU, "finder-cpu", 1024, "the finder's Fargate CPU units")
	fs.IntVar(&f.finderMem, "finder-memory", 2048, "the finder's Fargate memory (MiB)")
	fs.StringVar(&f.srcKMS, "src-kms-key-arn", "", "a customer-managed key the source objects are encrypted with")
	fs.StringVar(&f.dstKMS, "dst-kms-key-arn", "", "the key copies are encrypted with (default: --sse-kms-key-id when it is an ARN)")
	fs.DurationVar(&f.noProgress, "alarm-no-progress", time.Hour, "alarm when work is queued and nothing completed for this long")
}

func runDeployS3Task(cmd *cobra.Command, f *s3TaskFlags, src, dst string) error {
	ctx := cmd.Context()
	if err := f.spec.Args(src, dst, os.LookupEnv); err != nil {
		return badInput(f.spec.Names.Explain(err))
	}
	s3 := f.agent.Task.S3
	s3.Events = f.events
	creds := map[deploy.Side]deploy.Credentials{}
	for side, sd := range map[deploy.Side]*spec.Side{deploy.Source: &s3.Source, deploy.Destination: &s3.Destination} {
		c, err := sideKeys(ctx, sd)
		if err != nil {
			return usageError{fmt.Errorf("the %s: %w", map[deploy.Side]string{deploy.Source: "source", deploy.Destination: "destination"}[side], err)}
		}
		if c != (deploy.Credentials{}) {
			creds[side] = c
		}
	}
	var list []byte
	if p := s3.PrefixList; p != "" && !strings.HasPrefix(p, "s3://") {
		b, err := os.ReadFile(p)
		if err != nil {
			return usageError{fmt.Errorf("--prefix-list: %w", err)}
		}
		list, s3.PrefixList = b, ""
	}
	env, err := f.finishSpec(f.spec.Names)
	if err != nil {
		return err
	}
	def, err := f.agent.Task.Encode()
	if err != nil {
		return err
	}
	name := f.name
	if name == "" {
		name = src + " to " + dst
	}
	req := deploy.TaskRequest{ControlPlane: f.controlPlane, Kind: stack.KindS3Task, TaskID: f.id(src, dst), TaskName: name, Env: env, List: list,
		Credentials: creds, AlarmEmail: f.alarmEmail, Definition: def,
		S3: deploy.S3Options{Fleet: f.fleet, Finder: stack.FargateSize{CPU: f.finderCPU, MemoryMiB: f.finderMem}, SrcKMSKeyARN: f.srcKMS,
			DstKMSKeyARN: f.dstKMS, NoProgress: f.noProgress}}
	return runDeployTask(cmd, &f.taskFlags, req, deploy.PreflightRequest{ControlPlane: f.controlPlane, S3Tasks: 1})
}

// sideKeys takes a side's keys out of the spec (a cloud task keeps them in Secrets
// Manager): given ones, or a profile's.
func sideKeys(ctx context.Context, s *spec.Side) (deploy.Credentials, error) {
	var c deploy.Credentials
	switch {
	case !s.Keys.IsZero():
		c = deploy.Credentials{AccessKeyID: s.Keys.AccessKeyID, SecretAccessKey: s.Keys.SecretAccessKey, SessionToken: s.Keys.SessionToken}
		if c.SessionToken != "" {
			return c, deploy.ErrTemporaryCredentials
		}
	case s.AWSProfile != "":
		var err error
		if c, err = profileKeys(ctx, s.AWSProfile); err != nil {
			return c, err
		}
	}
	s.Keys, s.AWSProfile = spec.Keys{}, ""
	return c, nil
}

// runDeployTask is the rest of both task commands: pre-flight, plan, preview,
// execute with progress.
func runDeployTask(cmd *cobra.Command, f *taskFlags, req deploy.TaskRequest, pre deploy.PreflightRequest) error {
	ctx := cmd.Context()
	d, err := f.deployer(ctx, f.agentsDir())
	if err != nil {
		return err
	}
	view := newProgressView(cmd.ErrOrStderr(), f.terminal())
	d.Assets.Progress = view.asset
	res := deployResult{DryRun: f.dryRun}
	if !f.noPreflight || f.dryRun {
		if err := f.preflight(ctx, cmd, d, pre, &res); err != nil {
			return err
		}
	}
	tp, err := d.PlanTask(ctx, req, f.dryRun)
	if errors.Is(err, deploy.ErrRolledBack) && f.deleteFailed && !f.dryRun {
		fmt.Fprintf(f.human(cmd), "Deleting the failed task stack %s before deploying it again.\n", deploy.TaskStackName(req.ControlPlane, req.TaskID))
		if _, err := d.DeleteTask(ctx, deploy.DeleteRequest{ControlPlane: req.ControlPlane, TaskID: req.TaskID}, view.stack); err != nil {
			return err
		}
		tp, err = d.PlanTask(ctx, req, f.dryRun)
	}
	view.clear()
	if err != nil {
		if errors.Is(err, deploy.ErrNoControlPlane) {
			return usageError{fmt.Errorf("%w\n(thub deploy control-plane --control-plane %s)", err, req.ControlPlane)}
		}
		return badInput(err)
	}
	res.Preview, res.Notes, res.Uploaded, res.Secrets = &tp.Preview, tp.Notes, tp.Uploaded, tp.Secrets
	printPreview(f.human(cmd), tp.Preview, tp.Notes)
	if f.dryRun {
		return f.finish(cmd, res, deploy.Outcome{}, nil)
	}
	to, err := d.ExecuteTask(ctx, tp, view.stack)
	view.clear()
	if to.Stack != "" {
		res.Task = &to
	}
	if err == nil && to.Notification != nil {
		fmt.Fprintf(f.human(cmd), "S3 events: bucket %s sends %s under %q to the task's queue.\n", to.Notification.Bucket, strings.Join(to.Notification.Events, ", "), to.Notification.Prefix)
	}
	return f.finish(cmd, res, to.Outcome, err)
}

// --- images ----------------------------------------------------------------------------

type imageTaskFlags struct {
	taskFlags
	spec         *spec.ImageFlags
	run          stack.ImageRun
	copierCPU    int
	copierMem    int
	logRetention int
}

func newDeployImageTaskCmd() *cobra.Command {
	f := &imageTaskFlags{}
	f.defaultID, f.cmdName = "images", "image-task"
	c := &cobra.Command{
		Use:   "image-task SRC... DST",
		Short: "Deploy an image task: a state machine in this account copies images on a schedule",
		Long: `Deploy (or update) a cloud image task in the control plane's account and Region. The
arguments and flags are those of 'thub image sync', plus the schedule, how a run goes and
the alarms. The references (arguments and --list files) are stored as the task's image
list in the assets bucket (editable without a redeploy). Registry logins (--src-creds,
--dst-creds) are stored in Secrets Manager.`,
		RunE: func(cmd *cobra.Command, args []string) error { return runDeployImageTask(cmd, f, args) },
	}
	f.agent = spec.NewAgent(state.TaskImage)
	fs := c.Flags()
	f.spec = spec.BindImageSync(fs, &f.agent)
	f.taskFlags.add(c)
	fs.IntVar(&f.run.MaxConcurrency, "max-copiers", 10, "copier tasks at once (1 to 40)")
	fs.IntVar(&f.run.RetryAttempts, "retry-attempts", 2, "retries of a failed batch (-1: none)")
	fs.DurationVar(&f.run.RetryInterval, "retry-interval", time.Minute, "first wait before a retry, doubling")
	fs.DurationVar(&f.run.Timeout, "run-timeout", 12*time.Hour, "a longer run is stopped")
	fs.IntVar(&f.copierCPU, "copier-cpu", 512, "a copier's Fargate CPU units")
	fs.IntVar(&f.copierMem, "copier-memory", 1024, "a copier's Fargate memory (MiB)")
	fs.IntVar(&f.logRetention, "log-retention-days", 30, "days the Lambda's and the state machine's logs are kept")
	return c
}

func runDeployImageTask(cmd *cobra.Command, f *imageTaskFlags, args []string) error {
	if err := f.spec.Args(args, os.LookupEnv); err != nil {
		return badInput(f.spec.Names.Explain(err))
	}
	im := f.agent.Task.Image
	def, err := f.agent.Task.Encode() // with the references as given (logins are never encoded)
	if err != nil {
		return err
	}
	var list []string
	list = append(list, im.Source.References...)
	for _, p := range im.Source.Lists {
		b, err := os.ReadFile(p)
		if err != nil {
			return usageError{fmt.Errorf("--list: %w", err)}
		}
		list = append(list, strings.TrimSpace(string(b)))
	}
	im.Source.References, im.Source.Lists = nil, nil
	creds := map[deploy.Side]deploy.Credentials{}
	for side, l := range map[deploy.Side]*spec.Login{deploy.Source: &im.Source.Login, deploy.Destination: &im.Destination.Login} {
		if !l.IsZero() {
			creds[side] = deploy.Credentials{Username: l.User, Password: l.Password}
			*l = spec.Login{}
		}
	}
	var body []byte
	if len(list) > 0 {
		body = []byte(strings.Join(list, "\n") + "\n")
		// Stands in for the image list the deployer stores, so that validation sees a
		// source; the deployer names the real one (THUB_IMAGE_LIST).
		im.Source.Lists = []string{"s3://list/stored-when-deploying"}
	}
	env, err := f.finishSpec(f.spec.Names)
	if err != nil {
		return err
	}
	delete(env, "THUB_IMAGE_LIST")
	name := f.name
	if name == "" {
		name = strings.Join(args, " to ")
	}
	f.run.Copier = stack.FargateSize{CPU: f.copierCPU, MemoryMiB: f.copierMem}
	req := deploy.TaskRequest{ControlPlane: f.controlPlane, Kind: stack.KindImageTask, TaskID: f.id(args...), TaskName: name, Env: env, List: body,
		Credentials: creds, AlarmEmail: f.alarmEmail, Definition: def, Image: deploy.ImageOptions{Run: f.run, LogRetentionDays: f.logRetention}}
	return runDeployTask(cmd, &f.taskFlags, req, deploy.PreflightRequest{ControlPlane: f.controlPlane, ImageTasks: 1})
}
