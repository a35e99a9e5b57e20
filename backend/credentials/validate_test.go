package credentials

import (
	"context"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/invalid"
)

// Each case is one bad input and the words the form must show for it.
func TestValidationMessages(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	require.NoError(t, os.WriteFile(notPEM, []byte("hello"), 0o600))

	cases := []struct {
		name   string
		p      Profile
		secret *Secret
		field  string
		want   string
	}{
		{"no name", Profile{Kind: KindS3Compatible, Provider: "other", Endpoint: "http://h:1", AccessKeyID: "a"}, &Secret{SecretAccessKey: "s"}, "name", "enter a name"},
		{"long name", Profile{Name: strings.Repeat("n", 65), Kind: KindRegistry, Host: "h", Username: "u"}, &Secret{Password: "p"}, "name", "65 characters long; use at most 64"},
		{"name with a tab", Profile{Name: "a\tb", Kind: KindRegistry, Host: "h", Username: "u"}, &Secret{Password: "p"}, "name", "control character"},
		{"duplicate name", Profile{Name: "TAKEN", Kind: KindRegistry, Host: "h", Username: "u"}, &Secret{Password: "p"}, "name", `already called "taken"`},
		{"no kind", Profile{Name: "x"}, nil, "kind", "choose what these credentials are for"},
		{"bad kind", Profile{Name: "x", Kind: "ftp"}, nil, "kind", `"ftp" is not a kind`},

		{"aws no region", Profile{Name: "x", Kind: KindAWS, AccessKeyID: goodKeyID}, &Secret{SecretAccessKey: goodSecret}, "region", "choose the default region"},
		{"aws bad region", Profile{Name: "x", Kind: KindAWS, Region: "europe", AccessKeyID: goodKeyID}, &Secret{SecretAccessKey: goodSecret}, "region", `"europe" is not an AWS region name`},
		{"aws region of another partition", Profile{Name: "x", Kind: KindAWS, Partition: "aws", Region: "cn-north-1", AccessKeyID: goodKeyID}, &Secret{SecretAccessKey: goodSecret}, "region", "cn-north-1 is a region of the aws-cn partition, not aws"},
		{"aws gov region in china", Profile{Name: "x", Kind: KindAWS, Partition: "aws-cn", Region: "us-gov-west-1", AccessKeyID: goodKeyID}, &Secret{SecretAccessKey: goodSecret}, "region", "us-gov-west-1 is a region of the aws-us-gov partition, not aws-cn"},
		{"aws bad partition", Profile{Name: "x", Kind: KindAWS, Partition: "azure", Region: "us-east-1", AccessKeyID: goodKeyID}, &Secret{SecretAccessKey: goodSecret}, "partition", `"azure" is not an AWS partition`},
		{"aws no key", Profile{Name: "x", Kind: KindAWS, Region: "us-east-1"}, &Secret{SecretAccessKey: goodSecret}, "accessKeyId", "enter the access key ID"},
		{"aws short key", Profile{Name: "x", Kind: KindAWS, Region: "us-east-1", AccessKeyID: "AKIA123"}, &Secret{SecretAccessKey: goodSecret}, "accessKeyId", `is 20 characters, like AKIAIOSFODNN7EXAMPLE; "AKIA123" has 7`},
		{"aws lowercase key", Profile{Name: "x", Kind: KindAWS, Region: "us-east-1", AccessKeyID: strings.ToLower(goodKeyID)}, &Secret{SecretAccessKey: goodSecret}, "accessKeyId", "only uppercase letters and digits"},
		{"aws key prefix", Profile{Name: "x", Kind: KindAWS, Region: "us-east-1", AccessKeyID: "AIDAIOSFODNN7EXAMPLE"}, &Secret{SecretAccessKey: goodSecret}, "accessKeyId", "starts with AKIA (long-term keys) or ASIA"},
		{"aws no secret", Profile{Name: "x", Kind: KindAWS, Region: "us-east-1", AccessKeyID: goodKeyID}, nil, "secretAccessKey", "enter the secret access key"},
		{"aws short secret", Profile{Name: "x", Kind: KindAWS, Region: "us-east-1", AccessKeyID: goodKeyID}, &Secret{SecretAccessKey: "abc"}, "secretAccessKey", "40 characters; this one has 3"},
		{"aws secret with space", Profile{Name: "x", Kind: KindAWS, Region: "us-east-1", AccessKeyID: goodKeyID}, &Secret{SecretAccessKey: goodSecret[:20] + " " + goodSecret[21:]}, "secretAccessKey", "contains spaces"},
		{"aws temp keys need a token", Profile{Name: "x", Kind: KindAWS, Region: "us-east-1", AccessKeyID: "ASIAIOSFODNN7EXAMPLE"}, &Secret{SecretAccessKey: goodSecret}, "sessionToken", "temporary: enter the session token"},
		{"aws long-term keys take no token", Profile{Name: "x", Kind: KindAWS, Region: "us-east-1", AccessKeyID: goodKeyID}, &Secret{SecretAccessKey: goodSecret, SessionToken: "t"}, "sessionToken", "take no session token"},
		{"aws keys and profile", Profile{Name: "x", Kind: KindAWS, Region: "us-east-1", AccessKeyID: goodKeyID, SharedProfile: "dev"}, &Secret{SecretAccessKey: goodSecret}, "sharedProfile", "either access keys or an AWS CLI profile"},
		{"aws profile name", Profile{Name: "x", Kind: KindAWS, Region: "us-east-1", SharedProfile: "my profile"}, nil, "sharedProfile", "no spaces or brackets"},
		{"aws profile with a secret", Profile{Name: "x", Kind: KindAWS, Region: "us-east-1", SharedProfile: "dev"}, &Secret{SecretAccessKey: goodSecret}, "secretAccessKey", "brings its own credentials"},
		{"aws bad role", Profile{Name: "x", Kind: KindAWS, Region: "us-east-1", SharedProfile: "dev", RoleARN: "role/Admin"}, nil, "roleArn", "arn:aws:iam::123456789012:role/RoleName"},
		{"aws role of another partition", Profile{Name: "x", Kind: KindAWS, Region: "cn-north-1", SharedProfile: "dev", RoleARN: "arn:aws:iam::123456789012:role/Admin"}, nil, "roleArn", "the role is in the aws partition but these credentials are for aws-cn"},
		{"aws external id without role", Profile{Name: "x", Kind: KindAWS, Region: "us-east-1", SharedProfile: "dev", ExternalID: "abc"}, nil, "externalId", "only used when assuming a role"},
		{"aws external id chars", Profile{Name: "x", Kind: KindAWS, Region: "us-east-1", SharedProfile: "dev", RoleARN: "arn:aws:iam::123456789012:role/A", ExternalID: "has space"}, nil, "externalId", "without spaces"},
		{"aws test bucket", Profile{Name: "x", Kind: KindAWS, Region: "us-east-1", SharedProfile: "dev", TestBucket: "Bad_Bucket"}, nil, "testBucket", "invalid bucket name"},

		{"s3 no provider", Profile{Name: "x", Kind: KindS3Compatible, AccessKeyID: "a"}, &Secret{SecretAccessKey: "s"}, "provider", "choose the provider"},
		{"s3 aws provider", Profile{Name: "x", Kind: KindS3Compatible, Provider: "aws", AccessKeyID: "a"}, &Secret{SecretAccessKey: "s"}, "provider", "create an AWS profile"},
		{"s3 unknown provider", Profile{Name: "x", Kind: KindS3Compatible, Provider: "dropbox", AccessKeyID: "a"}, &Secret{SecretAccessKey: "s"}, "provider", `unknown provider "dropbox"`},
		{"s3 needs endpoint", Profile{Name: "x", Kind: KindS3Compatible, Provider: "cloudflare-r2", AccessKeyID: "a"}, &Secret{SecretAccessKey: "s"}, "endpoint", "cloudflare-r2 needs the endpoint URL"},
		{"s3 bad endpoint", Profile{Name: "x", Kind: KindS3Compatible, Provider: "other", Endpoint: "ftp://host", AccessKeyID: "a"}, &Secret{SecretAccessKey: "s"}, "endpoint", "the scheme must be http or https"},
		{"s3 endpoint with query", Profile{Name: "x", Kind: KindS3Compatible, Provider: "other", Endpoint: "https://h/?x=1", AccessKeyID: "a"}, &Secret{SecretAccessKey: "s"}, "endpoint", "no query or fragment"},
		{"s3 bad region", Profile{Name: "x", Kind: KindS3Compatible, Provider: "aliyun-oss", Region: "CN Hangzhou", AccessKeyID: "a"}, &Secret{SecretAccessKey: "s"}, "region", "lowercase letters, digits and hyphens"},
		{"s3 no key", Profile{Name: "x", Kind: KindS3Compatible, Provider: "gcs"}, &Secret{SecretAccessKey: "s"}, "accessKeyId", "enter the access key ID"},
		{"s3 key with space", Profile{Name: "x", Kind: KindS3Compatible, Provider: "gcs", AccessKeyID: "a b"}, &Secret{SecretAccessKey: "s"}, "accessKeyId", "no spaces"},
		{"s3 no secret", Profile{Name: "x", Kind: KindS3Compatible, Provider: "gcs", AccessKeyID: "a"}, nil, "secretAccessKey", "enter the secret key"},
		{"s3 token", Profile{Name: "x", Kind: KindS3Compatible, Provider: "gcs", AccessKeyID: "a"}, &Secret{SecretAccessKey: "s", SessionToken: "t"}, "sessionToken", "take no session token"},

		{"registry no host", Profile{Name: "x", Kind: KindRegistry, Username: "u"}, &Secret{Password: "p"}, "host", "enter the registry host"},
		{"registry scheme", Profile{Name: "x", Kind: KindRegistry, Host: "https://r.example.com", Username: "u"}, &Secret{Password: "p"}, "host", "without http:// or https://"},
		{"registry path", Profile{Name: "x", Kind: KindRegistry, Host: "r.example.com/v2", Username: "u"}, &Secret{Password: "p"}, "host", "no path"},
		{"registry port", Profile{Name: "x", Kind: KindRegistry, Host: "r.example.com:99999", Username: "u"}, &Secret{Password: "p"}, "host", `port "99999" is not a number from 1 to 65535`},
		{"registry empty port", Profile{Name: "x", Kind: KindRegistry, Host: "r.example.com:", Username: "u"}, &Secret{Password: "p"}, "host", "port"},
		{"registry underscore", Profile{Name: "x", Kind: KindRegistry, Host: "my_registry.local", Username: "u"}, &Secret{Password: "p"}, "host", "not a valid host name"},
		{"registry no user", Profile{Name: "x", Kind: KindRegistry, Host: "r.example.com"}, &Secret{Password: "p"}, "username", "enter the user name"},
		{"registry no password", Profile{Name: "x", Kind: KindRegistry, Host: "r.example.com", Username: "u"}, nil, "password", "enter the password or access token"},
		{"registry empty password", Profile{Name: "x", Kind: KindRegistry, Host: "r.example.com", Username: "u"}, &Secret{}, "password", "enter the password"},
		{"registry relative CA", Profile{Name: "x", Kind: KindRegistry, Host: "r.example.com", Username: "u", CAFile: "ca.pem"}, &Secret{Password: "p"}, "caFile", "relative path"},
		{"registry missing CA", Profile{Name: "x", Kind: KindRegistry, Host: "r.example.com", Username: "u", CAFile: filepath.Join(dir, "none.pem")}, &Secret{Password: "p"}, "caFile", "cannot read"},
		{"registry CA not PEM", Profile{Name: "x", Kind: KindRegistry, Host: "r.example.com", Username: "u", CAFile: notPEM}, &Secret{Password: "p"}, "caFile", "holds no PEM certificate"},
		{"registry CA with HTTP", Profile{Name: "x", Kind: KindRegistry, Host: "r.example.com", Username: "u", CAFile: notPEM, InsecureHTTP: true}, &Secret{Password: "p"}, "caFile", "plain HTTP uses none"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := validation{p: normalize(tc.p), secret: tc.secret, others: []Profile{{ID: "o", Name: "taken"}},
				sharedC: func(context.Context, string) error { return nil }}
			err := v.run(context.Background())
			require.Error(t, err)
			var verr *invalid.Error
			require.ErrorAs(t, err, &verr)
			assert.Contains(t, verr.Field(tc.field), tc.want, "all: %v", verr.Fields)
			if tc.secret != nil {
				for _, s := range []string{tc.secret.SecretAccessKey, tc.secret.Password, tc.secret.SessionToken} {
					if len(s) > 3 {
						assert.NotContains(t, err.Error(), s, "a secret in a message")
					}
				}
			}
		})
	}
}

