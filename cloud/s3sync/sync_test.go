package s3sync_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/internal/s3test"
	"transferhub/cloud/objstore"
	"transferhub/cloud/s3sync"
	"transferhub/cloud/state"
	"transferhub/cloud/state/sqlite"
	"transferhub/cloud/state/statetest"
)

// syncOnce syncs src into dst with a state file at statePath ("" = a fresh one), closed
// when the sync returns.
func syncOnce(t *testing.T, src, dst objstore.Location, statePath string, opt s3sync.Options) (s3sync.Result, error) {
	t.Helper()
	db := statetest.SQLite(t, statePath)
	defer db.Close()
	return s3sync.Sync(context.Background(), src, dst, db, db.Queue("s3-jobs", sqlite.QueueOptions{}), "task", opt)
}

// run is syncOnce for a sync that must succeed as a whole.
func run(t *testing.T, src, dst objstore.Location, statePath string, opt s3sync.Options) s3sync.Result {
	t.Helper()
	res, err := syncOnce(t, src, dst, statePath, opt)
	require.NoError(t, err)
	return res
}

type seeded struct {
	keys      []string
	multipart string
	headered  string
}

// seedTricky writes the keys and objects that break tools into bucket/prefix.
func seedTricky(t *testing.T, g *s3test.Gateway, bucket, prefix string) seeded {
	var s seeded
	put := func(k string, body []byte, in *s3.PutObjectInput) {
		g.Put(t, bucket, prefix+k, body, in)
		s.keys = append(s.keys, k)
	}
	for _, k := range []string{
		"unicode/ünïcødé/日本語/файл.txt", "spaces/a key with spaces.txt", "plus/a+b+c.txt", "percent/100%25 and %2F.txt",
		"question/what?.txt", "hash/#1#.txt", "mixed/ +%?#&=;:@$,'!()*[]{}~`^|<>\".txt", "dots/a.b", "dots/a-b", "dots/a/b",
	} {
		put(k, []byte("data of "+k), nil)
	}
	// versitygw stores keys as paths and folds "//" into "/": the listing shows what it
	// keeps, and that is what must arrive.
	put("double//slash.txt", []byte("double slash"), nil)
	put("trailing/", nil, nil)
	put("zero-byte", nil, nil)
	put(s3test.Key1024("long/"), []byte("1024-byte key"), nil)
	s.headered = "headers/all.html"
	put(s.headered, []byte("<h1>hi</h1>"), &s3.PutObjectInput{
		ContentType: aws.String("text/html; charset=utf-8"), CacheControl: aws.String("max-age=3600, public"),
		ContentDisposition: aws.String(`attachment; filename="all.html"`), ContentEncoding: aws.String("identity"),
		ContentLanguage: aws.String("de-CH"), Expires: aws.Time(s3test.Expires),
		Metadata: map[string]string{"owner": "team-a", "unicode": "yes", "camelcase": "Value With Spaces"}})
	for i := 0; i < 1100; i++ { // more than one listing page in one prefix
		put(fmt.Sprintf("flat/obj-%05d", i), []byte(fmt.Sprintf("flat %d", i)), nil)
	}
	deep := "deep"
	for i := 0; i < 12; i++ {
		deep += fmt.Sprintf("/level%d", i)
		put(deep+"/leaf.txt", []byte(deep), nil)
	}
	s.multipart = "multipart/object.bin"
	g.PutMultipart(t, bucket, prefix+s.multipart, s3test.RandBytes(17<<20+12345), 5<<20, map[string]string{"kind": "multipart"})
	s.keys = append(s.keys, s.multipart)
	return s
}

