package credentials

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/regclient/regclient"
	"github.com/regclient/regclient/config"
	"github.com/regclient/regclient/scheme/reg"
	"github.com/regclient/regclient/types/ref"

	"transferhub/cloud/objstore"
	"transferhub/cloud/version"
)

// TestResult is the outcome of Test connection, worded for the user. It never holds a
// secret: Detail is the service's or network's error text.
type TestResult struct {
	OK bool `json:"ok"`
	// Code is CodeOK or one of the problem codes (CodeWrongSecret, CodeUnreachable, ...).
	Code string `json:"code"`
	// Message says what happened and, on failure, what to do.
	Message string `json:"message"`
	// Detail is the raw error, for the curious and for support ("" on success).
	Detail string `json:"detail,omitempty"`
	// Account and ARN: who the AWS credentials are (STS GetCallerIdentity).
	Account string `json:"account,omitempty"`
	ARN     string `json:"arn,omitempty"`
	// Buckets: how many buckets the keys can list (-1 when a single bucket was checked
	// or the profile is not for S3).
	Buckets int `json:"buckets"`

	At       time.Time `json:"at"`
	Duration int64     `json:"durationMs"`
}

// testTimeout bounds one connection test: long enough for a slow TLS handshake, short
// enough that a black-holed endpoint gives an answer while the user waits.
const testTimeout = 20 * time.Second

// connTester runs the real checks; httpClient is nil outside tests.
type connTester struct {
	timeout    time.Duration
	httpClient *http.Client
	log        *slog.Logger
}

func (t connTester) run(ctx context.Context, r Resolved) TestResult {
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	switch r.Kind {
	case KindAWS:
		return t.aws(ctx, r)
	case KindS3Compatible:
		return t.s3(ctx, r)
	case KindRegistry:
		return t.registry(ctx, r)
	}
	return TestResult{Code: CodeConfig, Message: fmt.Sprintf("Unknown kind of credentials %q.", r.Kind), Buckets: -1}
}

func fail(err error, where string, kind Kind) TestResult {
	ex := explain(err, where, kind)
	return TestResult{Code: ex.code, Message: ex.message, Detail: err.Error(), Buckets: -1}
}

func (t connTester) aws(ctx context.Context, r Resolved) TestResult {
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRetryMaxAttempts(2)}
	if t.httpClient != nil {
		opts = append(opts, awsconfig.WithHTTPClient(t.httpClient))
	}
	cfg, err := r.AWSConfig(ctx, opts...)
	if err != nil {
		res := fail(err, "AWS", KindAWS)
		if res.Code == CodeUnknown {
			res.Code = CodeConfig
			res.Message = fmt.Sprintf("The AWS configuration for profile %q could not be loaded. Check it with `aws configure list --profile %s`.", r.SharedProfile, r.SharedProfile)
		}
		return res
	}
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		res := fail(err, "AWS STS ("+r.Region+")", KindAWS)
		if r.SharedProfile != "" && res.Code == CodeUnknown && isSSOError(err) {
			res.Code = CodeSSOExpired
			res.Message = fmt.Sprintf("The SSO session of profile %q has expired or never started. Run `aws sso login --profile %s`, then test again.", r.SharedProfile, r.SharedProfile)
		}
		return res
	}
	res := TestResult{OK: true, Code: CodeOK, Account: aws.ToString(out.Account), ARN: aws.ToString(out.Arn), Buckets: -1}
	res.Message = fmt.Sprintf("Signed in to AWS as %s (account %s).", res.ARN, res.Account)
	if r.TestBucket != "" {
		if bad := t.headBucket(ctx, r); bad != nil {
			bad.Account, bad.ARN = res.Account, res.ARN
			return *bad
		}
		res.Message += fmt.Sprintf(" Bucket %s is reachable.", r.TestBucket)
	}
	return res
}

func (t connTester) s3client(ctx context.Context, r Resolved) (*objstore.S3, error) {
	c := r.S3Config()
	c.MaxAttempts = 2
	c.Concurrency = 1
	c.StallTimeout = t.timeout
	c.HTTPClient = t.httpClient
	// OpenS3 needs a bucket; ListBuckets ignores it. Same client as a transfer would use.
	bucket := r.TestBucket
	if bucket == "" {
		bucket = "transfer-hub-connection-test"
	}
	return objstore.OpenS3(ctx, bucket, "", c)
}

