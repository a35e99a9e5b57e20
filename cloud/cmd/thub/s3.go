package main

import (
	"bufio"
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
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"transferhub/cloud/objstore"
	"transferhub/cloud/s3sync"
	"transferhub/cloud/state"
	"transferhub/cloud/state/sqlite"
	"transferhub/cloud/taskrun"
)

func newS3Cmd() *cobra.Command {
	c := &cobra.Command{Use: "s3", Short: "S3 object transfers"}
	c.AddCommand(newS3SyncCmd(), newS3ReportCmd(), newS3FindCmd(), newS3WorkCmd())
	return c
}

// sideFlags are the per-side connection flags (--src-* / --dst-*).
type sideFlags struct {
	profile, endpoint, region, provider, pathStyle string
	accessKey, secretKey, sessionToken             string
	anonymous, requesterPays                       bool
	roleARN, externalID                            string
	checksums                                      string
}

// addChecksumsFlag registers --<side>-checksums.
func addChecksumsFlag(f *pflag.FlagSet, v *string, side, what string) {
	f.StringVar(v, side+"-checksums", "auto", "full-object CRC-64/NVME checksums for the "+what+": on (read the source's and verify copies against them; send them with writes, which the store verifies), off, or auto (on for Amazon S3 only)")
}

func (s *sideFlags) add(c *cobra.Command, side, what string) {
	f := c.Flags()
	f.StringVar(&s.profile, side+"-profile", "", "AWS shared-config profile for the "+what+" (SSO, credential_process, endpoint_url are honoured)")
	f.StringVar(&s.endpoint, side+"-endpoint", "", "custom S3 endpoint URL for the "+what)
	f.StringVar(&s.region, side+"-region", "", "region of the "+what+" (default: an Amazon S3 bucket is found where it lives; others use the profile's or the preset's)")
	f.StringVar(&s.provider, side+"-provider", "", "provider preset of the "+what+": "+strings.Join(objstore.Providers(), ", "))
	f.StringVar(&s.pathStyle, side+"-addressing", "", "bucket addressing for the "+what+": path or virtual (default: the preset's)")
	f.StringVar(&s.accessKey, side+"-access-key", "", "static access key id for the "+what+" (or env THUB_"+strings.ToUpper(side)+"_ACCESS_KEY_ID)")
	f.StringVar(&s.secretKey, side+"-secret-key", "", "static secret key for the "+what+" (prefer env THUB_"+strings.ToUpper(side)+"_SECRET_ACCESS_KEY)")
	f.BoolVar(&s.anonymous, side+"-anonymous", false, "unsigned, anonymous access to the "+what)
	f.BoolVar(&s.requesterPays, side+"-requester-pays", false, "requester pays for the "+what)
	f.StringVar(&s.roleARN, side+"-role-arn", "", "IAM role to assume for the "+what)
	f.StringVar(&s.externalID, side+"-external-id", "", "external id for assuming the "+what+" role")
	addChecksumsFlag(f, &s.checksums, side, what)
}

func (s *sideFlags) config(side string) objstore.S3Config {
	env := func(name string) string { return os.Getenv("THUB_" + strings.ToUpper(side) + "_" + name) }
	c := objstore.S3Config{Provider: s.provider, Region: s.region, Endpoint: s.endpoint, PathStyle: s.pathStyle,
		Profile: s.profile, AccessKey: s.accessKey, SecretKey: s.secretKey, SessionToken: s.sessionToken,
		Anonymous: s.anonymous, RequesterPays: s.requesterPays, RoleARN: s.roleARN, ExternalID: s.externalID, Checksums: s.checksums}
	if c.AccessKey == "" {
		c.AccessKey = env("ACCESS_KEY_ID")
	}
	if c.SecretKey == "" {
		c.SecretKey = env("SECRET_ACCESS_KEY")
	}
	if c.SessionToken == "" {
		c.SessionToken = env("SESSION_TOKEN")
	}
	return c
}

type syncFlags struct {
	src, dst                   sideFlags
	compare                    string
	include, exclude, prefixes []string
	prefixList                 string
	minSize, maxSize           string
	modAfter, modBefore        string
	concurrency, listWorkers   int
	splitRanges                bool
	partSize, threshold, mem   string
	del, dryRun, jsonOut       bool
	noProgress                 bool
	statePath, serverSide      string
	storageClass, acl, sse     string
	sseKMS, tags               string
	stall                      time.Duration
}