func TestSyncTrickyKeysHeadersAndMultipart(t *testing.T) {
	a, b, sb, db := s3test.SrcDst(t)
	seedTricky(t, a, sb, "in/")
	src := a.Open(t, sb, "in", "")
	dst := b.Open(t, db, "out/", "")
	statePath := filepath.Join(t.TempDir(), "state.db")

	res := run(t, src, dst, statePath, s3sync.Options{Concurrency: 16})
	n := int64(len(a.List(t, sb, "in/")))
	require.Equal(t, n, res.Found)
	require.Equal(t, n, res.Copied)
	require.Zero(t, res.Failed)
	require.False(t, res.ServerSide, "two gateways with two key pairs: streamed")
	// Same ETags everywhere, multipart layout included: later runs compare from listings.
	s3test.Verify(t, a, sb, "in/", b, db, "out/", true)
	require.Empty(t, b.OpenUploads(t, db))

	// A second run copies nothing.
	res = run(t, src, dst, statePath, s3sync.Options{})
	require.Equal(t, n, res.Found)
	require.Zero(t, res.Copied)
	require.Equal(t, n, res.Skipped)
}

func TestSyncIncremental(t *testing.T) {
	a, b, sb, db := s3test.SrcDst(t)
	for i := 0; i < 20; i++ {
		a.Put(t, sb, fmt.Sprintf("k%02d", i), []byte(fmt.Sprintf("version one %02d", i)), nil)
	}
	src, dst := a.Open(t, sb, "", ""), b.Open(t, db, "", "")
	statePath := filepath.Join(t.TempDir(), "state.db")
	require.Equal(t, int64(20), run(t, src, dst, statePath, s3sync.Options{}).Copied)

	// Same size, new content: detected by ETag (DTH's size compare misses it).
	a.Put(t, sb, "k05", []byte("version two 05"), nil)
	res := run(t, src, dst, statePath, s3sync.Options{})
	require.Equal(t, int64(1), res.Copied)
	require.Equal(t, []byte("version two 05"), b.Get(t, db, "k05"))
	res = run(t, src, dst, statePath, s3sync.Options{Compare: s3sync.CompareSize})
	require.Zero(t, res.Copied)
	res = run(t, src, dst, statePath, s3sync.Options{Compare: s3sync.CompareChecksum})
	require.Zero(t, res.Copied)
	require.Equal(t, int64(20), run(t, src, dst, statePath, s3sync.Options{Compare: s3sync.CompareNone}).Copied)

	// Deleted at the source: kept at the destination unless asked.
	_, err := a.Client.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(sb), Key: aws.String("k07")})
	require.NoError(t, err)
	res = run(t, src, dst, statePath, s3sync.Options{})
	require.Zero(t, res.Copied)
	require.Len(t, b.List(t, db, ""), 20)
	dry, err := s3sync.DryRun(context.Background(), src, dst, s3sync.Options{Delete: true})
	require.NoError(t, err)
	require.Equal(t, int64(1), dry.Plan.ToDelete)
	require.Len(t, b.List(t, db, ""), 20, "a dry run changes nothing")
	run(t, src, dst, statePath, s3sync.Options{Delete: true})
	require.Len(t, b.List(t, db, ""), 19)
	s3test.Verify(t, a, sb, "", b, db, "", true)
}

// --delete removes what the source lacks in DeleteObjects batches of 1,000 keys, and
// one request per key at a destination that refuses the batch request.
func TestSyncDeleteInBatches(t *testing.T) {
	a, b := s3test.Gateways(t)
	sb := a.Bucket(t, "thub-src")
	a.Put(t, sb, "keep", []byte("keep"), nil)
	extra := []string{"gone/ünï cødé.txt", "gone/a+b%25?#&.txt", "gone/deep/er/leaf"}
	for i := len(extra); i < 2300; i++ {
		extra = append(extra, fmt.Sprintf("gone/k%05d", i))
	}
	seedDst := func() string {
		db := b.Bucket(t, "thub-dst")
		b.Put(t, db, "keep", []byte("keep"), nil)
		b.PutMany(t, db, len(extra), nil, func(i int) (string, []byte) { return extra[i], []byte("x") })
		return db
	}
	isBatch := func(r *http.Request) bool { _, ok := r.URL.Query()["delete"]; return r.Method == http.MethodPost && ok }

	for _, refuse := range []bool{false, true} {
		t.Run(fmt.Sprintf("refused=%v", refuse), func(t *testing.T) {
			db := seedDst()
			p := s3test.NewFaultProxy(t, b.Endpoint)
			var batches, singles atomic.Int64
			p.Intercept = func(w http.ResponseWriter, r *http.Request) bool {
				switch {
				case isBatch(r):
					batches.Add(1)
					if refuse {
						w.WriteHeader(http.StatusNotImplemented)
						fmt.Fprint(w, `<Error><Code>NotImplemented</Code><Message>A header you provided implies functionality that is not implemented</Message></Error>`)
						return true
					}
				case r.Method == http.MethodDelete:
					singles.Add(1)
				}
				return false
			}
			res := run(t, a.Open(t, sb, "", ""), b.Open(t, db, "", p.URL), "", s3sync.Options{Delete: true})
			require.Equal(t, int64(len(extra)), res.Deleted)
			require.Zero(t, res.Failed)
			left := b.List(t, db, "")
			require.Len(t, left, 1)
			require.Equal(t, "keep", left[0].Key)
			if refuse {
				require.Equal(t, int64(1), batches.Load(), "a refused batch request is not tried again")
				require.Equal(t, int64(len(extra)), singles.Load())
			} else {
				require.Equal(t, int64(3), batches.Load(), "2,300 keys: three DeleteObjects requests")
				require.Zero(t, singles.Load())
			}
		})
	}
}

