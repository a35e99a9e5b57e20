package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"transferhub/cloud/internal/s3test"
	"transferhub/cloud/state"
	"transferhub/cloud/testenv"
)

// The fault suite: a source of small, multipart (one of parts of unequal sizes) and giant
// objects is copied by a local run (bucket to bucket), a local run into a directory, and
// a fleet, each through fault proxies in front of both gateways (connection resets, 503
// SlowDown, bodies cut short, trickled and stalled), with the process killed (-9) and a
// gateway restarted in the middle. Each ends exact: every object verified byte for byte,
// no multipart upload left open, no temporary file left. The gateways are the suite's
// own (s3test.OwnGateway), so restarting one disturbs no other test. The short size runs
// in `make test`; TH_FAULT_SUITE=full (`make chaos`) copies 3,000 objects. The figures
// go to artifacts/fault-suite/<size>.json and .md.

type suiteSize struct {
	name      string
	small     int // small objects, up to smallMax bytes
	smallMax  int
	multipart [][]int // part sizes (MiB) of multipart sources
	giant     []int   // sizes (MiB) of single-PUT objects the fleet splits
	giantMiB  int     // the fleet's giant threshold
}

var (
	shortSuite = suiteSize{name: "short", small: 300, smallMax: 24 << 10,
		multipart: [][]int{{6, 5, 2}, {5, 5, 1}}, giant: []int{24}, giantMiB: 20}
	fullSuite = suiteSize{name: "full", small: 2990, smallMax: 48 << 10,
		multipart: [][]int{{8, 6, 10, 5}, {5, 7, 5, 1}, {5, 5, 5}, {6, 6, 3}, {5, 5, 5, 5, 4}, {7, 7}, {5, 9}, {5, 5, 2}},
		giant:     []int{55, 62}, giantMiB: 40}
)

// legFigures are what one leg of the suite did and left.
type legFigures struct {
	Objects          int              `json:"objects"`
	Bytes            int64            `json:"bytes"`
	Seconds          float64          `json:"seconds"`
	Processes        int              `json:"processes"` // thub processes started
	Kills            int              `json:"kills"`     // kill -9 of a thub process
	GatewayRestarts  int              `json:"gatewayRestarts"`
	Faults           map[string]int64 `json:"faultsInjected"`
	FaultsTotal      int64            `json:"faultsTotal"`
	RetriesLogged    int              `json:"retriesLogged"` // object or part retries the processes logged
	Verified         int              `json:"verifiedByteForByte"`
	OpenUploadsLeft  int              `json:"openUploadsLeft"`
	TempFilesLeft    int              `json:"tempFilesLeft"`
	RerunCopied      float64          `json:"rerunCopied"` // a run after the end copies nothing
	FinalRunAttempts int              `json:"finalRunAttempts"`
}

type suiteSource struct {
	bucket string
	keys   []string
	bytes  int64
}

func seedSuite(t *testing.T, a *s3test.Gateway, size suiteSize) suiteSource {
	t.Helper()
	src := suiteSource{bucket: a.Bucket(t, "fs-src")}
	rnd := rand.New(rand.NewSource(12))
	// Drawn here: PutMany calls its function from several goroutines, and a Rand is not
	// safe for that.
	smallSizes := make([]int, size.small)
	for i := range smallSizes {
		smallSizes[i] = rnd.Intn(size.smallMax)
	}
	var mu sync.Mutex
	add := func(k string, n int) {
		mu.Lock()
		src.keys = append(src.keys, k)
		src.bytes += int64(n)
		mu.Unlock()
	}
	a.PutMany(t, src.bucket, size.small, map[string]string{"suite": "faults"}, func(i int) (string, []byte) {
		k := fmt.Sprintf("d%d/small-%04d.bin", i%10, i)
		if i == 0 {
			k = "d0/ünï cødé+%20.bin"
		}
		n := smallSizes[i]
		add(k, n)
		return k, s3test.RandBytes(n)
	})
	for i, parts := range size.multipart {
		var sizes []int
		n := 0
		for _, p := range parts {
			sizes = append(sizes, p<<20+i*1000)
			n += p<<20 + i*1000
		}
		k := fmt.Sprintf("m/multipart-%d.bin", i)
		a.PutParts(t, src.bucket, k, s3test.RandBytes(n), sizes, nil)
		add(k, n)
	}
	for i, mib := range size.giant {
		k := fmt.Sprintf("g/giant-%d.bin", i)
		n := mib<<20 + 12345
		a.Put(t, src.bucket, k, s3test.RandBytes(n), nil)
		add(k, n)
	}
	sort.Strings(src.keys)
	return src
}

