package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/spf13/cobra"

	"transferhub/cloud/cloudrun"
	"transferhub/cloud/queue"
	"transferhub/cloud/s3sync"
	"transferhub/cloud/spec"
	"transferhub/cloud/state"
	"transferhub/cloud/state/dynamostore"
)

// awsClients are the control-plane clients (the task's queue, table and secrets), from
// the default credential chain: the instance or task role.
type awsClients struct {
	cfg     aws.Config
	sqs     *sqs.Client
	ddb     *dynamodb.Client
	secrets *secretsmanager.Client
}

func loadAWS(ctx context.Context, region string) (*awsClients, error) {
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, errors.New("no AWS region: set AWS_REGION (or THUB_REGION / --region)")
	}
	return &awsClients{cfg: cfg, sqs: sqs.NewFromConfig(cfg), ddb: dynamodb.NewFromConfig(cfg),
		secrets: secretsmanager.NewFromConfig(cfg)}, nil
}

// s3CloudFlags are shared by `thub s3 find` and `thub s3 work`. Cloud commands are
// configured the way a stack configures a process: every flag can also come from its
// THUB_* variable (cloud/spec's Env contract, listed in cloud/docs/cloud-run.md); a flag
// given on the command line wins. Keys never travel in flags: THUB_SRC_ACCESS_KEY_ID /
// THUB_SRC_SECRET_ACCESS_KEY (tests, stacks without Secrets Manager) or a secret.
type s3CloudFlags struct {
	agent   spec.Agent
	spec    *spec.S3Flags
	jsonOut bool
}

func (fl *s3CloudFlags) add(c *cobra.Command, worker bool) {
	fl.agent = spec.NewAgent(state.TaskS3)
	fl.spec = spec.BindS3Cloud(c.Flags(), &fl.agent, worker)
	c.Flags().BoolVar(&fl.jsonOut, "json", false, "print the result as one JSON line on stdout at the end")
}

// setup validates the flags and opens everything a cloud S3 process needs.
func (fl *s3CloudFlags) setup(cmd *cobra.Command, role string) (cloudrun.S3Task, *awsClients, cloudrun.Queues, *slog.Logger, error) {
	var task cloudrun.S3Task
	fail := func(err error) (cloudrun.S3Task, *awsClients, cloudrun.Queues, *slog.Logger, error) {
		return task, nil, cloudrun.Queues{}, nil, err
	}
	ctx := cmd.Context()
	a := &fl.agent
	if err := fl.spec.Env(cmd.Flags(), os.LookupEnv); err != nil {
		return fail(badInput(err))
	}
	log, err := newLoggerEnv(cmd, "json", a.LogLevel, a.LogFormat, "task", a.TaskID, "role", role)
	if err != nil {
		return fail(err)
	}
	s := a.Task.S3
	var missing []string
	for _, m := range []struct {
		set  bool
		flag string
	}{{a.TaskID != "", "task-id"}, {a.QueueURL != "", "queue-url"}, {a.Table != "", "table"}, {s.Source.Kind != "", "src"}, {s.Destination.Kind != "", "dst"}} {
		if !m.set {
			missing = append(missing, fmt.Sprintf("--%s (THUB_%s)", m.flag, strings.ToUpper(strings.ReplaceAll(m.flag, "-", "_"))))
		}
	}
	if len(missing) > 0 {
		return fail(fmt.Errorf("missing %s", strings.Join(missing, ", ")))
	}
	if err := fl.spec.Validate(); err != nil {
		return fail(badInput(err))
	}
	cloudList := s.PrefixList
	listCleanup, err := fetchCloudList(ctx, &s.PrefixList, a.Region, "prefix list")
	if err != nil {
		return fail(err)
	}
	defer func() { s.PrefixList = cloudList; listCleanup() }()
	opt, err := s.EngineOptions(log)
	if err != nil {
		return fail(badInput(fl.spec.Names.Explain(err)))
	}
	f := a.Fleet
	opt.BatchObjects, opt.Attempts = f.BatchObjects, f.Attempts
	if f.Visibility > 0 {
		v := time.Duration(f.Visibility)
		if v < 3*time.Second {
			return fail(fmt.Errorf("--visibility %s: use at least 3s", v))
		}
		opt.JobVisibility = v.Round(time.Second)
	}
	if f.ReceiveWait > 0 {
		opt.ReceiveWait = min(time.Duration(f.ReceiveWait), 20*time.Second)
	}
	th := &s3sync.Throttle{}
	opt.Throttle = th
	clients, err := loadAWS(ctx, a.Region)
	if err != nil {
		return fail(err)
	}
	access := cloudrun.SecretAccess{API: clients.secrets, Refresh: time.Duration(a.SecretRefresh)}
	src, dst, err := s.OpenBoth(ctx, spec.Tuning{OnThrottle: th.Signal, Log: log}, access)
	if err != nil {
		return fail(err)
	}
	qs, err := cloudrun.OpenQueues(ctx, clients.sqs, a.QueueURL, a.DLQURL)
	if err != nil {
		return fail(err)
	}
	var q queue.Queue = cloudrun.Splitting{Queue: qs.Jobs}
	if os.Getenv("THUB_FAULT_DUPLICATE_SENDS") == "1" {
		log.Warn("fault injection: every message is sent twice")
		q = cloudrun.Duplicating{Queue: q}
	}
	task = cloudrun.S3Task{ID: a.TaskID, Name: a.TaskName, OneTime: a.Task.Schedule.OneTime(), Src: src, Dst: dst,
		Store: dynamostore.New(clients.ddb, a.Table), Queue: q, Opt: opt, Log: log}
	return task, clients, qs, log, nil
}

