package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/internal/s3test"
	"transferhub/cloud/queue/sqsqueue"
	"transferhub/cloud/s3sync"
	"transferhub/cloud/state"
	"transferhub/cloud/state/dynamostore"
	"transferhub/cloud/testenv"
)

// fleet is one cloud task in the AWS emulator: its queue with a dead-letter queue
// (redrive after maxReceives), its table, and the processes' environment as a stack
// would set it.
type fleet struct {
	t          *testing.T
	aws        aws.Config
	sqs        *sqs.Client
	ddb        *dynamodb.Client
	secrets    *secretsmanager.Client
	store      *dynamostore.Store
	queueURL   string
	dlqURL     string
	table      string
	taskID     string
	env        []string
	logDir     string
	mu         sync.Mutex
	procs      map[int]*proc
	procN      int
	awsEnvVars []string
}

func newFleet(t *testing.T, maxReceives int) *fleet {
	t.Helper()
	env := testenv.Load(t)
	cfg := env.AWSConfig(t)
	ctx := context.Background()
	// Process logs outlive a failed test (their directory is printed), for the post-mortem.
	logDir, err := os.MkdirTemp("", "thub-fleet-logs-")
	require.NoError(t, err)
	t.Logf("process logs: %s", logDir)
	f := &fleet{t: t, aws: cfg, sqs: sqs.NewFromConfig(cfg), ddb: dynamodb.NewFromConfig(cfg),
		secrets: secretsmanager.NewFromConfig(cfg), table: testenv.Name("th-fleet"), taskID: testenv.Name("task"),
		logDir: logDir, procs: map[int]*proc{}}
	name := testenv.Name("th-fleet")
	dlq, err := f.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name + "-dlq")})
	require.NoError(t, err)
	attrs, err := f.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: dlq.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	require.NoError(t, err)
	q, err := f.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: map[string]string{
		"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"%d"}`,
			attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)], maxReceives)}})
	require.NoError(t, err)
	f.queueURL, f.dlqURL = *q.QueueUrl, *dlq.QueueUrl
	require.NoError(t, dynamostore.CreateTable(ctx, f.ddb, f.table))
	f.store = dynamostore.New(f.ddb, f.table)
	t.Cleanup(func() {
		f.stopAll()
		f.sqs.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: q.QueueUrl})
		f.sqs.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: dlq.QueueUrl})
		f.ddb.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(f.table)})
		if t.Failed() {
			f.dumpLogs()
		} else {
			os.RemoveAll(logDir)
		}
	})
	f.awsEnvVars = []string{"AWS_ENDPOINT_URL=" + env.Get(string(testenv.AWS)), "AWS_REGION=" + cfg.Region,
		"AWS_ACCESS_KEY_ID=" + env.Get("TH_AWS_ACCESS_KEY"), "AWS_SECRET_ACCESS_KEY=" + env.Get("TH_AWS_SECRET_KEY"),
		"AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent"}
	f.env = append(append([]string{}, f.awsEnvVars...),
		"THUB_TASK_ID="+f.taskID, "THUB_QUEUE_URL="+f.queueURL, "THUB_TABLE="+f.table,
		// Small sizes so that the tests move little data: 5 MiB parts, multipart from 6 MiB,
		// giant objects (split across the fleet) from 40 MiB.
		"THUB_PART_SIZE=5MiB", "THUB_MULTIPART_THRESHOLD=6MiB", "THUB_GIANT_THRESHOLD=40MiB",
		"THUB_VISIBILITY=6s", "THUB_RETRY_DELAY=1s", "THUB_RECEIVE_WAIT=1s", "THUB_GRACE=10s", "THUB_LOG_LEVEL=info")
	return f
}

// newFleetBuckets is a fleet and a new source bucket on gateway a ("th-<name>-src") and
// destination bucket on b ("th-<name>-dst"). The test fills the source and sets the
// fleet's sides, through whatever it puts in front of a.
func newFleetBuckets(t *testing.T, maxReceives int, name string) (f *fleet, a, b *s3test.Gateway, srcB, dst string) {
	t.Helper()
	a, b = s3test.Gateways(t)
	f = newFleet(t, maxReceives)
	return f, a, b, a.Bucket(t, "th-"+name+"-src"), b.Bucket(t, "th-"+name+"-dst")
}