func TestValidProfilesPass(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(ca, []byte(testCAPEM(t)), 0o600))
	good := []struct {
		p      Profile
		secret *Secret
	}{
		{Profile{Name: "aws keys", Kind: KindAWS, Region: "us-west-2", AccessKeyID: goodKeyID}, &Secret{SecretAccessKey: goodSecret}},
		{Profile{Name: "aws temp", Kind: KindAWS, Region: "eu-central-1", AccessKeyID: "ASIAIOSFODNN7EXAMPLE"}, &Secret{SecretAccessKey: goodSecret, SessionToken: "FwoGZXIvYXdzE"}},
		{Profile{Name: "aws cn", Kind: KindAWS, Partition: "aws-cn", Region: "cn-northwest-1", SharedProfile: "china", RoleARN: "arn:aws-cn:iam::123456789012:role/path/Mover", ExternalID: "ext-id:1"}, nil},
		{Profile{Name: "aws gov", Kind: KindAWS, Region: "us-gov-east-1", SharedProfile: "gov"}, nil},
		{Profile{Name: "aws new region", Kind: KindAWS, Region: "eu-east-9", AccessKeyID: goodKeyID}, &Secret{SecretAccessKey: goodSecret}},
		{Profile{Name: "oss", Kind: KindS3Compatible, Provider: "aliyun-oss", Region: "cn-hangzhou", AccessKeyID: "LTAI5t"}, &Secret{SecretAccessKey: "secret"}},
		{Profile{Name: "custom", Kind: KindS3Compatible, Endpoint: "127.0.0.1:7070", AccessKeyID: "k"}, &Secret{SecretAccessKey: "s"}},
		{Profile{Name: "r2", Kind: KindS3Compatible, Provider: "cloudflare-r2", Endpoint: "https://acct.r2.cloudflarestorage.com", AccessKeyID: "k", TestBucket: "my-bucket"}, &Secret{SecretAccessKey: "s"}},
		{Profile{Name: "reg", Kind: KindRegistry, Host: "Registry.Example.com:5000", Username: "robot$ci", CAFile: ca}, &Secret{Password: "p w"}},
		{Profile{Name: "reg ip", Kind: KindRegistry, Host: "127.0.0.1:5002", Username: "u", InsecureHTTP: true}, &Secret{Password: "p"}},
		{Profile{Name: "reg v6", Kind: KindRegistry, Host: "[::1]:5000", Username: "u"}, &Secret{Password: "p"}},
		{Profile{Name: "hub", Kind: KindRegistry, Host: "docker.io", Username: "u"}, &Secret{Password: "p"}},
	}
	for _, g := range good {
		t.Run(g.p.Name, func(t *testing.T) {
			p := normalize(g.p)
			v := validation{p: p, secret: g.secret, sharedC: func(context.Context, string) error { return nil }}
			require.NoError(t, v.run(context.Background()))
		})
	}
}