// Progress counts a big object's parts as they arrive, before the object is done.
func TestSyncProgressCountsPartsInFlight(t *testing.T) {
	a, b, sb, db := s3test.SrcDst(t)
	size := 24 << 20
	a.PutMultipart(t, sb, "big.bin", s3test.RandBytes(size), 8<<20, nil)
	p := s3test.NewFaultProxy(t, b.Endpoint)
	p.Intercept = func(w http.ResponseWriter, r *http.Request) bool {
		if _, ok := r.URL.Query()["uploadId"]; ok && r.Method == http.MethodPost {
			time.Sleep(1500 * time.Millisecond) // hold the completion: every part is in, the object is not done
		}
		return false
	}
	var mu sync.Mutex
	var seen []s3sync.Progress
	opt := s3sync.Options{Progress: func(pr s3sync.Progress) { mu.Lock(); seen = append(seen, pr); mu.Unlock() }}
	res := run(t, a.Open(t, sb, "", ""), b.Open(t, db, "", p.URL), "", opt)
	require.Equal(t, int64(1), res.Copied)
	mu.Lock()
	defer mu.Unlock()
	ahead := false
	for _, pr := range seen {
		require.GreaterOrEqual(t, pr.MovedBytes, pr.CopiedBytes)
		if pr.CopiedBytes == 0 && pr.MovedBytes == int64(size) {
			ahead = true
		}
	}
	require.True(t, ahead, "no snapshot showed the parts moved before the object was done: %+v", seen)
}

// A process that died holding jobs: the resumed run takes them back at once instead of
// waiting out their visibility timeout (an hour here).
func TestSyncResumeTakesBackADeadProcesssJobs(t *testing.T) {
	a, b, sb, db := s3test.SrcDst(t)
	for i := range 5 {
		a.Put(t, sb, fmt.Sprintf("k%d", i), []byte(fmt.Sprintf("body %d", i)), nil)
	}
	src, dst := a.Open(t, sb, "", ""), b.Open(t, db, "", "")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	store, task := s3sync.StartedTask(t, ctx, "task")
	q := store.Queue("s3-jobs", sqlite.QueueOptions{})
	f := &s3sync.Finder{Src: src, Dst: dst, Store: store, Queue: q, TaskID: "task"}
	_, err := f.Run(ctx, task.RunID)
	require.NoError(t, err)
	held, err := q.Receive(ctx, 10, time.Hour, 0) // the process that dies with these
	require.NoError(t, err)
	require.NotEmpty(t, held)

	res, err := s3sync.Sync(ctx, src, dst, store, q, "task", s3sync.Options{})
	require.NoError(t, err, "the resumed run must not wait for the dead process's jobs")
	require.True(t, res.Resumed)
	require.Equal(t, int64(5), res.Copied)
	s3test.Verify(t, a, sb, "", b, db, "", true)
}