// secret stores v as a Secrets Manager secret and returns its ARN.
func (f *fleet) secret(v map[string]string) string {
	b, _ := json.Marshal(v)
	out, err := f.secrets.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name: aws.String(testenv.Name("th-secret")), SecretString: aws.String(string(b))})
	require.NoError(f.t, err)
	f.t.Cleanup(func() {
		f.secrets.DeleteSecret(context.Background(), &secretsmanager.DeleteSecretInput{SecretId: out.ARN, ForceDeleteWithoutRecovery: aws.Bool(true)})
	})
	return aws.ToString(out.ARN)
}

// sides points the task at a source and destination bucket, keys from secrets.
func (f *fleet) sides(a *s3test.Gateway, srcBucket string, b *s3test.Gateway, dstBucket string, srcEndpoint string) {
	if srcEndpoint == "" {
		srcEndpoint = a.Endpoint
	}
	f.env = append(f.env,
		"THUB_SRC=s3://"+srcBucket, "THUB_SRC_ENDPOINT="+srcEndpoint,
		"THUB_SRC_SECRET_ARN="+f.secret(map[string]string{"access_key_id": a.AccessKey, "secret_access_key": a.SecretKey}),
		"THUB_DST=s3://"+dstBucket, "THUB_DST_ENDPOINT="+b.Endpoint,
		"THUB_DST_SECRET_ARN="+f.secret(map[string]string{"access_key_id": b.AccessKey, "secret_access_key": b.SecretKey}))
}

// start runs thub with args as a background process; its stderr goes to a log file.
func (f *fleet) start(extraEnv []string, args ...string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.procN++
	n := f.procN
	logf, err := os.Create(filepath.Join(f.logDir, fmt.Sprintf("%02d-%s.log", n, args[len(args)-1])))
	require.NoError(f.t, err)
	cmd := exec.Command(thubBin, args...)
	cmd.Env = append(append(append(os.Environ(), "HOME="+f.logDir), f.env...), extraEnv...)
	cmd.Stdout, cmd.Stderr = logf, logf
	require.NoError(f.t, cmd.Start())
	p := &proc{cmd: cmd, done: make(chan struct{})}
	f.procs[n] = p
	go func() { _ = cmd.Wait(); logf.Close(); close(p.done) }()
	return n
}

// proc is one started process; done closes when it exited.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func (f *fleet) startWorker(extraEnv ...string) int { return f.start(extraEnv, "s3", "work") }

// run runs thub to completion.
func (f *fleet) run(extraEnv []string, args ...string) runResult {
	f.t.Helper()
	res := execThub(f.t, append(append([]string{"HOME=" + f.logDir}, f.env...), extraEnv...), args...)
	f.mu.Lock()
	f.procN++
	name := filepath.Join(f.logDir, fmt.Sprintf("%02d-%s.log", f.procN, strings.Join(args[:min(2, len(args))], "-")))
	f.mu.Unlock()
	_ = os.WriteFile(name, []byte(res.stderr), 0o644)
	return res
}

// kill signals process n and waits for it to exit.
func (f *fleet) kill(n int, sig syscall.Signal) {
	f.mu.Lock()
	p := f.procs[n]
	delete(f.procs, n)
	f.mu.Unlock()
	if p != nil {
		_ = p.cmd.Process.Signal(sig)
		<-p.done
	}
}

func (f *fleet) workers() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []int
	for n := range f.procs {
		out = append(out, n)
	}
	return out
}

