package spec

import (
	"context"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/objstore"
	"transferhub/cloud/state"
)

func noEnv(string) (string, bool) { return "", false }

// The flags of thub s3 sync fill the spec; keys come from the flags or the environment.
func TestS3SyncFlagsFillTheSpec(t *testing.T) {
	a := NewAgent(state.TaskS3)
	fs := pflag.NewFlagSet("sync", pflag.ContinueOnError)
	f := BindS3Sync(fs, &a)
	require.NoError(t, fs.Parse([]string{"--src-endpoint", "http://127.0.0.1:9000", "--src-provider", "minio", "--dst-profile", "prod",
		"--compare", "size", "--include", "*.jpg", "--prefix", "a/", "--prefix", "b/", "--stall-timeout", "90s", "--sse", "aws:kms",
		"--sse-kms-key-id", "alias/k", "--dst-requester-pays"}))
	env := lookupOf([]string{"THUB_SRC_ACCESS_KEY_ID=AK", "THUB_SRC_SECRET_ACCESS_KEY=SK", "THUB_DST_ACCESS_KEY_ID=ignored"})
	require.NoError(t, f.Args("s3://src-bucket/in", "s3://dst-bucket", env))
	s := a.Task.S3
	assert.Equal(t, Side{Kind: KindS3, Bucket: "src-bucket", Prefix: "in", Endpoint: "http://127.0.0.1:9000", Provider: "minio",
		Checksums: "auto", Access: Access{Keys: Keys{AccessKeyID: "AK", SecretAccessKey: "SK"}}}, s.Source)
	assert.Equal(t, Side{Kind: KindS3, Bucket: "dst-bucket", RequesterPays: true, Checksums: "auto", Access: Access{AWSProfile: "prod"}},
		s.Destination, "a side with a profile takes no keys from the environment")
	assert.Equal(t, S3Options{Compare: "size", Include: []string{"*.jpg"}, Prefixes: []string{"a/", "b/"}, ListWorkers: 16,
		Concurrency: 64, PartSize: "8MiB", MultipartThreshold: "16MiB", MaxMemory: "256MiB", ServerSide: "auto",
		StallTimeout: Duration(90 * time.Second), SSE: "aws:kms", SSEKMSKeyID: "alias/k"}, s.S3Options)
	require.NoError(t, f.Validate())
}