func TestSyncServerSideWithinOneGateway(t *testing.T) {
	a, _ := s3test.Gateways(t)
	sb, db := a.Bucket(t, "thub-src"), a.Bucket(t, "thub-dst")
	a.Put(t, sb, "small.txt", []byte("small"), &s3.PutObjectInput{ContentType: aws.String("text/plain"), Metadata: map[string]string{"a": "b"}})
	a.PutMultipart(t, sb, "big.bin", s3test.RandBytes(11<<20), 5<<20, map[string]string{"m": "1"})
	src, dst := a.Open(t, sb, "", ""), a.Open(t, db, "", "")
	res := run(t, src, dst, "", s3sync.Options{})
	require.True(t, res.ServerSide)
	require.Equal(t, int64(2), res.Copied)
	s3test.Verify(t, a, sb, "", a, db, "", true)
}

func TestSyncLocalDirectories(t *testing.T) {
	a, b, sb, db := s3test.SrcDst(t)
	for _, k := range []string{"a.txt", "a/b.txt", "dir/ü n+i%c#o?de.txt", "zero"} {
		body := []byte("content of " + k)
		if k == "zero" {
			body = nil
		}
		a.Put(t, sb, "p/"+k, body, nil)
	}
	a.PutMultipart(t, sb, "p/mp.bin", s3test.RandBytes(12<<20), 5<<20, nil)
	dir := t.TempDir()
	local, err := objstore.OpenLocal(filepath.Join(dir, "copy"))
	require.NoError(t, err)

	// S3 -> local directory.
	statePath := filepath.Join(t.TempDir(), "down.db")
	res := run(t, a.Open(t, sb, "p/", ""), local, statePath, s3sync.Options{})
	require.Equal(t, int64(5), res.Copied)
	for _, o := range a.List(t, sb, "p/") {
		got, err := os.ReadFile(filepath.Join(dir, "copy", filepath.FromSlash(o.Key)))
		require.NoError(t, err)
		require.True(t, bytes.Equal(a.Get(t, sb, "p/"+o.Key), got), o.Key)
	}
	require.Zero(t, run(t, a.Open(t, sb, "p/", ""), local, statePath, s3sync.Options{}).Copied)

	// Local directory -> S3 (another gateway).
	statePath = filepath.Join(t.TempDir(), "up.db")
	res = run(t, local, b.Open(t, db, "up", ""), statePath, s3sync.Options{})
	require.Equal(t, int64(5), res.Copied)
	s3test.VerifyData(t, a, sb, "p/", b, db, "up/")
	require.Zero(t, run(t, local, b.Open(t, db, "up", ""), statePath, s3sync.Options{}).Copied)
	// Checksum mode reads the local files (no ETag there) and finds them equal.
	require.Zero(t, run(t, local, b.Open(t, db, "up", ""), statePath, s3sync.Options{Compare: s3sync.CompareChecksum}).Copied)

	// A changed local file is copied again.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "copy", "a.txt"), []byte("changed content!!"), 0o644))
	require.Equal(t, int64(1), run(t, local, b.Open(t, db, "up", ""), statePath, s3sync.Options{}).Copied)
	require.Equal(t, []byte("changed content!!"), b.Get(t, db, "up/a.txt"))
}

func TestSyncSelection(t *testing.T) {
	a, b, sb, db := s3test.SrcDst(t)
	for _, k := range []string{"logs/a.log", "logs/b.txt", "logs/tmp/c.log", "img/x.jpg", "img/big.jpg", "top.log", "other/d.log"} {
		body := []byte("0123456789")
		if k == "img/big.jpg" {
			body = bytes.Repeat([]byte("x"), 5000)
		}
		a.Put(t, sb, k, body, nil)
	}
	src, dst := a.Open(t, sb, "", ""), b.Open(t, db, "", "")
	res := run(t, src, dst, "", s3sync.Options{Selection: s3sync.Selection{
		Prefixes: []string{"logs/", "img/", "top"}, Include: []string{"*.log", "*.jpg"}, Exclude: []string{"logs/tmp/**"}, MaxSize: 1000}})
	require.Equal(t, int64(3), res.Copied)
	var keys []string
	for _, o := range b.List(t, db, "") {
		keys = append(keys, o.Key)
	}
	sort.Strings(keys)
	require.Equal(t, []string{"img/x.jpg", "logs/a.log", "top.log"}, keys)
}

