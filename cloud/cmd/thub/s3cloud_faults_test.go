package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/internal/s3test"
	"transferhub/cloud/queue/sqsqueue"
	"transferhub/cloud/s3sync"
	"transferhub/cloud/state"
	"transferhub/cloud/testenv"
)

// denyProxy forwards to an S3 gateway but answers 403 AccessDenied to the requests deny
// picks, as S3 does for an object the keys may not read.
func denyProxy(t *testing.T, target string, deny func(*http.Request) bool) string {
	p := s3test.NewFaultProxy(t, target)
	p.Intercept = func(w http.ResponseWriter, r *http.Request) bool {
		if !deny(r) {
			return false
		}
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		if r.Method != http.MethodHead {
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)
		}
		return true
	}
	return p.URL
}

// Poison: an object that always fails (403) and a giant object one of whose parts
// always fails end FAILED with their error after exactly the allowed deliveries, their
// jobs in the dead-letter queue, the giant's upload aborted; the others are copied.
func TestFleetS3Poison(t *testing.T) {
	f, a, b, srcB, dst := newFleetBuckets(t, 3, "poison") // the queue's redrive policy: 3 deliveries
	for i := 0; i < 20; i++ {
		a.Put(t, srcB, fmt.Sprintf("ok/%02d.txt", i), s3test.RandBytes(1000+i), nil)
	}
	a.Put(t, srcB, "poison.bin", []byte("nobody may read me"), nil)
	a.Put(t, srcB, "giant-poison.bin", s3test.RandBytes(45<<20), nil) // 9 parts of 5 MiB
	proxy := denyProxy(t, a.Endpoint, func(r *http.Request) bool {
		switch {
		case strings.HasSuffix(r.URL.Path, "/poison.bin"):
			return r.Method == http.MethodGet || r.Method == http.MethodHead
		case strings.HasSuffix(r.URL.Path, "/giant-poison.bin"):
			return r.Method == http.MethodGet && strings.HasPrefix(r.Header.Get("Range"), fmt.Sprintf("bytes=%d-", 2*5<<20))
		}
		return false
	})
	f.sides(a, srcB, b, dst, proxy)
	f.env = append(f.env, "THUB_ATTEMPTS=2")
	f.startWorker()
	f.startWorker()
	r := f.run(nil, "s3", "find")
	require.Equal(t, 0, r.code, r.stderr)
	tk := f.waitTask(3*time.Minute, nil)

	require.Equal(t, state.TaskFailed, tk.Status, "a one-time run with failed objects ends FAILED, as local runs do")
	require.Equal(t, "2 of 22 objects failed", tk.LastError)
	c := tk.Counters
	require.Equal(t, int64(22), c.FoundObjects)
	require.Equal(t, int64(20), c.DoneObjects, "the other objects are unaffected")
	require.Equal(t, int64(2), c.FailedObjects)

	ctx := context.Background()
	p, err := f.store.GetObject(ctx, f.taskID, "poison.bin")
	require.NoError(t, err)
	require.Equal(t, state.ItemFailed, p.Status)
	require.Equal(t, 3, p.Attempts, "given up after the queue's maxReceiveCount deliveries")
	require.Contains(t, p.Error, "AccessDenied")
	g, err := f.store.GetObject(ctx, f.taskID, "giant-poison.bin")
	require.NoError(t, err)
	require.Equal(t, state.ItemFailed, g.Status)
	require.Contains(t, g.Error, "part 3 of 9")
	require.Contains(t, g.Error, "AccessDenied")
	failed, err := f.store.ListObjects(ctx, f.taskID, state.ListOptions{Status: state.ItemFailed})
	require.NoError(t, err)
	require.Len(t, failed.Items, 2, "failed objects are listed from the sparse index")

	require.Empty(t, b.OpenUploads(t, dst), "the giant object's upload was aborted")
	listed := b.List(t, dst, "")
	require.Len(t, listed, 20)
	s3test.VerifyData(t, a, srcB, "ok/", b, dst, "ok/")

	// SQS delivers at least once: the emulator, loaded, sometimes hands one message to
	// two workers, and both copies end in the dead-letter queue. Distinct messages count.
	dead := slices.Compact(slices.Sorted(slices.Values(f.deadLetters())))
	require.Len(t, dead, 2, "one dead letter per failed object: %v", dead)
	var sawJob, sawPart bool
	for _, body := range dead {
		kind, err := s3sync.Classify([]byte(body))
		require.NoError(t, err)
		switch kind {
		case s3sync.KindJob:
			j, err := s3sync.DecodeJob([]byte(body))
			require.NoError(t, err)
			require.Len(t, j.Objects, 1)
			require.Equal(t, "poison.bin", j.Objects[0].Key)
			sawJob = true
		case s3sync.KindPart:
			pj, err := s3sync.DecodePart([]byte(body))
			require.NoError(t, err)
			require.Equal(t, "giant-poison.bin", pj.Object.Key)
			require.Equal(t, 3, pj.Part)
			sawPart = true
		}
	}
	require.True(t, sawJob && sawPart)
	logs := f.logs()
	require.Contains(t, logs, `"outcome":"FAILED"`)
	require.NotContains(t, logs, a.SecretKey, "no secret in the logs")
	require.NotContains(t, logs, b.SecretKey, "no secret in the logs")
}

