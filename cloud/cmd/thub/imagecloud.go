package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"transferhub/cloud/cloudrun"
	"transferhub/cloud/image"
	"transferhub/cloud/image/ecr"
	"transferhub/cloud/state"
	"transferhub/cloud/state/dynamostore"
)

// imageCloudFlags configure the cloud image processes (the list Lambda and the Fargate
// copiers) from flags or THUB_<FLAG> variables, as the task's stack sets them.
type imageCloudFlags struct {
	imageEngineFlags
	imageSelectionFlags
	taskID, taskName, table, region string
	schedule                        string
	sources                         []string
	list                            string
	dest                            string
	srcSecretARN, dstSecretARN      string
	secretRefresh                   time.Duration
}

func (f *imageCloudFlags) add(c *cobra.Command, selection bool) {
	fl := c.Flags()
	fl.StringVar(&f.taskID, "task-id", "", "task id (the key of the task in the table)")
	fl.StringVar(&f.taskName, "task-name", "", "task name, used only when the task record does not exist yet")
	fl.StringVar(&f.table, "table", "", "the task's DynamoDB table (per-image records)")
	fl.StringVar(&f.region, "region", "", "AWS region of the table and secrets (default: AWS_REGION)")
	fl.StringVar(&f.schedule, "schedule", "", "the task's schedule; empty = one-time task (its run ends COMPLETED, not IDLE)")
	f.imageEngineFlags.add(fl)
	fl.StringVar(&f.srcSecretARN, "src-secret-arn", "", `secret with the source's credentials: {"username","password"} for a registry, or {"access_key_id","secret_access_key"} for ECR`)
	fl.StringVar(&f.dstSecretARN, "dst-secret-arn", "", "secret with the destination's credentials (as --src-secret-arn)")
	fl.DurationVar(&f.secretRefresh, "secret-refresh", time.Hour, "re-read credentials from Secrets Manager this often (and after a 401)")
	if !selection {
		return
	}
	fl.StringArrayVar(&f.sources, "image-sources", nil, "source references: registry/repo:tag, @digest or :ALL_TAGS (repeatable; comma-separated in THUB_IMAGE_SOURCES)")
	fl.StringVar(&f.list, "image-list", "", "file of source references")
	fl.StringVar(&f.dest, "image-dest", "", "destination registry[/prefix] (or --dst-ecr)")
	f.imageSelectionFlags.add(fl)
}

// secretSide is what one side's secret holds.
type secretSide struct {
	keys     *cloudrun.SecretCredentials // AWS keys (for an ECR side)
	registry *cloudrun.RegistrySecret    // user/password for a registry
}

func (f *imageCloudFlags) readSecret(ctx context.Context, clients *awsClients, arn, what string) (secretSide, error) {
	if arn == "" {
		return secretSide{}, nil
	}
	s, err := cloudrun.ReadSecret(ctx, clients.secrets, arn)
	if err != nil {
		return secretSide{}, fmt.Errorf("%s credentials: %w", what, err)
	}
	var out secretSide
	if s.AccessKeyID != "" {
		out.keys = cloudrun.NewSecretCredentials(clients.secrets, arn, f.secretRefresh)
	}
	if s.Username != "" {
		out.registry = &cloudrun.RegistrySecret{API: clients.secrets, ARN: arn, Refresh: f.secretRefresh}
	}
	return out, nil
}

func (f *imageCloudFlags) ecrConfig(clients *awsClients, region, account, endpoint, host string, sec secretSide) *ecr.Config {
	if region == "" {
		return nil
	}
	c := &ecr.Config{Region: region, Account: account, Endpoint: endpoint, RegistryHost: host}
	if sec.keys != nil {
		ac := clients.cfg.Copy()
		ac.Credentials = sec.keys.Provider()
		c.AWS = &ac
	}
	return c
}

