package spec

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/invalid"
)

func validS3() Task {
	return Task{S3: &S3{
		Source:      Side{Kind: KindS3, Bucket: "src-bucket", Prefix: "in/"},
		Destination: Side{Kind: KindS3, Bucket: "dst-bucket", Endpoint: "http://127.0.0.1:9000", Provider: "minio"},
	}}
}

func validImage() Task {
	return Task{Image: &Image{
		Source:       ImageSource{Kind: KindRegistry, References: []string{"reg.example.com/team/app:v1"}},
		Destination:  ImageDestination{Kind: KindRegistry, Registry: "mirror.example.com:5000", Prefix: "copies"},
		ImageOptions: ImageOptions{Referrers: true},
	}}
}

// problems validates and returns field -> messages.
func problems(t *testing.T, task Task, run Run) map[string]string {
	t.Helper()
	err := task.Validate(run)
	out := map[string]string{}
	if err == nil {
		return out
	}
	var e *invalid.Error
	require.True(t, errors.As(err, &e), "want an *invalid.Error, got %v", err)
	require.ErrorIs(t, err, invalid.ErrInvalid)
	for _, f := range e.Fields {
		out[f.Field] += f.Message + " | "
	}
	return out
}

// editCase is one change to a valid task's S3 or Image part and the problem it must
// raise: want in the message of field.
type editCase[T any] struct {
	name  string
	edit  func(*T)
	field string
	want  string
}

// checkEdits applies each case to a fresh valid() task's part and checks its problem.
func checkEdits[T any](t *testing.T, valid func() Task, part func(Task) *T, cases []editCase[T]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			task := valid()
			tc.edit(part(task))
			got := problems(t, task, LocalRun)
			require.Contains(t, got, tc.field, "all: %v", got)
			assert.Contains(t, got[tc.field], tc.want)
		})
	}
}

func TestValidSpecsPass(t *testing.T) {
	assert.Empty(t, problems(t, validS3(), LocalRun))
	assert.Empty(t, problems(t, validS3(), CloudRun))
	assert.Empty(t, problems(t, validImage(), LocalRun))
	local := Task{S3: &S3{Source: Side{Kind: KindLocal, Path: "/data/in"}, Destination: Side{Kind: KindLocal, Path: "/data/out"}}}
	assert.Empty(t, problems(t, local, LocalRun))
}

