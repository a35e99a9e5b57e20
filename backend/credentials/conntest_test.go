package credentials

import (
	"context"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/testenv"
)

// saveAndTest saves a profile in a fresh Manager and runs Test connection on it.
func saveAndTest(t *testing.T, p Profile, s *Secret) TestResult {
	t.Helper()
	f := newFixture(t)
	saved, err := f.m.Save(context.Background(), p, s)
	require.NoError(t, err)
	res, err := f.m.Test(context.Background(), saved.ID)
	require.NoError(t, err)
	if s != nil {
		for _, secret := range []string{s.SecretAccessKey, s.Password, s.SessionToken} {
			if len(secret) >= 8 {
				assert.NotContains(t, res.Message+res.Detail, secret, "a secret in the test result")
				assert.NotContains(t, f.logs.String(), secret, "a secret in the logs")
			}
		}
	}
	return res
}

func gateway(env *testenv.Env, gw string) (Profile, *Secret) {
	return Profile{Name: "gateway " + gw, Kind: KindS3Compatible, Provider: "other",
			Endpoint: env.Get("TH_S3_" + gw + "_ENDPOINT"), Region: env.Get("TH_S3_" + gw + "_REGION"),
			AccessKeyID: env.Get("TH_S3_" + gw + "_ACCESS_KEY")},
		&Secret{SecretAccessKey: env.Get("TH_S3_" + gw + "_SECRET_KEY")}
}

func TestConnectionS3Gateways(t *testing.T) {
	env := testenv.Load(t)
	env.Require(t, testenv.S3A, testenv.S3B)
	for _, gw := range []string{"A", "B"} {
		t.Run(gw, func(t *testing.T) {
			p, s := gateway(env, gw)
			res := saveAndTest(t, p, s)
			require.True(t, res.OK, "%+v", res)
			assert.Equal(t, CodeOK, res.Code)
			assert.GreaterOrEqual(t, res.Buckets, 0)
			assert.Contains(t, res.Message, "Connected to "+p.Endpoint)
			assert.Empty(t, res.Detail)

			bad := *s
			bad.SecretAccessKey = "wrong" + s.SecretAccessKey
			res = saveAndTest(t, p, &bad)
			assert.False(t, res.OK)
			assert.Equal(t, CodeWrongSecret, res.Code, "%+v", res)
			assert.Contains(t, res.Message, "Wrong secret key")
			assert.Contains(t, res.Detail, "SignatureDoesNotMatch", "the raw error stays available")

			unknown := p
			unknown.AccessKeyID = testenv.Name("nobody")
			res = saveAndTest(t, unknown, s)
			assert.False(t, res.OK)
			assert.Equal(t, CodeWrongAccessKey, res.Code, "%+v", res)
			assert.Contains(t, res.Message, "Wrong access key ID")
		})
	}
}

func TestConnectionS3TestBucket(t *testing.T) {
	env := testenv.Load(t)
	env.Require(t, testenv.S3A)
	ctx := context.Background()
	client := s3.NewFromConfig(env.S3Config(t, testenv.S3A), func(o *s3.Options) { o.UsePathStyle = true })
	bucket := testenv.Name("cred-test")
	_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = client.DeleteBucket(context.Background(), &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
	})

	p, s := gateway(env, "A")
	p.TestBucket = bucket
	res := saveAndTest(t, p, s)
	require.True(t, res.OK, "%+v", res)
	assert.Contains(t, res.Message, "bucket "+bucket+" is reachable")
	assert.Equal(t, -1, res.Buckets)

	p.TestBucket = testenv.Name("missing")
	res = saveAndTest(t, p, s)
	assert.False(t, res.OK)
	assert.Equal(t, CodeNoSuchBucket, res.Code, "%+v", res)
	assert.Contains(t, res.Message, "Bucket "+p.TestBucket+" does not exist")
}

