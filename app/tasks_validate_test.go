package app

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/backend/credentials"
	"transferhub/backend/tasks"
)

// The wizard shows the messages TasksService.Validate returns, field by field; these
// cases are the ones its TypeScript copy of the rules was tested with. Requests are
// built as the JSON the wizard sends (frontend/src/tasks/wizard/draft.ts toDefinition).

// profileBook is the credential profiles the wizard's profile pickers offer.
type profileBook map[string]credentials.Profile

func (b profileBook) Get(_ context.Context, id string) (credentials.Profile, error) {
	if p, ok := b[id]; ok {
		return p, nil
	}
	return credentials.Profile{}, fmt.Errorf("profile %s: %w", id, credentials.ErrProfileNotFound)
}

func (b profileBook) Resolve(context.Context, string) (credentials.Resolved, error) {
	return credentials.Resolved{}, fmt.Errorf("no run in this test")
}

var wizardProfiles = profileBook{
	"aws": {ID: "aws", Name: "Prod", Kind: credentials.KindAWS, Partition: "aws", Region: "eu-west-1"},
	"cn":  {ID: "cn", Name: "China", Kind: credentials.KindAWS, Partition: "aws-cn", Region: "cn-north-1"},
	"gov": {ID: "gov", Name: "Gov", Kind: credentials.KindAWS, Partition: "aws-us-gov", Region: "us-gov-west-1"},
	"gw":  {ID: "gw", Name: "Gateway", Kind: credentials.KindS3Compatible, Endpoint: "http://127.0.0.1:7070"},
	"reg": {ID: "reg", Name: "Registry", Kind: credentials.KindRegistry, Host: "reg.example.com:5000"},
}

// wizardService is a TasksService over a real manager with the profiles above and one
// task called "Existing".
func wizardService(t *testing.T) *TasksService {
	t.Helper()
	local := tasks.NewLocalRunner(tasks.LocalOptions{Credentials: wizardProfiles, Logger: quietLogger()})
	mgr := tasks.New(tasks.Options{Folder: tasks.NewFolder(t.TempDir(), quietLogger()), Runners: []tasks.Runner{local},
		Credentials: wizardProfiles, Logger: quietLogger()})
	ts := NewTasksService(mgr, func() int { return 16 }, quietLogger())
	require.NoError(t, ts.start(context.Background()))
	t.Cleanup(func() { ts.stop(context.Background()) })
	res, err := ts.Create(tasks.CreateRequest{Name: "Existing", Definition: folderTask(t.TempDir(), t.TempDir())})
	require.NoError(t, err)
	require.Empty(t, res.FieldErrors)
	return ts
}

type jsonObject = map[string]any

// s3Request is a complete S3 task as the wizard sends it: a folder to a bucket.
func s3Request(t *testing.T) jsonObject {
	return jsonObject{"name": "backup", "definition": jsonObject{"v": 1, "s3": jsonObject{
		"source":      jsonObject{"kind": "local", "path": t.TempDir()},
		"destination": jsonObject{"kind": "s3", "profileId": "gw", "bucket": "dest-bucket", "prefix": "copies/"},
		"compare":     "size+etag", "serverSide": "auto", "concurrency": 16,
	}}}
}

// imageRequest is a complete image task: a registry profile to an anonymous registry.
func imageRequest() jsonObject {
	return jsonObject{"name": "mirror", "definition": jsonObject{"v": 1, "image": jsonObject{
		"source":      jsonObject{"kind": "registry", "profileId": "reg", "references": []string{"team/app:v1", "team/db:ALL_TAGS"}},
		"destination": jsonObject{"kind": "registry", "profileId": "", "registry": "mirror.example.com", "prefix": ""},
		"referrers":   true, "concurrency": 8,
	}}}
}

// at returns the object at a dotted path of r ("definition.s3.source").
func at(r jsonObject, path string) jsonObject {
	for _, k := range strings.Split(path, ".") {
		r = r[k].(jsonObject)
	}
	return r
}