// setup validates the flags and builds the engine, the store and the logger. Registry
// secrets are attached to hosts: the source hosts of the selection (or of the items
// to copy, given as extraSrcHosts) and the destination host.
func (f *imageCloudFlags) setup(ctx context.Context, cmd *cobra.Command, role string, needSelection bool, srcHosts, dstHosts []string) (*image.Engine, image.Spec, state.Store, *slog.Logger, error) {
	fail := func(err error) (*image.Engine, image.Spec, state.Store, *slog.Logger, error) {
		return nil, image.Spec{}, nil, nil, err
	}
	if err := bindEnv(cmd); err != nil {
		return fail(err)
	}
	level, _ := cmd.Flags().GetString("log-level")
	format := "json"
	if lf := cmd.Flags().Lookup("log-format"); lf != nil && lf.Changed {
		format = lf.Value.String()
	}
	log, err := cloudrun.NewLogger(os.Stderr, level, format, "task", f.taskID, "role", role)
	if err != nil {
		return fail(err)
	}
	if f.taskID == "" || f.table == "" {
		return fail(errors.New("missing --task-id (THUB_TASK_ID) or --table (THUB_TABLE)"))
	}
	var spec image.Spec
	if needSelection {
		if spec, err = f.spec(); err != nil {
			return fail(err)
		}
		for _, s := range spec.Sources {
			srcHosts = append(srcHosts, s.Registry)
		}
		dstHosts = append(dstHosts, spec.Destination.Registry)
	}
	clients, err := loadAWS(ctx, f.region)
	if err != nil {
		return fail(err)
	}
	srcSec, err := f.readSecret(ctx, clients, f.srcSecretARN, "source")
	if err != nil {
		return fail(err)
	}
	dstSec, err := f.readSecret(ctx, clients, f.dstSecretARN, "destination")
	if err != nil {
		return fail(err)
	}
	cfg := image.Config{Log: log, Access: image.Access{InsecureHTTP: f.insecure, CAFiles: f.caFiles, NoDockerConfig: true,
		HostConcurrency: f.hostConcurrency, ReqPerSec: f.reqPerSec}}
	cfg.SourceECR = f.ecrConfig(clients, f.srcECR, f.srcAccount, f.srcECRURL, f.srcECRHost, srcSec)
	cfg.DestECR = f.ecrConfig(clients, f.dstECR, f.dstAccount, f.dstECRURL, f.dstECRHost, dstSec)
	for _, c := range []*ecr.Config{cfg.SourceECR, cfg.DestECR} {
		if c != nil {
			if err := c.Validate(); err != nil {
				return fail(err)
			}
		}
	}
	if cfg.DestECR != nil {
		cfg.ECRRepo = f.repoSettings()
	}
	eng, err := image.New(ctx, cfg)
	if err != nil {
		return fail(err)
	}
	if needSelection && cfg.SourceECR != nil {
		for i := range spec.Sources {
			if spec.Sources[i].Registry == ecrPlaceholder {
				spec.Sources[i].Registry = eng.SourceRegistry()
			}
		}
	}
	// Registry credentials from secrets are token sources: renewed hourly and after a 401.
	attach := func(sec secretSide, hosts []string) {
		if sec.registry == nil {
			return
		}
		for _, h := range hosts {
			if h != "" && h != ecrPlaceholder {
				eng.Client().AddTokenSource(h, sec.registry)
			}
		}
	}
	attach(srcSec, srcHosts)
	attach(dstSec, dstHosts)
	if needSelection {
		if err := eng.Validate(spec); err != nil {
			return fail(err)
		}
	}
	return eng, spec, dynamostore.New(clients.ddb, f.table), log, nil
}

const ecrPlaceholder = "ecr.placeholder.invalid"

func (f *imageCloudFlags) spec() (image.Spec, error) {
	def := ""
	if f.srcECR != "" {
		def = ecrPlaceholder
	}
	var spec image.Spec
	for _, a := range f.sources {
		s, err := image.ParseSource(a, def)
		if err != nil {
			return spec, err
		}
		spec.Sources = append(spec.Sources, s)
	}
	if f.list != "" {
		ss, err := image.ReadListFile(f.list, def)
		if err != nil {
			return spec, err
		}
		spec.Sources = append(spec.Sources, ss...)
	}
	switch {
	case f.dstECR != "":
		if f.dest != "" {
			return spec, errors.New("--image-dest and --dst-ecr exclude each other")
		}
		if f.dstPrefix != "" {
			d, err := image.ParseDestination("ecr.invalid/" + f.dstPrefix)
			if err != nil {
				return spec, fmt.Errorf("invalid --dst-prefix: %w", err)
			}
			spec.Destination = image.Destination{Prefix: d.Prefix}
		}
	case f.dest != "":
		d, err := image.ParseDestination(f.dest)
		if err != nil {
			return spec, err
		}
		spec.Destination = d
	default:
		return spec, errors.New("no destination: set --image-dest (THUB_IMAGE_DEST) registry[/prefix] or --dst-ecr (THUB_DST_ECR)")
	}
	spec.RepoPrefix, spec.RepoRegex = f.repoPrefix, f.repoRegex
	spec.Tags = f.tagFilter()
	spec.Copy = f.copyOptions()
	return spec, nil
}

