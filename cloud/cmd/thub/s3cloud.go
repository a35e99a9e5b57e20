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
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"transferhub/cloud/cloudrun"
	"transferhub/cloud/objstore"
	"transferhub/cloud/queue"
	"transferhub/cloud/s3sync"
	"transferhub/cloud/state/dynamostore"
)

// Cloud commands are configured the way a stack configures a process: every flag can
// also come from the environment variable THUB_<FLAG> (dashes as underscores, upper
// case): --queue-url = THUB_QUEUE_URL, --src-secret-arn = THUB_SRC_SECRET_ARN. A flag
// given on the command line wins. List flags take comma-separated values from the
// environment. Keys never travel in flags: THUB_SRC_ACCESS_KEY_ID /
// THUB_SRC_SECRET_ACCESS_KEY (tests, stacks without Secrets Manager) or a secret.
func bindEnv(cmd *cobra.Command) error {
	var errs []error
	visit := func(f *pflag.Flag) {
		if f.Changed {
			return
		}
		name := "THUB_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		v, ok := os.LookupEnv(name)
		if !ok || v == "" {
			return
		}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			var items []string
			for _, s := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '\n' }) {
				if s = strings.TrimSpace(s); s != "" {
					items = append(items, s)
				}
			}
			if err := sv.Replace(items); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			}
			return
		}
		if err := f.Value.Set(v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", name, v, err))
			return
		}
		f.Changed = true
	}
	cmd.Flags().VisitAll(visit)
	cmd.InheritedFlags().VisitAll(visit)
	return errors.Join(errs...)
}

// cloudSide is one side's location and how to reach it.
type cloudSide struct {
	url, endpoint, region, provider, addressing string
	anonymous, requesterPays                    bool
	roleARN, externalID, secretARN              string
	checksums                                   string
}

func (s *cloudSide) add(c *cobra.Command, side, what string) {
	f := c.Flags()
	f.StringVar(&s.url, side, "", "the "+what+": s3://bucket[/prefix]")
	f.StringVar(&s.endpoint, side+"-endpoint", "", "custom S3 endpoint URL of the "+what)
	f.StringVar(&s.region, side+"-region", "", "region of the "+what)
	f.StringVar(&s.provider, side+"-provider", "", "provider preset of the "+what+": "+strings.Join(objstore.Providers(), ", "))
	f.StringVar(&s.addressing, side+"-addressing", "", "bucket addressing of the "+what+": path or virtual")
	f.BoolVar(&s.anonymous, side+"-anonymous", false, "unsigned, anonymous access to the "+what)
	f.BoolVar(&s.requesterPays, side+"-requester-pays", false, "requester pays for the "+what)
	f.StringVar(&s.secretARN, side+"-secret-arn", "", "Secrets Manager secret (ARN or name) with the "+what+"'s keys: {\"access_key_id\",\"secret_access_key\"[,\"session_token\"]}")
	f.StringVar(&s.roleARN, side+"-role-arn", "", "IAM role to assume for the "+what+" (on top of the secret or the instance role)")
	f.StringVar(&s.externalID, side+"-external-id", "", "external id for assuming the "+what+" role")
	addChecksumsFlag(f, &s.checksums, side, what)
}

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

