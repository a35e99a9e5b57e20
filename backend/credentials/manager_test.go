package credentials

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/invalid"
)

const (
	goodKeyID  = "AKIAIOSFODNN7EXAMPLE"
	goodSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

type fixture struct {
	m    *Manager
	kc   *MemoryKeychain
	path string
	logs *bytes.Buffer
	now  time.Time
}

func newFixture(t *testing.T, opts ...Option) *fixture {
	t.Helper()
	f := &fixture{kc: NewMemoryKeychain(), path: filepath.Join(t.TempDir(), "cfg", FileName), logs: &bytes.Buffer{},
		now: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
	log := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts = append([]Option{WithClock(func() time.Time { return f.now }), WithSharedProfileCheck(func(context.Context, string) error { return nil })}, opts...)
	f.m = NewManager(f.path, f.kc, log, opts...)
	return f
}

func s3compat(name string) Profile {
	return Profile{Name: name, Kind: KindS3Compatible, Provider: "other", Endpoint: "http://127.0.0.1:9000", AccessKeyID: "minio-user"}
}

func awsKeys(name string) Profile {
	return Profile{Name: name, Kind: KindAWS, Region: "eu-west-1", AccessKeyID: goodKeyID}
}

func registryProfile(name string) Profile {
	return Profile{Name: name, Kind: KindRegistry, Host: "registry.example.com:5000", Username: "robot"}
}

func fieldErrors(t *testing.T, err error) map[string]string {
	t.Helper()
	var verr *invalid.Error
	require.ErrorAs(t, err, &verr)
	require.ErrorIs(t, err, invalid.ErrInvalid)
	out := map[string]string{}
	for _, f := range verr.Fields {
		out[f.Field] = f.Message
	}
	return out
}

func TestSaveListResolveRoundTrip(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)

	a, err := f.m.Save(ctx, awsKeys("  Prod  "), &Secret{SecretAccessKey: goodSecret + "\n"})
	require.NoError(t, err)
	assert.Len(t, a.ID, 16)
	assert.Equal(t, "Prod", a.Name, "trimmed")
	assert.Equal(t, "aws", a.Partition, "partition from the region")
	assert.True(t, a.SecretSet)
	assert.Equal(t, f.now, a.CreatedAt)

	b, err := f.m.Save(ctx, s3compat("gateway"), &Secret{SecretAccessKey: "minio-secret"})
	require.NoError(t, err)
	c, err := f.m.Save(ctx, registryProfile("Registry"), &Secret{Password: " pass with spaces "})
	require.NoError(t, err)

	list, err := f.m.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 3)
	assert.Equal(t, []string{"gateway", "Prod", "Registry"}, []string{list[0].Name, list[1].Name, list[2].Name}, "sorted by name, case-insensitively")
	for _, p := range list {
		assert.True(t, p.SecretSet, p.Name)
	}

	r, err := f.m.Resolve(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, goodSecret, r.Secret.SecretAccessKey, "the pasted newline is trimmed")
	r, err = f.m.Resolve(ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, " pass with spaces ", r.Secret.Password, "a registry password is kept as typed")
	r, err = f.m.Resolve(ctx, b.ID)
	require.NoError(t, err)
	assert.Equal(t, "minio-secret", r.Secret.SecretAccessKey)

	// A new Manager on the same file and keychain (app restart) sees the same.
	again := NewManager(f.path, f.kc, nil)
	got, err := again.Get(ctx, b.ID)
	require.NoError(t, err)
	assert.Equal(t, b, got)
}

func TestSecretsNeverInTheFileOrTheLogs(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	_, err := f.m.Save(ctx, awsKeys("a"), &Secret{SecretAccessKey: goodSecret})
	require.NoError(t, err)
	_, err = f.m.Save(ctx, registryProfile("r"), &Secret{Password: "hunter2-registry-password"})
	require.NoError(t, err)
	// Also through a failed validation: messages must not quote the secret.
	_, err = f.m.Save(ctx, awsKeys("b"), &Secret{SecretAccessKey: "tooShortSecretValue"})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "tooShortSecretValue")

	data, err := os.ReadFile(f.path)
	require.NoError(t, err)
	for _, secret := range []string{goodSecret, "hunter2-registry-password"} {
		assert.NotContains(t, string(data), secret)
		assert.NotContains(t, f.logs.String(), secret)
	}
	assert.Contains(t, string(data), goodKeyID, "the key ID is an identifier and is stored")
	assert.Equal(t, 2, f.kc.Len())
}

