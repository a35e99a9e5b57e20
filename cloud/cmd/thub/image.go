package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"transferhub/cloud/image"
	taskspec "transferhub/cloud/spec"
	"transferhub/cloud/state/sqlite"
	"transferhub/cloud/taskrun"
)

func newImageCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "image", Short: "Container image transfers (any OCI registry, Amazon ECR)"}
	cmd.AddCommand(newImageSyncCmd(), newImageReportCmd(), newImageCopyCmd())
	return cmd
}

func newImageSyncCmd() *cobra.Command {
	f := &imageSyncFlags{}
	cmd := &cobra.Command{
		Use:   "sync SRC... DST",
		Short: "Copy images between registries; unchanged images are skipped with HEAD requests only",
		Long: `Copy container images from any OCI registry or Amazon ECR to another.

SRC is registry/repo:tag, registry/repo@sha256:<hex>, registry/repo:ALL_TAGS (every tag,
narrowed by the tag filters), or comes from --list FILE or --src-ecr REGION (every
repository of that ECR, or the SRC repositories given relative to it). DST is
registry[/prefix]: the destination repository is the prefix joined with the source
repository path (reg1/app:v1 -> reg2/mirror/app:v1); or --dst-ecr REGION [--dst-prefix P].

Registries are reached over TLS verified against the system CA pool (SSL_CERT_FILE is
honoured; add CAs with --ca-file); plain HTTP only for hosts named with --insecure-http.
Credentials: ~/.docker/config.json and its credential helpers, --src-creds/--dst-creds
USER[:PASSWORD] (password also from THUB_SRC_PASSWORD / THUB_DST_PASSWORD), and for ECR
the AWS credentials (tokens renewed on long runs).

The last line on stdout with --json is one JSON object: found, copied, skipped, failed,
bytes (sent to the destination), seconds. Exit status 0 only when nothing failed.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runImageSync(cmd, f, args) },
	}
	f.add(cmd)
	return cmd
}

func runImageSync(cmd *cobra.Command, f *imageSyncFlags, args []string) error {
	ctx := cmd.Context()
	log, err := newLogger(cmd, "text")
	if err != nil {
		return err
	}
	im := f.agent.Task.Image
	if f.allPlatforms && len(im.Platforms) > 0 {
		return usageError{errors.New("--all-platforms and --platform exclude each other")}
	}
	// DST is the last argument unless the destination is an ECR.
	if err := f.spec.Args(args, os.LookupEnv); err != nil {
		return usageError{err}
	}
	if err := f.spec.Validate(true); err != nil {
		return badInput(err)
	}
	// Parse every source before any network call: a typo in a list fails fast.
	es, err := im.EngineSpec()
	if err != nil {
		return usageError{err}
	}
	cfg := im.EngineConfig(log)
	im.AddLogins(&cfg.Access, es)
	eng, err := image.New(ctx, cfg)
	if err != nil {
		return err
	}
	if cfg.SourceECR != nil {
		taskspec.ResolveECR(&es, eng.SourceRegistry())
	}
	spec := es
	if err := eng.Validate(spec); err != nil {
		return usageError{err}
	}

	prog := newProgress(f.progress)
	defer prog.stop()
	opt := image.RunOptions{Concurrency: im.Concurrency, DryRun: f.dryRun, OnEvent: prog.event}
	out := cmd.OutOrStdout()
	if f.dryRun && f.plan {
		plan, err := eng.Plan(ctx, spec, im.Concurrency)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(out)
		for _, p := range plan {
			_ = enc.Encode(p)
		}
	}

	var sum image.Summary
	var runErr error
	if !f.dryRun && !f.noState {
		path, err := imageStatePath(f.statePath)
		if err != nil {
			return err
		}
		store, err := sqlite.Open(ctx, path)
		if err != nil {
			return fmt.Errorf("open state %s: %w", path, err)
		}
		defer store.Close()
		sum, runErr = eng.Sync(ctx, spec, store, imageTaskID(spec, eng), image.SyncOptions{
			Concurrency: im.Concurrency, OnEvent: prog.event, Name: imageTaskName(spec, eng), Definition: imageDefinition(f.agent.Task)})
		if errors.Is(runErr, taskrun.ErrBusy) {
			runErr = fmt.Errorf("%w; wait for it or use another --state", runErr)
		}
		if sum.RunID == "" {
			return runErr // no run began
		}
		sum.State = store.Path()
	} else {
		sum, runErr = eng.Run(ctx, spec, opt)
	}
	prog.stop()
	if f.jsonOut {
		fmt.Fprintln(out, sum.JSON())
	} else {
		verb := "copied"
		if sum.DryRun {
			verb = "to copy"
			sum.Copied = sum.Planned
		}
		fmt.Fprintf(out, "found %d, %s %d, up to date %d, failed %d, %s sent in %.1fs\n",
			sum.Found, verb, sum.Copied, sum.Skipped, sum.Failed, humanBytes(sum.Bytes), sum.Seconds)
	}
	if runErr != nil {
		return runErr
	}
	if sum.Failed > 0 {
		return exitError{code: 1}
	}
	return nil
}

func imageStatePath(p string) (string, error) {
	if p != "" {
		return p, nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("default state location: %w (pass --state PATH)", err)
	}
	dir = filepath.Join(dir, "transfer-hub")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create state directory: %w", err)
	}
	return filepath.Join(dir, "images.db"), nil
}

// imageTaskID names a CLI sync by what it copies, so a re-run continues the same task.
func imageTaskID(spec image.Spec, eng *image.Engine) string {
	key := struct {
		Spec image.Spec
		Src  string
		Dst  string
	}{spec, eng.SourceRegistry(), eng.DestRegistry()}
	b, _ := json.Marshal(key)
	sum := sha256.Sum256(b)
	return "image-" + hex.EncodeToString(sum[:8])
}

// imageDefinition is the definition a CLI sync stores with its task: the task spec.
func imageDefinition(t taskspec.Task) json.RawMessage {
	def, _ := t.Encode()
	return def
}

// imageTaskName names a CLI sync's task by what it copies.
func imageTaskName(spec image.Spec, eng *image.Engine) string {
	var names []string
	for _, s := range spec.Sources {
		names = append(names, s.String())
	}
	if len(names) == 0 {
		names = []string{"ECR " + eng.SourceRegistry()}
	}
	dst := spec.Destination
	if eng.DestRegistry() != "" {
		dst.Registry = eng.DestRegistry()
	}
	name := fmt.Sprintf("image sync %s -> %s", strings.Join(names, " "), dst)
	if len(name) > 200 {
		name = name[:197] + "..."
	}
	return name
}