// faulty puts a fault proxy in front of g.
func faulty(t *testing.T, g *s3test.Gateway) *s3test.FaultProxy {
	p := s3test.NewFaultProxy(t, g.Endpoint)
	p.ResetShare, p.SlowDownShare, p.CutShare, p.SlowShare, p.StallShare, p.Stall = 0.02, 0.04, 0.02, 0.02, 0.003, 5*time.Second
	return p
}

func faultsSince(before map[string]int64, ps ...*s3test.FaultProxy) (map[string]int64, int64) {
	out := map[string]int64{}
	var total int64
	for _, p := range ps {
		for k, v := range p.Faults() {
			out[k] += v
		}
	}
	for k := range out {
		out[k] -= before[k]
		total += out[k]
	}
	return out, total
}

func faultsNow(ps ...*s3test.FaultProxy) map[string]int64 {
	out := map[string]int64{}
	for _, p := range ps {
		for k, v := range p.Faults() {
			out[k] += v
		}
	}
	return out
}

// thubProc is a thub process of the suite; its output is kept for the figures.
type thubProc struct {
	cmd  *exec.Cmd
	out  bytes.Buffer
	err  bytes.Buffer
	done chan struct{}
}

func startThub(t *testing.T, env []string, args ...string) *thubProc {
	p := &thubProc{cmd: exec.Command(thubBin, args...), done: make(chan struct{})}
	p.cmd.Env = append(append(os.Environ(), "HOME="+t.TempDir()), env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.err
	require.NoError(t, p.cmd.Start())
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	return p
}

// kill9 kills the process; false when it had already ended.
func (p *thubProc) kill9() bool {
	select {
	case <-p.done:
		return false
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	return true
}

func (p *thubProc) wait() int {
	<-p.done
	return p.cmd.ProcessState.ExitCode()
}

// until polls cond until it holds, the process ends or the time is up; it reports cond.
func until(p *thubProc, timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		select {
		case <-p.done:
			return cond()
		case <-time.After(25 * time.Millisecond):
		}
	}
	return cond()
}

func retriesIn(logs string) int {
	return strings.Count(logs, "retrying") + strings.Count(logs, "will be retried")
}

// verifyFiles compares every source object with its file under dir, byte for byte.
func verifyFiles(t *testing.T, a *s3test.Gateway, src suiteSource, dir string) int {
	t.Helper()
	for _, k := range src.keys {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(k)))
		require.NoError(t, err, k)
		require.True(t, bytes.Equal(a.Get(t, src.bucket, k), got), "bytes of %s", k)
	}
	return len(src.keys)
}

// leftovers counts temporary files and upload directories left in a local destination.
func leftovers(t *testing.T, dir string) int {
	n := 0
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".thub-tmp-") {
			n++
		}
		if d.IsDir() && filepath.Base(filepath.Dir(p)) == ".thub-uploads" {
			n++
		}
		return nil
	})
	return n
}