func newS3FindCmd() *cobra.Command {
	fl := &s3CloudFlags{}
	c := &cobra.Command{
		Use:   "find",
		Short: "Cloud run: one finder run of a task (lists, compares, sends job batches to SQS)",
		Long: `One finder run of an S3 task in the cloud run: list source and destination, compare,
send the differences as job batches to the task's SQS queue and write the found counts to
the task's DynamoDB table. Run it on a schedule (or once for a one-time task).

Only one finder runs per task: a second one exits with status 3 while the first holds the
task's finder lease. A finder that died is resumed from its checkpoint by the next one.
A task its user stopped starts no run: the finder says so and exits 0 (Resume or Run now
in Transfer Hub starts it again).
Every flag can come from THUB_<FLAG> (see cloud/docs/cloud-run.md).
Exit status: 0 done (or the task is stopped), 2 bad input or failure, 3 another finder of
the task is running.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			task, _, _, log, err := fl.setup(cmd, "finder")
			if err != nil {
				return err
			}
			res, err := task.Find(cmd.Context(), time.Duration(fl.agent.Fleet.LeaseTTL))
			if errors.Is(err, cloudrun.ErrBusy) {
				log.Warn("another finder run of this task is in progress: not starting a second one", "err", err)
				fmt.Fprintf(os.Stderr, "thub: task %s: %v\n", fl.agent.TaskID, err)
				return exitError{code: 3}
			}
			if errors.Is(err, cloudrun.ErrStopped) {
				// Not a failure: the user stopped the task after this finder was launched
				// (by Run now or the schedule) and before it began its run.
				log.Info("task is stopped: not starting a run", "err", err)
				fmt.Fprintf(os.Stderr, "thub: task %s is stopped: not starting a run\n", fl.agent.TaskID)
				return nil
			}
			if err != nil {
				return err
			}
			if fl.jsonOut {
				b, _ := json.Marshal(res)
				fmt.Fprintln(cmd.OutOrStdout(), string(b))
			}
			return nil
		},
	}
	fl.add(c, false)
	return c
}

func newS3WorkCmd() *cobra.Command {
	fl := &s3CloudFlags{}
	c := &cobra.Command{
		Use:   "work",
		Short: "Cloud run: a worker that copies the jobs of a task's SQS queue until stopped",
		Long: `A long-running worker of the cloud run: it takes job batches, giant-object part jobs and
S3 event notifications from the task's SQS queue, copies, records every outcome in the
task's DynamoDB table and acknowledges only what it recorded. SIGTERM stops receiving at
once; in-flight messages get --grace to finish and are released to other workers after
that, so nothing is lost. An object that fails --max-receives deliveries is recorded
FAILED with its error and its job goes to the dead-letter queue. The worker that settles
the run's last object marks the task COMPLETED (or IDLE for a scheduled task).
On an Auto Scaling instance, --lifecycle-hook and --asg-name let the worker go with its
instance: when its target lifecycle state (instance metadata, IMDSv2) turns Terminated it
stops as on SIGTERM, then completes the hook's lifecycle action (CONTINUE).
Every flag can come from THUB_<FLAG> (see cloud/docs/cloud-run.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			task, clients, qs, log, err := fl.setup(cmd, "worker")
			if err != nil {
				return err
			}
			f, events := fl.agent.Fleet, fl.agent.Task.S3.Events
			giant, err := spec.ParseSize(f.GiantThreshold)
			if err != nil {
				return err
			}
			maxReceives := f.MaxReceives
			if maxReceives <= 0 {
				maxReceives = qs.MaxReceives
			}
			if maxReceives <= 0 {
				maxReceives = 5
			}
			if qs.MaxReceives > 0 && maxReceives > qs.MaxReceives {
				log.Warn("--max-receives exceeds the queue's maxReceiveCount: SQS moves messages to the dead-letter queue before they are recorded FAILED",
					"max_receives", maxReceives, "queue_max_receive_count", qs.MaxReceives)
			}
			fc := cloudrun.FleetConfig{MaxReceives: maxReceives, GiantThreshold: giant, EventMode: events,
				Grace: time.Duration(f.Grace), RetryDelay: time.Duration(f.RetryDelay), IdleCheck: time.Duration(f.IdleCheck),
				Events: &cloudrun.EventLog{API: clients.ddb, Table: fl.agent.Table, TaskID: fl.agent.TaskID}}
			if qs.DeadLetter != nil {
				fc.DeadLetter = qs.DeadLetter
			} else {
				log.Warn("no dead-letter queue (no --dlq-url and no redrive policy): objects that fail for good are only recorded FAILED")
			}
			var stats s3sync.FleetStats
			work := func(ctx context.Context) (err error) {
				stats, err = task.Work(ctx, fc)
				return err
			}
			if f.LifecycleHook != "" {
				lc := &cloudrun.Lifecycle{Metadata: cloudrun.NewIMDS(clients.cfg, f.IMDSEndpoint), AutoScaling: autoscaling.NewFromConfig(clients.cfg),
					Group: f.GroupName, Hook: f.LifecycleHook, InstanceID: f.InstanceID, Every: time.Duration(f.LifecyclePoll), Log: log}
				err = lc.Run(cmd.Context(), work)
			} else {
				err = work(cmd.Context())
			}
			if err != nil {
				return err
			}
			if fl.jsonOut {
				b, _ := json.Marshal(stats)
				fmt.Fprintln(cmd.OutOrStdout(), string(b))
			}
			return nil
		},
	}
	fl.add(c, true)
	return c
}
