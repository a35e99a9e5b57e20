package tasks

// Integration tests: real tasks through the real credentials manager (secrets in its
// in-memory keychain) against the local S3 gateways and registries of .testenv/env.

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/regclient/regclient"
	"github.com/regclient/regclient/config"
	"github.com/regclient/regclient/types/ref"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/backend/credentials"
	"transferhub/cloud/image/imagetest"
	"transferhub/cloud/spec"
	"transferhub/cloud/state"
	"transferhub/cloud/taskrun"
	"transferhub/cloud/testenv"
)

func credsManager(t *testing.T, opts ...credentials.Option) *credentials.Manager {
	t.Helper()
	return credentials.NewManager(filepath.Join(t.TempDir(), "profiles.json"), credentials.NewMemoryKeychain(), quietLogger(), opts...)
}

// gatewayProfile saves an S3-compatible profile for gateway A or B ("A"/"B").
func gatewayProfile(t *testing.T, cm *credentials.Manager, env *testenv.Env, gw, endpoint, secret string) credentials.Profile {
	t.Helper()
	p, err := cm.Save(context.Background(), credentials.Profile{
		Name: "gateway " + gw + " " + testenv.Name("p"), Kind: credentials.KindS3Compatible, Provider: "other",
		Endpoint: endpoint, Region: env.Get("TH_S3_" + gw + "_REGION"), PathStyle: true,
		AccessKeyID: env.Get("TH_S3_" + gw + "_ACCESS_KEY"),
	}, &credentials.Secret{SecretAccessKey: secret})
	require.NoError(t, err)
	return p
}

func s3Client(t *testing.T, env *testenv.Env, gw testenv.Service) *s3.Client {
	t.Helper()
	return s3.NewFromConfig(env.S3Config(t, gw), func(o *s3.Options) { o.UsePathStyle = true })
}

func makeBucket(t *testing.T, c *s3.Client) string {
	t.Helper()
	b := testenv.Name("th-tasks")
	_, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(b)})
	require.NoError(t, err)
	t.Cleanup(func() { emptyAndDelete(c, b) })
	return b
}

// bucketOnA makes a bucket on gateway A.
func bucketOnA(t *testing.T) (*testenv.Env, *s3.Client, string) {
	t.Helper()
	env := testenv.Load(t)
	env.Require(t, testenv.S3A)
	a := s3Client(t, env, testenv.S3A)
	return env, a, makeBucket(t, a)
}

func putObjects(t *testing.T, c *s3.Client, bucket string, n int, extra ...string) {
	t.Helper()
	keys := extra
	for i := 0; i < n; i++ {
		keys = append(keys, fmt.Sprintf("data/%03d.txt", i))
	}
	for _, k := range keys {
		_, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k),
			Body: bytes.NewReader([]byte("content of " + k))})
		require.NoError(t, err)
	}
}

func countObjects(t *testing.T, c *s3.Client, bucket string) int {
	t.Helper()
	n := 0
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		require.NoError(t, err)
		n += len(out.Contents)
	}
	return n
}

