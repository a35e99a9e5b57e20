package main

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

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

type imageSyncFlags struct {
	imageEngineFlags
	imageSelectionFlags
	lists                          []string
	allPlatforms                   bool
	recheckReferrers               bool
	dryRun, jsonOut, noState       bool
	statePath                      string
	srcCreds, dstCreds             string
	noDockerConfig, progress, plan bool
}

// imageEngineFlags are shared by thub image sync and the cloud image processes: the ECR
// sides, settings of created repositories, platforms, referrers, tuning and TLS.
type imageEngineFlags struct {
	srcECR, srcAccount, srcECRURL, srcECRHost string
	dstECR, dstAccount, dstECRURL, dstECRHost string
	scanOnPush, immutable                     bool
	kmsKey                                    string
	platforms                                 []string
	referrers                                 bool
	concurrency, hostConcurrency              int
	reqPerSec                                 float64
	attempts                                  int
	insecure, caFiles                         []string
}

func (f *imageEngineFlags) add(fl *pflag.FlagSet) {
	fl.StringVar(&f.srcECR, "src-ecr", "", "source Amazon ECR region: every repository, or only the given source repositories (relative to it)")
	fl.StringVar(&f.srcAccount, "src-account", "", "source ECR account id (default: the caller's)")
	fl.StringVar(&f.srcECRURL, "src-ecr-endpoint", "", "source ECR API endpoint URL (emulators; AWS_ENDPOINT_URL_ECR also works)")
	fl.StringVar(&f.srcECRHost, "src-ecr-host", "", "source ECR registry host override (tests: a local registry)")
	fl.StringVar(&f.dstECR, "dst-ecr", "", "destination Amazon ECR region (repositories created on demand)")
	fl.StringVar(&f.dstAccount, "dst-account", "", "destination ECR account id (default: the caller's)")
	fl.StringVar(&f.dstECRURL, "dst-ecr-endpoint", "", "destination ECR API endpoint URL")
	fl.StringVar(&f.dstECRHost, "dst-ecr-host", "", "destination ECR registry host override (tests: a local registry)")
	fl.BoolVar(&f.scanOnPush, "ecr-scan-on-push", false, "created ECR repositories: scan images on push")
	fl.BoolVar(&f.immutable, "ecr-immutable-tags", false, "created ECR repositories: IMMUTABLE tags")
	fl.StringVar(&f.kmsKey, "ecr-kms-key", "", "created ECR repositories: KMS key ARN/id (default AES256)")
	fl.StringSliceVar(&f.platforms, "platform", nil, "copy only these platforms of multi-platform images (os/arch[/variant], repeatable); rewrites the index, so its digest changes")
	fl.BoolVar(&f.referrers, "referrers", true, "copy referrers (signatures, SBOMs, attestations) and sha256-*.sig/.att/.sbom tags")
	fl.IntVar(&f.concurrency, "concurrency", image.DefaultImageConcurrency, "images copied in parallel")
	fl.IntVar(&f.hostConcurrency, "host-concurrency", image.DefaultHostConcurrency, "concurrent requests (blob transfers) per registry")
	fl.Float64Var(&f.reqPerSec, "req-per-sec", 0, "max requests per second per registry (0: no limit)")
	fl.IntVar(&f.attempts, "attempts", 3, "attempts per image for transient failures")
	fl.StringArrayVar(&f.insecure, "insecure-http", nil, "registry host[:port] to reach over plain HTTP (repeatable)")
	fl.StringArrayVar(&f.caFiles, "ca-file", nil, "extra trusted CA certificate (PEM) for registries (repeatable)")
}

// imageSelectionFlags narrow the repositories and tags and place them at the destination.
type imageSelectionFlags struct {
	repoPrefix, repoRegex, dstPrefix string
	tagInclude, tagExclude           []string
	semver                           string
	latest                           int
}