// validate sends r through JSON, as the bridge does, and returns field -> message.
func validate(t *testing.T, ts *TasksService, r jsonObject) map[string]string {
	t.Helper()
	data, err := json.Marshal(r)
	require.NoError(t, err)
	var req tasks.CreateRequest
	require.NoError(t, json.Unmarshal(data, &req))
	fe, err := ts.Validate(req)
	require.NoError(t, err)
	require.NotNil(t, fe, "an empty list, not null")
	out := map[string]string{}
	for _, f := range fe {
		if out[f.Field] == "" {
			out[f.Field] = f.Message
		}
	}
	return out
}

// set returns an edit that sets keys to values (key, value, key, value...) in the
// object obj picks from a request.
func set(obj func(jsonObject) jsonObject, kv ...any) func(jsonObject) {
	return func(r jsonObject) {
		for i := 0; i < len(kv); i += 2 {
			obj(r)[kv[i].(string)] = kv[i+1]
		}
	}
}

type wizardCase struct {
	field string
	edit  func(r jsonObject)
	want  string
}

func runWizardCases(t *testing.T, ts *TasksService, base func() jsonObject, cases []wizardCase) {
	t.Helper()
	for _, c := range cases {
		r := base()
		c.edit(r)
		got := validate(t, ts, r)
		if c.want == "" {
			assert.Empty(t, got[c.field], "%s should be fine: %v", c.field, got)
			continue
		}
		assert.Contains(t, got[c.field], c.want, "%s: all field errors %v", c.field, got)
	}
}

func TestWizardAcceptsCompleteTasks(t *testing.T) {
	ts := wizardService(t)
	assert.Empty(t, validate(t, ts, s3Request(t)))
	assert.Empty(t, validate(t, ts, imageRequest()))
}