func TestConnectionRegistry(t *testing.T) {
	env := testenv.Load(t)
	env.Require(t, testenv.RegAuth)
	host := env.Get("TH_REG_AUTH")
	p := Profile{Name: "registry", Kind: KindRegistry, Host: host, Username: env.Get("TH_REG_AUTH_USER"), CAFile: env.Get("TH_REG_AUTH_CA")}
	good := &Secret{Password: env.Get("TH_REG_AUTH_PASS")}

	res := saveAndTest(t, p, good)
	require.True(t, res.OK, "%+v", res)
	assert.Equal(t, fmt.Sprintf("Signed in to %s as AWS (HTTPS).", host), res.Message)

	res = saveAndTest(t, p, &Secret{Password: "wrong-" + good.Password})
	assert.False(t, res.OK)
	assert.Equal(t, CodeUnauthorized, res.Code, "%+v", res)
	assert.Contains(t, res.Message, "refused the user name or password")

	// Without the CA file the self-signed certificate is not trusted.
	noCA := p
	noCA.CAFile = ""
	res = saveAndTest(t, noCA, good)
	assert.False(t, res.OK)
	assert.Equal(t, CodeTLSUnknownCA, res.Code, "%+v", res)
	assert.Contains(t, res.Message, "add the certificate of the CA")

	// Plain HTTP against a TLS port.
	plain := p
	plain.CAFile = ""
	plain.InsecureHTTP = true
	res = saveAndTest(t, plain, good)
	assert.False(t, res.OK, "%+v", res)
}

func TestConnectionRegistryPlainHTTPNeedsTheOption(t *testing.T) {
	env := testenv.Load(t)
	env.Require(t, testenv.RegOpen)
	p := Profile{Name: "open", Kind: KindRegistry, Host: env.Get("TH_REG_OPEN"), Username: "anyone"}
	res := saveAndTest(t, p, &Secret{Password: "anonymous-registry-ignores-this"})
	assert.False(t, res.OK)
	assert.Equal(t, CodeTLSNotTLS, res.Code, "%+v", res)
	assert.Contains(t, res.Message, `tick "Plain HTTP"`)

	p.InsecureHTTP = true
	res = saveAndTest(t, p, &Secret{Password: "anonymous-registry-ignores-this"})
	require.True(t, res.OK, "%+v", res)
	assert.Contains(t, res.Message, "plain HTTP")
}

func TestConnectionAWSViaSTS(t *testing.T) {
	env := testenv.Load(t)
	env.Require(t, testenv.AWS)
	// The SDK's own endpoint override: every AWS call goes to the emulator.
	t.Setenv("AWS_ENDPOINT_URL", env.Get("TH_AWS_ENDPOINT"))
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent/config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
	p := Profile{Name: "aws", Kind: KindAWS, Region: env.Get("TH_AWS_REGION"), AccessKeyID: "AKIA" + randomUpper(t, 16)}
	require.Len(t, p.AccessKeyID, 20)
	res := saveAndTest(t, p, &Secret{SecretAccessKey: goodSecret})
	require.True(t, res.OK, "%+v", res)
	assert.Regexp(t, `^[0-9]{12}$`, res.Account)
	assert.True(t, strings.HasPrefix(res.ARN, "arn:aws:"), res.ARN)
	assert.Contains(t, res.Message, "Signed in to AWS as "+res.ARN+" (account "+res.Account+")")

	// Assuming a role on top (the emulator allows any role).
	p.RoleARN = "arn:aws:iam::" + res.Account + ":role/" + testenv.Name("mover")
	res = saveAndTest(t, p, &Secret{SecretAccessKey: goodSecret})
	require.True(t, res.OK, "%+v", res)
	assert.Contains(t, res.ARN, "assumed-role/", "GetCallerIdentity answers as the assumed role")
}