func TestS3TaskBetweenGatewaysFailsOneObjectThenRetriesIt(t *testing.T) {
	env := testenv.Load(t)
	env.Require(t, testenv.S3A, testenv.S3B)
	ctx := context.Background()
	a, b := s3Client(t, env, testenv.S3A), s3Client(t, env, testenv.S3B)
	srcBucket, dstBucket := makeBucket(t, a), makeBucket(t, b)
	putObjects(t, a, srcBucket, 20, "blocked/obj.txt")
	// A file where the destination gateway needs a folder: it rejects blocked/obj.txt
	// (ObjectParentIsFile), as a destination refusing one key would.
	blocker := filepath.Join(env.Get("TH_S3_B_DATA_DIR"), dstBucket, "blocked")
	require.NoError(t, os.WriteFile(blocker, []byte("in the way"), 0o644))

	// The credentials manager asks the task folder which tasks use a profile.
	folder := NewFolder(t.TempDir(), quietLogger())
	cm := credsManager(t, credentials.WithUsageChecker(folder))
	pa := gatewayProfile(t, cm, env, "A", env.Get("TH_S3_A_ENDPOINT"), env.Get("TH_S3_A_SECRET_KEY"))
	pb := gatewayProfile(t, cm, env, "B", env.Get("TH_S3_B_ENDPOINT"), env.Get("TH_S3_B_SECRET_KEY"))
	m := openManager(t, buildIn(folder, cm, nil))

	d := Definition{S3: &S3Spec{
		Source:      Location{ProfileID: pa.ID, Side: spec.Side{Kind: LocationS3, Bucket: srcBucket}},
		Destination: Location{ProfileID: pb.ID, Side: spec.Side{Kind: LocationS3, Bucket: dstBucket, Prefix: ""}},
		S3Options:   spec.S3Options{Concurrency: 4},
	}}
	plan, err := m.Plan(ctx, d)
	require.NoError(t, err)
	assert.Equal(t, int64(21), plan.Found)
	assert.Equal(t, int64(21), plan.ToCopy)
	assert.Zero(t, countObjects(t, b, dstBucket)-1, "the plan copied nothing (only the blocker is there)")

	v, err := m.Create(ctx, CreateRequest{Name: "gateways", Definition: d, Start: true})
	require.NoError(t, err)
	v = waitFor(t, m, v.ID, "FAILED", settled("FAILED"))
	assert.Equal(t, int64(21), v.Counters.FoundObjects)
	assert.Equal(t, int64(20), v.Counters.DoneObjects)
	assert.Equal(t, int64(1), v.Counters.FailedObjects)

	_, failed := failedObjects(t, m, v.ID)
	require.Len(t, failed.Items, 1)
	assert.Equal(t, "blocked/obj.txt", failed.Items[0].Key)
	assert.Contains(t, failed.Items[0].Error, "ObjectParentIsFile: Object parent already exists as a file. (HTTP 409, request id ")
	assert.NotContains(t, failed.Items[0].Error, "HostID", "what the service said, not the SDK's whole answer")

	// The profile is in use: the credentials manager refuses to delete it.
	err = cm.Delete(ctx, pa.ID)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "gateways")

	require.NoError(t, os.Remove(blocker))
	require.NoError(t, m.RetryFailed(ctx, v.ID))
	v = waitFor(t, m, v.ID, "COMPLETED", settled("COMPLETED"))
	assert.Equal(t, int64(21), v.Counters.DoneObjects)
	assert.Zero(t, v.Counters.FailedObjects)
	assert.Equal(t, 21, countObjects(t, b, dstBucket))
}

func TestWrongSecretFailsTheTaskWithAReadableError(t *testing.T) {
	env, _, bucket := bucketOnA(t)
	ctx := context.Background()
	cm := credsManager(t)
	bad := gatewayProfile(t, cm, env, "A", env.Get("TH_S3_A_ENDPOINT"), "not-the-secret")
	m := newManager(t, t.TempDir(), cm, nil)
	d := Definition{S3: &S3Spec{
		Source:      Location{ProfileID: bad.ID, Side: spec.Side{Kind: LocationS3, Bucket: bucket}},
		Destination: Location{Side: spec.Side{Kind: LocationLocal, Path: t.TempDir()}},
	}}
	_, err := m.Plan(ctx, d)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "wrong secret key")

	v, err := m.Create(ctx, CreateRequest{Name: "bad secret", Definition: d, Start: true})
	require.NoError(t, err)
	v = waitFor(t, m, v.ID, "FAILED", settled("FAILED"))
	assert.Equal(t, fmt.Sprintf("source: credentials rejected for s3://%s/ at %s: wrong secret key (SignatureDoesNotMatch)",
		bucket, env.Get("TH_S3_A_ENDPOINT")), v.LastError)
}

// slowProxy delays every object read, so a run lasts long enough to be stopped.
func slowProxy(t *testing.T, target string, delay time.Duration, gets *atomic.Int64) string {
	t.Helper()
	return delayProxy(t, target, delay, gets, func(r *http.Request) bool {
		return r.Method == http.MethodGet && strings.Count(strings.Trim(r.URL.Path, "/"), "/") >= 1
	})
}