// stopAll sends SIGTERM to every process and waits for them.
func (f *fleet) stopAll() {
	f.mu.Lock()
	procs := f.procs
	f.procs = map[int]*proc{}
	f.mu.Unlock()
	for _, p := range procs {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, p := range procs {
		select {
		case <-p.done:
		case <-time.After(30 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
}

func (f *fleet) dumpLogs() {
	files, _ := filepath.Glob(filepath.Join(f.logDir, "*.log"))
	for _, p := range files {
		b, _ := os.ReadFile(p)
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) > 40 {
			lines = lines[len(lines)-40:]
		}
		f.t.Logf("--- %s (last lines)\n%s", filepath.Base(p), strings.Join(lines, "\n"))
	}
}

// logs returns everything the processes wrote so far.
func (f *fleet) logs() string {
	files, _ := filepath.Glob(filepath.Join(f.logDir, "*.log"))
	var b strings.Builder
	for _, p := range files {
		data, _ := os.ReadFile(p)
		b.Write(data)
	}
	return b.String()
}

// outcome is one "object copied/skipped/failed" line of a worker's log.
type outcome struct {
	Msg        string `json:"msg"`
	Key        string `json:"key"`
	Outcome    string `json:"outcome"`
	Deliveries int    `json:"deliveries"`
	Path       string `json:"path"`
	file       string
}

// outcomes returns the per-object outcome lines of every worker, by key.
func (f *fleet) outcomes() map[string][]outcome {
	byKey := map[string][]outcome{}
	files, _ := filepath.Glob(filepath.Join(f.logDir, "*.log"))
	for _, p := range files {
		data, _ := os.ReadFile(p)
		for _, line := range strings.Split(string(data), "\n") {
			var o outcome
			if json.Unmarshal([]byte(line), &o) != nil || o.Key == "" || o.Outcome == "" {
				continue
			}
			o.file = filepath.Base(p)
			byKey[o.Key] = append(byKey[o.Key], o)
		}
	}
	return byKey
}

// requireRecordedOnce checks that each of keys objects was recorded once, or again only
// by a later delivery of its message: SQS delivers at least once, and a message whose
// visibility lapsed is copied again by another worker, harmlessly. A key recorded twice
// within its first delivery would be double work of ours.
func requireRecordedOnce(t *testing.T, byKey map[string][]outcome, keys int, recorded int64) {
	t.Helper()
	lines := 0
	var again, twice []string
	for key, seen := range byKey {
		lines += len(seen)
		if len(seen) == 1 {
			continue
		}
		redelivered := false
		for _, o := range seen {
			redelivered = redelivered || o.Deliveries > 1
		}
		line := fmt.Sprintf("%s %+v", key, seen)
		if redelivered {
			again = append(again, line)
		} else {
			twice = append(twice, line)
		}
	}
	if len(again) > 0 {
		t.Logf("%d objects recorded again by a later delivery, e.g. %v", len(again), again[:min(3, len(again))])
	}
	require.Zero(t, len(twice), "objects recorded more than once in their first delivery, e.g. %v", twice[:min(5, len(twice))])
	require.Len(t, byKey, keys, "every object recorded")
	require.Equal(t, int64(lines), recorded, "the workers' counts match their outcome lines")
}

// waitTask waits until the task leaves RUNNING (the fleet ends the run by itself).
func (f *fleet) waitTask(timeout time.Duration, tick func(state.Task)) state.Task {
	f.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		tk, err := f.store.GetTask(context.Background(), f.taskID)
		if err == nil {
			if tick != nil {
				tick(tk)
			}
			if tk.RunID != "" && tk.Status != state.TaskRunning {
				return tk
			}
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("task %s still %s after %s: %+v", f.taskID, tk.Status, timeout, tk.Counters)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (f *fleet) depth(url string) (int64, int64) {
	f.t.Helper()
	v, i, err := sqsqueue.New(f.sqs, url, "").Depth(context.Background())
	require.NoError(f.t, err)
	return v, i
}

// deadLetters drains the dead-letter queue's bodies.
func (f *fleet) deadLetters() []string {
	var out []string
	for i := 0; i < 5; i++ {
		msgs, err := sqsqueue.New(f.sqs, f.dlqURL, "").Receive(context.Background(), 10, 30*time.Second, 0)
		require.NoError(f.t, err)
		if len(msgs) == 0 && i > 0 {
			break
		}
		for _, m := range msgs {
			out = append(out, string(m.Body))
		}
	}
	return out
}

// The shared source: 3,000 objects in ten directories (d0..d9), mostly small, eight in
// several parts within one worker, and two giant ones that the fleet splits into part jobs
// (24 parts: one reproduces an 11-part source layout, one is a 13-part split of a single
// PUT). Seeded once per test binary; tests only read it.
type fleetSource struct {
	bucket     string
	keys       int
	bytes      int64
	giantParts int
	perDir     map[string]int
	perDirB    map[string]int64
}

func seedFleetSource(t *testing.T, a *s3test.Gateway) *fleetSource {
	t.Helper()
	ctx := context.Background()
	name := a.Bucket(t, "th-fleet-src")
	src := &fleetSource{bucket: name, perDir: map[string]int{}, perDirB: map[string]int64{}}
	rnd := rand.New(rand.NewSource(7))
	type obj struct {
		key  string
		size int
	}
	var objs []obj
	odd := []string{"a b.txt", "plus+sign", "percent%20", "ünïcödé-ключ", "quote\"d", "semi;colon", "x/../y"}
	for i := 0; i < 2988; i++ {
		dir := fmt.Sprintf("d%d/", i%10)
		key := fmt.Sprintf("%ssmall-%04d.bin", dir, i)
		if i < len(odd) {
			key = dir + odd[i]
		}
		objs = append(objs, obj{key, rnd.Intn(48 << 10)})
	}
	for i := 0; i < 8; i++ {
		objs = append(objs, obj{fmt.Sprintf("d%d/medium-%d.bin", i, i), 6<<20 + 512<<10 + rnd.Intn(4<<20)})
	}
	var wg sync.WaitGroup
	ch := make(chan obj)
	var mu sync.Mutex
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range ch {
				_, err := a.Client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(name), Key: aws.String(o.key),
					Body: bytes.NewReader(s3test.RandBytes(o.size)), ContentType: aws.String("application/x-fleet"),
					Metadata: map[string]string{"origin": "fleet-test"}})
				if err != nil {
					t.Errorf("seed %q: %v", o.key, err)
				}
				mu.Lock()
				src.perDir[o.key[:3]]++
				src.perDirB[o.key[:3]] += int64(o.size)
				src.bytes += int64(o.size)
				mu.Unlock()
			}
		}()
	}
	for _, o := range objs {
		ch <- o
	}
	close(ch)
	wg.Wait()
	require.False(t, t.Failed())
	// Giant: an 11-part multipart source (its layout is reproduced, so the copy keeps its
	// ETag) and a 62 MiB single PUT split into 13 parts of 5 MiB.
	g1 := s3test.RandBytes(55 << 20)
	a.PutMultipart(t, name, "d3/giant-multipart.bin", g1, 5<<20, map[string]string{"origin": "fleet-test"})
	g2 := s3test.RandBytes(62<<20 + 12345)
	a.Put(t, name, "d7/giant-single.bin", g2, nil)
	src.perDir["d3/"]++
	src.perDirB["d3/"] += int64(len(g1))
	src.perDir["d7/"]++
	src.perDirB["d7/"] += int64(len(g2))
	src.bytes += int64(len(g1) + len(g2))
	src.keys = len(objs) + 2
	src.giantParts = 11 + 13
	return src
}

// expectRun checks the end state of a run that copied everything: COMPLETED, exact
// counters, records, empty queues, no open uploads, destination equal to the source.
func (f *fleet) expectRun(tk state.Task, a *s3test.Gateway, srcBucket, prefix string, b *s3test.Gateway, dstBucket string, keys int, bytes int64) {
	t := f.t
	t.Helper()
	require.Equal(t, state.TaskCompleted, tk.Status, "last error: %s", tk.LastError)
	require.True(t, tk.FinderDone)
	c := tk.Counters
	require.Equal(t, int64(keys), c.FoundObjects, "found")
	require.Equal(t, int64(keys), c.DoneObjects, "done: every object exactly once")
	require.Equal(t, bytes, c.DoneBytes, "done bytes")
	require.Zero(t, c.SkippedObjects)
	require.Zero(t, c.FailedObjects)
	counts, err := f.store.CountObjects(context.Background(), f.taskID)
	require.NoError(t, err)
	require.Equal(t, map[state.ItemStatus]int64{state.ItemDone: int64(keys)}, counts, "object records")
	// Messages made redundant by the run (re-sent parts, a killed worker's jobs) may
	// still be in flight: the workers drop them; they must change nothing.
	deadline := time.Now().Add(2 * time.Minute)
	v, i := f.depth(f.queueURL)
	for ; v+i > 0 && time.Now().Before(deadline); v, i = f.depth(f.queueURL) {
		time.Sleep(250 * time.Millisecond)
	}
	require.Zero(t, v+i, "job queue drained")
	after, err := f.store.GetTask(context.Background(), f.taskID)
	require.NoError(t, err)
	require.Equal(t, tk.Counters, after.Counters, "late messages changed nothing")
	require.Equal(t, tk.Status, after.Status)
	requireNoOpenUploads(t, b, dstBucket)
	s3test.VerifyData(t, a, srcBucket, prefix, b, dstBucket, prefix)
	v, i = f.depth(f.dlqURL)
	require.Zero(t, v+i, "dead-letter queue empty")
}

// requireNoOpenUploads fails naming the uploads left open (key, id, when, parts).
func requireNoOpenUploads(t *testing.T, g *s3test.Gateway, bucket string) {
	t.Helper()
	var open []string
	for _, u := range g.OpenUploads(t, bucket) {
		parts, err := g.Client.ListParts(context.Background(), &s3.ListPartsInput{Bucket: aws.String(bucket), Key: u.Key, UploadId: u.UploadId})
		n := -1
		if err == nil {
			n = len(parts.Parts)
		}
		open = append(open, fmt.Sprintf("%s (upload %s, initiated %s, %d parts)", aws.ToString(u.Key), aws.ToString(u.UploadId),
			aws.ToTime(u.Initiated).Format(time.RFC3339), n))
	}
	require.Empty(t, open, "multipart uploads left open at the destination")
}

// fleetOnSource is a fleet that copies the shared source to a new bucket of b (named
// by dstPrefix), with env added to its processes' environment and three workers started.
func fleetOnSource(t *testing.T, a, b *s3test.Gateway, src *fleetSource, maxReceives int, dstPrefix string, env ...string) (*fleet, string) {
	t.Helper()
	f := newFleet(t, maxReceives)
	f.env = append(f.env, env...)
	dst := b.Bucket(t, dstPrefix)
	f.sides(a, src.bucket, b, dst, "")
	for range 3 {
		f.startWorker()
	}
	return f, dst
}

// The S3 fleet on one shared 3,000-object source (seeded once, removed at the end).
func TestFleetS3(t *testing.T) {
	a, b := s3test.Gateways(t)
	src := seedFleetSource(t, a)
	t.Run("Transfer", func(t *testing.T) { testFleetTransfer(t, a, b, src) })
	t.Run("Chaos", func(t *testing.T) { testFleetChaos(t, a, b, src) })
	t.Run("DuplicateDelivery", func(t *testing.T) { testFleetDuplicates(t, a, b, src) })
}

// find runs the finder with --json to its end and returns the run and the finder's
// counts (its last line).
func (f *fleet) find() (runResult, s3sync.FinderStats) {
	f.t.Helper()
	r := f.run(nil, "s3", "find", "--json")
	require.Equal(f.t, 0, r.code, r.stderr)
	var fr struct {
		Stats s3sync.FinderStats `json:"stats"`
	}
	require.NoError(f.t, json.Unmarshal([]byte(lastLine(r.stdout)), &fr))
	return r, fr.Stats
}

// workerStats sums the workers' final counts (they log them when they stop).
func (f *fleet) workerStats() s3sync.FleetStats {
	var sum s3sync.FleetStats
	for _, line := range strings.Split(f.logs(), "\n") {
		if !strings.Contains(line, `"msg":"worker stopped"`) {
			continue
		}
		var s s3sync.FleetStats
		if json.Unmarshal([]byte(line), &s) == nil {
			// Every field is a count: all of them are summed, fields added later too.
			acc, v := reflect.ValueOf(&sum).Elem(), reflect.ValueOf(s)
			for i := range v.NumField() {
				acc.Field(i).SetInt(acc.Field(i).Int() + v.Field(i).Int())
			}
		}
	}
	return sum
}

// One finder and three worker processes move 3,000 mixed objects, two giant ones split
// into 24 part jobs; the worker that settles the last object completes the task.
func testFleetTransfer(t *testing.T, a, b *s3test.Gateway, src *fleetSource) {
	// The product's default visibility: nothing is killed here. A 6 s one lapses when a
	// loaded machine delays a heartbeat by 4 s, and another worker then copies the job
	// again (CI counted one object twice so).
	f, dst := fleetOnSource(t, a, b, src, 5, "th-fleet-dst", "THUB_VISIBILITY=30s")
	_, found := f.find()
	require.Equal(t, int64(src.keys), found.Found)
	require.Equal(t, int64(src.keys), found.Queued)
	tk := f.waitTask(3*time.Minute, nil)
	f.expectRun(tk, a, src.bucket, "", b, dst, src.keys, src.bytes)
	f.stopAll()
	require.Equal(t, 2, strings.Count(f.logs(), `"msg":"giant object split into part jobs"`))
	st := f.workerStats()
	require.GreaterOrEqual(t, st.Parts, int64(src.giantParts), "part jobs uploaded by the fleet")
	requireRecordedOnce(t, f.outcomes(), src.keys, st.Objects)
	// The multipart source's layout was reproduced: same ETag at the destination.
	require.Equal(t, a.Head(t, src.bucket, "d3/giant-multipart.bin"), b.Head(t, dst, "d3/giant-multipart.bin"))
	srcL, dstL := a.List(t, src.bucket, "d3/giant-"), b.List(t, dst, "d3/giant-")
	require.Equal(t, srcL[0].ETag, dstL[0].ETag)
}

// Chaos: workers are killed (-9, or SIGTERM) at every step of the run and replaced;
// the result is still exact: every object done once, no open upload left behind.
func testFleetChaos(t *testing.T, a, b *s3test.Gateway, src *fleetSource) {
	// Each kill costs the killed worker's messages one delivery: allow plenty.
	f, dst := fleetOnSource(t, a, b, src, 20, "th-fleet-chaos", "THUB_MAX_RECEIVES=20")
	finder := make(chan runResult, 1)
	go func() { finder <- f.run(nil, "s3", "find") }()
	rnd := rand.New(rand.NewSource(time.Now().UnixNano()))
	var kills, terms int
	steps := []float64{0.02, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.97}
	nextTimed := time.Now().Add(3 * time.Second)
	tk := f.waitTask(5*time.Minute, func(tk state.Task) {
		settled := float64(tk.Counters.Settled()) / float64(src.keys)
		due := time.Now().After(nextTimed)
		if len(steps) > 0 && settled >= steps[0] {
			steps = steps[1:]
			due = true
		}
		if !due || tk.Status != state.TaskRunning {
			return
		}
		nextTimed = time.Now().Add(time.Duration(3000+rnd.Intn(2000)) * time.Millisecond)
		ws := f.workers()
		victim := ws[rnd.Intn(len(ws))]
		if (kills+terms)%4 == 3 {
			terms++
			f.kill(victim, syscall.SIGTERM) // graceful: finish or release in-flight work
		} else {
			kills++
			f.kill(victim, syscall.SIGKILL)
		}
		f.startWorker()
	})
	r := <-finder
	require.Equal(t, 0, r.code, r.stderr)
	t.Logf("killed %d workers with SIGKILL and stopped %d with SIGTERM during the run", kills, terms)
	require.GreaterOrEqual(t, kills, 3, "workers were killed during the run")
	f.expectRun(tk, a, src.bucket, "", b, dst, src.keys, src.bytes)
}

// Every message (job batches and part jobs) is delivered twice: same exact result.
func testFleetDuplicates(t *testing.T, a, b *s3test.Gateway, src *fleetSource) {
	// Two directories, holding both giant objects.
	f, dst := fleetOnSource(t, a, b, src, 5, "th-fleet-dup", "THUB_FAULT_DUPLICATE_SENDS=1", "THUB_PREFIX=d3/,d7/")
	r, found := f.find()
	require.Contains(t, r.stderr, "every message is sent twice")
	keys := src.perDir["d3/"] + src.perDir["d7/"]
	bytes := src.perDirB["d3/"] + src.perDirB["d7/"]
	tk := f.waitTask(3*time.Minute, nil)
	// The duplicates of the last messages may still be in flight: let the workers drain.
	deadline := time.Now().Add(time.Minute)
	for v, i := f.depth(f.queueURL); v+i > 0 && time.Now().Before(deadline); v, i = f.depth(f.queueURL) {
		time.Sleep(200 * time.Millisecond)
	}
	f.stopAll()
	require.Equal(t, state.TaskCompleted, tk.Status)
	require.Equal(t, int64(keys), tk.Counters.FoundObjects)
	require.Equal(t, int64(keys), tk.Counters.DoneObjects, "duplicates never count twice")
	require.Equal(t, bytes, tk.Counters.DoneBytes)
	after, err := f.store.GetTask(context.Background(), f.taskID)
	require.NoError(t, err)
	require.Equal(t, tk.Counters, after.Counters, "the late duplicates changed nothing")
	require.Equal(t, state.TaskCompleted, after.Status)
	counts, err := f.store.CountObjects(context.Background(), f.taskID)
	require.NoError(t, err)
	require.Equal(t, map[state.ItemStatus]int64{state.ItemDone: int64(keys)}, counts)
	st := f.workerStats()
	require.GreaterOrEqual(t, st.Messages, 2*found.Messages+2*int64(src.giantParts), "every job and part job arrived twice")
	requireNoOpenUploads(t, b, dst)
	require.Len(t, b.List(t, dst, ""), keys)
	s3test.VerifyData(t, a, src.bucket, "d3/", b, dst, "d3/")
	s3test.VerifyData(t, a, src.bucket, "d7/", b, dst, "d7/")
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