func TestWizardS3FieldMessages(t *testing.T) {
	ts := wizardService(t)
	s3 := func(r jsonObject) jsonObject { return at(r, "definition.s3") }
	dst := func(r jsonObject) jsonObject { return at(r, "definition.s3.destination") }
	root := func(r jsonObject) jsonObject { return r }
	schedule := func(r jsonObject) jsonObject {
		def := at(r, "definition")
		if def["schedule"] == nil {
			def["schedule"] = jsonObject{}
		}
		return def["schedule"].(jsonObject)
	}
	runWizardCases(t, ts, func() jsonObject { return s3Request(t) }, []wizardCase{
		{"name", set(root, "name", " "), "enter a name for the task"},
		{"name", set(root, "name", "existing"), `a task called "Existing" already exists; choose another name`},
		{"name", set(root, "name", strings.Repeat("x", 129)), "129 characters is too long; use at most 128"},
		{"s3.source.path", set(func(r jsonObject) jsonObject { return at(r, "definition.s3.source") }, "path", "data"), `"data" is a relative path`},
		{"s3.source.path", set(func(r jsonObject) jsonObject { return at(r, "definition.s3.source") }, "path", ""), "enter the source folder"},
		{"s3.destination.profileId", set(dst, "profileId", ""), "choose the credentials for the destination bucket"},
		{"s3.destination.profileId", set(dst, "profileId", "reg"), `"Registry" is a container registry profile`},
		{"s3.destination.profileId", set(dst, "profileId", "deleted"), "the credential profile for the destination no longer exists"},
		{"s3.destination.bucket", set(dst, "bucket", ""), "enter the destination bucket name"},
		{"s3.destination.bucket", set(dst, "bucket", "ab"), "it must be 3 to 63 characters long"},
		{"s3.destination.bucket", set(dst, "bucket", "BAD"), "use lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit"},
		{"s3.destination.bucket", set(dst, "bucket", "My_Bucket"), "use lowercase letters"},
		{"s3.destination.bucket", set(dst, "bucket", "a..b"), "no two adjacent dots"},
		{"s3.destination.bucket", set(dst, "bucket", "10.0.0.1"), "it must not look like an IP address"},
		{"s3.destination.bucket", set(dst, "bucket", "photos-2024.eu"), ""},
		{"s3.destination.region", set(dst, "profileId", "cn", "region", "eu-west-1"), "eu-west-1 is a region of the aws partition, but the profile is for aws-cn"},
		{"s3.destination.region", set(dst, "profileId", "aws", "region", "cn-north-1"), "aws-cn partition"},
		{"s3.destination.region", set(dst, "profileId", "cn", "region", "us-east-1"), "choose one of cn-north-1, cn-northwest-1"},
		{"s3.destination.region", set(dst, "profileId", "aws", "region", "useast1"), `"useast1" is not a region name: use the form us-east-1`},
		{"s3.destination.region", set(dst, "profileId", "aws", "region", "eu-west-1"), ""},
		{"s3.destination.region", set(dst, "profileId", "gov", "region", "us-gov-west-1"), ""},
		{"s3.destination.region", set(dst, "region", "Not A Region"), `"Not A Region" is not a region name`},
		{"s3.destination.prefix", func(r jsonObject) {
			at(r, "definition.s3")["source"] = jsonObject{"kind": "s3", "profileId": "gw", "bucket": "dest-bucket", "prefix": "copies/2024/"}
		}, "the destination overlaps the source"},
		{"s3.prefixes", set(s3, "prefixes", []string{"ok/", "/abs/"}), `line 2 ("/abs/") starts with "/"; prefixes are relative to the source, e.g. photos/2024/`},
		{"s3.include", set(s3, "include", []string{"*.jpg", "[x"}), `glob "[x": unclosed [`},
		{"s3.include", set(s3, "include", []string{"[abc"}), "unclosed ["},
		{"s3.include", set(s3, "include", []string{"*.jpg"}), ""},
		{"s3.exclude", set(s3, "exclude", []string{`a\`}), `glob "a\": trailing backslash`},
		{"s3.exclude", set(s3, "exclude", []string{`tmp\`}), "trailing backslash"},
		{"s3.minSize", set(s3, "minSize", "lots"), `"lots" is not a size; write a number with a unit, e.g. 512KiB, 10MB or 5GiB`},
		{"s3.minSize", set(s3, "minSize", "ten"), "is not a size"},
		{"s3.minSize", set(s3, "minSize", "1.5 GB"), ""},
		{"s3.maxSize", set(s3, "minSize", "2MB", "maxSize", "1MB"), "the largest size (1MB) is below the smallest (2MB)"},
		// 10MiB is 10,485,760 bytes: more than 10MB.
		{"s3.maxSize", set(s3, "minSize", "10MiB", "maxSize", "10MB"), "below the smallest"},
		{"s3.modifiedAfter", set(s3, "modifiedAfter", "01/02/2024"), `"01/02/2024" is not a date; use YYYY-MM-DD or 2024-05-01T12:00:00Z`},
		{"s3.modifiedBefore", set(s3, "modifiedAfter", "2024-05-02", "modifiedBefore", "2024-05-01"), "2024-05-01 is not after 2024-05-02; no object could match"},
		// The wizard sends one past the largest it offers (FormOptions.MaxConcurrency) for a
		// concurrency it cannot carry as typed ("0", "fast").
		{"s3.concurrency", set(s3, "concurrency", 257), "257 is out of range; enter a whole number from 1 to 256"},
		{"s3.concurrency", set(s3, "concurrency", 1000), "1000 is out of range; enter a whole number from 1 to 256"},
		{"s3.sseKmsKeyId", set(s3, "sseKmsKeyId", "alias/k"), "a KMS key applies only with aws:kms encryption"},
		{"schedule.every", set(schedule, "kind", "interval", "every", "30s"), "30s is too often; runs must be at least 1m0s apart"},
		{"schedule.every", set(schedule, "kind", "interval", "every", "hourly"), `"hourly" is not a duration`},
		{"schedule.every", set(schedule, "kind", "interval", "every", "1h30m"), ""},
		{"schedule.every", set(schedule, "kind", "interval", "every", "daily"), "is not a duration"},
		{"schedule.cron", set(schedule, "kind", "cron", "cron", "every day"), `"every day" is not a cron expression`},
		{"schedule.cron", set(schedule, "kind", "cron", "cron", "0 2 * * *"), ""},
		{"schedule.cron", set(schedule, "kind", "cron", "cron", "*/15 9-17 * * mon-fri"), ""},
		{"schedule.cron", set(schedule, "kind", "cron", "cron", "@daily"), ""},
		{"schedule.cron", set(schedule, "kind", "cron", "cron", "61 * * * *"), "above maximum (59)"},
		{"schedule.cron", set(schedule, "kind", "cron", "cron", "0 2 * *"), "expected exactly 5 fields, found 4"},
	})
}

func TestWizardImageFieldMessages(t *testing.T) {
	ts := wizardService(t)
	img := func(r jsonObject) jsonObject { return at(r, "definition.image") }
	src := func(r jsonObject) jsonObject { return at(r, "definition.image.source") }
	dst := func(r jsonObject) jsonObject { return at(r, "definition.image.destination") }
	ecr := func(kv ...any) func(jsonObject) {
		return set(src, append([]any{"kind", "ecr", "profileId", "aws", "references", []string{}}, kv...)...)
	}
	refs := func(r ...string) func(jsonObject) { return set(src, "references", r) }
	digest := "r.io/a@sha256:" + strings.Repeat("a", 64)
	runWizardCases(t, ts, imageRequest, []wizardCase{
		{"image.source.references", refs(), "enter at least one image reference, e.g. team/app:v1"},
		{"image.source.references", refs("r.io/team/app:v1"), `"r.io/team/app:v1" names a registry host; the registry is reg.example.com:5000, so give the repository path only, e.g. team/app:v1`},
		{"image.source.references", refs("other.io/team/app:v1"), "give the repository path only"},
		{"image.source.references", refs("team/app:v1"), ""},
		{"image.source.references", set(src, "profileId", "", "references", []string{"Team/App"}), `invalid source reference "Team/App"`},
		{"image.source.references", set(src, "profileId", "", "references", []string{"https://r.io/a:b"}), "without a scheme"},
		{"image.source.references", set(src, "profileId", "", "references", []string{"r.io/a@sha256:12"}), "digest must be sha256:<64 hex>"},
		{"image.source.references", set(src, "profileId", "", "references", []string{digest}), ""},
		{"image.source.profileId", set(src, "profileId", "aws"), `"Prod" is not a container registry profile; choose a registry profile, or none for public images`},
		{"image.source.profileId", ecr("profileId", ""), "choose the AWS credentials for the source Amazon ECR"},
		{"image.source.region", ecr("region", "cn-north-1"), "cn-north-1 is a region of the aws-cn partition"},
		{"image.source.account", ecr("account", "12"), `"12" is not an AWS account id: it is 12 digits`},
		{"image.destination.registry", set(dst, "registry", ""), "choose the destination registry's credentials, or enter its host (e.g. registry.example.com:5000)"},
		{"image.destination.registry", set(dst, "registry", "bad host"), `"bad host" is not a registry host; write host or host:port`},
		{"image.destination.prefix", set(dst, "prefix", "Upper"), `"Upper" is not a repository prefix: use lowercase letters, digits, and . _ - / between them`},
		{"image.tagInclude", set(img, "tagInclude", []string{"v[0-9"}), `"v[0-9" is not a regular expression`},
		{"image.semver", set(img, "semver", "newest"), `"newest" is not a version range; write e.g. >=1.2, <2 or ~1.4`},
		{"image.latest", set(img, "latest", -1), "-1 is out of range; enter 0 (all tags) to 10000"},
		{"image.platforms", set(img, "platforms", []string{"linux/amd64", "linux/amd64"}), "linux/amd64 is listed twice"},
		{"image.platforms", set(img, "platforms", []string{"arm64"}), `"arm64": write os/arch or os/arch/variant, e.g. linux/amd64 or linux/arm64/v8`},
		{"image.platforms", set(img, "platforms", []string{"amd64"}), "os/arch"},
		{"image.platforms", set(img, "platforms", []string{"linx/amd64"}), `unknown operating system "linx"`},
		{"image.platforms", set(img, "platforms", []string{"linux/amd46"}), `unknown architecture "amd46"`},
		{"image.platforms", set(img, "platforms", []string{"linux/arm64/v8"}), ""},
		{"image.concurrency", set(img, "concurrency", 999), "999 is out of range; enter a whole number from 1 to 256"},
		{"image.concurrency", set(img, "concurrency", 257), "257 is out of range; enter a whole number from 1 to 256"},
	})
}
