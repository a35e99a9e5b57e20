package main

import (
	"context"
	"crypto/sha256"
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
	"golang.org/x/term"

	"transferhub/cloud/cost"
	"transferhub/cloud/objstore"
	"transferhub/cloud/s3sync"
	"transferhub/cloud/spec"
	"transferhub/cloud/state"
	"transferhub/cloud/state/sqlite"
	"transferhub/cloud/taskrun"
)

func newS3Cmd() *cobra.Command {
	c := &cobra.Command{Use: "s3", Short: "S3 object transfers"}
	c.AddCommand(newS3SyncCmd(), newS3ReportCmd(), newS3FindCmd(), newS3WorkCmd())
	return c
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
		Args: syncArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runS3Sync(cmd, args[0], args[1], &fl) },
	}
	fl.add(c)
	return c
}

// syncArgs says which of SRC and DST is missing (cobra would say "accepts 2 arg(s)").
func syncArgs(_ *cobra.Command, args []string) error {
	switch len(args) {
	case 0:
		return errors.New("missing SRC and DST: thub s3 sync SRC DST (s3://bucket[/prefix] or a local directory)")
	case 1:
		return fmt.Errorf("missing destination: thub s3 sync SRC DST (SRC is %s)", args[0])
	case 2:
		return nil
	}
	return fmt.Errorf("too many arguments: thub s3 sync takes SRC and DST, got %d (quote paths with spaces)", len(args))
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

func runS3Sync(cmd *cobra.Command, srcArg, dstArg string, fl *syncFlags) error {
	ctx := cmd.Context()
	if p := os.Getenv("THUB_CPUPROFILE"); p != "" {
		// Diagnostics: a CPU profile of the run (go tool pprof).
		if f, err := os.Create(p); err == nil {
			_ = pprof.StartCPUProfile(f)
			defer func() { pprof.StopCPUProfile(); f.Close() }()
		}
	}
	log, err := newLogger(cmd, "text")
	if err != nil {
		return err
	}
	if err := fl.spec.Args(srcArg, dstArg, os.LookupEnv); err != nil {
		return badInput(fl.spec.Names.Explain(err))
	}
	if err := fl.spec.Validate(); err != nil {
		return badInput(err)
	}
	task := *fl.agent.Task.S3
	opt, err := task.EngineOptions(log)
	if err != nil {
		return badInput(fl.spec.Names.Explain(err))
	}
	opt.DryRun = fl.dryRun
	if opt.Definition, err = fl.agent.Task.Encode(); err != nil {
		return err
	}
	th := &s3sync.Throttle{}
	opt.Throttle = th
	src, dst, err := task.OpenBoth(ctx, spec.Tuning{OnThrottle: th.Signal, Log: log}, nil)
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
	var est *cost.Estimate
	if opt.DryRun {
		res, err = s3sync.DryRun(ctx, src, dst, opt)
		if err == nil {
			est = dryRunCost(task, src, dst, res, opt, log)
		}
	} else {
		res, err = syncWithState(ctx, srcArg, dstArg, src, dst, fl, opt)
	}
	if bar != nil {
		_ = bar.Finish()
	}
	if res.Interrupted {
		// Ctrl-C: what was done is said as always; the run resumes with the same state.
		_ = printResult(out, os.Stderr, res, est, fl)
		return err
	}
	if err != nil {
		return withCredentialHint(err)
	}
	return printResult(out, os.Stderr, res, est, fl)
}

// dryRunCost estimates what the planned copy costs when run from this computer
// (cloud/cost); nil when it cannot be estimated (the log says why).
func dryRunCost(task spec.S3, src, dst objstore.Location, res s3sync.Result, opt s3sync.Options, log *slog.Logger) *cost.Estimate {
	if res.Plan == nil {
		return nil
	}
	e, err := cost.Calculate(cost.Usage{Kind: cost.KindS3,
		Source: cost.SidePlace(task.Source, foundRegion(src), ""), Destination: cost.SidePlace(task.Destination, foundRegion(dst), ""),
		Compute: cost.Place{Cloud: cost.CloudLocal}, ServerSide: res.Plan.ServerSide,
		Listed: res.Found, Objects: res.Plan.ToCopy, Bytes: res.Plan.ToCopyBytes,
		PartSize: opt.PartSize, MultipartThreshold: opt.MultipartThreshold})
	if err != nil {
		log.Warn("no cost estimate", "err", err)
		return nil
	}
	return &e
}

// foundRegion is the Region an S3 location signs for (the bucket's, once found).
func foundRegion(l objstore.Location) string {
	if s, ok := l.(*objstore.S3); ok {
		return s.Region()
	}
	return ""
}

// printCost renders an estimate under the plan line.
func printCost(out io.Writer, e *cost.Estimate) {
	var dates []string
	for _, p := range e.Prices {
		dates = append(dates, p.Partition+" "+p.Date)
	}
	fmt.Fprintf(out, "estimated cost of this run: %s (list prices: %s; --json lists every line and assumption)\n", e, orWord(strings.Join(dates, ", "), "none apply"))
	for _, s := range e.ByService() {
		fmt.Fprintf(out, "  %-14s %10.4f %s\n", s.Label, s.Cost, s.Currency)
	}
	for _, n := range e.NotIncluded {
		fmt.Fprintf(out, "  not included: %s\n", n)
	}
}

func orWord(s, word string) string {
	if s == "" {
		return word
	}
	return s
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

func printResult(out, errOut io.Writer, res s3sync.Result, est *cost.Estimate, fl *syncFlags) error {
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
		var v any = res
		if est != nil {
			// The dry run's JSON line with its cost estimate.
			v = struct {
				s3sync.Result
				Cost *cost.Estimate `json:"cost"`
			}{res, est}
		}
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		fmt.Fprintln(out, string(b))
	} else if res.DryRun {
		p := res.Plan
		fmt.Fprintf(out, "plan: %d found (%s), %d to copy (%s), %d unchanged, %d archived, %d to delete, ~%d requests%s\n",
			res.Found, humanize.IBytes(uint64(res.FoundBytes)), p.ToCopy, humanize.IBytes(uint64(p.ToCopyBytes)), res.Skipped,
			p.Archived, p.ToDelete, p.EstRequests, map[bool]string{true: ", server-side copy", false: ""}[p.ServerSide])
		printPlannedDeletes(out, p)
		if est != nil {
			printCost(out, est)
		}
	} else {
		// The speed is this process's: a resumed run's bytes include the killed one's.
		rate := 0.0
		if res.Seconds > 0 {
			rate = float64(res.ProcessBytes) / res.Seconds
		}
		deleted := ""
		if res.Deleted > 0 || res.DeleteFailed > 0 || res.DeleteRefused > 0 {
			deleted = fmt.Sprintf(", deleted %d", res.Deleted)
			if res.DeleteFailed > 0 {
				deleted += fmt.Sprintf(" (%d deletions failed, see the log)", res.DeleteFailed)
			}
			if res.DeleteRefused > 0 {
				deleted += fmt.Sprintf(" (%d more not deleted: --max-delete)", res.DeleteRefused)
			}
		}
		what := "in"
		if res.Interrupted {
			what = "interrupted after"
		}
		fmt.Fprintf(out, "found %d, copied %d (%s, %s/s), skipped %d, failed %d, archived %d%s %s %.1fs\n",
			res.Found, res.Copied, humanize.IBytes(uint64(res.Bytes)), humanize.IBytes(uint64(rate)), res.Skipped, res.Failed, res.Archived, deleted, what, res.Seconds)
	}
	if !fl.jsonOut && res.ComparedByChecksum+res.ComparedByData > 0 {
		fmt.Fprintf(out, "compared: %d by the full-object CRC-64/NVME both stores keep, %d by reading both sides (%s read)\n",
			res.ComparedByChecksum, res.ComparedByData, humanize.IBytes(uint64(res.ComparedBytes)))
	}
	if res.Failed > 0 || res.DeleteFailed > 0 || res.DeleteRefused > 0 {
		return exitError{code: 1}
	}
	return nil
}

// printPlannedDeletes names what a dry run's --delete would delete (the first 50; all
// of the first 1,000 are in the --json plan).
func printPlannedDeletes(out io.Writer, p *s3sync.Plan) {
	if len(p.DeleteKeys) == 0 {
		return
	}
	fmt.Fprintf(out, "would delete:\n")
	for i, k := range p.DeleteKeys {
		if i == 50 {
			fmt.Fprintf(out, "  ... (%d in all; the first 1,000 are in --json's plan.deleteKeys)\n", p.ToDelete)
			break
		}
		fmt.Fprintf(out, "  %s\n", strconv.Quote(k))
	}
	if p.DeleteRefused > 0 {
		fmt.Fprintf(out, "--max-delete would leave %d more\n", p.DeleteRefused)
	}
}
