package objstore_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/objstore"
	"transferhub/cloud/testenv"
)

// An Amazon S3 bucket opened without a region is found where it lives (S3 names the
// region on a HeadBucket answer); a region given by the user is kept as given. Against
// the AWS emulator, whose S3 keeps bucket regions.
func TestDetectBucketRegion(t *testing.T) {
	env := testenv.Load(t)
	env.Require(t, testenv.AWS)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	ctx := context.Background()
	endpoint := env.Get(string(testenv.AWS))
	bucket := testenv.Name("th-region")
	admin := s3.New(s3.Options{Region: "eu-west-1", BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	_, err := admin.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraintEuWest1}})
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = admin.DeleteBucket(context.Background(), &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
	})

	cfg := objstore.S3Config{Provider: "aws", Endpoint: endpoint, PathStyle: "path", AccessKey: "test", SecretKey: "test"}
	loc, err := objstore.OpenS3(ctx, bucket, "", cfg)
	require.NoError(t, err)
	require.Equal(t, "us-east-1", loc.Region(), "before any request: the configuration's region")
	require.NoError(t, loc.Check(ctx, false))
	require.Equal(t, "eu-west-1", loc.Region(), "the bucket's region, detected")

	cfg.Region = "eu-central-1"
	given, err := objstore.OpenS3(ctx, bucket, "", cfg)
	require.NoError(t, err)
	require.NoError(t, given.Check(ctx, false))
	require.Equal(t, "eu-central-1", given.Region(), "a region the user gave is kept")
}
