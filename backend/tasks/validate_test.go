package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/backend/credentials"
	"transferhub/cloud/spec"
	"transferhub/cloud/state"
)

var (
	awsProfile    = credentials.Resolved{Profile: credentials.Profile{ID: "aws1", Name: "Prod", Kind: credentials.KindAWS, Partition: "aws", Region: "eu-west-1", AccessKeyID: "AKIA"}, Secret: credentials.Secret{SecretAccessKey: "s"}}
	cnProfile     = credentials.Resolved{Profile: credentials.Profile{ID: "cn1", Name: "China", Kind: credentials.KindAWS, Partition: "aws-cn", Region: "cn-north-1"}}
	noRegion      = credentials.Resolved{Profile: credentials.Profile{ID: "aws2", Name: "NoRegion", Kind: credentials.KindAWS, Partition: "aws"}}
	compatProfile = credentials.Resolved{Profile: credentials.Profile{ID: "s3c", Name: "Gateway", Kind: credentials.KindS3Compatible, Endpoint: "http://127.0.0.1:7070", AccessKeyID: "k"}, Secret: credentials.Secret{SecretAccessKey: "s"}}
	regProfile    = credentials.Resolved{Profile: credentials.Profile{ID: "reg", Name: "Registry", Kind: credentials.KindRegistry, Host: "reg.example.com:5000", Username: "u"}, Secret: credentials.Secret{Password: "p"}}
)

func lookup() ProfileLookup {
	return newFakeCreds(awsProfile, cnProfile, noRegion, compatProfile, regProfile).Get
}

func validS3(t *testing.T) Definition {
	src := t.TempDir()
	return Definition{S3: &S3Spec{
		Source:      Location{Side: spec.Side{Kind: LocationLocal, Path: src}},
		Destination: Location{ProfileID: "s3c", Side: spec.Side{Kind: LocationS3, Bucket: "dest-bucket", Prefix: "backup/"}},
	}}
}

func validImage() Definition {
	return Definition{Image: &ImageSpec{
		Source:       ImageSource{ProfileID: "reg", ImageSource: spec.ImageSource{Kind: RegistryKind, References: []string{"team/app:v1", "team/db:ALL_TAGS"}}},
		Destination:  ImageDestination{ImageDestination: spec.ImageDestination{Kind: RegistryKind, Registry: "mirror.example.com", Prefix: "copies"}},
		ImageOptions: spec.ImageOptions{Referrers: true},
	}}
}

// fieldErrors validates and returns field -> messages.
func fieldErrors(t *testing.T, name string, d Definition, existing ...string) map[string][]string {
	t.Helper()
	err := Validate(context.Background(), name, d.normalized(), lookup(), existing)
	out := map[string][]string{}
	if err == nil {
		return out
	}
	var ve *ValidationError
	require.True(t, errors.As(err, &ve), "want a ValidationError, got %v", err)
	require.ErrorIs(t, err, ErrInvalid)
	for _, f := range ve.Fields {
		out[f.Field] = append(out[f.Field], f.Message)
	}
	return out
}

func TestValidDefinitionsPass(t *testing.T) {
	assert.Empty(t, fieldErrors(t, "nightly backup", validS3(t)))
	assert.Empty(t, fieldErrors(t, "mirror", validImage()))
}

