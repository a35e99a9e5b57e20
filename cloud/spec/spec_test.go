package spec

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/state"
)

// Every definition an older build wrote (testdata/v1, bytes as stored) decodes into the
// spec it meant.
func TestDecodeWhatOlderBuildsWrote(t *testing.T) {
	want := map[string]Task{
		"thub-s3-local-to-local": {S3: &S3{Source: Side{Kind: KindLocal, Path: "/tmp/spec-samples/src"},
			Destination: Side{Kind: KindLocal, Path: "/tmp/spec-samples/dst"}, S3Options: S3Options{Compare: "size+etag"}}},
		"thub-s3-relative-paths": {S3: &S3{Source: Side{Kind: KindLocal, Path: "./src"},
			Destination: Side{Kind: KindLocal, Path: "./dst2"}, S3Options: S3Options{Compare: "size"}}},
		"thub-s3-bucket-to-bucket": {S3: &S3{Source: Side{Kind: KindS3, Bucket: "spec-sample-src", Prefix: "photos/"},
			Destination: Side{Kind: KindS3, Bucket: "spec-sample-dst", Prefix: "backup/photos/"}, S3Options: S3Options{Compare: "checksum"}}},
		"thub-s3-whole-bucket": {S3: &S3{Source: Side{Kind: KindS3, Bucket: "spec-sample-src"},
			Destination: Side{Kind: KindS3, Bucket: "spec-sample-dst", Prefix: "all/"}, S3Options: S3Options{Compare: "size+etag"}}},
		"thub-s3-bucket-to-local": {S3: &S3{Source: Side{Kind: KindS3, Bucket: "spec-sample-src", Prefix: "photos/"},
			Destination: Side{Kind: KindLocal, Path: "/tmp/spec-samples/fromS3"}, S3Options: S3Options{Compare: "none"}}},

		"thub-image-references": {Image: &Image{
			Source: ImageSource{Kind: KindRegistry, References: []string{"127.0.0.1:5102/team/app:v1",
				"127.0.0.1:5102/team/db@sha256:" + strings.Repeat("a", 64)}},
			Destination:  ImageDestination{Kind: KindRegistry, Registry: "127.0.0.1:5102", Prefix: "mirror/copies"},
			ImageOptions: ImageOptions{Referrers: true, Attempts: 3}}},
		"thub-image-all-tags-filters": {Image: &Image{
			Source:      ImageSource{Kind: KindRegistry, References: []string{"127.0.0.1:5102/team/app:ALL_TAGS"}},
			Destination: ImageDestination{Kind: KindRegistry, Registry: "127.0.0.1:5102", Prefix: "mirror"},
			ImageOptions: ImageOptions{TagInclude: []string{"v[0-9]+"}, TagExclude: []string{".*-rc"}, Semver: ">=1.2, <2", Latest: 5,
				Platforms: []string{"linux/amd64", "linux/arm64/v8"}, Referrers: false, Attempts: 2}}},
		"thub-image-whole-ecr": {Image: &Image{
			Source:       ImageSource{Kind: KindECR, RepoPrefix: "team/", RepoRegex: "^team/.*"},
			Destination:  ImageDestination{Kind: KindRegistry, Registry: "127.0.0.1:5102", Prefix: "mirror"},
			ImageOptions: ImageOptions{Referrers: true, Attempts: 3}}},
		"thub-image-ecr-to-ecr": {Image: &Image{
			Source:       ImageSource{Kind: KindRegistry, References: []string{"127.0.0.1:5102/app:v2"}},
			Destination:  ImageDestination{Kind: KindECR, Prefix: "copies"},
			ImageOptions: ImageOptions{Referrers: true, Attempts: 3}}},
		"thub-image-ecr-hosts": {Image: &Image{
			Source: ImageSource{Kind: KindECR, Region: "eu-west-1", Account: "123456789012",
				References: []string{"app:v2", "team/web:ALL_TAGS"}},
			Destination:  ImageDestination{Kind: KindECR, Prefix: "mirror"},
			ImageOptions: ImageOptions{Referrers: true, Attempts: 1}}},

		"desktop-s3-local-to-s3": {S3: &S3{Source: Side{Kind: KindLocal, Path: "/home/you/photos"},
			Destination: Side{Kind: KindS3, Bucket: "archive", Prefix: "photos/"}}},
		"desktop-s3-to-local-interval": {S3: &S3{Source: Side{Kind: KindS3, Bucket: "src-bucket"},
			Destination: Side{Kind: KindLocal, Path: "/home/you/backup"}},
			Schedule: Schedule{Kind: ScheduleInterval, Every: "6h"}},
		"desktop-s3-all-options": {S3: &S3{
			Source:      Side{Kind: KindS3, Bucket: "src-bucket", Prefix: "data/", Region: "eu-west-1"},
			Destination: Side{Kind: KindS3, Bucket: "dst-bucket", Prefix: "copy/", Region: "cn-north-1"},
			S3Options: S3Options{Compare: "checksum", Prefixes: []string{"2024/", "a b/"}, Include: []string{"*.jpg", "**/*.png"},
				Exclude: []string{"tmp/**"}, MinSize: "1KiB", MaxSize: "5GiB", ModifiedAfter: "2024-01-01",
				ModifiedBefore: "2024-06-01T12:00:00Z", Delete: true, ServerSide: "never", Concurrency: 32,
				StorageClass: "STANDARD_IA", ACL: "bucket-owner-full-control", SSE: "aws:kms", SSEKMSKeyID: "alias/backup"}},
			Schedule: Schedule{Kind: ScheduleCron, Cron: "0 2 * * *"}},
		"desktop-image-registry": {Image: &Image{
			Source:      ImageSource{Kind: KindRegistry, References: []string{"team/app:v1", "team/db:ALL_TAGS"}},
			Destination: ImageDestination{Kind: KindRegistry, Registry: "mirror.example.com:5000", Prefix: "copies"},
			ImageOptions: ImageOptions{TagInclude: []string{"v.*"}, TagExclude: []string{".*-rc"}, Semver: ">=1.2, <2", Latest: 3,
				Platforms: []string{"linux/amd64", "linux/arm64/v8"}, Referrers: true, Concurrency: 4}}},
		"desktop-image-public-to-ecr": {Image: &Image{
			Source: ImageSource{Kind: KindRegistry, References: []string{"docker.io/library/alpine:3.20"}},
			Destination: ImageDestination{Kind: KindECR, Prefix: "mirror", Region: "us-east-1", Account: "123456789012",
				ScanOnPush: true, ImmutableTags: true, KMSKey: "alias/ecr"}},
			Schedule: Schedule{Kind: ScheduleInterval, Every: "24h"}},
		"desktop-image-ecr-to-registry": {Image: &Image{
			Source:       ImageSource{Kind: KindECR, Region: "eu-west-1", RepoPrefix: "team/", RepoRegex: "^team/(app|db)$"},
			Destination:  ImageDestination{Kind: KindRegistry},
			ImageOptions: ImageOptions{Referrers: true}}},
	}
	files, err := filepath.Glob("testdata/v1/*.json")
	require.NoError(t, err)
	require.Len(t, files, len(want), "every sample has an expectation")
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			require.NoError(t, err)
			got, err := Decode(raw)
			require.NoError(t, err)
			w, ok := want[name]
			require.True(t, ok, "no expectation for %s", name)
			w.V = Version
			assert.Equal(t, w, got)
			// and it stays the same through the current form
			enc, err := got.Encode()
			require.NoError(t, err)
			again, err := Decode(enc)
			require.NoError(t, err)
			assert.Equal(t, got, again)
		})
	}
}