// Far-side keys live in Secrets Manager: rotated keys are picked up after a 403
// without restarting the worker.
func TestFleetS3SecretRotation(t *testing.T) {
	f, a, b, srcB, dst := newFleetBuckets(t, 10, "rot")
	for i := 0; i < 5; i++ {
		a.Put(t, srcB, fmt.Sprintf("k%d", i), s3test.RandBytes(100), nil)
	}
	f.sides(a, srcB, b, dst, "")
	// The worker starts with a stale secret: the source refuses its key (403).
	stale := f.secret(map[string]string{"access_key_id": a.AccessKey, "secret_access_key": "stale-" + a.SecretKey[:8]})
	f.start([]string{"THUB_SRC_SECRET_ARN=" + stale, "THUB_MAX_RECEIVES=10"}, "s3", "work")
	r := f.run(nil, "s3", "find")
	require.Equal(t, 0, r.code, r.stderr)
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(f.logs(), "will be retried") {
		require.True(t, time.Now().Before(deadline), "the stale key was refused")
		time.Sleep(200 * time.Millisecond)
	}
	tk, err := f.store.GetTask(context.Background(), f.taskID)
	require.NoError(t, err)
	require.Zero(t, tk.Counters.DoneObjects)
	fresh, _ := json.Marshal(map[string]string{"access_key_id": a.AccessKey, "secret_access_key": a.SecretKey})
	_, err = f.secrets.PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{SecretId: aws.String(stale), SecretString: aws.String(string(fresh))})
	require.NoError(t, err)
	tk = f.waitTask(2*time.Minute, nil)
	require.Equal(t, state.TaskCompleted, tk.Status, tk.LastError)
	require.Equal(t, int64(5), tk.Counters.DoneObjects)
	s3test.VerifyData(t, a, srcB, "", b, dst, "")
	logs := f.logs()
	require.Contains(t, logs, "SignatureDoesNotMatch")
	require.NotContains(t, logs, a.SecretKey)
	require.NotContains(t, logs, a.SecretKey[:8], "not even the stale key")
}

// One finder per task: a second finder is refused while the lease is held, with a
// clear message and exit status 3, and nothing is changed.
func TestFleetS3FinderLease(t *testing.T) {
	f, a, b, srcB, dst := newFleetBuckets(t, 5, "lease")
	a.Put(t, srcB, "one", []byte("1"), nil)
	f.sides(a, srcB, b, dst, "")
	ctx := context.Background()
	require.NoError(t, f.store.PutTask(ctx, state.Task{ID: f.taskID, Type: state.TaskS3, Name: "lease test", Engine: state.EngineCloud}))
	require.NoError(t, f.store.Lease(ctx, f.taskID, "finder", "another-finder", time.Minute))
	r := f.run(nil, "s3", "find")
	require.Equal(t, 3, r.code, r.stderr)
	require.Contains(t, r.stderr, "lease of task "+f.taskID+" is held by another process")
	tk, err := f.store.GetTask(ctx, f.taskID)
	require.NoError(t, err)
	require.Empty(t, tk.RunID, "no run started")
	v, i := f.depth(f.queueURL)
	require.Zero(t, v+i, "nothing sent")

	require.NoError(t, f.store.ReleaseLease(ctx, f.taskID, "finder", "another-finder"))
	r = f.run(nil, "s3", "find", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, `"foundObjects":1`)
	// Bad configuration says what to set.
	r = f.run([]string{"THUB_QUEUE_URL="}, "s3", "find")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, "missing --queue-url (THUB_QUEUE_URL)")
	r = f.run([]string{"THUB_SRC_SECRET_ARN=arn:aws:secretsmanager:us-east-1:123456789012:secret:nope"}, "s3", "find")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, "source credentials:")
	require.Contains(t, r.stderr, "read secret arn:aws:secretsmanager:us-east-1:123456789012:secret:nope")
	require.Contains(t, r.stderr, "can't find the specified secret")
}