func (s *cloudSide) open(ctx context.Context, side string, clients *awsClients, fl *syncFlags, th *s3sync.Throttle, refresh time.Duration) (objstore.Location, error) {
	what := map[string]string{"src": "source", "dst": "destination"}[side]
	if s.url == "" {
		return nil, fmt.Errorf("no %s: set THUB_%s or --%s s3://bucket[/prefix]", what, strings.ToUpper(side), side)
	}
	spec, err := objstore.ParseSpec(s.url)
	if err != nil {
		return nil, err
	}
	if !spec.IsS3() {
		return nil, fmt.Errorf("%s %q: a cloud run reads and writes buckets (s3://bucket[/prefix])", what, s.url)
	}
	env := func(name string) string { return os.Getenv("THUB_" + strings.ToUpper(side) + "_" + name) }
	cfg := objstore.S3Config{Provider: s.provider, Region: s.region, Endpoint: s.endpoint, PathStyle: s.addressing, Checksums: s.checksums,
		Anonymous: s.anonymous, RequesterPays: s.requesterPays, RoleARN: s.roleARN, ExternalID: s.externalID,
		AccessKey: env("ACCESS_KEY_ID"), SecretKey: env("SECRET_ACCESS_KEY"), SessionToken: env("SESSION_TOKEN"),
		Concurrency: fl.concurrency, StallTimeout: fl.stall, OnThrottle: th.Signal}
	if s.secretARN != "" {
		if cfg.AccessKey != "" || s.anonymous {
			return nil, fmt.Errorf("%s: give either a secret (--%s-secret-arn) or keys/anonymous access, not both", what, side)
		}
		sc := cloudrun.NewSecretCredentials(clients.secrets, s.secretARN, refresh)
		// Read it now: a wrong ARN or a malformed secret fails at start, not per object.
		if _, err := sc.Retrieve(ctx); err != nil {
			return nil, fmt.Errorf("%s credentials: %w", what, err)
		}
		cfg.Credentials, cfg.CredentialsName, cfg.OnAuthError = sc.Provider(), sc.Name(), sc.Invalidate
	}
	if side == "dst" {
		cfg.StorageClass, cfg.ACL, cfg.SSE, cfg.SSEKMSKeyID, cfg.Tagging = fl.storageClass, fl.acl, fl.sse, fl.sseKMS, fl.tags
	}
	loc, err := objstore.Open(ctx, spec, cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return loc, nil
}

// s3CloudFlags are shared by `thub s3 find` and `thub s3 work`.
type s3CloudFlags struct {
	taskID, taskName, schedule string
	queueURL, dlqURL, table    string
	region                     string
	src, dst                   cloudSide
	sync                       syncFlags
	batchObjects               int
	secretRefresh              time.Duration
	jsonOut                    bool
	leaseTTL                   time.Duration
	giant                      string
	maxReceives                int
	visibility, retryDelay     time.Duration
	grace, receiveWait         time.Duration
	events                     string
	attempts                   int
	idleCheck                  time.Duration
}

func (fl *s3CloudFlags) add(c *cobra.Command, worker bool) {
	f := c.Flags()
	f.StringVar(&fl.taskID, "task-id", "", "task id (the key of the task in the table)")
	f.StringVar(&fl.taskName, "task-name", "", "task name, used only when the task record does not exist yet")
	f.StringVar(&fl.schedule, "schedule", "", "the task's schedule expression; empty = one-time task (its run ends COMPLETED, not IDLE)")
	f.StringVar(&fl.queueURL, "queue-url", "", "URL of the task's SQS job queue")
	f.StringVar(&fl.dlqURL, "dlq-url", "", "URL of the dead-letter queue (default: from the job queue's redrive policy)")
	f.StringVar(&fl.table, "table", "", "the task's DynamoDB table")
	f.StringVar(&fl.region, "region", "", "AWS region of the queue, table and secrets (default: AWS_REGION)")
	fl.src.add(c, "src", "source")
	fl.dst.add(c, "dst", "destination")
	f.DurationVar(&fl.secretRefresh, "secret-refresh", time.Hour, "re-read far-side keys from Secrets Manager this often (and after any 401/403)")
	f.BoolVar(&fl.jsonOut, "json", false, "print the result as one JSON line on stdout at the end")
	fl.sync.addSelection(f)
	fl.sync.addTransfer(f)
	fl.sync.addWrite(f)
	if !worker {
		fl.sync.addListing(f)
		f.IntVar(&fl.batchObjects, "batch-objects", 200, "objects per job message")
		f.DurationVar(&fl.leaseTTL, "lease-ttl", time.Minute, "the finder lease lapses this long after a finder dies")
		return
	}
	f.StringVar(&fl.giant, "giant-threshold", "1GiB", "objects of at least this size are split into part jobs across the fleet")
	f.IntVar(&fl.maxReceives, "max-receives", 0, "deliveries before an object is recorded FAILED and its job dead-lettered (0: the queue's maxReceiveCount, else 5)")
	f.DurationVar(&fl.visibility, "visibility", 60*time.Second, "a received message stays hidden this long, extended every third of it while it runs")
	f.DurationVar(&fl.retryDelay, "retry-delay", 10*time.Second, "first wait before a failed message is delivered again (doubles per delivery)")
	f.DurationVar(&fl.grace, "grace", 20*time.Second, "on SIGTERM, in-flight messages may finish for this long; the rest are released")
	f.DurationVar(&fl.receiveWait, "receive-wait", 20*time.Second, "long-poll wait of one receive")
	f.StringVar(&fl.events, "events", "none", "S3 event notifications on the queue: none, create (ObjectCreated copies), create-and-delete (ObjectRemoved deletes the copy)")
	f.IntVar(&fl.attempts, "attempts", 5, "attempts per object within one delivery")
	f.DurationVar(&fl.idleCheck, "idle-check", 30*time.Second, "while the queue is empty, check this often whether the run is over")
}

// setup validates the flags and opens everything a cloud S3 process needs.
func (fl *s3CloudFlags) setup(cmd *cobra.Command, role string) (cloudrun.S3Task, *awsClients, cloudrun.Queues, *slog.Logger, error) {
	var task cloudrun.S3Task
	ctx := cmd.Context()
	if err := bindEnv(cmd); err != nil {
		return task, nil, cloudrun.Queues{}, nil, err
	}
	level, _ := cmd.Flags().GetString("log-level")
	format := "json"
	if f := cmd.Flags().Lookup("log-format"); f != nil && f.Changed {
		format = f.Value.String()
	}
	log, err := cloudrun.NewLogger(os.Stderr, level, format, "task", fl.taskID, "role", role)
	if err != nil {
		return task, nil, cloudrun.Queues{}, nil, err
	}
	var missing []string
	for _, m := range []struct{ v, flag string }{{fl.taskID, "task-id"}, {fl.queueURL, "queue-url"}, {fl.table, "table"}, {fl.src.url, "src"}, {fl.dst.url, "dst"}} {
		if m.v == "" {
			missing = append(missing, fmt.Sprintf("--%s (THUB_%s)", m.flag, strings.ToUpper(strings.ReplaceAll(m.flag, "-", "_"))))
		}
	}
	if len(missing) > 0 {
		return task, nil, cloudrun.Queues{}, nil, fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	opt, err := buildOptions(&fl.sync, log)
	if err != nil {
		return task, nil, cloudrun.Queues{}, nil, err
	}
	if fl.batchObjects > 0 {
		opt.BatchObjects = fl.batchObjects
	}
	if fl.attempts > 0 {
		opt.Attempts = fl.attempts
	}
	if fl.visibility > 0 {
		if fl.visibility < 3*time.Second {
			return task, nil, cloudrun.Queues{}, nil, fmt.Errorf("--visibility %s: use at least 3s", fl.visibility)
		}
		opt.JobVisibility = fl.visibility.Round(time.Second)
	}
	if fl.receiveWait > 0 {
		opt.ReceiveWait = min(fl.receiveWait, 20*time.Second)
	}
	th := &s3sync.Throttle{}
	opt.Throttle = th
	clients, err := loadAWS(ctx, fl.region)
	if err != nil {
		return task, nil, cloudrun.Queues{}, nil, err
	}
	src, err := fl.src.open(ctx, "src", clients, &fl.sync, th, fl.secretRefresh)
	if err != nil {
		return task, nil, cloudrun.Queues{}, nil, err
	}
	dst, err := fl.dst.open(ctx, "dst", clients, &fl.sync, th, fl.secretRefresh)
	if err != nil {
		return task, nil, cloudrun.Queues{}, nil, err
	}
	qs, err := cloudrun.OpenQueues(ctx, clients.sqs, fl.queueURL, fl.dlqURL)
	if err != nil {
		return task, nil, cloudrun.Queues{}, nil, err
	}
	var q queue.Queue = cloudrun.Splitting{Queue: qs.Jobs}
	if os.Getenv("THUB_FAULT_DUPLICATE_SENDS") == "1" {
		log.Warn("fault injection: every message is sent twice")
		q = cloudrun.Duplicating{Queue: q}
	}
	task = cloudrun.S3Task{ID: fl.taskID, Name: fl.taskName, OneTime: fl.schedule == "", Src: src, Dst: dst,
		Store: dynamostore.New(clients.ddb, fl.table), Queue: q, Opt: opt, Log: log}
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
Every flag can come from THUB_<FLAG> (see cloud/docs/cloud-run.md).
Exit status: 0 done, 2 bad input or failure, 3 another finder of the task is running.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			task, _, _, log, err := fl.setup(cmd, "finder")
			if err != nil {
				return err
			}
			res, err := task.Find(cmd.Context(), fl.leaseTTL)
			if errors.Is(err, cloudrun.ErrBusy) {
				log.Warn("another finder run of this task is in progress: not starting a second one", "err", err)
				fmt.Fprintf(os.Stderr, "thub: task %s: %v\n", fl.taskID, err)
				return exitError{code: 3}
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
Every flag can come from THUB_<FLAG> (see cloud/docs/cloud-run.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			task, clients, qs, log, err := fl.setup(cmd, "worker")
			if err != nil {
				return err
			}
			switch fl.events {
			case "none", "create", "create-and-delete":
			default:
				return fmt.Errorf("--events %q: use none, create or create-and-delete", fl.events)
			}
			giant, err := parseSize("giant-threshold", fl.giant)
			if err != nil {
				return err
			}
			maxReceives := fl.maxReceives
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
			fc := cloudrun.FleetConfig{MaxReceives: maxReceives, GiantThreshold: giant, EventMode: fl.events,
				Grace: fl.grace, RetryDelay: fl.retryDelay, IdleCheck: fl.idleCheck,
				Events: &cloudrun.EventLog{API: clients.ddb, Table: fl.table, TaskID: fl.taskID}}
			if qs.DeadLetter != nil {
				fc.DeadLetter = qs.DeadLetter
			} else {
				log.Warn("no dead-letter queue (no --dlq-url and no redrive policy): objects that fail for good are only recorded FAILED")
			}
			stats, err := task.Work(cmd.Context(), fc)
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