func TestFaultSuite(t *testing.T) {
	size := shortSuite
	if os.Getenv("TH_FAULT_SUITE") == "full" {
		size = fullSuite
	}
	a, b := s3test.OwnGateway(t, "A"), s3test.OwnGateway(t, "B")
	src := seedSuite(t, a, size)
	pa, pb := faulty(t, a), faulty(t, b)
	env := s3Env(a, b)
	figures := map[string]*legFigures{}
	common := []string{"--concurrency", "16", "--stall-timeout", "2s", "--part-size", "5MiB", "--multipart-threshold", "6MiB"}
	t.Logf("source: %d objects, %d bytes (%s suite)", len(src.keys), src.bytes, size.name)

	// finish runs thub until it exits 0 (a run may end with objects failed after their
	// attempts: the next run takes them again), and a run after that copies nothing.
	finish := func(t *testing.T, fig *legFigures, logs *strings.Builder, args []string) {
		for fig.FinalRunAttempts = 1; ; fig.FinalRunAttempts++ {
			p := startThub(t, env, args...)
			fig.Processes++
			code := p.wait()
			logs.WriteString(p.err.String())
			if code == 0 {
				break
			}
			require.Less(t, fig.FinalRunAttempts, 6, "the run does not finish: exit %d\n%s", code, p.err.String())
		}
		p := startThub(t, env, args...)
		fig.Processes++
		require.Equal(t, 0, p.wait(), p.err.String())
		logs.WriteString(p.err.String())
		fig.RerunCopied = lastJSON(t, p.out.String())["copied"].(float64)
	}

	t.Run("local run", func(t *testing.T) {
		fig := &legFigures{Objects: len(src.keys), Bytes: src.bytes}
		figures["local run"] = fig
		start, before := time.Now(), faultsNow(pa, pb)
		db := b.Bucket(t, "fs-local")
		args := append(append([]string{"s3", "sync", "s3://" + src.bucket, "s3://" + db, "--state", filepath.Join(t.TempDir(), "s.db"), "--json"},
			endpoints(pa.URL, pb.URL)...), common...)
		copied := func(frac float64) func() bool {
			return func() bool { return float64(len(b.List(t, db, ""))) >= frac*float64(len(src.keys)) }
		}
		var logs strings.Builder
		// Killed early; then a run during which the destination's gateway restarts, killed
		// inside a multipart upload.
		p := startThub(t, env, args...)
		fig.Processes++
		until(p, 2*time.Minute, copied(0.15))
		if p.kill9() {
			fig.Kills++
		}
		logs.WriteString(p.err.String())
		p = startThub(t, env, args...)
		fig.Processes++
		until(p, 2*time.Minute, copied(0.4))
		b.Restart(t, time.Second)
		fig.GatewayRestarts++
		until(p, 2*time.Minute, func() bool { return len(b.OpenUploads(t, db)) > 0 })
		if p.kill9() {
			fig.Kills++
		}
		logs.WriteString(p.err.String())
		finish(t, fig, &logs, args)
		fig.Seconds = time.Since(start).Seconds()
		fig.Faults, fig.FaultsTotal = faultsSince(before, pa, pb)
		fig.RetriesLogged = retriesIn(logs.String())
		s3test.VerifyData(t, a, src.bucket, "", b, db, "")
		fig.Verified = len(b.List(t, db, ""))
		fig.OpenUploadsLeft = len(b.OpenUploads(t, db))
		require.Equal(t, len(src.keys), fig.Verified)
		require.Zero(t, fig.OpenUploadsLeft)
		require.Zero(t, fig.RerunCopied)
		require.NotContains(t, logs.String(), b.SecretKey)
	})

	t.Run("local directory", func(t *testing.T) {
		fig := &legFigures{Objects: len(src.keys), Bytes: src.bytes}
		figures["local directory"] = fig
		start, before := time.Now(), faultsNow(pa)
		dir := filepath.Join(t.TempDir(), "copy")
		args := append([]string{"s3", "sync", "s3://" + src.bucket, dir, "--state", filepath.Join(t.TempDir(), "s.db"), "--json",
			"--src-endpoint", pa.URL}, common...)
		files := func() int {
			n := 0
			_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() && !strings.HasPrefix(d.Name(), ".thub-") && !strings.Contains(p, ".thub-uploads") {
					n++
				}
				return nil
			})
			return n
		}
		var logs strings.Builder
		p := startThub(t, env, args...)
		fig.Processes++
		until(p, 2*time.Minute, func() bool { return files() >= len(src.keys)/5 })
		a.Restart(t, time.Second) // the source's gateway, this time
		fig.GatewayRestarts++
		// Killed while a file is being written (a temporary file or an upload exists).
		until(p, 2*time.Minute, func() bool { return leftovers(t, dir) > 0 })
		if p.kill9() {
			fig.Kills++
		}
		logs.WriteString(p.err.String())
		time.Sleep(2100 * time.Millisecond) // a killed writer's temporary file is taken for stale after 2 s
		finish(t, fig, &logs, args)
		fig.Seconds = time.Since(start).Seconds()
		fig.Faults, fig.FaultsTotal = faultsSince(before, pa)
		fig.RetriesLogged = retriesIn(logs.String())
		fig.Verified = verifyFiles(t, a, src, dir)
		fig.TempFilesLeft = leftovers(t, dir)
		require.Zero(t, fig.TempFilesLeft, "temporary files or uploads left in %s", dir)
		require.Zero(t, fig.RerunCopied)
	})

	t.Run("fleet", func(t *testing.T) {
		testenv.Load(t).Require(t, testenv.AWS)
		fig := &legFigures{Objects: len(src.keys), Bytes: src.bytes}
		figures["fleet"] = fig
		start, before := time.Now(), faultsNow(pa, pb)
		f := newFleet(t, 20)
		f.env = append(f.env, "THUB_MAX_RECEIVES=20", "THUB_STALL_TIMEOUT=2s", fmt.Sprintf("THUB_GIANT_THRESHOLD=%dMiB", size.giantMiB))
		db := b.Bucket(t, "fs-fleet")
		f.sides(a, src.bucket, b, db, pa.URL)
		f.env = append(f.env, "THUB_DST_ENDPOINT="+pb.URL) // the last value wins
		f.startWorker()
		f.startWorker()
		fig.Processes += 2
		finder := make(chan runResult, 1)
		go func() { finder <- f.run(nil, "s3", "find") }()
		fig.Processes++
		killed, restarted := false, false
		tk := f.waitTask(10*time.Minute, func(tk state.Task) {
			settled := float64(tk.Counters.Settled()) / float64(len(src.keys))
			if !killed && settled >= 0.2 {
				killed = true
				ws := f.workers()
				f.kill(ws[0], syscall.SIGKILL)
				fig.Kills++
				f.startWorker()
				fig.Processes++
			}
			if !restarted && settled >= 0.5 {
				restarted = true
				b.Restart(t, time.Second)
				fig.GatewayRestarts++
			}
		})
		r := <-finder
		require.Equal(t, 0, r.code, r.stderr)
		f.expectRun(tk, a, src.bucket, "", b, db, len(src.keys), src.bytes)
		f.stopAll()
		fig.Seconds = time.Since(start).Seconds()
		fig.Faults, fig.FaultsTotal = faultsSince(before, pa, pb)
		fig.RetriesLogged = retriesIn(f.logs())
		fig.Verified = len(b.List(t, db, ""))
		fig.OpenUploadsLeft = len(b.OpenUploads(t, db))
		require.Equal(t, len(src.keys), fig.Verified)
		require.Zero(t, fig.OpenUploadsLeft)
		require.True(t, killed, "a worker was killed during the run")
	})

	writeSuiteFigures(t, size, src, figures)
}

