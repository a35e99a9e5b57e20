package objstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// CanCopyFrom: same provider, endpoint, partition and credential set.
func (s *S3) CanCopyFrom(src Location) bool {
	o, ok := src.(*S3)
	return ok && o.identity == s.identity
}

// copySource builds the x-amz-copy-source value: bucket/key, percent-encoded except "/".
func copySource(bucket, key string) string {
	var b strings.Builder
	b.WriteString(bucket)
	b.WriteByte('/')
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.~/", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func (s *S3) CopyObject(ctx context.Context, src Location, srcKey, srcETag, dstKey string, h *Headers) (string, error) {
	o := src.(*S3)
	sse, kms := s.sse()
	in := &s3.CopyObjectInput{
		Bucket: aws.String(s.bucket), Key: aws.String(s.full(dstKey)), CopySource: aws.String(copySource(o.bucket, o.full(srcKey))),
		CopySourceIfMatch: strp(quote(srcETag)), MetadataDirective: types.MetadataDirectiveCopy,
		StorageClass: types.StorageClass(s.cfg.StorageClass), ACL: types.ObjectCannedACL(s.cfg.ACL),
		ServerSideEncryption: sse, SSEKMSKeyId: kms, RequestPayer: s.payer(),
	}
	if h != nil {
		in.MetadataDirective, in.Metadata = types.MetadataDirectiveReplace, h.Metadata
		in.ContentType, in.CacheControl, in.ContentDisposition = strp(h.ContentType), strp(h.CacheControl), strp(h.ContentDisposition)
		in.ContentEncoding, in.ContentLanguage, in.Expires = strp(h.ContentEncoding), strp(h.ContentLanguage), parseExpires(h.Expires)
	}
	switch {
	case s.cfg.Tagging != "":
		in.TaggingDirective, in.Tagging = types.TaggingDirectiveReplace, aws.String(s.cfg.Tagging)
	case h != nil && !s.provider.NoTags:
		// Headers given replace the object's: its tags too (none when h has none).
		in.TaggingDirective, in.Tagging = types.TaggingDirectiveReplace, aws.String(h.Tags)
	}
	out, err := s.client.CopyObject(ctx, in)
	if err != nil {
		return "", s.mapErr("copy "+o.URL()+srcKey+" to", dstKey, err)
	}
	if out.CopyObjectResult == nil {
		return "", fmt.Errorf("copy %s to %s: no result in the answer", o.URL()+srcKey, s.URL()+dstKey)
	}
	s.sawSSE(out.ServerSideEncryption, out.SSECustomerAlgorithm)
	return unquote(aws.ToString(out.CopyObjectResult.ETag)), nil
}

func (s *S3) CopyPart(ctx context.Context, src Location, srcKey, srcETag, dstKey, uploadID string, number int, off, length int64) (string, error) {
	o := src.(*S3)
	out, err := s.client.UploadPartCopy(ctx, &s3.UploadPartCopyInput{
		Bucket: aws.String(s.bucket), Key: aws.String(s.full(dstKey)), UploadId: aws.String(uploadID), PartNumber: aws.Int32(int32(number)),
		CopySource: aws.String(copySource(o.bucket, o.full(srcKey))), CopySourceIfMatch: strp(quote(srcETag)),
		CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", off, off+length-1)), RequestPayer: s.payer(),
	})
	if err != nil {
		return "", s.mapErr(fmt.Sprintf("copy part %d of %s to", number, o.URL()+srcKey), dstKey, err)
	}
	if out.CopyPartResult == nil {
		return "", fmt.Errorf("copy part %d to %s: no result in the answer", number, s.URL()+dstKey)
	}
	s.sawSSE(out.ServerSideEncryption, out.SSECustomerAlgorithm)
	return unquote(aws.ToString(out.CopyPartResult.ETag)), nil
}
