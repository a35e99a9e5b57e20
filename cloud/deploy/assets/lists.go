package assets

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"transferhub/cloud/stack"
)

// PutList stores one of a task's lists (a prefix list, an image list: one entry per
// line) in the assets bucket, replacing the last version, and returns the s3:// URL the
// task's agents read (THUB_PREFIX_LIST, THUB_IMAGE_LIST). Changing a list needs no
// redeploy: the next run reads it.
func PutList(ctx context.Context, api S3API, bucket, taskID, name string, body []byte) (string, error) {
	key := stack.ListKey(taskID, name)
	sum := sha256.Sum256(body)
	_, err := api.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body),
		ContentType: aws.String("text/plain; charset=utf-8"), ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(sum[:]))})
	if err != nil {
		return "", fmt.Errorf("store the list %s of task %s: %w", name, taskID, err)
	}
	return stack.ListURL(bucket, taskID, name), nil
}

// TaggingAPI tags objects.
type TaggingAPI interface {
	PutObjectTagging(context.Context, *s3.PutObjectTaggingInput, ...func(*s3.Options)) (*s3.PutObjectTaggingOutput, error)
}

// Supersede marks a content-addressed asset (by its SHA-256) that no stack uses any
// more: the bucket's lifecycle deletes it 30 days later.
func Supersede(ctx context.Context, api TaggingAPI, bucket, sha256Hex string) error {
	_, err := api.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(stack.AssetKey(sha256Hex)),
		Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String(stack.SupersededTag), Value: aws.String("true")}}}})
	if err != nil {
		return fmt.Errorf("mark asset %s superseded: %w", sha256Hex, err)
	}
	return nil
}