// Through a proxy that resets connections, answers 503 SlowDown and cuts bodies short
// for a share of requests, the sync still completes with an exact copy.
func TestSyncThroughFaults(t *testing.T) {
	a, b, sb, db := s3test.SrcDst(t)
	for i := 0; i < 150; i++ {
		a.Put(t, sb, fmt.Sprintf("f/%03d", i), s3test.RandBytes(1000+i*37), nil)
	}
	a.PutMultipart(t, sb, "f/big.bin", s3test.RandBytes(23<<20), 5<<20, nil)
	pa := s3test.NewFaultProxy(t, a.Endpoint)
	pb := s3test.NewFaultProxy(t, b.Endpoint)
	for _, p := range []*s3test.FaultProxy{pa, pb} {
		p.ResetShare, p.SlowDownShare, p.CutShare, p.StallShare, p.Stall = 0.08, 0.10, 0.05, 0.01, 6*time.Second
	}
	th := &s3sync.Throttle{}
	ca, cb := a.Config(pa.URL), b.Config(pb.URL)
	ca.OnThrottle, cb.OnThrottle = th.Signal, th.Signal
	// A stalled connection is killed after 2 s without a byte, and the request retried.
	ca.StallTimeout, cb.StallTimeout = 2*time.Second, 2*time.Second
	src, err := objstore.OpenS3(context.Background(), sb, "", ca)
	require.NoError(t, err)
	dst, err := objstore.OpenS3(context.Background(), db, "", cb)
	require.NoError(t, err)
	res := run(t, src, dst, "", s3sync.Options{Concurrency: 16, Throttle: th})
	require.Zero(t, res.Failed, "%+v", res.Failures)
	require.Equal(t, int64(151), res.Copied)
	s3test.Verify(t, a, sb, "", b, db, "", true)
	require.Empty(t, b.OpenUploads(t, db))
	require.Positive(t, pa.Resets.Load()+pb.Resets.Load())
	require.Positive(t, pa.Cuts.Load())
	require.Positive(t, th.Hits(), "503s reach the adaptive limiter")
	require.Positive(t, pa.Stalls.Load()+pb.Stalls.Load())
}

// Records and counters are exact, and the report lists failures with their errors.
func TestSyncRecordsFailures(t *testing.T) {
	a, _ := s3test.Gateways(t)
	sb := a.Bucket(t, "thub-src")
	a.Put(t, sb, "ok.txt", []byte("fine"), nil)
	a.Put(t, sb, "bad/../x", []byte("x"), nil) // versitygw folds this to "x"
	a.Put(t, sb, "dir-marker/", nil, nil)
	a.Put(t, sb, "dir-marker/child", []byte("c"), nil)
	dir := t.TempDir()
	local, err := objstore.OpenLocal(dir)
	require.NoError(t, err)
	statePath := filepath.Join(t.TempDir(), "state.db")
	res := run(t, a.Open(t, sb, "", ""), local, statePath, s3sync.Options{})
	require.Zero(t, res.Failed, "%+v", res.Failures)
	db := statetest.SQLite(t, statePath)
	task, err := db.GetTask(context.Background(), "task")
	require.NoError(t, err)
	require.Equal(t, state.TaskCompleted, task.Status)
	require.True(t, task.Complete())
	require.Equal(t, res.Found, task.Counters.DoneObjects)
	require.True(t, strings.HasSuffix(task.Name, dir))
}