func (f *imageSelectionFlags) add(fl *pflag.FlagSet) {
	fl.StringVar(&f.repoPrefix, "repo-prefix", "", "with --src-ecr: only repositories starting with this")
	fl.StringVar(&f.repoRegex, "repo-regex", "", "with --src-ecr: only repositories matching this regular expression")
	fl.StringVar(&f.dstPrefix, "dst-prefix", "", "with --dst-ecr: repository prefix")
	fl.StringArrayVar(&f.tagInclude, "tag-include", nil, "ALL_TAGS: keep tags matching this regular expression (whole tag; repeatable)")
	fl.StringArrayVar(&f.tagExclude, "tag-exclude", nil, "ALL_TAGS: drop tags matching this regular expression (repeatable)")
	fl.StringVar(&f.semver, "semver", "", `ALL_TAGS: keep version tags in this range, e.g. ">=1.2, <2"`)
	fl.IntVar(&f.latest, "latest", 0, "ALL_TAGS: keep the N most recent tags (image creation time)")
}

func (f *imageSelectionFlags) tagFilter() image.TagFilter {
	return image.TagFilter{Include: f.tagInclude, Exclude: f.tagExclude, Semver: f.semver, Latest: f.latest}
}

func (f *imageEngineFlags) repoSettings() ecr.RepoSettings {
	return ecr.RepoSettings{ScanOnPush: f.scanOnPush, Immutable: f.immutable, KMSKey: f.kmsKey}
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

func sourceHosts(ss []image.Source, ecrHost string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s.Registry] && s.Registry != "ecr.placeholder.invalid" {
			seen[s.Registry] = true
			out = append(out, s.Registry)
		}
	}
	if ecrHost != "" {
		out = append(out, ecrHost)
	}
	return out
}