// Each input a user can get wrong has its field and a message that says what to fix;
// the cases marked "issue 12" were accepted silently before.
func TestValidateS3(t *testing.T) {
	cases := []editCase[S3]{
		// issue 12 item 10
		{"sse value", func(s *S3) { s.SSE = "AES" }, "s3.sse", "AES256 or aws:kms"},
		{"acl value", func(s *S3) { s.ACL = "everyone" }, "s3.acl", "not a canned ACL"},
		{"storage class value", func(s *S3) { s.StorageClass = "COLD" }, "s3.storageClass", "not a storage class"},
		{"kms key without aws:kms", func(s *S3) { s.SSE, s.SSEKMSKeyID = "AES256", "alias/k" }, "s3.sseKmsKeyId", "only with aws:kms"},
		{"malformed tags", func(s *S3) { s.Tags = "a&b" }, "s3.tags", "every tag is key=value"},
		{"tags escape", func(s *S3) { s.Tags = "a=%zz" }, "s3.tags", "not a tag set"},
		{"tags empty key", func(s *S3) { s.Tags = "=v" }, "s3.tags", "every tag is key=value"},
		{"too many tags", func(s *S3) {
			s.Tags = "a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&j=10&k=11"
		}, "s3.tags", "at most 10"},
		{"server-side always, two credential sets", func(s *S3) {
			s.ServerSide = "always"
			s.Source.AWSProfile, s.Destination.AWSProfile = "a", "b"
		}, "s3.serverSide", "different credentials"},
		{"server-side always, local side", func(s *S3) {
			s.ServerSide = "always"
			s.Destination = Side{Kind: KindLocal, Path: "/d"}
		}, "s3.serverSide", "buckets on both sides"},
		{"anonymous plus keys", func(s *S3) {
			s.Source.Anonymous = true
			s.Source.Keys = Keys{AccessKeyID: "AK", SecretAccessKey: "SK"}
		}, "s3.source.anonymous", "takes no keys"},
		{"negative list workers", func(s *S3) { s.ListWorkers = -1 }, "s3.listWorkers", "at least 1"},
		{"negative stall timeout", func(s *S3) { s.StallTimeout = -1 }, "s3.stallTimeout", "positive duration"},
		{"zero multipart threshold", func(s *S3) { s.MultipartThreshold = "0" }, "s3.multipartThreshold", "more than 0"},
		{"negative size", func(s *S3) { s.MaxSize = "-5MiB" }, "s3.maxSize", "not a size"},
		{"htp:/host", func(s *S3) { s.Destination.Endpoint = "htp:/host" }, "s3.destination.endpoint", "two slashes"},
		{"http:/host", func(s *S3) { s.Destination.Endpoint = "http:/127.0.0.1:9000" }, "s3.destination.endpoint", "two slashes"},
		{"ftp endpoint", func(s *S3) { s.Destination.Endpoint = "ftp://h" }, "s3.destination.endpoint", "malformed endpoint"},
		// issue 12 item 4
		{"mistyped URL as a local path", func(s *S3) { s.Source = Side{Kind: KindLocal, Path: "s3:/bucket"} }, "s3.source.path", "mistyped scheme"},
		// issue 12 item 11
		{"prefix leaves a local source", func(s *S3) {
			s.Source = Side{Kind: KindLocal, Path: "/data"}
			s.Prefixes = []string{"ok/", "../x"}
		}, "s3.prefixes", `line 2 ("../x") leaves the source folder`},
		{"prefix leaves a local source (inner)", func(s *S3) {
			s.Source = Side{Kind: KindLocal, Path: "/data"}
			s.Prefixes = []string{"a/../../x"}
		}, "s3.prefixes", "leaves the source folder"},
		// the rest
		{"compare", func(s *S3) { s.Compare = "mtime" }, "s3.compare", "size+etag, size, checksum, none"},
		{"server side", func(s *S3) { s.ServerSide = "sometimes" }, "s3.serverSide", "auto, never or always"},
		{"part size", func(s *S3) { s.PartSize = "1MiB" }, "s3.partSize", "5 MiB to 5 GiB"},
		{"memory below a part", func(s *S3) { s.PartSize, s.MaxMemory = "64MiB", "32MiB" }, "s3.maxMemory", "below one part"},
		{"concurrency", func(s *S3) { s.Concurrency = 5000 }, "s3.concurrency", "from 1 to 4096"},
		{"events", func(s *S3) { s.Events = "all" }, "s3.events", "none, create or create-and-delete"},
		{"events from a folder", func(s *S3) {
			s.Source = Side{Kind: KindLocal, Path: "/data"}
			s.Events = "create"
		}, "s3.events", "come from a bucket"},
		{"provider", func(s *S3) { s.Source.Provider = "azure" }, "s3.source.provider", "not a provider"},
		{"provider needs endpoint", func(s *S3) { s.Destination.Endpoint = "" }, "s3.destination.endpoint", "needs the endpoint URL"},
		{"addressing", func(s *S3) { s.Source.Addressing = "dns" }, "s3.source.addressing", "path or virtual"},
		{"checksums", func(s *S3) { s.Source.Checksums = "yes" }, "s3.source.checksums", "on, off or auto"},
		{"key without secret", func(s *S3) { s.Source.Keys = Keys{AccessKeyID: "AK"} }, "s3.source.keys", "no secret access key"},
		{"secret plus keys", func(s *S3) {
			s.Source.SecretARN = "arn:aws:secretsmanager:us-east-1:1:secret:x"
			s.Source.Keys = Keys{AccessKeyID: "AK", SecretAccessKey: "SK"}
		}, "s3.source.secretArn", "not both"},
		{"profile plus keys", func(s *S3) {
			s.Source.AWSProfile = "p"
			s.Source.Keys = Keys{AccessKeyID: "AK", SecretAccessKey: "SK"}
		}, "s3.source.awsProfile", "only one"},
		{"external id without role", func(s *S3) { s.Source.ExternalID = "x" }, "s3.source.externalId", "role ARN"},
		{"bucket flag on a folder", func(s *S3) { s.Source = Side{Kind: KindLocal, Path: "/d", Region: "eu-west-1"} }, "s3.source.region", "applies to buckets"},
		{"write options on a folder", func(s *S3) {
			s.Destination = Side{Kind: KindLocal, Path: "/out"}
			s.Tags = "a=b"
		}, "s3.storageClass", "not to a local folder"},
		{"overlap", func(s *S3) { s.Destination = Side{Kind: KindS3, Bucket: "src-bucket", Prefix: "in/sub/"} }, "s3.destination.prefix", "overlaps the source"},
		{"local overlap", func(s *S3) {
			s.Source, s.Destination = Side{Kind: KindLocal, Path: "/data"}, Side{Kind: KindLocal, Path: "/data/out"}
		}, "s3.destination.path", "overlaps the source folder"},
		{"bucket name", func(s *S3) { s.Source.Bucket = "My_Bucket" }, "s3.source.bucket", "lowercase"},
		{"no destination", func(s *S3) { s.Destination = Side{} }, "s3.destination.kind", "bucket or a folder"},
	}
	checkEdits(t, validS3, func(task Task) *S3 { return task.S3 }, cases)
}