// The flag groups below are shared by thub s3 sync and the cloud processes (find, work).

// addSelection: which objects, and how a copy is known to be current.
func (fl *syncFlags) addSelection(f *pflag.FlagSet) {
	f.StringVar(&fl.compare, "compare", "size+etag", "how to tell a copy is current: size+etag, size, checksum, none")
	f.StringArrayVar(&fl.include, "include", nil, "copy only keys matching this glob (repeatable; * within a segment, ** across)")
	f.StringArrayVar(&fl.exclude, "exclude", nil, "skip keys matching this glob (repeatable)")
	f.StringArrayVar(&fl.prefixes, "prefix", nil, "copy only keys under this prefix, relative to the source (repeatable)")
	f.StringVar(&fl.minSize, "min-size", "", "skip objects smaller than this (e.g. 1KiB)")
	f.StringVar(&fl.maxSize, "max-size", "", "skip objects larger than this (e.g. 5GiB)")
	f.StringVar(&fl.modAfter, "modified-after", "", "copy only objects modified after this time (RFC 3339 or YYYY-MM-DD)")
	f.StringVar(&fl.modBefore, "modified-before", "", "copy only objects modified before this time (RFC 3339 or YYYY-MM-DD)")
}

// addListing: the finder's flags.
func (fl *syncFlags) addListing(f *pflag.FlagSet) {
	f.StringVar(&fl.prefixList, "prefix-list", "", "file with one prefix per line, relative to the source")
	f.IntVar(&fl.listWorkers, "list-workers", 16, "parallel listings per side")
	f.BoolVar(&fl.splitRanges, "split-flat-levels", false, "list huge flat levels as parallel StartAfter ranges (helps on Amazon S3; slower on file-system gateways)")
	f.BoolVar(&fl.del, "delete", false, "delete destination objects the source lacks (within the selection)")
}

// addTransfer: how objects are moved.
func (fl *syncFlags) addTransfer(f *pflag.FlagSet) {
	f.IntVar(&fl.concurrency, "concurrency", 64, "object and part transfers in flight per process (lowered automatically on throttling)")
	f.StringVar(&fl.partSize, "part-size", "8MiB", "multipart part size when the source layout cannot be reproduced")
	f.StringVar(&fl.threshold, "multipart-threshold", "16MiB", "objects above this size are copied in parts")
	f.StringVar(&fl.mem, "max-memory", "256MiB", "bound on bytes buffered in flight per process")
	f.StringVar(&fl.serverSide, "server-side", "auto", "server-side copy: auto (when one credential set reaches both sides), never, always")
	f.DurationVar(&fl.stall, "stall-timeout", 60*time.Second, "kill a connection that moves no byte for this long")
}

// addWrite: how copies are stored at the destination.
func (fl *syncFlags) addWrite(f *pflag.FlagSet) {
	f.StringVar(&fl.storageClass, "storage-class", "", "destination storage class (e.g. STANDARD_IA, INTELLIGENT_TIERING)")
	f.StringVar(&fl.acl, "acl", "", "destination canned ACL (e.g. bucket-owner-full-control)")
	f.StringVar(&fl.sse, "sse", "", "destination server-side encryption: AES256 or aws:kms")
	f.StringVar(&fl.sseKMS, "sse-kms-key-id", "", "KMS key id for --sse aws:kms")
	f.StringVar(&fl.tags, "tags", "", "tags for destination objects, URL-encoded (k1=v1&k2=v2)")
}