func where(s *objstore.S3, r Resolved) string {
	if s != nil && s.Endpoint() != "" {
		return s.Endpoint()
	}
	if r.Endpoint != "" {
		return r.Endpoint
	}
	return "Amazon S3 (" + r.Region + ")"
}

func (t connTester) headBucket(ctx context.Context, r Resolved) *TestResult {
	s, err := t.s3client(ctx, r)
	if err != nil {
		res := TestResult{Code: CodeBadEndpoint, Message: "The S3 settings cannot be used: " + err.Error() + ".", Detail: err.Error(), Buckets: -1}
		return &res
	}
	if _, err := s.Client().HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(r.TestBucket)}); err != nil {
		res := fail(err, where(s, r), r.Kind)
		if res.Code == CodeNoSuchBucket {
			res.Message = fmt.Sprintf("Bucket %s does not exist at %s, or belongs to another account. Check its name.", r.TestBucket, where(s, r))
		}
		return &res
	}
	return nil
}

func (t connTester) s3(ctx context.Context, r Resolved) TestResult {
	s, err := t.s3client(ctx, r)
	if err != nil {
		return TestResult{Code: CodeBadEndpoint, Message: "The S3 settings cannot be used: " + err.Error() + ".", Detail: err.Error(), Buckets: -1}
	}
	at := where(s, r)
	if r.TestBucket != "" {
		if bad := t.headBucket(ctx, r); bad != nil {
			return *bad
		}
		return TestResult{OK: true, Code: CodeOK, Buckets: -1, Message: fmt.Sprintf("Connected to %s: bucket %s is reachable with these keys.", at, r.TestBucket)}
	}
	out, err := s.Client().ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		return fail(err, at, r.Kind)
	}
	n := len(out.Buckets)
	return TestResult{OK: true, Code: CodeOK, Buckets: n, Message: fmt.Sprintf("Connected to %s: the keys work and see %d %s.", at, n, plural(n, "bucket", "buckets"))}
}

func (t connTester) registry(ctx context.Context, r Resolved) TestResult {
	host, cred, insecure, caFile := r.RegistryAccess()
	h := config.Host{Name: host, TLS: config.TLSEnabled, User: cred.User, Pass: cred.Password}
	if insecure {
		h.TLS = config.TLSDisabled
	}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return TestResult{Code: CodeConfig, Message: fmt.Sprintf("The CA file %s cannot be read. Choose the file again.", caFile), Detail: err.Error(), Buckets: -1}
		}
		h.RegCert = string(pem)
	}
	// regclient as the image engine uses it, but a failure is reported at once instead
	// of after the engine's five retries with backoff: the user is waiting.
	regOpts := []reg.Opts{reg.WithRetryLimit(1), reg.WithDelay(100*time.Millisecond, time.Second)}
	if t.httpClient != nil {
		regOpts = append(regOpts, reg.WithHTTPClient(t.httpClient))
	}
	rc := regclient.New(
		regclient.WithConfigHost(h),
		regclient.WithUserAgent("transfer-hub/"+version.Version),
		regclient.WithRegOpts(regOpts...),
		regclient.WithSlog(t.log),
	)
	rr, err := ref.New(host + "/transfer-hub/connection-test")
	if err != nil {
		return TestResult{Code: CodeConfig, Message: fmt.Sprintf("%q is not a registry host.", host), Detail: err.Error(), Buckets: -1}
	}
	// Ping is GET /v2/ with the login applied (basic or bearer token, as the registry asks).
	if _, err := rc.Ping(ctx, rr); err != nil {
		return fail(err, host, KindRegistry)
	}
	scheme := "HTTPS"
	if insecure {
		scheme = "plain HTTP"
	}
	return TestResult{OK: true, Code: CodeOK, Buckets: -1, Message: fmt.Sprintf("Signed in to %s as %s (%s).", host, cred.User, scheme)}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