func TestCloudRunNeedsBuckets(t *testing.T) {
	task := validS3()
	task.S3.Source = Side{Kind: KindLocal, Path: "/data"}
	assert.Contains(t, problems(t, task, CloudRun)["s3.source.kind"], "a cloud run reads and writes buckets")
	assert.NotContains(t, problems(t, task, LocalRun), "s3.source.kind")
}

// A Windows drive letter is no scheme; a prefix of dots inside a name stays allowed.
func TestNotMistakes(t *testing.T) {
	task := validS3()
	task.S3.Source = Side{Kind: KindLocal, Path: `C:/data`}
	task.S3.Destination = Side{Kind: KindLocal, Path: `D:/copy`}
	task.S3.Prefixes = []string{"a..b/", "..hidden/"}
	assert.Empty(t, problems(t, task, LocalRun))
	task = validS3()
	task.S3.Prefixes = []string{"../x"} // a key prefix on a bucket may hold ".."
	task.S3.Destination.Endpoint = "127.0.0.1:9000"
	assert.Empty(t, problems(t, task, LocalRun))
}

func TestValidateImage(t *testing.T) {
	cases := []editCase[Image]{
		{"zero... negative concurrency", func(im *Image) { im.Concurrency = -1 }, "image.concurrency", "out of range"},
		{"negative attempts", func(im *Image) { im.Attempts = -1 }, "image.attempts", "at least 1"},
		{"negative rate", func(im *Image) { im.ReqPerSec = -0.5 }, "image.reqPerSec", "negative rate"},
		{"negative host concurrency", func(im *Image) { im.HostConcurrency = -2 }, "image.hostConcurrency", "at least 1"},
		{"no references", func(im *Image) { im.Source.References = nil }, "image.source.references", "at least one image reference"},
		{"bad reference", func(im *Image) { im.Source.References = []string{"Team/App:v1"} }, "image.source.references", "invalid source reference"},
		{"reference with host under a registry", func(im *Image) {
			im.Source.Registry = "reg.example.com"
			im.Source.References = []string{"other.io/team/app:v1"}
		}, "image.source.references", "repository path only"},
		{"ecr without region", func(im *Image) { im.Source = ImageSource{Kind: KindECR} }, "image.source.region", "ECR region"},
		{"ecr account", func(im *Image) { im.Source = ImageSource{Kind: KindECR, Region: "eu-west-1", Account: "12"} }, "image.source.account", "12 digits"},
		{"repo regex", func(im *Image) { im.Source = ImageSource{Kind: KindECR, Region: "eu-west-1", RepoRegex: "(x"} }, "image.source.repoRegex", "not a regular expression"},
		{"repo filter off ECR", func(im *Image) { im.Source.RepoPrefix = "team/" }, "image.source.repoPrefix", "whole Amazon ECR"},
		{"no destination registry", func(im *Image) { im.Destination = ImageDestination{Kind: KindRegistry} }, "image.destination.registry", "enter its host"},
		{"bad destination prefix", func(im *Image) { im.Destination.Prefix = "Upper" }, "image.destination.prefix", "invalid destination"},
		{"ecr settings on registry", func(im *Image) { im.Destination.ScanOnPush = true }, "image.destination.kmsKey", "Amazon ECR destinations only"},
		{"semver", func(im *Image) { im.Semver = ">>1" }, "image.semver", "not a version range"},
		{"tag regex", func(im *Image) { im.TagInclude = []string{"v[0-9"} }, "image.tagInclude", "not a regular expression"},
		{"platform shape", func(im *Image) { im.Platforms = []string{"linux/"} }, "image.platforms", "invalid platform"},
		{"platform arch", func(im *Image) { im.Platforms = []string{"linux/amd46"} }, "image.platforms", `unknown architecture "amd46"`},
		{"platform twice", func(im *Image) { im.Platforms = []string{"linux/arm64", "linux/arm64"} }, "image.platforms", "listed twice"},
		{"latest", func(im *Image) { im.Latest = -1 }, "image.latest", "out of range"},
	}
	checkEdits(t, validImage, func(task Task) *Image { return task.Image }, cases)
}