func TestNormalizeClearsOtherKindsFields(t *testing.T) {
	p := normalize(Profile{Name: " x ", Kind: " Registry ", Host: " R.Example.COM ", Username: " u ",
		Region: "us-east-1", AccessKeyID: "AK", Provider: "gcs", Endpoint: "https://e", SharedProfile: "p", RoleARN: "arn", TestBucket: "b"})
	assert.Equal(t, Profile{Name: "x", Kind: KindRegistry, Host: "r.example.com", Username: "u"}, p)

	p = normalize(Profile{Kind: KindS3Compatible, Endpoint: "s3.example.com/", Host: "h"})
	assert.Equal(t, "https://s3.example.com", p.Endpoint, "a bare host gets https://")
	assert.Equal(t, "other", p.Provider, "a custom endpoint without a provider is \"other\"")
	assert.Empty(t, p.Host)
}

func TestSharedProfileCheckAndList(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	creds := filepath.Join(dir, "credentials")
	require.NoError(t, os.WriteFile(cfg, []byte("[default]\nregion = us-east-1\n[profile dev]\nregion = eu-west-1\n[sso-session corp]\nsso_region = us-east-1\n[services local]\n"), 0o600))
	require.NoError(t, os.WriteFile(creds, []byte("[ci]\naws_access_key_id = AKIA\naws_secret_access_key = x\n"), 0o600))
	t.Setenv("AWS_CONFIG_FILE", cfg)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)

	assert.Equal(t, []string{"ci", "default", "dev"}, SharedProfiles())
	ctx := context.Background()
	require.NoError(t, sharedProfileExists(ctx, "dev"))
	require.NoError(t, sharedProfileExists(ctx, "ci"))
	err := sharedProfileExists(ctx, "prod")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `there is no profile "prod" in `+cfg)
	assert.Contains(t, err.Error(), "aws configure --profile prod")

	// Through the Manager: the real check applies.
	m := NewManager(filepath.Join(dir, FileName), NewMemoryKeychain(), nil)
	_, err = m.Save(ctx, Profile{Name: "x", Kind: KindAWS, Region: "us-east-1", SharedProfile: "prod"}, nil)
	var verr *invalid.Error
	require.True(t, errors.As(err, &verr))
	assert.Contains(t, verr.Field("sharedProfile"), `no profile "prod"`)
	_, err = m.Save(ctx, Profile{Name: "x", Kind: KindAWS, Region: "us-east-1", SharedProfile: "dev"}, nil)
	require.NoError(t, err)
}

func TestRegionsAndPartitions(t *testing.T) {
	assert.Equal(t, []string{"aws", "aws-cn", "aws-us-gov"}, Partitions())
	for _, part := range Partitions() {
		regions := Regions(part)
		require.NotEmpty(t, regions, part)
		for _, r := range regions {
			got, ok := RegionPartition(r)
			assert.True(t, ok, r)
			assert.Equal(t, part, got, "%s is listed under %s", r, part)
		}
	}
	assert.Nil(t, Regions("aws-iso"))
	_, ok := RegionPartition("moon-1")
	assert.False(t, ok)
}

// testCAPEM is the PEM of a fresh self-signed certificate (httptest's), only parsed here.
func testCAPEM(t *testing.T) string {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
}