// Upgrade keeps what the spec does not know in the desktop's shape (its profile ids).
func TestUpgradeKeepsWrapperFields(t *testing.T) {
	raw, err := os.ReadFile("testdata/v1/desktop-s3-all-options.json")
	require.NoError(t, err)
	up, err := Upgrade(raw)
	require.NoError(t, err)
	var doc struct {
		V  int `json:"v"`
		S3 struct {
			Source struct {
				ProfileID string `json:"profileId"`
			} `json:"source"`
		} `json:"s3"`
	}
	require.NoError(t, json.Unmarshal(up, &doc))
	assert.Equal(t, Version, doc.V)
	assert.Equal(t, "prof-aws", doc.S3.Source.ProfileID)
}

func TestDecodeRefusals(t *testing.T) {
	for in, want := range map[string]string{
		`{"v":3,"s3":{}}`:            "newer Transfer Hub",
		`{"v":2}`:                    "either an S3 or an image transfer",
		`{"v":1}`:                    "either an S3 or an image transfer",
		`{"s3":{}}`:                  "no version",
		`{"v":"2","s3":{}}`:          "not a number",
		`not json`:                   "unreadable",
		``:                           "empty",
		`{"v":2,"s3":{},"image":{}}`: "either an S3 or an image transfer",
	} {
		_, err := Decode([]byte(in))
		assert.ErrorIs(t, err, ErrUnreadable, in)
		assert.ErrorContains(t, err, want, in)
	}
}

func TestEncodeWritesTheCurrentVersionAndNoKeys(t *testing.T) {
	task := Task{S3: &S3{
		Source:      Side{Kind: KindS3, Bucket: "b", Access: Access{Keys: Keys{AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "top-secret", SessionToken: "tok"}}},
		Destination: Side{Kind: KindLocal, Path: "/d"},
		S3Options:   S3Options{StallTimeout: Duration(90e9)},
	}}
	raw, err := task.Encode()
	require.NoError(t, err)
	assert.NotContains(t, string(raw), "top-secret")
	assert.NotContains(t, string(raw), "AKIAEXAMPLE")
	assert.Contains(t, string(raw), `"v":2`)
	assert.Contains(t, string(raw), `"stallTimeout":"1m30s"`)
	back, err := Decode(raw)
	require.NoError(t, err)
	assert.Equal(t, state.TaskS3, back.Type())
	assert.True(t, back.S3.Source.Keys.IsZero())
	assert.Equal(t, Duration(90e9), back.S3.StallTimeout)
}

// No textual form of a side or an image side shows a secret.
func TestSecretsStayHidden(t *testing.T) {
	side := Side{Kind: KindS3, Bucket: "b", Access: Access{Keys: Keys{AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "top-secret", SessionToken: "sess-tok"}}}
	img := ImageSource{Kind: KindRegistry, ImageAccess: ImageAccess{Login: Login{User: "me", Password: "pass-word"}}}
	var logged strings.Builder
	lg := slog.New(slog.NewJSONHandler(&logged, nil))
	lg.Info("x", "side", side.Keys, "login", img.Login)
	for _, s := range []string{fmt.Sprintf("%v %+v %#v %s", side, side, side, side.Keys), fmt.Sprintf("%v %+v %#v", img, img, img), logged.String()} {
		for _, secret := range []string{"top-secret", "sess-tok", "pass-word"} {
			assert.NotContains(t, s, secret)
		}
	}
	b, err := json.Marshal(struct {
		K Keys
		L Login
	}{side.Keys, img.Login})
	require.NoError(t, err)
	assert.Equal(t, `{"K":null,"L":null}`, string(b))
}
