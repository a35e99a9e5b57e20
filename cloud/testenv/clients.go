package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// AWSConfig returns an SDK config for the AWS emulator (moto): static test credentials,
// the emulator as BaseEndpoint for every service client made from it. It requires the
// AWS service (fails under CI=true, skips otherwise).
func (e *Env) AWSConfig(t testing.TB) aws.Config {
	t.Helper()
	e.Require(t, AWS)
	return aws.Config{
		Region:       e.orDefault("TH_AWS_REGION", "us-east-1"),
		Credentials:  credentials.NewStaticCredentialsProvider(e.Get("TH_AWS_ACCESS_KEY"), e.Get("TH_AWS_SECRET_KEY"), ""),
		BaseEndpoint: aws.String(e.Get(string(AWS))),
		// The SDK's standard retryer, as in production: moto's werkzeug server now and
		// then lets a connection close under a response ("use of closed network
		// connection", aws-sdk-go-v2#2737), which the retryer absorbs. Logic errors are
		// not retried, so tests still see them at once.
		RetryMaxAttempts: 3,
	}
}

// AWS2Config is AWSConfig for the second emulator (AWS2).
func (e *Env) AWS2Config(t testing.TB) aws.Config {
	t.Helper()
	e.Require(t, AWS2)
	cfg := e.AWSConfig(t)
	cfg.BaseEndpoint = aws.String(e.Get(string(AWS2)))
	return cfg
}

// S3Config returns an SDK config for one of the S3 gateways (S3A or S3B) with the
// checksum settings S3-compatible stores need. Make the client with path-style
// addressing: s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).
func (e *Env) S3Config(t testing.TB, gw Service) aws.Config {
	t.Helper()
	e.Require(t, gw)
	p := s3Prefix(t, gw)
	return aws.Config{
		Region:                     e.orDefault(p+"REGION", "us-east-1"),
		Credentials:                credentials.NewStaticCredentialsProvider(e.Get(p+"ACCESS_KEY"), e.Get(p+"SECRET_KEY"), ""),
		BaseEndpoint:               aws.String(e.Get(string(gw))),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		RetryMaxAttempts:           1,
	}
}

func s3Prefix(t testing.TB, gw Service) string {
	t.Helper()
	switch gw {
	case S3A:
		return "TH_S3_A_"
	case S3B:
		return "TH_S3_B_"
	}
	t.Fatalf("testenv.S3Config: %s is not an S3 gateway (use testenv.S3A or testenv.S3B)", gw)
	return ""
}

// Name returns prefix-<random hex>, lower case, valid as a bucket, queue, table or
// repository name. The services are shared by everyone running tests, so every test
// names what it creates with Name and never touches what it did not create.
func Name(prefix string) string {
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		panic("testenv.Name: " + err.Error()) // crypto/rand never fails on Linux
	}
	return strings.ToLower(prefix) + "-" + hex.EncodeToString(b)
}

func (e *Env) orDefault(key, def string) string {
	if v := e.Get(key); v != "" {
		return v
	}
	return def
}
