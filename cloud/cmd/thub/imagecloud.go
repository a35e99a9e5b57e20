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
	"transferhub/cloud/spec"
	"transferhub/cloud/state"
	"transferhub/cloud/state/dynamostore"
)

// imageCloudFlags configure the cloud image processes (the list Lambda and the Fargate
// copiers) from flags or THUB_* variables (cloud/spec's Env contract), as the task's
// stack sets them.
type imageCloudFlags struct {
	agent spec.Agent
	spec  *spec.ImageFlags
}

func (f *imageCloudFlags) add(c *cobra.Command, selection bool) {
	f.agent = spec.NewAgent(state.TaskImage)
	f.spec = spec.BindImageCloud(c.Flags(), &f.agent, selection)
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
	refresh := time.Duration(f.agent.SecretRefresh)
	var out secretSide
	if s.AccessKeyID != "" {
		out.keys = cloudrun.NewSecretCredentials(clients.secrets, arn, refresh)
	}
	if s.Username != "" {
		out.registry = &cloudrun.RegistrySecret{API: clients.secrets, ARN: arn, Refresh: refresh}
	}
	return out, nil
}

// withKeys gives an ECR side the AWS keys of its secret.
func withKeys(c *ecr.Config, clients *awsClients, sec secretSide) {
	if c == nil || sec.keys == nil {
		return
	}
	ac := clients.cfg.Copy()
	ac.Credentials = sec.keys.Provider()
	c.AWS = &ac
}

// setup validates the flags and builds the engine, the store and the logger. Registry
// secrets are attached to hosts: the source hosts of the selection (or of the items
// to copy, given as srcHosts) and the destination host.
func (f *imageCloudFlags) setup(ctx context.Context, cmd *cobra.Command, role string, needSelection bool, srcHosts, dstHosts []string) (*image.Engine, image.Spec, state.Store, *slog.Logger, error) {
	fail := func(err error) (*image.Engine, image.Spec, state.Store, *slog.Logger, error) {
		return nil, image.Spec{}, nil, nil, err
	}
	a := &f.agent
	if err := f.spec.Env(cmd.Flags(), os.LookupEnv); err != nil {
		return fail(badInput(err))
	}
	log, err := newLoggerEnv(cmd, "json", a.LogLevel, a.LogFormat, "task", a.TaskID, "role", role)
	if err != nil {
		return fail(err)
	}
	if a.TaskID == "" || a.Table == "" {
		return fail(errors.New("missing --task-id (THUB_TASK_ID) or --table (THUB_TABLE)"))
	}
	im := a.Task.Image
	im.NoDockerConfig = true // a cloud process has no Docker config: secrets only
	var es image.Spec
	if needSelection {
		if im.Destination.Kind == "" {
			return fail(errors.New("no destination: set --image-dest (THUB_IMAGE_DEST) registry[/prefix] or --dst-ecr (THUB_DST_ECR)"))
		}
		if err := f.spec.Validate(true); err != nil {
			return fail(badInput(err))
		}
		// Read again on every invocation: the lists change without a redeploy.
		cloudLists := im.Source.Lists
		im.Source.Lists = append([]string(nil), cloudLists...)
		listCleanup, err := fetchCloudLists(ctx, im.Source.Lists, a.Region, "image list")
		if err != nil {
			return fail(err)
		}
		defer func() { im.Source.Lists = cloudLists; listCleanup() }()
		if es, err = im.EngineSpec(); err != nil {
			return fail(err)
		}
		for _, s := range es.Sources {
			srcHosts = append(srcHosts, s.Registry)
		}
		dstHosts = append(dstHosts, es.Destination.Registry)
	} else if err := f.spec.Validate(false); err != nil {
		return fail(badInput(err))
	}
	clients, err := loadAWS(ctx, a.Region)
	if err != nil {
		return fail(err)
	}
	srcSec, err := f.readSecret(ctx, clients, im.Source.SecretARN, "source")
	if err != nil {
		return fail(err)
	}
	dstSec, err := f.readSecret(ctx, clients, im.Destination.SecretARN, "destination")
	if err != nil {
		return fail(err)
	}
	cfg := im.EngineConfig(log)
	withKeys(cfg.SourceECR, clients, srcSec)
	withKeys(cfg.DestECR, clients, dstSec)
	eng, err := image.New(ctx, cfg)
	if err != nil {
		return fail(err)
	}
	if needSelection && cfg.SourceECR != nil {
		spec.ResolveECR(&es, eng.SourceRegistry())
	}
	// Registry credentials from secrets are token sources: renewed hourly and after a 401.
	attach := func(sec secretSide, hosts []string) {
		if sec.registry == nil {
			return
		}
		for _, h := range hosts {
			if h != "" && h != spec.ECRPlaceholder {
				eng.Client().AddTokenSource(h, sec.registry)
			}
		}
	}
	attach(srcSec, srcHosts)
	attach(dstSec, dstHosts)
	if needSelection {
		if err := eng.Validate(es); err != nil {
			return fail(err)
		}
	}
	return eng, es, dynamostore.New(clients.ddb, a.Table), log, nil
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
			if err := f.spec.Env(cmd.Flags(), os.LookupEnv); err != nil { // THUB_INPUT_JSON, THUB_TASK_ID, ...
				return badInput(err)
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
			if f.agent.TaskID == "" && !cmd.Flags().Changed("task-id") {
				f.agent.TaskID = b.TaskID
			}
			eng, _, st, log, err := f.setup(cmd.Context(), cmd, "image-copier", false, srcHosts, dstHosts)
			if err != nil {
				return err
			}
			if b.TaskID != f.agent.TaskID {
				return fmt.Errorf("the batch belongs to task %s, this copier to %s", b.TaskID, f.agent.TaskID)
			}
			im := f.agent.Task.Image
			sum, err := cloudrun.CopyImageBatch(cmd.Context(), eng, st, b, im.CopyOptions(), im.Concurrency, f.agent.Task.Schedule.OneTime(), log)
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