// errorServer answers every request with an S3/STS-style error document.
func errorServer(t *testing.T, status int, code string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>test says %s</Message><RequestId>1</RequestId></Error>`, code, code)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// The services the tests above reach cannot be made to skew their clock or deny a
// permission on demand: a local HTTP server answers with those errors instead.
func TestConnectionErrorWordsFromServiceAnswers(t *testing.T) {
	cases := []struct {
		status   int
		code     string
		wantCode string
		want     string
	}{
		{403, "RequestTimeTooSkewed", CodeClockSkew, "clock is too far"},
		{403, "AccessDenied", CodeAccessDenied, "no permission"},
		{403, "InvalidAccessKeyId", CodeWrongAccessKey, "Wrong access key ID"},
		{403, "SignatureDoesNotMatch", CodeWrongSecret, "Wrong secret key"},
		{400, "ExpiredToken", CodeExpiredToken, "have expired"},
		{301, "PermanentRedirect", CodeWrongRegion, "another region"},
		{500, "InternalError", CodeServiceError, "InternalError"},
	}
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			url := errorServer(t, tc.status, tc.code)
			res := saveAndTest(t, Profile{Name: "x", Kind: KindS3Compatible, Provider: "other", Endpoint: url, AccessKeyID: "k"}, &Secret{SecretAccessKey: "s"})
			assert.False(t, res.OK)
			assert.Equal(t, tc.wantCode, res.Code, "%+v", res)
			assert.Contains(t, res.Message, tc.want)
			assert.Contains(t, res.Detail, tc.code)
		})
	}
}

func TestConnectionNetworkErrors(t *testing.T) {
	// TLS to a plain HTTP server.
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	res := saveAndTest(t, Profile{Name: "x", Kind: KindS3Compatible, Provider: "other", Endpoint: strings.Replace(srv.URL, "http://", "https://", 1), AccessKeyID: "k"}, &Secret{SecretAccessKey: "s"})
	assert.Equal(t, CodeTLSNotTLS, res.Code, "%+v", res)
	assert.Contains(t, res.Message, "change the endpoint to http://")

	// A self-signed HTTPS endpoint.
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(tlsSrv.Close)
	res = saveAndTest(t, Profile{Name: "x", Kind: KindS3Compatible, Provider: "other", Endpoint: tlsSrv.URL, AccessKeyID: "k"}, &Secret{SecretAccessKey: "s"})
	assert.Equal(t, CodeTLSUnknownCA, res.Code, "%+v", res)
	assert.Contains(t, res.Message, "authority this computer does not trust")

	// A trusted certificate for another name: httptest's names 127.0.0.1 and
	// example.com, not localhost.
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsSrv.Certificate().Raw}), 0o600))
	res = saveAndTest(t, Profile{Name: "x", Kind: KindRegistry, Host: strings.Replace(tlsSrv.Listener.Addr().String(), "127.0.0.1", "localhost", 1),
		Username: "u", CAFile: caFile}, &Secret{Password: "registry-password"})
	assert.Equal(t, CodeTLSHostname, res.Code, "%+v", res)
	assert.Contains(t, res.Message, "certificate for another name (example.com, *.example.com, 127.0.0.1, ::1)")

	// A name that does not resolve (.invalid is reserved for exactly this).
	res = saveAndTest(t, Profile{Name: "x", Kind: KindS3Compatible, Provider: "other", Endpoint: "https://no-such-host.invalid", AccessKeyID: "k"}, &Secret{SecretAccessKey: "s"})
	assert.Equal(t, CodeHostNotFound, res.Code, "%+v", res)
	assert.Contains(t, res.Message, "no-such-host.invalid was not found")

	// A server that accepts and never answers: the test's own deadline ends it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	f := newFixture(t, WithTestTimeout(time.Second))
	saved, err := f.m.Save(context.Background(), Profile{Name: "x", Kind: KindS3Compatible, Provider: "other", Endpoint: "http://" + ln.Addr().String(), AccessKeyID: "k"}, &Secret{SecretAccessKey: "s"})
	require.NoError(t, err)
	res, err = f.m.Test(context.Background(), saved.ID)
	require.NoError(t, err)
	assert.Equal(t, CodeTimeout, res.Code, "%+v", res)
	assert.Contains(t, res.Message, "did not answer in time")
}

func randomUpper(t *testing.T, n int) string {
	id, err := newID()
	require.NoError(t, err)
	return strings.ToUpper(id)[:n]
}