// delayProxy serves target at a URL of its own, delaying (and counting) the requests
// that slow says.
func delayProxy(t *testing.T, target string, delay time.Duration, n *atomic.Int64, slow func(*http.Request) bool) string {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slow(r) {
			n.Add(1)
			time.Sleep(delay)
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// slowCopy is a task definition copying 30 objects of gateway A, one at a time and each
// read delayed, into dst: a run that lasts long enough to be interrupted. gets counts the
// reads; cm holds the source's profile.
type slowCopy struct {
	def  Definition
	dst  string
	cm   *credentials.Manager
	gets *atomic.Int64
}

func newSlowCopy(t *testing.T) slowCopy {
	t.Helper()
	env, a, bucket := bucketOnA(t)
	putObjects(t, a, bucket, 30)
	c := slowCopy{dst: t.TempDir(), cm: credsManager(t), gets: &atomic.Int64{}}
	endpoint := slowProxy(t, env.Get("TH_S3_A_ENDPOINT"), 150*time.Millisecond, c.gets)
	pa := gatewayProfile(t, c.cm, env, "A", endpoint, env.Get("TH_S3_A_SECRET_KEY"))
	c.def = Definition{S3: &S3Spec{
		Source:      Location{ProfileID: pa.ID, Side: spec.Side{Kind: LocationS3, Bucket: bucket}},
		Destination: Location{Side: spec.Side{Kind: LocationLocal, Path: c.dst}}, S3Options: spec.S3Options{Concurrency: 1},
	}}
	return c
}

// started creates the task in m, starts it and waits until it copies.
func (c slowCopy) started(t *testing.T, m *Manager, name string) View {
	t.Helper()
	v, err := m.Create(context.Background(), CreateRequest{Name: name, Start: true, Definition: c.def})
	require.NoError(t, err)
	waitFor(t, m, v.ID, "copying", func(View) bool { return c.gets.Load() >= 3 })
	return v
}

func TestStopThenResumeTheSameRun(t *testing.T) {
	ctx := context.Background()
	c := newSlowCopy(t)
	obs := newRecorder()
	m := newManager(t, t.TempDir(), c.cm, obs)
	dst := c.dst
	v := c.started(t, m, "slow")
	require.NoError(t, m.Stop(ctx, v.ID))
	v = waitFor(t, m, v.ID, "STOPPED", settled("STOPPED"))
	runID := v.RunID
	assert.True(t, v.CanResume)
	assert.Less(t, v.Counters.DoneObjects, int64(30))

	require.NoError(t, m.Resume(ctx, v.ID))
	v = waitFor(t, m, v.ID, "COMPLETED", settled("COMPLETED"))
	assert.Equal(t, runID, v.RunID, "resume continues the stopped run")
	assert.Equal(t, int64(30), v.Counters.DoneObjects)
	files, err := filepath.Glob(filepath.Join(dst, "data", "*.txt"))
	require.NoError(t, err)
	assert.Len(t, files, 30)
	assert.NotEmpty(t, obs.progressOf(v.ID), "progress was reported while the run lasted")
}

func TestARunThatLosesItsLeaseStopsAndSaysWhy(t *testing.T) {
	ctx := context.Background()
	c := newSlowCopy(t)
	// A short lease, renewed every 100 ms, so that its loss is noticed at once.
	local := NewLocalRunner(LocalOptions{Credentials: c.cm, Logger: quietLogger(), LeaseTTL: 300 * time.Millisecond})
	m := openManager(t, New(Options{Folder: NewFolder(t.TempDir(), quietLogger()), Runners: []Runner{local}, Credentials: c.cm, Logger: quietLogger()}))
	v := c.started(t, m, "taken over")

	// Another process takes the task over (as one would after the lease lapsed).
	st, err := m.Store(v.ID)
	require.NoError(t, err)
	held := &state.LeaseHeldError{}
	require.ErrorAs(t, st.Lease(ctx, v.ID, taskrun.RunLease, "thief", time.Minute), &held)
	require.NoError(t, st.ReleaseLease(ctx, v.ID, taskrun.RunLease, held.Holder))
	require.NoError(t, st.Lease(ctx, v.ID, taskrun.RunLease, "thief", time.Minute))

	v = waitFor(t, m, v.ID, "stopped", func(v View) bool { return !v.Active })
	assert.Equal(t, state.TaskRunning, v.Status, "the run is the other process's now: nothing is recorded in its name")
	assert.Less(t, v.Counters.DoneObjects, int64(30))
	logs, err := m.Log(v.ID)
	require.NoError(t, err)
	assert.Contains(t, logMessages(logs), "the run stops: lost the run lease of task "+v.ID+": the task is being run by thief")
}

// registries are the test registries: auth (TLS, with a login) and open (plain HTTP),
// and a client that reaches both.
type registries struct {
	env                *testenv.Env
	authHost, openHost string
	rc                 *regclient.RegClient
}

func newRegistries(t *testing.T) registries {
	t.Helper()
	env := testenv.Load(t)
	env.Require(t, testenv.RegAuth, testenv.RegOpen)
	r := registries{env: env, authHost: env.Get(string(testenv.RegAuth)), openHost: env.Get(string(testenv.RegOpen))}
	ca, err := os.ReadFile(env.Get("TH_REG_AUTH_CA"))
	require.NoError(t, err)
	r.rc = regclient.New(regclient.WithConfigHost(
		config.Host{Name: r.openHost, TLS: config.TLSDisabled},
		config.Host{Name: r.authHost, TLS: config.TLSEnabled, RegCert: string(ca), User: env.Get("TH_REG_AUTH_USER"), Pass: env.Get("TH_REG_AUTH_PASS")},
	))
	return r
}

// profiles saves the auth registry's profile (the source) and an anonymous plain-HTTP
// one for dstHost (the destination), named after repo.
func (r registries) profiles(t *testing.T, cm *credentials.Manager, repo, dstName, dstHost string) (src, dst credentials.Profile) {
	t.Helper()
	ctx := context.Background()
	src, err := cm.Save(ctx, credentials.Profile{Name: "auth registry " + repo, Kind: credentials.KindRegistry, Host: r.authHost,
		Username: r.env.Get("TH_REG_AUTH_USER"), CAFile: r.env.Get("TH_REG_AUTH_CA")}, &credentials.Secret{Password: r.env.Get("TH_REG_AUTH_PASS")})
	require.NoError(t, err)
	dst, err = cm.Save(ctx, credentials.Profile{Name: dstName + " " + repo, Kind: credentials.KindRegistry, Host: dstHost,
		Username: "anonymous", InsecureHTTP: true}, &credentials.Secret{Password: "unused"})
	require.NoError(t, err)
	return src, dst
}

func TestImageTaskBetweenRegistriesFailsAMissingTagThenRetriesIt(t *testing.T) {
	regs := newRegistries(t)
	ctx := context.Background()
	authHost, openHost, rc := regs.authHost, regs.openHost, regs.rc
	repo := testenv.Name("tasks") + "/app"
	_, err := imagetest.Push(ctx, rc, authHost+"/"+repo+":v1", imagetest.Spec{Layers: []int64{2048}, Seed: 1})
	require.NoError(t, err)

	cm := credsManager(t)
	src, dst := regs.profiles(t, cm, repo, "open registry", openHost)
	m := newManager(t, t.TempDir(), cm, nil)
	d := Definition{Image: &ImageSpec{
		Source:       ImageSource{ProfileID: src.ID, ImageSource: spec.ImageSource{Kind: RegistryKind, References: []string{repo + ":v1", repo + ":v2"}}},
		Destination:  ImageDestination{ProfileID: dst.ID, ImageDestination: spec.ImageDestination{Kind: RegistryKind, Prefix: "mirror"}},
		ImageOptions: spec.ImageOptions{Referrers: true},
	}}
	plan, err := m.Plan(ctx, d)
	require.NoError(t, err)
	assert.Equal(t, int64(2), plan.Found)
	assert.Equal(t, int64(1), plan.ToCopy)
	assert.Equal(t, int64(1), plan.Errors, "v2 does not exist yet")

	v, err := m.Create(ctx, CreateRequest{Name: "images", Definition: d, Start: true})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(v.ID, "img-"))
	v = waitFor(t, m, v.ID, "FAILED", settled("FAILED"))
	assert.Equal(t, int64(2), v.Counters.FoundObjects)
	assert.Equal(t, int64(1), v.Counters.DoneObjects)
	assert.Equal(t, int64(1), v.Counters.FailedObjects)
	assert.Equal(t, "1 of 2 images failed", v.LastError)
	assert.Equal(t, authHost+": "+repo+":v1, "+repo+":v2", v.Source)
	assert.Equal(t, openHost+"/mirror", v.Destination)

	st, err := m.Store(v.ID)
	require.NoError(t, err)
	failed, err := st.ListImages(ctx, v.ID, state.ListOptions{Status: state.ItemFailed})
	require.NoError(t, err)
	require.Len(t, failed.Items, 1)
	assert.Equal(t, authHost+"/"+repo+":v2", failed.Items[0].Source)
	assert.NotEmpty(t, failed.Items[0].Error)

	// Fix the cause (push the missing tag) and retry.
	_, err = imagetest.Push(ctx, rc, authHost+"/"+repo+":v2", imagetest.Spec{Layers: []int64{1024}, Seed: 2})
	require.NoError(t, err)
	require.NoError(t, m.RetryFailed(ctx, v.ID))
	v = waitFor(t, m, v.ID, "COMPLETED", settled("COMPLETED"))
	assert.Equal(t, int64(2), v.Counters.DoneObjects)
	assert.Zero(t, v.Counters.FailedObjects)
	for _, tag := range []string{"v1", "v2"} {
		r, err := ref.New(openHost + "/mirror/" + repo + ":" + tag)
		require.NoError(t, err)
		_, err = rc.ManifestHead(ctx, r)
		assert.NoError(t, err, "destination has %s", tag)
	}
	// A new run finds both up to date (HEAD requests only).
	require.NoError(t, m.Start(ctx, v.ID))
	v = waitFor(t, m, v.ID, "COMPLETED", func(v View) bool { return settled("COMPLETED")(v) && v.Counters.SkippedObjects == 2 })
	assert.Zero(t, v.Counters.DoneObjects)
}

func TestStoppedImageRunResumesWhereItStopped(t *testing.T) {
	regs := newRegistries(t)
	ctx := context.Background()
	repo := testenv.Name("stop") + "/app"
	var refs []string
	for i := 1; i <= 4; i++ {
		tag := fmt.Sprintf("v%d", i)
		_, err := imagetest.Push(ctx, regs.rc, regs.authHost+"/"+repo+":"+tag, imagetest.Spec{Layers: []int64{1024}, Seed: uint64(i)})
		require.NoError(t, err)
		refs = append(refs, repo+":"+tag)
	}
	// The destination answers slowly, so the run can be stopped halfway.
	var reqs atomic.Int64
	slowURL := delayProxy(t, "http://"+regs.openHost, 100*time.Millisecond, &reqs, func(*http.Request) bool { return true })

	cm := credsManager(t)
	src, dst := regs.profiles(t, cm, repo, "slow registry", strings.TrimPrefix(slowURL, "http://"))
	m := newManager(t, t.TempDir(), cm, nil)
	v, err := m.Create(ctx, CreateRequest{Name: "stopped images", Start: true, Definition: Definition{Image: &ImageSpec{
		Source:       ImageSource{ProfileID: src.ID, ImageSource: spec.ImageSource{Kind: RegistryKind, References: refs}},
		Destination:  ImageDestination{ProfileID: dst.ID, ImageDestination: spec.ImageDestination{Kind: RegistryKind, Prefix: "mirror"}},
		ImageOptions: spec.ImageOptions{Concurrency: 1},
	}}})
	require.NoError(t, err)
	waitFor(t, m, v.ID, "copying", func(View) bool { return reqs.Load() >= 8 })
	require.NoError(t, m.Stop(ctx, v.ID))
	v = waitFor(t, m, v.ID, "STOPPED", settled("STOPPED"))
	assert.True(t, v.CanResume)
	runID := v.RunID
	assert.Less(t, v.Counters.DoneObjects, int64(4))

	require.NoError(t, m.Resume(ctx, v.ID))
	v = waitFor(t, m, v.ID, "settled", func(v View) bool { return !v.Active && v.Status != state.TaskRunning })
	assert.Equal(t, runID, v.RunID, "resume continues the stopped run")
	assert.Equal(t, int64(4), v.Counters.FoundObjects, "the selection is counted once")
	assert.Equal(t, int64(4), v.Counters.DoneObjects+v.Counters.FailedObjects, "every image settled once")
	if v.Counters.FailedObjects > 0 {
		// The image in flight when the run stopped was recorded FAILED (the engine's
		// cancelled copy): retrying the run's failures completes it.
		require.NoError(t, m.RetryFailed(ctx, v.ID))
		v = waitFor(t, m, v.ID, "COMPLETED", settled("COMPLETED"))
	}
	assert.Equal(t, state.TaskCompleted, v.Status)
	assert.Equal(t, int64(4), v.Counters.DoneObjects)
}