// Every job delivered twice (and one twice at once): the destination and the counters
// are exactly as with one delivery.
func TestWorkerDuplicateJobs(t *testing.T) {
	a, b, sb, db := s3test.SrcDst(t)
	var objs []s3sync.JobObject
	for i := 0; i < 40; i++ {
		k := fmt.Sprintf("d/%02d", i)
		body := s3test.RandBytes(100 + i)
		a.Put(t, sb, k, body, nil)
		objs = append(objs, s3sync.JobObject{Key: k, Size: int64(len(body))})
	}
	etag := a.PutMultipart(t, sb, "d/big", s3test.RandBytes(11<<20), 5<<20, nil)
	src, dst := a.Open(t, sb, "", ""), b.Open(t, db, "", "")
	for i, l := range a.List(t, sb, "") {
		if i < len(objs) {
			objs[i].ETag = l.ETag
		}
	}
	ctx := context.Background()
	st, task := s3sync.StartedTask(t, ctx, "dup")
	q := st.Queue("jobs", sqlite.QueueOptions{})
	big := s3sync.JobObject{Key: "d/big", Size: 11 << 20, ETag: etag}
	for _, j := range []s3sync.Job{{Run: task.RunID, Objects: objs[:20]}, {Run: task.RunID, Objects: objs[20:]}, {Run: task.RunID, Objects: []s3sync.JobObject{big}}} {
		body, err := s3sync.EncodeJob(j)
		require.NoError(t, err)
		require.NoError(t, q.Send(ctx, body, body))
	}
	w := &s3sync.Worker{Src: src, Dst: dst, Store: st, Queue: q, TaskID: "dup", RunID: task.RunID,
		Opt: s3sync.Options{Concurrency: 8, ReceiveWait: 20 * time.Millisecond, JobVisibility: 10 * time.Second}}
	require.NoError(t, w.Serve(ctx, func(ctx context.Context) (bool, error) {
		v, f, err := q.Depth(ctx)
		return v == 0 && f == 0, err
	}))
	task, err := st.GetTask(ctx, "dup")
	require.NoError(t, err)
	require.Equal(t, int64(41), task.Counters.DoneObjects, "each object counted once")
	require.Zero(t, task.Counters.FailedObjects)
	s3test.Verify(t, a, sb, "", b, db, "", true)
	require.Empty(t, b.OpenUploads(t, db))
}

// Under SSE-KMS (either side) Amazon S3's ETags are not MD5s of the content. Copies must
// not fail their integrity checks for it, and re-runs must still copy nothing: with the
// task's records, and with a fresh state file through the source ETag kept in metadata.
// s3test.KMSProxy makes a gateway answer as S3 does for such objects.
func TestSyncSSEKMSOpaqueETags(t *testing.T) {
	a, b := s3test.Gateways(t)
	sb := a.Bucket(t, "thub-kms-src")
	a.Put(t, sb, "small.txt", []byte("small"), &s3.PutObjectInput{ContentType: aws.String("text/plain"), Metadata: map[string]string{"a": "b"}})
	a.PutMultipart(t, sb, "layout.bin", s3test.RandBytes(11<<20), 5<<20, nil) // layout reproduced
	a.Put(t, sb, "split.bin", s3test.RandBytes(17<<20), nil)                  // split by us (> 16 MiB)
	kmsA, kmsB := s3test.NewKMSProxy(t, a), s3test.NewKMSProxy(t, b)
	cases := []struct {
		name       string
		kms        *s3test.KMSProxy
		src        *objstore.S3
		dstG       *s3test.Gateway
		dst        func(bucket string) *objstore.S3
		serverSide bool
	}{
		{"kms source", kmsA, a.Open(t, sb, "", kmsA.URL), b, func(db string) *objstore.S3 { return b.Open(t, db, "", "") }, false},
		{"kms destination", kmsB, a.Open(t, sb, "", ""), b, func(db string) *objstore.S3 { return b.Open(t, db, "", kmsB.URL) }, false},
		{"kms both, server-side", kmsA, a.Open(t, sb, "", kmsA.URL), a, func(db string) *objstore.S3 { return a.Open(t, db, "", kmsA.URL) }, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := c.dstG.Bucket(t, "thub-kms-dst")
			statePath := filepath.Join(t.TempDir(), "state.db")
			before := c.kms.Rewritten.Load()
			res := run(t, c.src, c.dst(db), statePath, s3sync.Options{})
			require.Empty(t, res.Failures)
			require.Equal(t, int64(3), res.Copied)
			require.Equal(t, c.serverSide, res.ServerSide)
			require.Greater(t, c.kms.Rewritten.Load(), before, "the proxy rewrote no ETag")
			s3test.VerifyData(t, a, sb, "", c.dstG, db, "")
			require.Equal(t, "b", c.dstG.Head(t, db, "small.txt").Metadata["a"])

			res = run(t, c.src, c.dst(db), statePath, s3sync.Options{})
			require.Empty(t, res.Failures)
			require.Zero(t, res.Copied, "re-run with the task's records")
			res = run(t, c.src, c.dst(db), "", s3sync.Options{})
			require.Empty(t, res.Failures)
			require.Zero(t, res.Copied, "re-run with a fresh state file")
			require.Equal(t, int64(3), res.Skipped)
		})
	}
}

