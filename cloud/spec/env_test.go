package spec

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/state"
)

// lookupOf turns Env's lines into a lookup function.
func lookupOf(lines []string) func(string) (string, bool) {
	m := map[string]string{}
	for _, l := range lines {
		k, v, _ := strings.Cut(l, "=")
		m[k] = v
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func fullS3Agent() Agent {
	a := NewAgent(state.TaskS3)
	a.TaskID, a.TaskName, a.QueueURL, a.DLQURL, a.Table, a.Region = "t1", "nightly", "https://sqs/q", "https://sqs/dlq", "tbl", "eu-west-1"
	a.SecretRefresh, a.LogLevel, a.LogFormat = Duration(30*time.Minute), "debug", "text"
	a.Fleet = Fleet{BatchObjects: 100, LeaseTTL: Duration(2 * time.Minute), GiantThreshold: "2GiB", MaxReceives: 7, Attempts: 3,
		Visibility: Duration(90 * time.Second), RetryDelay: Duration(5 * time.Second), Grace: Duration(time.Second),
		ReceiveWait: Duration(10 * time.Second), IdleCheck: Duration(time.Minute), LifecycleHook: "drain", GroupName: "s-workers",
		InstanceID: "i-0123", IMDSEndpoint: "http://127.0.0.1:9", LifecyclePoll: Duration(2 * time.Second)}
	a.Task.Schedule = Schedule{Kind: ScheduleCron, Cron: "0 2 * * *", TimeZone: "Europe/Berlin"}
	s := a.Task.S3
	s.Source = Side{Kind: KindS3, Bucket: "src-bucket", Prefix: "in/", Region: "cn-north-1", Provider: "aws", Addressing: "virtual",
		RequesterPays: true, Checksums: "on", Access: Access{SecretARN: "arn:aws:secretsmanager:cn-north-1:1:secret:s",
			RoleARN: "arn:aws-cn:iam::1:role/r", ExternalID: "x"}}
	s.Destination = Side{Kind: KindS3, Bucket: "dst-bucket", Endpoint: "https://oss-cn-hangzhou.aliyuncs.com", Provider: "aliyun-oss",
		Checksums: "off", Access: Access{AWSProfile: "prod"}}
	s.S3Options = S3Options{Compare: "checksum", Prefixes: []string{"a/", "b, c/"}, PrefixList: "/etc/prefixes", Include: []string{"*.jpg"},
		Exclude: []string{"tmp/**"}, MinSize: "1KiB", MaxSize: "5GiB", ModifiedAfter: "2024-01-01", ModifiedBefore: "2024-06-01",
		Delete: true, ListWorkers: 8, SplitFlatLevels: true, ServerSide: "never", Concurrency: 32, PartSize: "16MiB",
		MultipartThreshold: "32MiB", MaxMemory: "1GiB", StallTimeout: Duration(2 * time.Minute), StorageClass: "STANDARD_IA",
		ACL: "bucket-owner-full-control", SSE: "aws:kms", SSEKMSKeyID: "alias/k", Tags: "a=1&b=2", Events: "create-and-delete"}
	return a
}

func fullImageAgent() Agent {
	a := NewAgent(state.TaskImage)
	a.TaskID, a.Table, a.BatchSize = "t2", "tbl", 5
	a.Task.Schedule = Schedule{Kind: ScheduleInterval, Every: "6h"}
	im := a.Task.Image
	im.Source = ImageSource{Kind: KindECR, Region: "eu-west-1", Account: "123456789012", References: []string{"app:v1", "db:ALL_TAGS"},
		Lists: []string{"/etc/refs"}, RepoPrefix: "team/", RepoRegex: "^team/", Endpoint: "http://moto:5000", Host: "127.0.0.1:5000",
		ImageAccess: ImageAccess{SecretARN: "arn:aws:secretsmanager:eu-west-1:1:secret:src"}}
	im.Destination = ImageDestination{Kind: KindECR, Region: "us-east-1", Account: "210987654321", Prefix: "mirror", ScanOnPush: true,
		ImmutableTags: true, KMSKey: "alias/ecr", Endpoint: "http://moto:5000", Host: "127.0.0.1:5001",
		ImageAccess: ImageAccess{SecretARN: "arn:aws:secretsmanager:us-east-1:1:secret:dst"}}
	im.ImageOptions = ImageOptions{TagInclude: []string{"v.*"}, TagExclude: []string{".*-rc"}, Semver: ">=1.2, <2", Latest: 3,
		Platforms: []string{"linux/amd64", "linux/arm64"}, Referrers: false, RecheckReferrers: true, Concurrency: 4, HostConcurrency: 8,
		ReqPerSec: 2.5, Attempts: 2, InsecureHTTP: []string{"127.0.0.1:5000"}, CAFiles: []string{"/ca.pem"}, NoDockerConfig: true}
	return a
}

// spec -> Env -> FromEnv is the same spec, for every field the agent reads.
func TestEnvRoundTrip(t *testing.T) {
	for name, a := range map[string]Agent{
		"s3":             fullS3Agent(),
		"s3 defaults":    NewAgent(state.TaskS3),
		"image":          fullImageAgent(),
		"image defaults": NewAgent(state.TaskImage),
		"image registry": func() Agent {
			a := NewAgent(state.TaskImage)
			a.Task.Image.Source.References = []string{"reg.io/app:v1"}
			a.Task.Image.Destination = ImageDestination{Kind: KindRegistry, Registry: "mirror.io:5000", Prefix: "m/x"}
			a.Task.Image.Referrers = true
			return a
		}(),
	} {
		t.Run(name, func(t *testing.T) {
			env := a.Env()
			back, err := FromEnv(a.Task.Type(), lookupOf(env))
			require.NoError(t, err, "%v", env)
			assert.Equal(t, a, back, "through %v", env)
		})
	}
}

// Env never writes keys; FromEnv reads them (tests, stacks without Secrets Manager).
func TestEnvKeys(t *testing.T) {
	a := fullS3Agent()
	a.Task.S3.Destination.Keys = Keys{AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "top-secret"}
	for _, l := range a.Env() {
		assert.NotContains(t, l, "top-secret")
		assert.NotContains(t, l, "AKIAEXAMPLE")
	}
	back, err := FromEnv(state.TaskS3, lookupOf([]string{"THUB_DST_ACCESS_KEY_ID=AK", "THUB_DST_SECRET_ACCESS_KEY=SK", "THUB_DST_SESSION_TOKEN=T"}))
	require.NoError(t, err)
	assert.Equal(t, Keys{AccessKeyID: "AK", SecretAccessKey: "SK", SessionToken: "T"}, back.Task.S3.Destination.Keys)
}

// References relative to a registry travel as full references.
func TestEnvExpandsRelativeReferences(t *testing.T) {
	a := NewAgent(state.TaskImage)
	a.Task.Image.Source.Registry = "reg.example.com"
	a.Task.Image.Source.References = []string{"team/app:v1"}
	assert.Contains(t, a.Env(), "THUB_IMAGE_SOURCES=reg.example.com/team/app:v1")
}

func TestFromEnvRefusesWithTheVariableName(t *testing.T) {
	_, err := FromEnv(state.TaskS3, lookupOf([]string{"THUB_LIST_WORKERS=0", "THUB_STALL_TIMEOUT=5", "THUB_DELETE=maybe",
		"THUB_CONCURRENCY=x", "THUB_SRC=s3:/bucket"}))
	require.Error(t, err)
	for _, want := range []string{"THUB_LIST_WORKERS: 0: use at least 1", `THUB_STALL_TIMEOUT: "5" is not a duration`,
		`THUB_DELETE: "maybe": use true or false`, `THUB_CONCURRENCY: "x" is not a whole number`, "THUB_SRC: \"s3:/bucket\" looks like a URL"} {
		assert.Contains(t, err.Error(), want)
	}
	assert.NotContains(t, err.Error(), "strconv")
	_, err = FromEnv(state.TaskImage, lookupOf([]string{"THUB_REQ_PER_SEC=", "THUB_ATTEMPTS=0"}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "THUB_ATTEMPTS: 0: use at least 1")
}

func TestListVariables(t *testing.T) {
	assert.Equal(t, []string{"a", "b"}, splitList(" a , b,,"))
	assert.Equal(t, []string{"a, b", "c"}, splitList("a, b\nc\n"))
	assert.Equal(t, "a\nb, c", joinList([]string{"a", "b, c"}))
}

// cloud/docs/cloud-run.md lists exactly the variables the agent reads (besides
// THUB_INPUT_JSON, a copier's per-invocation input).
func TestDocListsEveryVariable(t *testing.T) {
	doc, err := os.ReadFile("../docs/cloud-run.md")
	require.NoError(t, err)
	text := string(doc)
	section := func(title string) string {
		i := strings.Index(text, title)
		require.GreaterOrEqual(t, i, 0, title)
		rest := text[i+len(title):]
		if j := strings.Index(rest, "\n### "); j >= 0 {
			rest = rest[:j]
		}
		return rest
	}
	varRE := regexp.MustCompile("`(THUB_[A-Z0-9_*]+)`")
	for title, typ := range map[string]state.TaskType{
		"### S3 task: `thub s3 find` and `thub s3 work`":             state.TaskS3,
		"### Images: `thub lambda image-list` and `thub image copy`": state.TaskImage,
	} {
		var documented []string
		for _, line := range strings.Split(section(title), "\n") {
			if !strings.HasPrefix(line, "| `THUB_") {
				continue
			}
			cells := strings.Split(line, "|")
			for _, m := range varRE.FindAllStringSubmatch(cells[1], -1) {
				documented = append(documented, m[1])
			}
		}
		var known []string
		for _, v := range Variables(typ) {
			known = append(known, v.Name)
		}
		// THUB_DST_* stands for the destination twins of the THUB_SRC_* rows.
		if slices.Contains(documented, "THUB_DST_*") {
			documented = slices.DeleteFunc(documented, func(s string) bool { return s == "THUB_DST_*" })
			for _, d := range slices.Clone(documented) {
				if strings.HasPrefix(d, "THUB_SRC_") {
					documented = append(documented, "THUB_DST_"+strings.TrimPrefix(d, "THUB_SRC_"))
				}
			}
		}
		documented = slices.DeleteFunc(documented, func(s string) bool { return s == "THUB_INPUT_JSON" })
		slices.Sort(documented)
		documented = slices.Compact(documented)
		slices.Sort(known)
		assert.Equal(t, known, documented, "%s: the table and cloud/spec disagree", title)
	}
}
