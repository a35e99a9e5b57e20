package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"transferhub/cloud/image"
	"transferhub/cloud/image/ecr"
	"transferhub/cloud/state"
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
	fl := cmd.Flags()
	f.imageEngineFlags.add(fl)
	f.imageSelectionFlags.add(fl)
	fl.StringArrayVar(&f.lists, "list", nil, "file of source references, one per line or comma-separated (repeatable)")
	fl.BoolVar(&f.allPlatforms, "all-platforms", false, "copy every platform and keep indexes intact (the default)")
	fl.BoolVar(&f.recheckReferrers, "referrers-recheck", false, "also copy referrers added to images the destination already has (a tag listing and referrer queries per repository: re-runs are no longer HEAD-only)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "list and compare (HEAD requests only), copy nothing")
	fl.BoolVar(&f.plan, "plan", false, "with --dry-run: print one JSON line per image (action copy/skip/error)")
	fl.BoolVar(&f.jsonOut, "json", false, "print the summary as one JSON line (last line of stdout)")
	fl.StringVar(&f.statePath, "state", "", "state file with per-image records (default: <user cache dir>/transfer-hub/images.db)")
	fl.BoolVar(&f.noState, "no-state", false, "do not record per-image results")
	fl.StringVar(&f.srcCreds, "src-creds", "", "USER[:PASSWORD] for the source registries (password also from THUB_SRC_PASSWORD)")
	fl.StringVar(&f.dstCreds, "dst-creds", "", "USER[:PASSWORD] for the destination registry (password also from THUB_DST_PASSWORD)")
	fl.BoolVar(&f.noDockerConfig, "no-docker-config", false, "ignore ~/.docker/config.json and credential helpers")
	fl.BoolVar(&f.progress, "progress", isatty.IsTerminal(os.Stderr.Fd()), "show progress on stderr (default: when stderr is a terminal)")
	return cmd
}

// usageError is a bad invocation: exit status 2.
type usageError struct{ error }

func runImageSync(cmd *cobra.Command, f *imageSyncFlags, args []string) error {
	ctx := cmd.Context()
	log := newLogger(cmd)
	if f.allPlatforms && len(f.platforms) > 0 {
		return usageError{errors.New("--all-platforms and --platform exclude each other")}
	}
	// DST is the last argument unless the destination is an ECR.
	var srcArgs []string
	var dst image.Destination
	var err error
	if f.dstECR != "" {
		srcArgs = args
		if f.dstPrefix != "" {
			if dst, err = image.ParseDestination("ecr.invalid/" + f.dstPrefix); err != nil {
				return usageError{fmt.Errorf("invalid --dst-prefix: %w", err)}
			}
			dst.Registry = ""
		}
	} else {
		if len(args) == 0 {
			return usageError{errors.New("missing DST: thub image sync SRC... DST (or --dst-ecr REGION)")}
		}
		if f.dstPrefix != "" {
			return usageError{errors.New("--dst-prefix goes with --dst-ecr; otherwise write DST as registry/prefix")}
		}
		srcArgs = args[:len(args)-1]
		if dst, err = image.ParseDestination(args[len(args)-1]); err != nil {
			return usageError{err}
		}
	}
	cfg := image.Config{Log: log, Access: image.Access{
		InsecureHTTP: f.insecure, CAFiles: f.caFiles, NoDockerConfig: f.noDockerConfig,
		HostConcurrency: f.hostConcurrency, ReqPerSec: f.reqPerSec, Creds: map[string]image.Cred{},
	}}
	if f.srcECR != "" {
		cfg.SourceECR = &ecr.Config{Region: f.srcECR, Account: f.srcAccount, Endpoint: f.srcECRURL, RegistryHost: f.srcECRHost}
		if err := cfg.SourceECR.Validate(); err != nil {
			return usageError{err}
		}
	}
	if f.dstECR != "" {
		cfg.DestECR = &ecr.Config{Region: f.dstECR, Account: f.dstAccount, Endpoint: f.dstECRURL, RegistryHost: f.dstECRHost}
		if err := cfg.DestECR.Validate(); err != nil {
			return usageError{err}
		}
		cfg.ECRRepo = f.repoSettings()
	}
	// Parse every source before any network call: a typo fails fast.
	srcDefault := ""
	if cfg.SourceECR != nil {
		srcDefault = "ecr.placeholder.invalid" // replaced once the ECR host is known
	}
	var sources []image.Source
	for _, a := range srcArgs {
		s, err := image.ParseSource(a, srcDefault)
		if err != nil {
			return usageError{err}
		}
		sources = append(sources, s)
	}
	for _, l := range f.lists {
		ss, err := image.ReadListFile(l, srcDefault)
		if err != nil {
			return usageError{err}
		}
		sources = append(sources, ss...)
	}
	if len(sources) == 0 && cfg.SourceECR == nil {
		return usageError{errors.New("no source: give SRC references, --list FILE or --src-ecr REGION")}
	}
	if err := applyCreds(cfg.Access.Creds, f.srcCreds, "THUB_SRC_PASSWORD", sourceHosts(sources, f.srcECRHost)); err != nil {
		return usageError{fmt.Errorf("--src-creds: %w", err)}
	}
	dstHosts := []string{dst.Registry}
	if f.dstECRHost != "" {
		dstHosts = []string{f.dstECRHost}
	}
	if err := applyCreds(cfg.Access.Creds, f.dstCreds, "THUB_DST_PASSWORD", dstHosts); err != nil {
		return usageError{fmt.Errorf("--dst-creds: %w", err)}
	}
	spec := image.Spec{
		Sources: sources, RepoPrefix: f.repoPrefix, RepoRegex: f.repoRegex, Destination: dst,
		Tags: f.tagFilter(),
		Copy: image.CopyOptions{Platforms: f.platforms, Referrers: f.referrers, RecheckReferrers: f.recheckReferrers, Attempts: f.attempts},
	}

	eng, err := image.New(ctx, cfg)
	if err != nil {
		return err
	}
	if srcDefault != "" {
		for i := range spec.Sources {
			spec.Sources[i].Registry = eng.SourceRegistry()
		}
	}
	if err := eng.Validate(spec); err != nil {
		return usageError{err}
	}

	prog := newProgress(f.progress)
	defer prog.stop()
	opt := image.RunOptions{Concurrency: f.concurrency, DryRun: f.dryRun, OnEvent: prog.event}
	out := cmd.OutOrStdout()
	if f.dryRun && f.plan {
		plan, err := eng.Plan(ctx, spec, f.concurrency)
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
			Concurrency: f.concurrency, OnEvent: prog.event, Name: imageTaskName(spec, eng), Definition: imageDefinition(spec)})
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

// imageDefinition is the definition a CLI sync stores with its task.
func imageDefinition(spec image.Spec) json.RawMessage {
	def, _ := json.Marshal(map[string]any{"v": 1, "spec": spec})
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