func TestFileIsPrivateAndAtomic(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	_, err := f.m.Save(ctx, s3compat("one"), &Secret{SecretAccessKey: "s"})
	require.NoError(t, err)
	if runtime.GOOS != "windows" {
		st, err := os.Stat(f.path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
		dst, err := os.Stat(filepath.Dir(f.path))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o700), dst.Mode().Perm())
	}
	var onDisk struct {
		Version  int       `json:"version"`
		Profiles []Profile `json:"profiles"`
	}
	data, err := os.ReadFile(f.path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &onDisk))
	assert.Equal(t, 1, onDisk.Version)
	require.Len(t, onDisk.Profiles, 1)

	// No temp files are left behind.
	entries, err := os.ReadDir(filepath.Dir(f.path))
	require.NoError(t, err)
	assert.Len(t, entries, 1)

}

// A failed file write leaves the file as it was and takes back the secret written first.
func TestFailedWriteRollsBackTheSecret(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	p, err := f.m.Save(ctx, s3compat("one"), &Secret{SecretAccessKey: "first"})
	require.NoError(t, err)
	before, err := os.ReadFile(f.path)
	require.NoError(t, err)

	f.m.write = func(string, []Profile) error { return errors.New("disk full") }
	_, err = f.m.Save(ctx, s3compat("new"), &Secret{SecretAccessKey: "never-kept"})
	require.ErrorContains(t, err, "disk full")
	assert.Equal(t, 1, f.kc.Len(), "a new profile's secret is removed when its file cannot be written")

	_, err = f.m.Save(ctx, p, &Secret{SecretAccessKey: "second"})
	require.ErrorContains(t, err, "disk full")
	after, err := os.ReadFile(f.path)
	require.NoError(t, err)
	assert.Equal(t, before, after)

	f.m.write = writeFile
	r, err := f.m.Resolve(ctx, p.ID)
	require.NoError(t, err)
	assert.Equal(t, "first", r.Secret.SecretAccessKey, "the previous secret is back")
}

func TestSaveNilSecretKeepsTheStoredOne(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	p, err := f.m.Save(ctx, s3compat("gw"), &Secret{SecretAccessKey: "keep-me"})
	require.NoError(t, err)

	f.now = f.now.Add(time.Hour)
	p.Name = "gw renamed"
	p.Region = "eu-1"
	upd, err := f.m.Save(ctx, p, nil)
	require.NoError(t, err)
	assert.True(t, upd.SecretSet)
	assert.Equal(t, p.CreatedAt, upd.CreatedAt)
	assert.Equal(t, f.now, upd.UpdatedAt)
	r, err := f.m.Resolve(ctx, p.ID)
	require.NoError(t, err)
	assert.Equal(t, "keep-me", r.Secret.SecretAccessKey)
	assert.Equal(t, "gw renamed", r.Name)

	// Changing the key ID without a new secret is refused: the old secret belongs to the old key.
	upd.AccessKeyID = "other-user"
	_, err = f.m.Save(ctx, upd, nil)
	assert.Contains(t, fieldErrors(t, err)["secretAccessKey"], "you changed the access key ID")
	_, err = f.m.Save(ctx, upd, &Secret{SecretAccessKey: "new-secret"})
	require.NoError(t, err)
	r, err = f.m.Resolve(ctx, p.ID)
	require.NoError(t, err)
	assert.Equal(t, "new-secret", r.Secret.SecretAccessKey)
}

func TestSwitchToSharedProfileRemovesTheKeys(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	p, err := f.m.Save(ctx, awsKeys("acct"), &Secret{SecretAccessKey: goodSecret})
	require.NoError(t, err)
	p.AccessKeyID = ""
	p.SharedProfile = "sso-dev"
	upd, err := f.m.Save(ctx, p, nil)
	require.NoError(t, err)
	assert.False(t, upd.SecretSet)
	assert.Equal(t, 0, f.kc.Len())
	r, err := f.m.Resolve(ctx, p.ID)
	require.NoError(t, err, "a shared-config profile needs no keychain entry")
	assert.Equal(t, "sso-dev", r.S3Config().Profile)
	assert.Empty(t, r.S3Config().AccessKey)
}

func TestDeleteRemovesKeychainEntry(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	p, err := f.m.Save(ctx, s3compat("gw"), &Secret{SecretAccessKey: "s"})
	require.NoError(t, err)
	q, err := f.m.Save(ctx, s3compat("gw2"), &Secret{SecretAccessKey: "s"})
	require.NoError(t, err)
	require.NoError(t, f.m.Delete(ctx, p.ID))
	assert.Equal(t, 1, f.kc.Len())
	_, err = f.kc.Get(KeychainService, keychainUser(p.ID))
	assert.ErrorIs(t, err, ErrSecretNotFound)
	list, err := f.m.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, q.ID, list[0].ID)
	assert.ErrorIs(t, f.m.Delete(ctx, p.ID), ErrProfileNotFound)
	_, err = f.m.Resolve(ctx, p.ID)
	assert.ErrorIs(t, err, ErrProfileNotFound)
}

