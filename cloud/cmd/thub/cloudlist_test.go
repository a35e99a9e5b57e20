package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"transferhub/cloud/spec"
	"transferhub/cloud/testenv"
)

// TestFetchCloudList reads a list from the AWS emulator's S3 the way a cloud process
// does (default credential chain, AWS_ENDPOINT_URL), and leaves local paths alone.
func TestFetchCloudList(t *testing.T) {
	env := testenv.Load(t)
	cfg := env.AWSConfig(t)
	ctx := context.Background()
	bucket := testenv.Name("lists")
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	body := "photos/2024/\n# a comment\nphotos/2025/\n"
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("lists/t1/prefixes.txt"), Body: strings.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ENDPOINT_URL", env.Get("TH_AWS_ENDPOINT"))
	t.Setenv("AWS_ACCESS_KEY_ID", env.Get("TH_AWS_ACCESS_KEY"))
	t.Setenv("AWS_SECRET_ACCESS_KEY", env.Get("TH_AWS_SECRET_KEY"))

	ref := "s3://" + bucket + "/lists/t1/prefixes.txt"
	cleanup, err := fetchCloudList(ctx, &ref, cfg.Region, "prefix list")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(ref)
	if err != nil {
		t.Fatalf("the list is not at %s: %v", ref, err)
	}
	if string(got) != body {
		t.Errorf("list %q, want %q", got, body)
	}
	prefixes, err := spec.ReadPrefixList(ref, false)
	if err != nil || strings.Join(prefixes, ",") != "photos/2024/,photos/2025/" {
		t.Errorf("prefixes %v, %v", prefixes, err)
	}
	cleanup()
	if _, err := os.Stat(ref); !os.IsNotExist(err) {
		t.Errorf("the local copy %s is still there", ref)
	}

	missing := "s3://" + bucket + "/lists/t1/none.txt"
	if _, err := fetchCloudList(ctx, &missing, cfg.Region, "prefix list"); err == nil || !strings.Contains(err.Error(), "read prefix list s3://") {
		t.Errorf("a missing list: %v", err)
	}
	local := "/some/local/file"
	if _, err := fetchCloudList(ctx, &local, cfg.Region, "prefix list"); err != nil || local != "/some/local/file" {
		t.Errorf("a local path was changed to %q (%v)", local, err)
	}
	bad := "s3://bucket-only"
	if _, err := fetchCloudList(ctx, &bad, cfg.Region, "image list"); err == nil || !strings.Contains(err.Error(), "give s3://bucket/key") {
		t.Errorf("s3://bucket: %v", err)
	}
}
