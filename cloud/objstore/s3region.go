package objstore

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// DetectRegion, for an Amazon S3 bucket opened without a region, asks S3 where the bucket
// lives (one HeadBucket; S3 names the region even when it refuses the request) and moves
// the client there. Call it before the location is used; Check does.
func (s *S3) DetectRegion(ctx context.Context) {
	if !s.autoRegion {
		return
	}
	s.autoRegion = false
	r := bucketRegion(ctx, s.client, s.bucket)
	if r == "" || r == s.region {
		return
	}
	s.cfg.Log.Debug("bucket region detected", "bucket", s.bucket, "region", r, "was", s.region)
	s.client, s.region = s.newClient(r), r
	s.lean = newLean(ctx, s.client, s.bucket, s.cfg)
	s.identity = identity(s.provider, s.endpoint, r, s.cfg)
}

// bucketRegion reads x-amz-bucket-region from a HeadBucket answer, whatever its status
// (301 from another region, 403 without access); "" when the answer does not say.
func bucketRegion(ctx context.Context, client *s3.Client, bucket string) string {
	var region string
	capture := middleware.DeserializeMiddlewareFunc("thubBucketRegion", func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
		out, md, err := next.HandleDeserialize(ctx, in)
		if resp, ok := out.RawResponse.(*smithyhttp.Response); ok && resp != nil {
			region = resp.Header.Get("X-Amz-Bucket-Region")
		}
		return out, md, err
	})
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, _ = client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}, func(o *s3.Options) {
		o.RetryMaxAttempts = 1
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Deserialize.Add(capture, middleware.Before)
		})
	})
	return region
}