type usage map[string][]string

func (u usage) InUse(_ context.Context, id string) ([]string, error) {
	if names, ok := u["error"]; ok {
		return nil, errors.New(names[0])
	}
	return u[id], nil
}

func TestDeleteInUseNamesTheTasks(t *testing.T) {
	ctx := context.Background()
	u := usage{}
	f := newFixture(t, WithUsageChecker(u))
	p, err := f.m.Save(ctx, s3compat("gw"), &Secret{SecretAccessKey: "s"})
	require.NoError(t, err)
	u[p.ID] = []string{"nightly backup", "images"}
	err = f.m.Delete(ctx, p.ID)
	require.ErrorIs(t, err, ErrInUse)
	assert.Equal(t, `credentials "gw" are used by tasks "nightly backup", "images": delete those tasks or switch them to other credentials first`, err.Error())
	var iu *InUseError
	require.ErrorAs(t, err, &iu)
	assert.Equal(t, []string{"nightly backup", "images"}, iu.Tasks)
	assert.Equal(t, 1, f.kc.Len(), "nothing removed")

	u["error"] = []string{"store closed"}
	err = f.m.Delete(ctx, p.ID)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "check which tasks use them: store closed")

	clear(u)
	require.NoError(t, f.m.Delete(ctx, p.ID))
}

func TestKeychainFailures(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	p, err := f.m.Save(ctx, s3compat("gw"), &Secret{SecretAccessKey: "s"})
	require.NoError(t, err)
	before, err := os.ReadFile(f.path)
	require.NoError(t, err)

	f.kc.Fail(errors.New("org.freedesktop.secrets: no such name"))
	list, err := f.m.List(ctx)
	require.ErrorIs(t, err, ErrKeychain)
	require.Len(t, list, 1, "profiles are still listed")
	assert.False(t, list[0].SecretSet)

	_, err = f.m.Save(ctx, s3compat("new"), &Secret{SecretAccessKey: "s"})
	require.ErrorIs(t, err, ErrKeychain)
	assert.Contains(t, err.Error(), "unlocked")
	after, _ := os.ReadFile(f.path)
	assert.Equal(t, before, after, "no profile written without its secret")

	_, err = f.m.Resolve(ctx, p.ID)
	require.ErrorIs(t, err, ErrKeychain)
	res, err := f.m.Test(ctx, p.ID)
	require.NoError(t, err)
	assert.Equal(t, CodeKeychain, res.Code)
	assert.False(t, res.OK)

	err = f.m.Delete(ctx, p.ID)
	require.ErrorIs(t, err, ErrKeychain)
	f.kc.Fail(nil)
	list, err = f.m.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1, "a failed delete keeps the profile")
}

func TestMissingSecret(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	p, err := f.m.Save(ctx, registryProfile("reg"), &Secret{Password: "p"})
	require.NoError(t, err)
	require.NoError(t, f.kc.Delete(KeychainService, keychainUser(p.ID))) // removed outside the app
	got, err := f.m.Get(ctx, p.ID)
	require.NoError(t, err)
	assert.False(t, got.SecretSet)
	_, err = f.m.Resolve(ctx, p.ID)
	require.ErrorIs(t, err, ErrSecretMissing)
	assert.Contains(t, err.Error(), "enter the secret again")
	res, err := f.m.Test(ctx, p.ID)
	require.NoError(t, err)
	assert.Equal(t, CodeSecretMissing, res.Code)

	// Editing without a secret is refused until one is entered.
	_, err = f.m.Save(ctx, got, nil)
	assert.Contains(t, fieldErrors(t, err), "password")

	// A damaged entry is reported without its content.
	require.NoError(t, f.kc.Set(KeychainService, keychainUser(p.ID), "not-json-SECRETVALUE"))
	_, err = f.m.Resolve(ctx, p.ID)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "SECRETVALUE")
}

func TestUnreadableFileIsNeverOverwritten(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	require.NoError(t, os.MkdirAll(filepath.Dir(f.path), 0o700))
	garbage := []byte(`{"version":1,"profiles":[{"id":"x",`)
	require.NoError(t, os.WriteFile(f.path, garbage, 0o600))

	_, err := f.m.List(ctx)
	require.ErrorIs(t, err, ErrUnreadable)
	assert.Contains(t, err.Error(), "not valid JSON")
	_, err = f.m.Save(ctx, s3compat("gw"), &Secret{SecretAccessKey: "s"})
	require.ErrorIs(t, err, ErrUnreadable)
	data, _ := os.ReadFile(f.path)
	assert.Equal(t, garbage, data)
	assert.Equal(t, 0, f.kc.Len())

	require.NoError(t, os.WriteFile(f.path, []byte(`{"version":7,"profiles":[]}`), 0o600))
	_, err = f.m.List(ctx)
	require.ErrorIs(t, err, ErrUnreadable)
	assert.Contains(t, err.Error(), "newer Transfer Hub")
}

