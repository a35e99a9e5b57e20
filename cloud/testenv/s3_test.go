package testenv_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/testenv"
)

// TestS3Gateways puts and gets an object on each of the two S3 gateways ("two clouds")
// and checks that their keys are separate: gateway A's credentials do not work on B.
func TestS3Gateways(t *testing.T) {
	for _, gw := range []testenv.Service{testenv.S3A, testenv.S3B} {
		t.Run(string(gw), func(t *testing.T) {
			ctx := context.Background()
			c := s3.NewFromConfig(testenv.Load(t).S3Config(t, gw), func(o *s3.Options) { o.UsePathStyle = true })
			bucket := testenv.Name("th-smoke")
			_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
			require.NoError(t, err, "create bucket %s", bucket)

			body := make([]byte, 100_000)
			_, _ = rand.Read(body)
			key := "dir/sub dir/object ü+%.bin" // spaces, non-ASCII and reserved characters survive the round trip
			t.Cleanup(func() {
				ctx := context.Background()
				_, _ = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
				if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
					t.Errorf("delete bucket %s: %v", bucket, err)
				}
			})

			put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
				Body: bytes.NewReader(body), ContentType: aws.String("application/x-test"),
				Metadata: map[string]string{"th-source-etag": "abc"}})
			require.NoError(t, err)

			got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			require.NoError(t, err)
			data, err := io.ReadAll(got.Body)
			require.NoError(t, got.Body.Close())
			require.NoError(t, err)
			require.Equal(t, body, data)
			require.Equal(t, aws.ToString(put.ETag), aws.ToString(got.ETag))
			require.Equal(t, "application/x-test", aws.ToString(got.ContentType))
			require.Equal(t, "abc", got.Metadata["th-source-etag"])

			list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("dir/")})
			require.NoError(t, err)
			require.Len(t, list.Contents, 1)
			require.Equal(t, key, aws.ToString(list.Contents[0].Key))
		})
	}
}

func TestS3GatewaysHaveSeparateKeys(t *testing.T) {
	env := testenv.Load(t)
	cfgA := env.S3Config(t, testenv.S3A)
	cfgB := env.S3Config(t, testenv.S3B)
	cfgA.BaseEndpoint = cfgB.BaseEndpoint // A's keys, B's endpoint
	c := s3.NewFromConfig(cfgA, func(o *s3.Options) { o.UsePathStyle = true })
	_, err := c.ListBuckets(context.Background(), &s3.ListBucketsInput{})
	require.Error(t, err, "gateway B must refuse gateway A's credentials")
}