func TestValidateS3Fields(t *testing.T) {
	cases := []struct {
		name   string
		edit   func(d *S3Spec)
		field  string
		substr string
	}{
		{"no source kind", func(d *S3Spec) { d.Source = Location{} }, "s3.source.kind", "bucket or a folder"},
		{"bad kind", func(d *S3Spec) { d.Source.Kind = "ftp" }, "s3.source.kind", `"ftp" is not a location kind`},
		{"relative path", func(d *S3Spec) { d.Source.Path = "data/in" }, "s3.source.path", "relative path"},
		{"missing folder", func(d *S3Spec) { d.Source.Path = "/nonexistent/th-test" }, "s3.source.path", "does not exist"},
		{"no profile", func(d *S3Spec) { d.Destination.ProfileID = "" }, "s3.destination.profileId", "choose the credentials"},
		{"deleted profile", func(d *S3Spec) { d.Destination.ProfileID = "gone" }, "s3.destination.profileId", "no longer exists"},
		{"registry profile on S3", func(d *S3Spec) { d.Destination.ProfileID = "reg" }, "s3.destination.profileId", "container registry profile"},
		{"empty bucket", func(d *S3Spec) { d.Destination.Bucket = "" }, "s3.destination.bucket", "enter the destination bucket name"},
		{"short bucket", func(d *S3Spec) { d.Destination.Bucket = "ab" }, "s3.destination.bucket", "3 to 63 characters"},
		{"uppercase bucket", func(d *S3Spec) { d.Destination.Bucket = "My_Bucket" }, "s3.destination.bucket", "lowercase letters"},
		{"ip bucket", func(d *S3Spec) { d.Destination.Bucket = "192.168.1.1" }, "s3.destination.bucket", "IP address"},
		{"double dot", func(d *S3Spec) { d.Destination.Bucket = "a..b" }, "s3.destination.bucket", "adjacent dots"},
		{"region of other partition", func(d *S3Spec) {
			d.Destination = Location{ProfileID: "aws1", Side: spec.Side{Kind: LocationS3, Bucket: "dest-bucket", Region: "cn-north-1"}}
		}, "s3.destination.region", "aws-cn partition"},
		{"region typo", func(d *S3Spec) {
			d.Destination = Location{ProfileID: "aws1", Side: spec.Side{Kind: LocationS3, Bucket: "dest-bucket", Region: "useast1"}}
		}, "s3.destination.region", "not a region name"},
		{"gov region for cn profile", func(d *S3Spec) {
			d.Destination = Location{ProfileID: "cn1", Side: spec.Side{Kind: LocationS3, Bucket: "dest-bucket", Region: "us-gov-west-1"}}
		}, "s3.destination.region", "cn-north-1, cn-northwest-1"},
		{"no region anywhere", func(d *S3Spec) {
			d.Destination = Location{ProfileID: "aws2", Side: spec.Side{Kind: LocationS3, Bucket: "dest-bucket"}}
		}, "s3.destination.region", "no default region"},
		{"compat region shape", func(d *S3Spec) { d.Destination.Region = "Not A Region" }, "s3.destination.region", "not a region name"},
		{"compare", func(d *S3Spec) { d.Compare = "md5" }, "s3.compare", "size+etag, size, checksum, none"},
		{"server side", func(d *S3Spec) { d.ServerSide = "sometimes" }, "s3.serverSide", "auto, never or always"},
		{"prefix slash", func(d *S3Spec) { d.Prefixes = []string{"ok/", "/abs"} }, "s3.prefixes", `line 2 ("/abs") starts with "/"`},
		{"prefix too long", func(d *S3Spec) { d.Prefixes = []string{strings.Repeat("k", 1025)} }, "s3.prefixes", "at most 1024"},
		{"include glob", func(d *S3Spec) { d.Include = []string{"*.jpg", "[abc"} }, "s3.include", "[abc"},
		{"exclude glob", func(d *S3Spec) { d.Exclude = []string{`tmp\`} }, "s3.exclude", `tmp\`},
		{"min size", func(d *S3Spec) { d.MinSize = "ten" }, "s3.minSize", "not a size"},
		{"max below min", func(d *S3Spec) { d.MinSize, d.MaxSize = "10MiB", "1MiB" }, "s3.maxSize", "below the smallest"},
		{"date", func(d *S3Spec) { d.ModifiedAfter = "yesterday" }, "s3.modifiedAfter", "YYYY-MM-DD"},
		{"dates reversed", func(d *S3Spec) { d.ModifiedAfter, d.ModifiedBefore = "2024-05-02", "2024-05-01" }, "s3.modifiedBefore", "not after"},
		{"concurrency", func(d *S3Spec) { d.Concurrency = 1000 }, "s3.concurrency", "from 1 to 256"},
		{"storage class", func(d *S3Spec) { d.StorageClass = "COLD" }, "s3.storageClass", "not a storage class"},
		{"acl", func(d *S3Spec) { d.ACL = "everyone" }, "s3.acl", "not a canned ACL"},
		{"sse", func(d *S3Spec) { d.SSE = "rot13" }, "s3.sse", "AES256 or aws:kms"},
		{"kms without sse", func(d *S3Spec) { d.SSEKMSKeyID = "alias/k" }, "s3.sseKmsKeyId", "only with aws:kms"},
		{"write options on a folder", func(d *S3Spec) {
			d.Destination = Location{Side: spec.Side{Kind: LocationLocal, Path: "/tmp/th-dest-x"}}
			d.StorageClass = "STANDARD"
		}, "s3.storageClass", "not to a local folder"},
		{"overlap", func(d *S3Spec) {
			d.Source = Location{ProfileID: "s3c", Side: spec.Side{Kind: LocationS3, Bucket: "dest-bucket", Prefix: "backup/2024/"}}
		}, "s3.destination.prefix", "overlaps the source"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := validS3(t)
			tc.edit(d.S3)
			errs := fieldErrors(t, "task", d)
			require.Contains(t, errs, tc.field, "all errors: %v", errs)
			assert.Contains(t, strings.Join(errs[tc.field], " | "), tc.substr)
		})
	}
}

func TestValidateLocalOverlapAndFile(t *testing.T) {
	src := t.TempDir()
	d := Definition{S3: &S3Spec{Source: Location{Side: spec.Side{Kind: LocationLocal, Path: src}}, Destination: Location{Side: spec.Side{Kind: LocationLocal, Path: filepath.Join(src, "out")}}}}
	assert.Contains(t, fieldErrors(t, "x", d), "s3.destination.path")

	file := filepath.Join(src, "f.txt")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o600))
	d = Definition{S3: &S3Spec{Source: Location{Side: spec.Side{Kind: LocationLocal, Path: file}}, Destination: Location{Side: spec.Side{Kind: LocationLocal, Path: t.TempDir()}}}}
	assert.Contains(t, strings.Join(fieldErrors(t, "x", d)["s3.source.path"], ""), "is a file, not a folder")
}

func TestValidateImageFields(t *testing.T) {
	cases := []struct {
		name   string
		edit   func(d *ImageSpec)
		field  string
		substr string
	}{
		{"no source kind", func(d *ImageSpec) { d.Source.Kind = "" }, "image.source.kind", "a registry or Amazon ECR"},
		{"no references", func(d *ImageSpec) { d.Source.References = nil }, "image.source.references", "at least one image reference"},
		{"reference with host under a profile", func(d *ImageSpec) { d.Source.References = []string{"other.io/team/app:v1"} }, "image.source.references", "give the repository path only"},
		{"bad reference", func(d *ImageSpec) { d.Source.References = []string{"Team/App:v1"} }, "image.source.references", "invalid source reference"},
		{"bad digest", func(d *ImageSpec) { d.Source.References = []string{"team/app@sha256:1234"} }, "image.source.references", "registry/repository@sha256:<hex>"},
		{"scheme", func(d *ImageSpec) {
			d.Source.ProfileID = ""
			d.Source.References = []string{"https://reg.example.com/app:v1"}
		}, "image.source.references", "without a scheme"},
		{"aws profile as registry", func(d *ImageSpec) { d.Source.ProfileID = "aws1" }, "image.source.profileId", "not a container registry profile"},
		{"ecr without profile", func(d *ImageSpec) {
			d.Source = ImageSource{ImageSource: spec.ImageSource{Kind: ECRKind, Region: "eu-west-1"}}
		}, "image.source.profileId", "AWS credentials"},
		{"ecr region partition", func(d *ImageSpec) {
			d.Source = ImageSource{ProfileID: "aws1", ImageSource: spec.ImageSource{Kind: ECRKind, Region: "cn-north-1"}}
		}, "image.source.region", "aws-cn partition"},
		{"ecr account", func(d *ImageSpec) {
			d.Source = ImageSource{ProfileID: "aws1", ImageSource: spec.ImageSource{Kind: ECRKind, Account: "1234"}}
		}, "image.source.account", "12 digits"},
		{"ecr with registry profile", func(d *ImageSpec) {
			d.Source = ImageSource{ProfileID: "reg", ImageSource: spec.ImageSource{Kind: ECRKind}}
		}, "image.source.profileId", "not an AWS profile"},
		{"repo regex", func(d *ImageSpec) {
			d.Source = ImageSource{ProfileID: "aws1", ImageSource: spec.ImageSource{Kind: ECRKind, RepoRegex: "(team"}}
		}, "image.source.repoRegex", "not a regular expression"},
		{"repo filter off ECR", func(d *ImageSpec) { d.Source.RepoPrefix = "team/" }, "image.source.repoPrefix", "whole Amazon ECR source"},
		{"no destination", func(d *ImageSpec) {
			d.Destination = ImageDestination{ImageDestination: spec.ImageDestination{Kind: RegistryKind}}
		}, "image.destination.registry", "enter its host"},
		{"bad destination host", func(d *ImageSpec) { d.Destination.Registry = "bad host" }, "image.destination.prefix", "invalid"},
		{"bad prefix", func(d *ImageSpec) { d.Destination.Prefix = "Upper/Case" }, "image.destination.prefix", ""},
		{"ecr settings on registry", func(d *ImageSpec) { d.Destination.ScanOnPush = true }, "image.destination.kmsKey", "Amazon ECR destinations only"},
		{"tag regex", func(d *ImageSpec) { d.TagInclude = []string{"v[0-9"} }, "image.tagInclude", "not a regular expression"},
		{"tag exclude regex", func(d *ImageSpec) { d.TagExclude = []string{"*"} }, "image.tagExclude", "not a regular expression"},
		{"semver", func(d *ImageSpec) { d.Semver = ">= one" }, "image.semver", "not a version range"},
		{"latest", func(d *ImageSpec) { d.Latest = -1 }, "image.latest", "out of range"},
		{"platform shape", func(d *ImageSpec) { d.Platforms = []string{"amd64"} }, "image.platforms", "os/arch"},
		{"platform os", func(d *ImageSpec) { d.Platforms = []string{"linx/amd64"} }, "image.platforms", `unknown operating system "linx"`},
		{"platform arch", func(d *ImageSpec) { d.Platforms = []string{"linux/amd46"} }, "image.platforms", `unknown architecture "amd46"`},
		{"platform twice", func(d *ImageSpec) { d.Platforms = []string{"linux/arm64", "linux/arm64"} }, "image.platforms", "listed twice"},
		{"concurrency", func(d *ImageSpec) { d.Concurrency = -3 }, "image.concurrency", "out of range"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := validImage()
			tc.edit(d.Image)
			errs := fieldErrors(t, "task", d)
			require.Contains(t, errs, tc.field, "all errors: %v", errs)
			assert.Contains(t, strings.Join(errs[tc.field], " | "), tc.substr)
		})
	}
}

func TestValidateNameAndSchedule(t *testing.T) {
	d := validImage()
	assert.Contains(t, fieldErrors(t, "  ", d)["name"][0], "enter a name")
	assert.Contains(t, fieldErrors(t, strings.Repeat("n", 129), d)["name"][0], "at most 128")
	assert.Contains(t, fieldErrors(t, "Mirror", d, "mirror")["name"][0], "already exists")
	assert.Contains(t, fieldErrors(t, "a\nb", d)["name"][0], "single line")

	d.Schedule = Schedule{Kind: ScheduleInterval, Every: "30s"}
	assert.Contains(t, fieldErrors(t, "x", d)["schedule.every"][0], "at least 1m0s apart")
	d.Schedule = Schedule{Kind: ScheduleInterval, Every: "daily"}
	assert.Contains(t, fieldErrors(t, "x", d)["schedule.every"][0], "not a duration")
	d.Schedule = Schedule{Kind: ScheduleCron, Cron: "61 * * * *"}
	assert.Contains(t, fieldErrors(t, "x", d)["schedule.cron"][0], "not a cron expression")
	d.Schedule = Schedule{Kind: ScheduleCron, Cron: " 0  2 * * * "}
	assert.Empty(t, fieldErrors(t, "x", d))
	d.Schedule = Schedule{Kind: "weekly"}
	assert.Contains(t, fieldErrors(t, "x", d)["schedule.kind"][0], "none, interval or cron")

	assert.Contains(t, fieldErrors(t, "x", Definition{})["type"][0], "S3 objects or container images")
}

func TestDefinitionRoundTripAndVersions(t *testing.T) {
	d := validImage()
	d.Schedule = Schedule{Kind: ScheduleCron, Cron: "0 2 * * *", Every: "1h"}
	raw, err := d.normalized().Encode()
	require.NoError(t, err)
	back, err := DecodeDefinition(raw)
	require.NoError(t, err)
	assert.Equal(t, DefinitionVersion, back.V)
	assert.Equal(t, state.TaskImage, back.Type())
	assert.Equal(t, "", back.Schedule.Every, "a cron schedule keeps no interval")
	assert.Equal(t, []string{"reg"}, back.Profiles())

	_, err = DecodeDefinition(json.RawMessage(`{"v":3,"s3":{}}`)) // 2 is this build's (cloud/spec)
	assert.ErrorContains(t, err, "newer Transfer Hub")
	_, err = DecodeDefinition(json.RawMessage(`{"v":1}`))
	assert.ErrorContains(t, err, "either an S3 or an image transfer")
	_, err = DecodeDefinition(json.RawMessage(`{"s3":{}}`))
	assert.ErrorContains(t, err, "no version")
	_, err = DecodeDefinition(json.RawMessage(`not json`))
	assert.ErrorIs(t, err, ErrDefinition)
}

func TestNormalizedTrimsWhatUsersType(t *testing.T) {
	d := Definition{S3: &S3Spec{
		Source:      Location{Side: spec.Side{Kind: " local ", Path: " /data ", Bucket: "ignored"}},
		Destination: Location{ProfileID: " p ", Side: spec.Side{Kind: "s3", Bucket: " b ", Prefix: "/keep me/", Path: "/ignored"}},
		S3Options:   spec.S3Options{Include: []string{" *.jpg ", "", "  "}, Prefixes: []string{"a b/", "", "c\r"}},
	}}.normalized()
	assert.Equal(t, Location{Side: spec.Side{Kind: "local", Path: "/data"}}, d.S3.Source)
	assert.Equal(t, Location{ProfileID: "p", Side: spec.Side{Kind: "s3", Bucket: "b", Prefix: "keep me/"}}, d.S3.Destination)
	assert.Equal(t, []string{"*.jpg"}, d.S3.Include)
	assert.Equal(t, []string{"a b/", "c"}, d.S3.Prefixes)
}

func TestRegionsPerPartition(t *testing.T) {
	assert.NoError(t, checkRegion("ap-southeast-9", "aws"), "a future region of the aws partition is accepted")
	assert.ErrorContains(t, checkRegion("us-east-1", "aws-us-gov"), "aws-us-gov")
	assert.ErrorContains(t, checkRegion("us-east-1", "azure"), "not one of aws")
}

// What only the app knows is checked here, the rest by cloud/spec, each field once.
func TestValidateWhatTheAppAdds(t *testing.T) {
	d := validS3(t)
	d.S3.Destination.Endpoint = "http://elsewhere:9000"
	d.S3.Source = Location{ProfileID: "aws1", Side: spec.Side{Kind: LocationS3, Bucket: "src-bucket"}}
	d.S3.Events = "create"
	d.Schedule = Schedule{Kind: spec.ScheduleOnce, At: "2026-05-01T02:00"}
	errs := fieldErrors(t, "x", d)
	assert.Contains(t, strings.Join(errs["s3.destination.endpoint"], ""), "through credential profiles")
	assert.Contains(t, strings.Join(errs["s3.events"], ""), "cloud tasks")
	assert.Contains(t, strings.Join(errs["schedule.kind"], ""), "cloud tasks")

	d = validS3(t)
	d.S3.Source = Location{ProfileID: "aws1", Side: spec.Side{Kind: LocationS3, Bucket: "src-bucket"}}
	d.S3.Destination = Location{ProfileID: "aws2", Side: spec.Side{Kind: LocationS3, Bucket: "dst-bucket", Region: "eu-west-1"}}
	d.S3.ServerSide = "always"
	assert.Contains(t, strings.Join(fieldErrors(t, "x", d)["s3.serverSide"], ""), "different credential profiles")

	d = validS3(t)
	d.S3.Concurrency = 5000
	assert.Len(t, fieldErrors(t, "x", d)["s3.concurrency"], 1, "one message per field")

	// a cron schedule may name its zone (else the computer's local time applies)
	d = validImage()
	d.Schedule = Schedule{Kind: ScheduleCron, Cron: "0 2 * * *", TimeZone: "Asia/Shanghai"}
	assert.Empty(t, fieldErrors(t, "x", d))
	d.Schedule.TimeZone = "Mars/Base"
	assert.Contains(t, strings.Join(fieldErrors(t, "x", d)["schedule.timeZone"], ""), "IANA")
}