func TestValidateSchedule(t *testing.T) {
	cases := []struct {
		s     Schedule
		field string
		want  string
	}{
		{Schedule{Kind: ScheduleInterval, Every: "30s"}, "schedule.every", "at least 1m0s apart"},
		{Schedule{Kind: ScheduleInterval, Every: "daily"}, "schedule.every", "not a duration"},
		{Schedule{Kind: ScheduleCron, Cron: "61 * * * *"}, "schedule.cron", "not a cron expression"},
		{Schedule{Kind: ScheduleCron, Cron: "CRON_TZ=UTC 0 2 * * *"}, "schedule.cron", "own field"},
		{Schedule{Kind: ScheduleCron, Cron: "0 2 * * *", TimeZone: "Mars/Olympus"}, "schedule.timeZone", "IANA name"},
		{Schedule{Kind: ScheduleOnce}, "schedule.at", "when the task runs"},
		{Schedule{Kind: ScheduleOnce, At: "tomorrow"}, "schedule.at", "not a time"},
		{Schedule{Kind: "weekly"}, "schedule.kind", "none, interval or cron"},
	}
	for _, tc := range cases {
		task := validImage()
		task.Schedule = tc.s
		got := problems(t, task, CloudRun)
		assert.Contains(t, got[tc.field], tc.want, "%+v: %v", tc.s, got)
	}
	for _, ok := range []Schedule{{}, {Kind: ScheduleInterval, Every: "1h"}, {Kind: ScheduleCron, Cron: "0 2 * * *", TimeZone: "Europe/Berlin"},
		{Kind: ScheduleOnce, At: "2026-05-01T02:00", TimeZone: "Asia/Shanghai"}, {Kind: ScheduleOnce, At: "2026-05-01T02:00:00Z"}} {
		task := validImage()
		task.Schedule = ok
		assert.Empty(t, problems(t, task, CloudRun), "%+v", ok)
	}
}

func TestTypeIsRequired(t *testing.T) {
	assert.Contains(t, problems(t, Task{}, LocalRun)["type"], "S3 objects or container images")
	both := validS3()
	both.Image = validImage().Image
	assert.Contains(t, problems(t, both, LocalRun)["type"], "not both")
}

func TestMessagesNameNoSecret(t *testing.T) {
	task := validS3()
	task.S3.Source.Anonymous = true
	task.S3.Source.Keys = Keys{AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "top-secret-value"}
	err := task.Validate(LocalRun)
	require.Error(t, err)
	assert.False(t, strings.Contains(err.Error(), "top-secret-value"))
}