func TestMissingFileIsEmpty(t *testing.T) {
	f := newFixture(t)
	list, err := f.m.List(context.Background())
	require.NoError(t, err)
	assert.Empty(t, list)
	_, err = os.Stat(f.path)
	assert.ErrorIs(t, err, os.ErrNotExist, "reading creates nothing")
}

func TestSaveUnknownIDAndKindChange(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	p := s3compat("x")
	p.ID = "does-not-exist"
	_, err := f.m.Save(ctx, p, &Secret{SecretAccessKey: "s"})
	require.ErrorIs(t, err, ErrProfileNotFound)

	saved, err := f.m.Save(ctx, s3compat("x"), &Secret{SecretAccessKey: "s"})
	require.NoError(t, err)
	changed := registryProfile("x")
	changed.ID = saved.ID
	_, err = f.m.Save(ctx, changed, &Secret{Password: "p"})
	assert.Contains(t, fieldErrors(t, err)["kind"], "cannot change its kind")
}

func TestTestResultIsRecordedAndClearedByAnEdit(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, WithTestTimeout(5*time.Second))
	p := s3compat("closed port")
	p.Endpoint = "http://127.0.0.1:1"
	saved, err := f.m.Save(ctx, p, &Secret{SecretAccessKey: "s"})
	require.NoError(t, err)
	res, err := f.m.Test(ctx, saved.ID)
	require.NoError(t, err)
	assert.False(t, res.OK)
	assert.Equal(t, CodeUnreachable, res.Code)
	assert.Contains(t, res.Message, "http://127.0.0.1:1")
	assert.Contains(t, res.Detail, "connection refused")
	assert.Equal(t, f.now, res.At)

	got, err := f.m.Get(ctx, saved.ID)
	require.NoError(t, err)
	require.NotNil(t, got.LastTest)
	assert.Equal(t, res, *got.LastTest)

	got.Name = "renamed"
	upd, err := f.m.Save(ctx, got, nil)
	require.NoError(t, err)
	assert.Nil(t, upd.LastTest)

	_, err = f.m.Test(ctx, "nope")
	assert.ErrorIs(t, err, ErrProfileNotFound)
}

func TestConversions(t *testing.T) {
	aws := Resolved{Profile: Profile{Kind: KindAWS, Region: "cn-north-1", Partition: "aws-cn", AccessKeyID: goodKeyID,
		RoleARN: "arn:aws-cn:iam::123456789012:role/x", ExternalID: "ext"}, Secret: Secret{SecretAccessKey: goodSecret, SessionToken: "tok"}}
	c := aws.S3Config()
	assert.Equal(t, "aws", c.Provider)
	assert.Empty(t, c.Region, "a bucket's own region is found, within the profile's partition")
	assert.Equal(t, "cn-north-1", c.DefaultRegion)
	assert.Equal(t, goodKeyID, c.AccessKey)
	assert.Equal(t, goodSecret, c.SecretKey)
	assert.Equal(t, "tok", c.SessionToken)
	assert.Equal(t, "arn:aws-cn:iam::123456789012:role/x", c.RoleARN)
	assert.Equal(t, "ext", c.ExternalID)
	assert.True(t, aws.ForS3())
	assert.False(t, aws.ForRegistry())

	s3c := Resolved{Profile: Profile{Kind: KindS3Compatible, Provider: "aliyun-oss", Region: "cn-hangzhou", AccessKeyID: "ak", PathStyle: true},
		Secret: Secret{SecretAccessKey: "sk"}}
	c = s3c.S3Config()
	assert.Equal(t, "aliyun-oss", c.Provider)
	assert.Equal(t, "path", c.PathStyle)
	assert.Equal(t, "ak", c.AccessKey)
	assert.Equal(t, "sk", c.SecretKey)
	assert.Empty(t, c.Profile)

	reg := Resolved{Profile: Profile{Kind: KindRegistry, Host: "r.example:5000", Username: "u", CAFile: "/ca.pem"}, Secret: Secret{Password: "pw"}}
	host, cred, insecure, ca := reg.RegistryAccess()
	assert.Equal(t, "r.example:5000", host)
	assert.Equal(t, "u", cred.User)
	assert.Equal(t, "pw", cred.Password)
	assert.False(t, insecure)
	assert.Equal(t, "/ca.pem", ca)
	assert.NotEqual(t, "", reg.S3Config().Provider, "a registry profile never yields a default-chain S3 config")
	assert.True(t, strings.Contains(reg.S3Config().Provider, "not-s3"))
}