// writeSuiteFigures logs the figures and writes them to artifacts/fault-suite.
func writeSuiteFigures(t *testing.T, size suiteSize, src suiteSource, figs map[string]*legFigures) {
	dir := os.Getenv("TH_ARTIFACTS_DIR")
	if dir == "" {
		dir = filepath.Join(testenv.RepoRoot(), "artifacts")
	}
	dir = filepath.Join(dir, "fault-suite")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	legs := []string{"local run", "local directory", "fleet"}
	var md strings.Builder
	fmt.Fprintf(&md, "# Fault suite (%s), %s\n\n%d objects, %d bytes: %d small, %d multipart (part sizes %v MiB), %d giant %v MiB.\n\n",
		size.name, time.Now().UTC().Format(time.RFC3339), len(src.keys), src.bytes, size.small, len(size.multipart), size.multipart, len(size.giant), size.giant)
	md.WriteString("| leg | seconds | processes | kill -9 | gateway restarts | faults injected | retries logged | verified byte for byte | open uploads left | temp files left | re-run copied |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, l := range legs {
		f := figs[l]
		if f == nil {
			continue
		}
		keys := make([]string, 0, len(f.Faults))
		for k := range f.Faults {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var fs []string
		for _, k := range keys {
			fs = append(fs, fmt.Sprintf("%s %d", k, f.Faults[k]))
		}
		fmt.Fprintf(&md, "| %s | %.1f | %d | %d | %d | %d (%s) | %d | %d of %d | %d | %d | %.0f |\n", l, f.Seconds, f.Processes, f.Kills,
			f.GatewayRestarts, f.FaultsTotal, strings.Join(fs, ", "), f.RetriesLogged, f.Verified, f.Objects, f.OpenUploadsLeft, f.TempFilesLeft, f.RerunCopied)
	}
	b, _ := json.MarshalIndent(map[string]any{"size": size.name, "objects": len(src.keys), "bytes": src.bytes, "legs": figs}, "", "  ")
	require.NoError(t, os.WriteFile(filepath.Join(dir, size.name+".json"), b, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, size.name+".md"), []byte(md.String()), 0o644))
	t.Logf("fault suite figures (%s):\n%s", filepath.Join(dir, size.name+".md"), md.String())
}