func (f *imageCloudFlags) copyOptions() image.CopyOptions {
	return image.CopyOptions{Platforms: f.platforms, Referrers: f.referrers, Attempts: f.attempts}
}

func newImageCopyCmd() *cobra.Command {
	f := &imageCloudFlags{}
	var input, inputJSON string
	var jsonOut bool
	c := &cobra.Command{
		Use:   "copy",
		Short: "Cloud run: copy one batch of images (a Step Functions Map item) and record each image",
		Long: `Copy one batch of images produced by 'thub lambda image-list' and write one record per
image to the task's DynamoDB table. The batch is one element of the listing's "batches"
array: from --input FILE ("-" for stdin) or --input-json / THUB_INPUT_JSON (what a Fargate
container override sets from the state machine's input). The copier whose batch settles the
run's last image marks the task COMPLETED. Exit status 0 when every image is DONE or up to
date, 1 when some failed (recorded with their error), 2 on bad input.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := bindEnv(cmd); err != nil {
				return err
			}
			raw := []byte(inputJSON)
			switch {
			case input == "-":
				b, err := io.ReadAll(os.Stdin)
				if err != nil {
					return fmt.Errorf("read the batch from stdin: %w", err)
				}
				raw = b
			case input != "":
				b, err := os.ReadFile(input)
				if err != nil {
					return fmt.Errorf("read the batch: %w", err)
				}
				raw = b
			}
			if len(strings.TrimSpace(string(raw))) == 0 {
				return errors.New("no batch: give --input FILE, --input - (stdin) or --input-json / THUB_INPUT_JSON")
			}
			var b cloudrun.ImageBatch
			if err := json.Unmarshal(raw, &b); err != nil {
				return fmt.Errorf("the batch is not a JSON object like {\"taskId\":...,\"runId\":...,\"items\":[...]}: %w", err)
			}
			if b.TaskID == "" {
				b.TaskID = os.Getenv("THUB_TASK_ID")
			}
			var srcHosts, dstHosts []string
			for _, it := range b.Items {
				srcHosts = append(srcHosts, refHost(it.Source))
				dstHosts = append(dstHosts, refHost(it.Destination))
			}
			if f.taskID == "" {
				f.taskID = b.TaskID
			}
			eng, _, st, log, err := f.setup(cmd.Context(), cmd, "image-copier", false, srcHosts, dstHosts)
			if err != nil {
				return err
			}
			if b.TaskID != f.taskID {
				return fmt.Errorf("the batch belongs to task %s, this copier to %s", b.TaskID, f.taskID)
			}
			sum, err := cloudrun.CopyImageBatch(cmd.Context(), eng, st, b, f.copyOptions(), f.concurrency, f.schedule == "", log)
			if errors.Is(err, cloudrun.ErrStaleBatch) {
				log.Warn("batch skipped", "err", err)
				return nil
			}
			if err != nil {
				return err
			}
			log.Info("batch copied", "run", b.RunID, "batch", b.Batch, "found", sum.Found, "copied", sum.Copied,
				"skipped", sum.Skipped, "failed", sum.Failed, "bytes", sum.Bytes, "seconds", sum.Seconds)
			if jsonOut {
				fmt.Fprintln(cmd.OutOrStdout(), sum.JSON())
			}
			if sum.Failed > 0 {
				return exitError{code: 1}
			}
			return nil
		},
	}
	f.add(c, false)
	c.Flags().StringVar(&input, "input", "", `file with one batch of the listing's output ("-": stdin)`)
	c.Flags().StringVar(&inputJSON, "input-json", "", "the batch itself, as JSON")
	c.Flags().BoolVar(&jsonOut, "json", false, "print the batch summary as one JSON line")
	return c
}

// refHost is the registry host of a reference (registry/repo:tag).
func refHost(r string) string {
	h, _, _ := strings.Cut(r, "/")
	return h
}