// A message SQS dead-letters by itself (a worker died during its last allowed
// delivery) leaves objects without records: the idle workers notice the stuck run and
// record them FAILED, so the run still ends and says why.
func TestFleetS3DeadLetteredBySQS(t *testing.T) {
	f, a, b, srcB, dst := newFleetBuckets(t, 5, "dl")
	for i := 0; i < 30; i++ {
		a.Put(t, srcB, fmt.Sprintf("o%02d", i), s3test.RandBytes(100), nil)
	}
	f.sides(a, srcB, b, dst, "")
	f.env = append(f.env, "THUB_BATCH_OBJECTS=10", "THUB_IDLE_CHECK=1s")
	r := f.run(nil, "s3", "find")
	require.Equal(t, 0, r.code, r.stderr)
	// What SQS does after maxReceiveCount deliveries: the job moves to the DLQ.
	ctx := context.Background()
	main, dlq := sqsqueue.New(f.sqs, f.queueURL, ""), sqsqueue.New(f.sqs, f.dlqURL, "")
	msgs, err := main.Receive(ctx, 1, 30*time.Second, time.Second)
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	job, err := s3sync.DecodeJob(msgs[0].Body)
	require.NoError(t, err)
	require.Len(t, job.Objects, 10)
	require.NoError(t, dlq.Send(ctx, msgs[0].Body))
	require.NoError(t, main.Delete(ctx, msgs[0]))

	f.startWorker()
	tk := f.waitTask(2*time.Minute, nil)
	require.Equal(t, state.TaskFailed, tk.Status)
	require.Equal(t, "10 of 30 objects failed", tk.LastError)
	require.Equal(t, int64(20), tk.Counters.DoneObjects)
	require.Equal(t, int64(10), tk.Counters.FailedObjects)
	for _, o := range job.Objects {
		rec, err := f.store.GetObject(ctx, f.taskID, o.Key)
		require.NoError(t, err)
		require.Equal(t, state.ItemFailed, rec.Status)
		require.Contains(t, rec.Error, "dead-letter queue by SQS")
	}
	require.Len(t, f.deadLetters(), 1, "the message stays in the dead-letter queue for a redrive")
}

// recorder is a proxy that remembers what passed through it.
type recorder struct {
	mu     sync.Mutex
	forms  []url.Values // form bodies (STS speaks the query protocol)
	keyIDs []string     // access key ids of SigV4 Authorization headers
	srv    *httptest.Server
}