// openCRC opens bucket on g (through endpoint, "" = directly) with full-object checksums on.
func openCRC(t *testing.T, g *s3test.Gateway, bucket, endpoint string) *objstore.S3 {
	t.Helper()
	cfg := g.Config(endpoint)
	cfg.Checksums = "on"
	loc, err := objstore.OpenS3(context.Background(), bucket, "", cfg)
	require.NoError(t, err)
	return loc
}

// Full-object CRC-64/NVME checksums, as Amazon S3 keeps for new objects: copies are
// verified against the source's and arrive with the same checksum (which the store
// verified on write: in one PUT, and combined from parts copied apart). Where ETags say
// nothing (SSE-KMS), the checksum is what catches data corrupted on the way: no copy is
// written, and no upload is left open.
func TestSyncFullObjectChecksums(t *testing.T) {
	a, b := s3test.Gateways(t)
	sb := a.Bucket(t, "thub-crc-src")
	a.PutCRC(t, sb, "small.txt", []byte("small"), 0)
	a.PutCRC(t, sb, "split.bin", s3test.RandBytes(17<<20+3), 0)         // one PUT at the source, parts here
	a.PutCRC(t, sb, "multipart.bin", s3test.RandBytes(12<<20+5), 5<<20) // a FULL_OBJECT multipart upload
	keys := []string{"small.txt", "split.bin", "multipart.bin"}
	for _, k := range keys {
		require.NotEmpty(t, a.CRC(t, sb, k), "the gateway keeps no CRC-64/NVME for %s", k)
	}

	t.Run("copies carry the source's checksum", func(t *testing.T) {
		db := b.Bucket(t, "thub-crc-dst")
		// Every write (PUT, part, completion) states its CRC-64/NVME for the store to check.
		var writes, withCRC atomic.Int64
		p := s3test.NewFaultProxy(t, b.Endpoint)
		p.Intercept = func(_ http.ResponseWriter, r *http.Request) bool {
			if r.Method == http.MethodPut || r.Method == http.MethodPost && r.URL.Query().Has("uploadId") {
				writes.Add(1)
				if r.Header.Get("X-Amz-Checksum-Crc64nvme") != "" {
					withCRC.Add(1)
				}
			}
			return false
		}
		statePath := filepath.Join(t.TempDir(), "state.db")
		res := run(t, openCRC(t, a, sb, ""), openCRC(t, b, db, p.URL), statePath, s3sync.Options{})
		require.Empty(t, res.Failures)
		require.Equal(t, int64(3), res.Copied)
		s3test.VerifyData(t, a, sb, "", b, db, "")
		st := statetest.SQLite(t, statePath)
		for _, k := range keys {
			require.Equal(t, a.CRC(t, sb, k), b.CRC(t, db, k), k)
			rec, err := st.GetObject(context.Background(), "task", k)
			require.NoError(t, err)
			require.Equal(t, "CRC64NVME:"+a.CRC(t, sb, k), rec.Checksum, "the record keeps the verified checksum of %s", k)
		}
		require.Positive(t, writes.Load())
		require.Equal(t, writes.Load(), withCRC.Load(), "writes that stated their checksum")
	})

	t.Run("corruption under opaque ETags is caught", func(t *testing.T) {
		db := b.Bucket(t, "thub-crc-bad")
		kms := s3test.NewKMSProxy(t, a)
		kms.Corrupt.Store(true)
		res := run(t, openCRC(t, a, sb, kms.URL), openCRC(t, b, db, ""), "", s3sync.Options{})
		require.Equal(t, int64(3), res.Failed)
		for _, f := range res.Failures {
			require.Contains(t, f.Error, "does not match the source's", f.Key)
		}
		require.Empty(t, b.List(t, db, ""), "no corrupted copy written")
		require.Empty(t, b.OpenUploads(t, db))
	})
}