func newS3SyncCmd() *cobra.Command {
	var fl syncFlags
	c := &cobra.Command{
		Use:   "sync SRC DST",
		Short: "Copy what differs from SRC to DST (s3://bucket[/prefix] or a local directory)",
		Long: `Copy every object of SRC that DST lacks or holds in another version.

SRC and DST are s3://bucket[/prefix] or local directories. Re-running with the same
state file resumes an interrupted run. Exit status: 0 when nothing failed, 1 when some
objects failed (listed, and in 'thub s3 report'), 2 on bad input or a fatal error.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error { return runS3Sync(cmd, args[0], args[1], &fl) },
	}
	fl.src.add(c, "src", "source")
	fl.dst.add(c, "dst", "destination")
	f := c.Flags()
	fl.addSelection(f)
	fl.addListing(f)
	fl.addTransfer(f)
	fl.addWrite(f)
	f.BoolVar(&fl.dryRun, "dry-run", false, "only plan: list and compare, print counts, bytes and estimated requests")
	f.BoolVar(&fl.jsonOut, "json", false, "print the result as one JSON object on the last line of stdout")
	f.BoolVar(&fl.noProgress, "no-progress", false, "no progress bar even on a terminal")
	f.StringVar(&fl.statePath, "state", "", "state file of this task (default: per SRC+DST under the user cache dir)")
	return c
}

func s3Logger(cmd *cobra.Command) *slog.Logger {
	lvl := slog.LevelInfo
	if v, _ := cmd.Flags().GetString("log-level"); v != "" {
		_ = lvl.UnmarshalText([]byte(v))
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if v, _ := cmd.Flags().GetString("log-format"); v == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

func parseSize(name, v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := humanize.ParseBytes(v)
	if err != nil {
		return 0, fmt.Errorf("--%s %q: %v", name, v, err)
	}
	return int64(n), nil
}

func parseTime(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--%s %q: use RFC 3339 (2024-05-01T12:00:00Z) or YYYY-MM-DD", name, v)
}

func readPrefixList(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("prefix list: %w", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("prefix list %s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("prefix list %s has no prefixes", path)
	}
	return out, nil
}

// defaultStatePath is one file per task (SRC+DST) under the user cache directory.
func defaultStatePath(src, dst string) (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no user cache directory (give --state): %w", err)
	}
	return filepath.Join(dir, "transfer-hub", "s3-"+taskID(src, dst)+".db"), nil
}

// locationKey names a location for the task identity: the same bucket behind two
// endpoints is two locations.
func locationKey(l objstore.Location) string {
	if s, ok := l.(*objstore.S3); ok {
		return s.URL() + "@" + s.Endpoint()
	}
	if d, ok := l.(*objstore.Local); ok {
		return d.Root()
	}
	return l.URL()
}

func taskID(src, dst string) string {
	h := sha256.Sum256([]byte(src + "\x00" + dst))
	return hex.EncodeToString(h[:8])
}

func buildOptions(fl *syncFlags, log *slog.Logger) (s3sync.Options, error) {
	var o s3sync.Options
	var err error
	if o.Compare, err = s3sync.ParseCompareMode(fl.compare); err != nil {
		return o, err
	}
	switch s3sync.ServerSide(fl.serverSide) {
	case s3sync.ServerSideAuto, s3sync.ServerSideNever, s3sync.ServerSideAlways:
		o.ServerSide = s3sync.ServerSide(fl.serverSide)
	default:
		return o, fmt.Errorf("--server-side %q: use auto, never or always", fl.serverSide)
	}
	if fl.concurrency < 1 || fl.concurrency > 4096 {
		return o, fmt.Errorf("--concurrency %d: use 1 to 4096", fl.concurrency)
	}
	o.Concurrency, o.ListWorkers, o.SplitRanges = fl.concurrency, fl.listWorkers, fl.splitRanges
	sel := &o.Selection
	sel.Include, sel.Exclude, sel.Prefixes = fl.include, fl.exclude, fl.prefixes
	if fl.prefixList != "" {
		ps, err := readPrefixList(fl.prefixList)
		if err != nil {
			return o, err
		}
		sel.Prefixes = append(sel.Prefixes, ps...)
	}
	for _, g := range append(append([]string{}, fl.include...), fl.exclude...) {
		if _, err := s3sync.Glob(g); err != nil {
			return o, err
		}
	}
	if sel.MinSize, err = parseSize("min-size", fl.minSize); err != nil {
		return o, err
	}
	if sel.MaxSize, err = parseSize("max-size", fl.maxSize); err != nil {
		return o, err
	}
	if sel.ModifiedAfter, err = parseTime("modified-after", fl.modAfter); err != nil {
		return o, err
	}
	if sel.ModifiedBefore, err = parseTime("modified-before", fl.modBefore); err != nil {
		return o, err
	}
	if o.PartSize, err = parseSize("part-size", fl.partSize); err != nil {
		return o, err
	}
	if o.PartSize < 5<<20 || o.PartSize > 5<<30 {
		return o, fmt.Errorf("--part-size %s: S3 parts are 5 MiB to 5 GiB", fl.partSize)
	}
	if o.MultipartThreshold, err = parseSize("multipart-threshold", fl.threshold); err != nil {
		return o, err
	}
	if o.MaxMemory, err = parseSize("max-memory", fl.mem); err != nil {
		return o, err
	}
	if o.MaxMemory < o.PartSize {
		return o, fmt.Errorf("--max-memory %s is below one part (%s)", fl.mem, fl.partSize)
	}
	o.Delete, o.DryRun = fl.del, fl.dryRun
	o.Logger = log
	return o, nil
}

func openSide(ctx context.Context, arg string, sf *sideFlags, side string, fl *syncFlags, th *s3sync.Throttle) (objstore.Location, error) {
	spec, err := objstore.ParseSpec(arg)
	if err != nil {
		return nil, err
	}
	cfg := sf.config(side)
	cfg.Concurrency = fl.concurrency
	cfg.StallTimeout = fl.stall
	cfg.OnThrottle = th.Signal
	if side == "dst" {
		cfg.StorageClass, cfg.ACL, cfg.SSE, cfg.SSEKMSKeyID, cfg.Tagging = fl.storageClass, fl.acl, fl.sse, fl.sseKMS, fl.tags
	}
	if !spec.IsS3() && (sf.profile != "" || sf.endpoint != "" || sf.provider != "") {
		return nil, fmt.Errorf("%s %q is a local path: --%s-profile/--%s-endpoint/--%s-provider apply to s3:// locations", side, arg, side, side, side)
	}
	loc, err := objstore.Open(ctx, spec, cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", map[string]string{"src": "source", "dst": "destination"}[side], err)
	}
	return loc, nil
}

func runS3Sync(cmd *cobra.Command, srcArg, dstArg string, fl *syncFlags) error {
	ctx := cmd.Context()
	if p := os.Getenv("THUB_CPUPROFILE"); p != "" {
		// Diagnostics: a CPU profile of the run (go tool pprof).
		if f, err := os.Create(p); err == nil {
			_ = pprof.StartCPUProfile(f)
			defer func() { pprof.StopCPUProfile(); f.Close() }()
		}
	}
	log := s3Logger(cmd)
	opt, err := buildOptions(fl, log)
	if err != nil {
		return err
	}
	th := &s3sync.Throttle{}
	opt.Throttle = th
	src, err := openSide(ctx, srcArg, &fl.src, "src", fl, th)
	if err != nil {
		return err
	}
	dst, err := openSide(ctx, dstArg, &fl.dst, "dst", fl, th)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	tty := !fl.noProgress && term.IsTerminal(int(os.Stderr.Fd()))
	var bar *progressbar.ProgressBar
	if tty {
		bar = progressbar.NewOptions64(-1, progressbar.OptionSetWriter(os.Stderr), progressbar.OptionShowBytes(true),
			progressbar.OptionSetWidth(30), progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish(),
			progressbar.OptionSpinnerType(14))
		opt.Progress = func(p s3sync.Progress) {
			// Parts of big objects move the bar as they arrive (retried parts may count
			// twice: the bar stops at the total).
			v := max(p.MovedBytes, p.CopiedBytes) + p.FailedBytes
			if p.FinderDone {
				total := max(1, p.FoundBytes-p.SkippedBytes)
				bar.ChangeMax64(total)
				v = min(v, total)
			}
			bar.Describe(fmt.Sprintf("found %d  copied %d  skipped %d  failed %d", p.Found, p.Copied, p.Skipped, p.Failed))
			_ = bar.Set64(v)
		}
	}

	var res s3sync.Result
	if opt.DryRun {
		res, err = s3sync.DryRun(ctx, src, dst, opt)
	} else {
		res, err = syncWithState(ctx, srcArg, dstArg, src, dst, fl, opt)
	}
	if bar != nil {
		_ = bar.Finish()
	}
	if err != nil {
		return withCredentialHint(err)
	}
	return printResult(out, os.Stderr, res, fl)
}

// withCredentialHint adds the flags that give a side credentials when it had none.
func withCredentialHint(err error) error {
	var se *s3sync.SideError
	if !errors.As(err, &se) || !errors.Is(err, objstore.ErrNoCredentials) {
		return err
	}
	f, env := "src", "SRC"
	if se.Side == "destination" {
		f, env = "dst", "DST"
	}
	return fmt.Errorf("%w; give them with --%s-profile NAME, with --%s-access-key ID and the secret in THUB_%s_SECRET_ACCESS_KEY, or use --%s-anonymous for a public bucket",
		err, f, f, env, f)
}

func syncWithState(ctx context.Context, srcArg, dstArg string, src, dst objstore.Location, fl *syncFlags, opt s3sync.Options) (s3sync.Result, error) {
	path := fl.statePath
	srcKey, dstKey := locationKey(src), locationKey(dst)
	if path == "" {
		p, err := defaultStatePath(srcKey, dstKey)
		if err != nil {
			return s3sync.Result{}, err
		}
		path = p
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return s3sync.Result{}, fmt.Errorf("state directory: %w", err)
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return s3sync.Result{}, fmt.Errorf("open state %s: %w", path, err)
	}
	defer db.Close()
	id := "s3-" + taskID(srcKey, dstKey)
	if ts, err := db.ListTasks(ctx); err == nil {
		for _, t := range ts {
			if t.Type == state.TaskS3 && t.ID != id {
				return s3sync.Result{}, fmt.Errorf("state file %s belongs to another task (%s): use another --state", path, t.Name)
			}
		}
	}
	q := db.Queue("s3-jobs", sqlite.QueueOptions{MaxReceives: 10})
	opt.Logger.Debug("state", "path", path, "task", id)
	// s3sync.Sync holds the task's lease: a second sync of the task is refused.
	res, err := s3sync.Sync(ctx, src, dst, db, q, id, opt)
	if errors.Is(err, taskrun.ErrBusy) {
		err = fmt.Errorf("%w; wait for it to finish or use another --state", err)
	}
	return res, err
}

func printResult(out, errOut io.Writer, res s3sync.Result, fl *syncFlags) error {
	if len(res.Failures) > 0 {
		fmt.Fprintf(errOut, "%d objects failed:\n", res.Failed)
		for i, f := range res.Failures {
			if i == 50 {
				fmt.Fprintf(errOut, "  ... (all of them: thub s3 report --state <file> --status FAILED)\n")
				break
			}
			fmt.Fprintf(errOut, "  %s: %s\n", strconv.Quote(f.Key), f.Error)
		}
	}
	if fl.jsonOut {
		b, err := json.Marshal(res)
		if err != nil {
			return err
		}
		fmt.Fprintln(out, string(b))
	} else if res.DryRun {
		p := res.Plan
		fmt.Fprintf(out, "plan: %d found (%s), %d to copy (%s), %d unchanged, %d archived, %d to delete, ~%d requests%s\n",
			res.Found, humanize.IBytes(uint64(res.FoundBytes)), p.ToCopy, humanize.IBytes(uint64(p.ToCopyBytes)), res.Skipped,
			p.Archived, p.ToDelete, p.EstRequests, map[bool]string{true: ", server-side copy", false: ""}[p.ServerSide])
	} else {
		rate := 0.0
		if res.Seconds > 0 {
			rate = float64(res.Bytes) / res.Seconds
		}
		deleted := ""
		if res.Deleted > 0 || res.DeleteFailed > 0 {
			deleted = fmt.Sprintf(", deleted %d", res.Deleted)
			if res.DeleteFailed > 0 {
				deleted += fmt.Sprintf(" (%d deletions failed, see the log)", res.DeleteFailed)
			}
		}
		fmt.Fprintf(out, "found %d, copied %d (%s, %s/s), skipped %d, failed %d, archived %d%s in %.1fs\n",
			res.Found, res.Copied, humanize.IBytes(uint64(res.Bytes)), humanize.IBytes(uint64(rate)), res.Skipped, res.Failed, res.Archived, deleted, res.Seconds)
	}
	if res.Failed > 0 || res.DeleteFailed > 0 {
		return exitError{code: 1}
	}
	return nil
}

func newS3ReportCmd() *cobra.Command {
	var statePath, format, status string
	c := &cobra.Command{
		Use:   "report",
		Short: "List the objects of a sync task and their outcome (CSV or JSON)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if statePath == "" {
				return errors.New("--state is required (the state file of the sync)")
			}
			if _, err := os.Stat(statePath); err != nil {
				return fmt.Errorf("state file %s: %w", statePath, err)
			}
			st := state.ItemStatus(strings.ToUpper(status))
			switch st {
			case "", state.ItemPending, state.ItemInProgress, state.ItemDone, state.ItemSkipped, state.ItemFailed:
			default:
				return fmt.Errorf("--status %q: use PENDING, IN_PROGRESS, DONE, SKIPPED or FAILED", status)
			}
			if format != "csv" && format != "json" {
				return fmt.Errorf("--format %q: use csv or json", format)
			}
			db, err := sqlite.Open(ctx, statePath)
			if err != nil {
				return fmt.Errorf("open state %s: %w", statePath, err)
			}
			defer db.Close()
			return writeReport(ctx, cmd.OutOrStdout(), db, format, st)
		},
	}
	c.Flags().StringVar(&statePath, "state", "", "state file of the sync task")
	c.Flags().StringVar(&format, "format", "csv", "csv or json")
	c.Flags().StringVar(&status, "status", "", "only objects with this status (e.g. FAILED)")
	return c
}

type reportObject struct {
	Key      string `json:"key"`
	Size     int64  `json:"size"`
	Status   string `json:"status"`
	Attempts int    `json:"attempts"`
	Error    string `json:"error,omitempty"`
	ETag     string `json:"etag,omitempty"`
	DestETag string `json:"destEtag,omitempty"`
	Checksum string `json:"checksum,omitempty"` // "CRC64NVME:<base64>" of the copied content
	Updated  string `json:"updated"`
}

func writeReport(ctx context.Context, w io.Writer, st state.Store, format string, status state.ItemStatus) error {
	tasks, err := st.ListTasks(ctx)
	if err != nil {
		return fmt.Errorf("list tasks: %w", err)
	}
	var task *state.Task
	for i := range tasks {
		if tasks[i].Type == state.TaskS3 {
			task = &tasks[i]
		}
	}
	if task == nil {
		return errors.New("the state file holds no S3 task")
	}
	var cw *csv.Writer
	var objs []reportObject
	if format == "csv" {
		cw = csv.NewWriter(w)
		_ = cw.Write([]string{"key", "size", "status", "attempts", "error", "etag", "dest_etag", "checksum", "updated"})
	}
	after := ""
	for {
		page, err := st.ListObjects(ctx, task.ID, state.ListOptions{Status: status, After: after, Limit: 1000})
		if err != nil {
			return fmt.Errorf("list objects: %w", err)
		}
		for _, o := range page.Items {
			r := reportObject{Key: o.Key, Size: o.Size, Status: string(o.Status), Attempts: o.Attempts, Error: o.Error,
				ETag: o.ETag, DestETag: o.DestETag, Checksum: o.Checksum, Updated: o.UpdatedAt.UTC().Format(time.RFC3339)}
			if cw != nil {
				_ = cw.Write([]string{r.Key, strconv.FormatInt(r.Size, 10), r.Status, strconv.Itoa(r.Attempts), r.Error, r.ETag, r.DestETag, r.Checksum, r.Updated})
			} else {
				objs = append(objs, r)
			}
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	if cw != nil {
		cw.Flush()
		return cw.Error()
	}
	if objs == nil {
		objs = []reportObject{}
	}
	enc := json.NewEncoder(w)
	return enc.Encode(struct {
		Task     string         `json:"task"`
		Name     string         `json:"name"`
		Status   string         `json:"status"`
		Counters state.Counters `json:"counters"`
		Objects  []reportObject `json:"objects"`
	}{task.ID, task.Name, string(task.Status), task.Counters, objs})
}