// Problems are named by the flag (or argument) that sets the field.
func TestS3FlagNames(t *testing.T) {
	a := NewAgent(state.TaskS3)
	fs := pflag.NewFlagSet("sync", pflag.ContinueOnError)
	f := BindS3Sync(fs, &a)
	require.NoError(t, fs.Parse([]string{"--src-region", "Not A Region", "--sse", "x", "--list-workers", "0", "--concurrency", "-1",
		"--prefix", "../up"}))
	assert.ErrorContains(t, f.Args("/data/in", "s3://Bad", noEnv), `DST: location "s3://Bad": invalid bucket name`)
	require.NoError(t, f.Args("/data/in", "s3://dst-bucket", noEnv))
	err := f.Validate()
	require.Error(t, err)
	for _, want := range []string{"--src-region: applies to buckets", `--sse: "x" is not an encryption mode`,
		"--list-workers: 0 is out of range; use at least 1", "--concurrency: -1 is out of range", "--prefix: line 1 (\"../up\") leaves the source folder"} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestS3CloudFlagsAndEnvironment(t *testing.T) {
	a := NewAgent(state.TaskS3)
	fs := pflag.NewFlagSet("work", pflag.ContinueOnError)
	fs.String("log-level", "info", "")
	f := BindS3Cloud(fs, &a, true)
	require.NoError(t, fs.Parse([]string{"--src-region", "eu-west-1", "--events", "create"}))
	env := lookupOf([]string{"THUB_SRC=s3://src-bucket/in", "THUB_DST=s3://dst-bucket", "THUB_SRC_REGION=us-east-1",
		"THUB_TASK_ID=t1", "THUB_SCHEDULE=CRON_TZ=Asia/Shanghai 0 2 * * *", "THUB_DST_SECRET_ARN=arn:x", "THUB_SRC_ACCESS_KEY_ID=AK",
		"THUB_SRC_SECRET_ACCESS_KEY=SK", "THUB_PREFIX_LIST=/ignored/by/workers", "THUB_LOG_LEVEL=debug", "THUB_GIANT_THRESHOLD=2GiB",
		"THUB_JSON=true"})
	require.NoError(t, f.Env(fs, env))
	s := a.Task.S3
	assert.Equal(t, "eu-west-1", s.Source.Region, "a flag given on the command line wins")
	assert.Equal(t, "src-bucket", s.Source.Bucket)
	assert.Equal(t, Keys{AccessKeyID: "AK", SecretAccessKey: "SK"}, s.Source.Keys)
	assert.Equal(t, "arn:x", s.Destination.SecretARN)
	assert.Equal(t, "t1", a.TaskID)
	assert.Equal(t, "debug", a.LogLevel)
	assert.Equal(t, "2GiB", a.Fleet.GiantThreshold)
	assert.Equal(t, "", s.PrefixList, "the worker has no --prefix-list")
	assert.Equal(t, Schedule{Kind: ScheduleCron, Cron: "0 2 * * *", TimeZone: "Asia/Shanghai"}, a.Task.Schedule)
	assert.Equal(t, "create", s.Events)
	require.NoError(t, f.Validate())

	fs = pflag.NewFlagSet("find", pflag.ContinueOnError)
	a = NewAgent(state.TaskS3)
	f = BindS3Cloud(fs, &a, false)
	require.NoError(t, fs.Parse([]string{"--src", "s3://src-bucket", "--dst", "/local/dir", "--batch-objects", "0"}))
	require.NoError(t, f.Env(fs, lookupOf([]string{"THUB_SRC_PROFILE=p"})))
	assert.Equal(t, "p", a.Task.S3.Source.AWSProfile, "an env-only variable")
	err := f.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--dst (THUB_DST): a cloud run reads and writes buckets")
	assert.Contains(t, err.Error(), "--batch-objects: 0 is out of range")
}

func TestImageSyncFlags(t *testing.T) {
	parse := func(args ...string) (*ImageFlags, *Agent, *pflag.FlagSet) {
		a := NewAgent(state.TaskImage)
		fs := pflag.NewFlagSet("sync", pflag.ContinueOnError)
		f := BindImageSync(fs, &a)
		require.NoError(t, fs.Parse(args))
		return f, &a, fs
	}
	f, a, fs := parse("--src-ecr", "eu-west-1", "--dst-ecr", "us-east-1", "--dst-prefix", "/mirror/", "--src-creds", "me",
		"--platform", "linux/amd64,linux/arm64", "--concurrency", "0")
	require.NoError(t, f.Args(fs.Args(), lookupOf([]string{"THUB_SRC_PASSWORD=pw"})))
	im := a.Task.Image
	assert.Equal(t, ImageSource{Kind: KindECR, Region: "eu-west-1", ImageAccess: ImageAccess{Login: Login{User: "me", Password: "pw"}}}, im.Source)
	assert.Equal(t, ImageDestination{Kind: KindECR, Region: "us-east-1", Prefix: "mirror"}, im.Destination)
	assert.Equal(t, []string{"linux/amd64", "linux/arm64"}, im.Platforms)
	assert.ErrorContains(t, f.Validate(true), "--concurrency: 0 is out of range")

	f, _, _ = parse()
	assert.ErrorContains(t, f.Args([]string{"reg.io/team/app:v1"}, noEnv), "missing destination")
	f, _, _ = parse("--dst-prefix", "x")
	assert.ErrorContains(t, f.Args([]string{"reg.io/app:v1", "reg.io/m"}, noEnv), "--dst-prefix goes with --dst-ecr")
	f, _, _ = parse("--src-creds", "me")
	assert.ErrorContains(t, f.Args([]string{"reg.io/app:v1", "reg.io/m"}, noEnv), "no password: write USER:PASSWORD or set THUB_SRC_PASSWORD")
	f, _, _ = parse()
	assert.ErrorContains(t, f.Args([]string{"reg.io/m"}, noEnv), "no source")
	f, a, _ = parse("--semver", ">>1")
	require.NoError(t, f.Args([]string{"reg.io/app:ALL_TAGS", "reg.io/m"}, noEnv))
	assert.ErrorContains(t, f.Validate(true), `--semver: ">>1" is not a version range`)
	assert.Equal(t, []string{"reg.io/app:ALL_TAGS"}, a.Task.Image.Source.References)
}

func TestImageCloudFlags(t *testing.T) {
	a := NewAgent(state.TaskImage)
	fs := pflag.NewFlagSet("list", pflag.ContinueOnError)
	f := BindImageCloud(fs, &a, true)
	require.NoError(t, fs.Parse(nil))
	require.NoError(t, f.Env(fs, lookupOf([]string{"THUB_IMAGE_SOURCES=reg.io/a:v1, reg.io/b:v2", "THUB_DST_ECR=us-east-1",
		"THUB_DST_PREFIX=mirror", "THUB_TASK_ID=t", "THUB_TABLE=tbl", "THUB_REQ_PER_SEC=2.5"})))
	im := a.Task.Image
	assert.Equal(t, []string{"reg.io/a:v1", "reg.io/b:v2"}, im.Source.References)
	assert.Equal(t, ImageDestination{Kind: KindECR, Region: "us-east-1", Prefix: "mirror"}, im.Destination)
	assert.Equal(t, 2.5, im.ReqPerSec)
	require.NoError(t, f.Validate(true))

	a = NewAgent(state.TaskImage)
	fs = pflag.NewFlagSet("list", pflag.ContinueOnError)
	f = BindImageCloud(fs, &a, true)
	require.NoError(t, fs.Parse([]string{"--image-dest", "reg.io/m", "--dst-ecr", "us-east-1"}))
	assert.ErrorContains(t, f.Env(fs, noEnv), "--image-dest and --dst-ecr exclude each other")
}

type fakeCreds struct{ got []Role }

func (f *fakeCreds) S3Config(_ context.Context, r Role, s Side) (objstore.S3Config, error) {
	f.got = append(f.got, r)
	return objstore.S3Config{Provider: "minio", Endpoint: "http://127.0.0.1:1", Region: "base-region", AccessKey: "base", SecretKey: "base"}, nil
}

// A side's own settings go over what the credential source gives.
func TestSideOverBase(t *testing.T) {
	c := objstore.S3Config{Provider: "minio", Endpoint: "http://a", Region: "r1", AccessKey: "base", SecretKey: "b"}
	Side{Region: "r2", RequesterPays: true, Access: Access{RoleARN: "arn:role"}}.apply(&c)
	assert.Equal(t, objstore.S3Config{Provider: "minio", Endpoint: "http://a", Region: "r2", AccessKey: "base", SecretKey: "b",
		RequesterPays: true, RoleARN: "arn:role"}, c)
	Side{Access: Access{Keys: Keys{AccessKeyID: "k", SecretAccessKey: "s"}}}.apply(&c)
	assert.Equal(t, "k", c.AccessKey)
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := S3{Source: Side{Kind: KindLocal, Path: dir}, Destination: Side{Kind: KindS3, Bucket: "dst-bucket", Prefix: "p"},
		S3Options: S3Options{StorageClass: "STANDARD_IA", Concurrency: 8}}
	creds := &fakeCreds{}
	src, dst, err := s.OpenBoth(ctx, Tuning{}, creds)
	require.NoError(t, err)
	assert.Equal(t, dir, src.URL())
	assert.Equal(t, "s3://dst-bucket/p/", dst.URL())
	assert.Equal(t, []Role{RoleDestination}, creds.got, "a folder needs no credentials")
	d, ok := dst.(*objstore.S3)
	require.True(t, ok)
	assert.Equal(t, "http://127.0.0.1:1", d.Endpoint())
	assert.Equal(t, "base-region", d.Region())

	s.Destination.SecretARN = "arn:aws:secretsmanager:us-east-1:1:secret:x"
	_, err = s.Open(ctx, RoleDestination, Tuning{}, nil)
	assert.ErrorContains(t, err, "destination: its keys are in the secret arn:aws:secretsmanager:us-east-1:1:secret:x")
}

func TestScheduleForms(t *testing.T) {
	for _, s := range []Schedule{{}, {TimeZone: "UTC"}, {Kind: ScheduleInterval, Every: "30m"}, {Kind: ScheduleCron, Cron: "0 2 * * *"},
		{Kind: ScheduleCron, Cron: "0 2 * * 1-5", TimeZone: "Europe/Berlin"}, {Kind: ScheduleOnce, At: "2026-05-01T02:00", TimeZone: "Asia/Shanghai"}} {
		assert.Equal(t, s, ParseSchedule(s.String()), "%q", s.String())
	}
	assert.Equal(t, Schedule{Kind: ScheduleCron, Cron: "0 2 * * *", TimeZone: "UTC"}, ParseSchedule(" TZ=UTC  0  2 * * * "))
	assert.Equal(t, "CRON_TZ=Europe/Berlin 0 2 * * *", Schedule{Kind: ScheduleCron, Cron: "0 2 * * *", TimeZone: "Europe/Berlin"}.CronSpec())
	assert.Equal(t, "@every 30m", Schedule{Kind: ScheduleInterval, Every: "30m"}.CronSpec())
	assert.Equal(t, "", Schedule{Kind: ScheduleOnce, At: "2026-05-01T02:00"}.CronSpec())
	assert.True(t, Schedule{}.OneTime())
	assert.True(t, Schedule{Kind: ScheduleOnce}.OneTime())
	assert.False(t, Schedule{Kind: ScheduleCron}.OneTime())

	at, err := Schedule{Kind: ScheduleOnce, At: "2026-05-01T02:00", TimeZone: "Asia/Shanghai"}.AtTime(false)
	require.NoError(t, err)
	assert.Equal(t, "2026-04-30T18:00:00Z", at.UTC().Format(time.RFC3339))
	at, err = Schedule{Kind: ScheduleOnce, At: "2026-05-01T02:00"}.AtTime(false)
	require.NoError(t, err)
	assert.Equal(t, "2026-05-01T02:00:00Z", at.UTC().Format(time.RFC3339), "a cloud schedule without a zone is UTC")
	loc, err := Schedule{}.Location(true)
	require.NoError(t, err)
	assert.Equal(t, time.Local, loc, "a local run uses the computer's time")
}