func applyCreds(m map[string]image.Cred, flag, env string, hosts []string) error {
	if flag == "" {
		return nil
	}
	user, pass, ok := strings.Cut(flag, ":")
	if !ok {
		pass = os.Getenv(env)
		if pass == "" {
			return fmt.Errorf("no password: write USER:PASSWORD or set %s", env)
		}
	}
	if user == "" {
		return errors.New("empty user name")
	}
	for _, h := range hosts {
		if h != "" {
			m[h] = image.Cred{User: user, Password: pass}
		}
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

func newLogger(cmd *cobra.Command) *slog.Logger {
	lv := slog.LevelInfo
	if s, _ := cmd.Flags().GetString("log-level"); s != "" {
		_ = lv.UnmarshalText([]byte(s))
	}
	format, _ := cmd.Flags().GetString("log-format")
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// progress draws one status line on stderr (terminals only).
type progress struct {
	on                         bool
	found, done, skipped, fail atomic.Int64
	bytes                      atomic.Int64
	start                      time.Time
	quit                       chan struct{}
	stopped                    atomic.Bool
}

func newProgress(on bool) *progress {
	p := &progress{on: on, start: time.Now(), quit: make(chan struct{})}
	if on {
		go p.loop()
	}
	return p
}

func (p *progress) event(ev image.Event) {
	switch ev.Kind {
	case image.EventSelected:
		p.found.Store(int64(ev.Found))
	case image.EventBytes:
		p.bytes.Add(ev.Bytes)
	case image.EventFinished:
		switch ev.Result.Status {
		case state.ItemDone:
			p.done.Add(1)
		case state.ItemSkipped:
			p.skipped.Add(1)
		case state.ItemFailed:
			p.fail.Add(1)
		default:
			p.done.Add(1)
		}
	}
}

func (p *progress) loop() {
	tk := time.NewTicker(500 * time.Millisecond)
	defer tk.Stop()
	for {
		select {
		case <-p.quit:
			fmt.Fprint(os.Stderr, "\r\033[K")
			return
		case <-tk.C:
			secs := time.Since(p.start).Seconds()
			b := p.bytes.Load()
			fmt.Fprintf(os.Stderr, "\r\033[K%d/%d images (copied %d, up to date %d, failed %d)  %s  %s/s",
				p.done.Load()+p.skipped.Load()+p.fail.Load(), p.found.Load(), p.done.Load(), p.skipped.Load(), p.fail.Load(),
				humanBytes(b), humanBytes(int64(float64(b)/max(secs, 0.1))))
		}
	}
}

func (p *progress) stop() {
	if p.on && p.stopped.CompareAndSwap(false, true) {
		close(p.quit)
		time.Sleep(10 * time.Millisecond)
	}
}

func newImageReportCmd() *cobra.Command {
	var statePath, format, taskID string
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Per-image records of image syncs (latest run of each task)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			path, err := imageStatePath(statePath)
			if err != nil {
				return err
			}
			if _, err := os.Stat(path); err != nil {
				return fmt.Errorf("state file %s: %w", path, err)
			}
			st, err := sqlite.Open(ctx, path)
			if err != nil {
				return fmt.Errorf("open state %s: %w", path, err)
			}
			defer st.Close()
			return imageReport(ctx, st, cmd.OutOrStdout(), format, taskID)
		},
	}
	cmd.Flags().StringVar(&statePath, "state", "", "state file (default: <user cache dir>/transfer-hub/images.db)")
	cmd.Flags().StringVar(&format, "format", "table", "table, csv or json (one object per line)")
	cmd.Flags().StringVar(&taskID, "task", "", "only this task id")
	return cmd
}

func imageReport(ctx context.Context, st state.Store, w io.Writer, format, taskID string) error {
	if format != "table" && format != "csv" && format != "json" {
		return usageError{fmt.Errorf("unknown --format %q: table, csv or json", format)}
	}
	tasks, err := st.ListTasks(ctx)
	if err != nil {
		return fmt.Errorf("list tasks: %w", err)
	}
	sort.Slice(tasks, func(i, j int) bool { return tasks[i].ID < tasks[j].ID })
	header := []string{"task", "run", "source", "destination", "status", "digest", "platforms", "bytes", "attempts", "seconds", "error"}
	cw := csv.NewWriter(w)
	enc := json.NewEncoder(w)
	if format == "csv" {
		_ = cw.Write(header)
	}
	if format == "table" {
		fmt.Fprintf(w, "%-8s %-12s %s -> %s  %s\n", "STATUS", "BYTES", "SOURCE", "DESTINATION", "ERROR")
	}
	found := false
	for _, t := range tasks {
		if t.Type != state.TaskImage || (taskID != "" && t.ID != taskID) {
			continue
		}
		found = true
		if format == "table" {
			fmt.Fprintf(w, "# task %s (%s) run %s: %s\n", t.ID, t.Name, t.RunID, t.Status)
		}
		after := ""
		for {
			page, err := st.ListImages(ctx, t.ID, state.ListOptions{After: after, Limit: 500})
			if err != nil {
				return fmt.Errorf("list images of %s: %w", t.ID, err)
			}
			for _, im := range page.Items {
				switch format {
				case "json":
					_ = enc.Encode(struct {
						Task string `json:"task"`
						state.Image
						Seconds float64 `json:"seconds"`
					}{t.ID, im, im.Duration.Seconds()})
				case "csv":
					_ = cw.Write([]string{t.ID, im.RunID, im.Source, im.Destination, string(im.Status), im.Digest,
						strings.Join(im.Platforms, " "), strconv.FormatInt(im.Bytes, 10), strconv.Itoa(im.Attempts),
						strconv.FormatFloat(im.Duration.Seconds(), 'f', 3, 64), im.Error})
				default:
					fmt.Fprintf(w, "%-8s %-12s %s -> %s  %s\n", im.Status, humanBytes(im.Bytes), im.Source, im.Destination, im.Error)
				}
			}
			if page.Next == "" {
				break
			}
			after = page.Next
		}
	}
	cw.Flush()
	if !found && taskID != "" {
		return fmt.Errorf("no image task %s in the state file", taskID)
	}
	return cw.Error()
}