func newRecorder(t *testing.T, target string) *recorder {
	u, err := url.Parse(target)
	require.NoError(t, err)
	rp := httputil.NewSingleHostReverseProxy(u)
	r := &recorder{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		if a := req.Header.Get("Authorization"); strings.Contains(a, "Credential=") {
			id, _, _ := strings.Cut(strings.SplitN(a, "Credential=", 2)[1], "/")
			r.keyIDs = append(r.keyIDs, id)
		}
		if strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			body, _ := io.ReadAll(req.Body)
			req.Body = io.NopCloser(bytes.NewReader(body))
			v, _ := url.ParseQuery(string(body))
			r.forms = append(r.forms, v)
		}
		r.mu.Unlock()
		rp.ServeHTTP(w, req)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// A role is assumed on top of the secret's keys, with the external id, and the far
// side is then reached with the role's keys.
func TestFleetS3AssumeRole(t *testing.T) {
	f, a, b, srcB, dst := newFleetBuckets(t, 5, "role")
	a.Put(t, srcB, "one", []byte("1"), nil)
	gw := newRecorder(t, a.Endpoint)
	f.sides(a, srcB, b, dst, gw.srv.URL)
	env := testenv.Load(t)
	sts := newRecorder(t, env.Get(string(testenv.AWS)))
	r := f.run([]string{"AWS_ENDPOINT_URL=" + sts.srv.URL, "THUB_SRC_ROLE_ARN=arn:aws:iam::123456789012:role/thub-reader",
		"THUB_SRC_EXTERNAL_ID=ext-4711"}, "s3", "find")
	// The emulator's role keys mean nothing to the gateway: refused, but only after the
	// request was signed with them.
	require.Equal(t, 2, r.code, r.stderr)
	require.Contains(t, r.stderr, "source:")
	require.Regexp(t, "InvalidToken|access key id is unknown", r.stderr)
	var assume url.Values
	sts.mu.Lock()
	for _, v := range sts.forms {
		if v.Get("Action") == "AssumeRole" {
			assume = v
		}
	}
	stsKeys := append([]string(nil), sts.keyIDs...)
	sts.mu.Unlock()
	require.NotNil(t, assume, "AssumeRole was called")
	require.Equal(t, "arn:aws:iam::123456789012:role/thub-reader", assume.Get("RoleArn"))
	require.Equal(t, "ext-4711", assume.Get("ExternalId"))
	require.Contains(t, stsKeys, a.AccessKey, "AssumeRole signed with the secret's keys")
	gw.mu.Lock()
	defer gw.mu.Unlock()
	require.NotEmpty(t, gw.keyIDs)
	for _, id := range gw.keyIDs {
		require.NotEqual(t, a.AccessKey, id, "the source is reached with the role's keys only")
	}
}

// SSE-KMS on both sides (s3test.KMSProxy): ETags are not MD5s, so giant objects split
// across the fleet must complete without ETag arithmetic, and a re-run copies nothing.
func TestFleetS3GiantKMS(t *testing.T) {
	f, a, b, srcB, dst := newFleetBuckets(t, 5, "kms")
	// With full-object CRC-64/NVME checksums, as Amazon S3 keeps: each part job computes
	// its part's, and the completer combines them and checks the source's.
	a.PutCRC(t, srcB, "giant-multipart.bin", s3test.RandBytes(12<<20), 5<<20) // layout reproduced
	a.PutCRC(t, srcB, "giant-single.bin", s3test.RandBytes(11<<20+7), 0)      // split by the fleet
	a.PutCRC(t, srcB, "small.txt", []byte("small"), 0)
	kmsA, kmsB := s3test.NewKMSProxy(t, a), s3test.NewKMSProxy(t, b)
	f.sides(a, srcB, b, dst, kmsA.URL)
	env := []string{"THUB_DST_ENDPOINT=" + kmsB.URL, "THUB_GIANT_THRESHOLD=10MiB", "THUB_SRC_CHECKSUMS=on", "THUB_DST_CHECKSUMS=on"}
	f.start(env, "s3", "work")
	f.start(env, "s3", "work")
	r := f.run(env, "s3", "find")
	require.Equal(t, 0, r.code, r.stderr)
	tk := f.waitTask(2*time.Minute, nil)
	require.Equal(t, state.TaskCompleted, tk.Status, tk.LastError)
	require.Equal(t, int64(3), tk.Counters.DoneObjects, "failed: %d", tk.Counters.FailedObjects)
	require.Equal(t, 2, strings.Count(f.logs(), `"msg":"giant object split into part jobs"`))
	s3test.VerifyData(t, a, srcB, "", b, dst, "")
	for _, k := range []string{"giant-multipart.bin", "giant-single.bin", "small.txt"} {
		require.Equal(t, a.CRC(t, srcB, k), b.CRC(t, dst, k), k)
	}
	requireNoOpenUploads(t, b, dst)
	require.Positive(t, kmsA.Rewritten.Load())
	require.Positive(t, kmsB.Rewritten.Load())
	// Through the copies' recorded source ETags, a plain sync finds nothing to do.
	res := thub(t, append(s3Env(a, b), "AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY="), "s3", "sync", "s3://"+srcB, "s3://"+dst,
		"--src-endpoint", kmsA.URL, "--dst-endpoint", kmsB.URL, "--state", filepath.Join(t.TempDir(), "s.db"), "--json")
	require.Equal(t, 0, res.code, res.stderr)
	require.Equal(t, float64(0), lastJSON(t, res.stdout)["copied"])
}
