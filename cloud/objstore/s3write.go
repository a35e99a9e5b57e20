package objstore

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// crc is the CRC-64/NVME header value of sums when this location sends checksums.
func (s *S3) crc(sums Sums) *string {
	if !s.checksums || len(sums.CRC64NVME) != 8 {
		return nil
	}
	return aws.String(base64.StdEncoding.EncodeToString(sums.CRC64NVME))
}

func md5b64(sum []byte) *string {
	if len(sum) == 0 {
		return nil
	}
	return aws.String(base64.StdEncoding.EncodeToString(sum))
}

// unsignedIfMD5 skips the SHA-256 of the payload for the signature when the body carries
// a Content-MD5, which the service checks: the data is still verified, and one full pass
// over every byte is saved (the largest client CPU cost of a streamed copy).
func unsignedIfMD5(md5 []byte) func(*s3.Options) {
	return func(o *s3.Options) {
		if len(md5) > 0 {
			o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
		}
	}
}

func strp(v string) *string {
	if v == "" {
		return nil
	}
	return aws.String(v)
}

func (s *S3) sse() (types.ServerSideEncryption, *string) {
	switch strings.ToLower(s.cfg.SSE) {
	case "":
		return "", nil
	case "aws:kms", "kms", "aws_kms":
		return types.ServerSideEncryptionAwsKms, strp(s.cfg.SSEKMSKeyID)
	default:
		return types.ServerSideEncryptionAes256, nil
	}
}

func parseExpires(v string) *time.Time {
	if v == "" {
		return nil
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return nil
	}
	return &t
}

func (s *S3) Put(ctx context.Context, key string, body []byte, sums Sums, h Headers) (string, error) {
	sse, kms := s.sse()
	md5 := sums.MD5
	in := &s3.PutObjectInput{
		Bucket: aws.String(s.bucket), Key: aws.String(s.full(key)), Body: bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))), ContentMD5: md5b64(md5), ChecksumCRC64NVME: s.crc(sums),
		ContentType: strp(h.ContentType), CacheControl: strp(h.CacheControl), ContentDisposition: strp(h.ContentDisposition),
		ContentEncoding: strp(h.ContentEncoding), ContentLanguage: strp(h.ContentLanguage), Expires: parseExpires(h.Expires),
		Metadata: h.Metadata, StorageClass: types.StorageClass(s.cfg.StorageClass), ACL: types.ObjectCannedACL(s.cfg.ACL),
		ServerSideEncryption: sse, SSEKMSKeyId: kms, Tagging: s.tagging(h), RequestPayer: s.payer(),
	}
	if s.lean != nil && len(md5) > 0 {
		if etag, sse, ok, err := s.lean.put(ctx, s.full(key), body, md5, in); ok {
			if err != nil {
				return "", s.mapErr("put", key, err)
			}
			s.sawSSE(types.ServerSideEncryption(sse), nil)
			return etag, nil
		}
	}
	out, err := s.client.PutObject(ctx, in, unsignedIfMD5(md5))
	if err != nil {
		return "", s.mapErr("put", key, err)
	}
	s.sawSSE(out.ServerSideEncryption, out.SSECustomerAlgorithm)
	return unquote(aws.ToString(out.ETag)), nil
}

func (s *S3) CreateUpload(ctx context.Context, key string, h Headers, crc bool) (string, error) {
	sse, kms := s.sse()
	in := &s3.CreateMultipartUploadInput{
		Bucket: aws.String(s.bucket), Key: aws.String(s.full(key)),
		ContentType: strp(h.ContentType), CacheControl: strp(h.CacheControl), ContentDisposition: strp(h.ContentDisposition),
		ContentEncoding: strp(h.ContentEncoding), ContentLanguage: strp(h.ContentLanguage), Expires: parseExpires(h.Expires),
		Metadata: h.Metadata, StorageClass: types.StorageClass(s.cfg.StorageClass), ACL: types.ObjectCannedACL(s.cfg.ACL),
		ServerSideEncryption: sse, SSEKMSKeyId: kms, Tagging: s.tagging(h), RequestPayer: s.payer(),
	}
	if crc && s.checksums {
		in.ChecksumAlgorithm, in.ChecksumType = types.ChecksumAlgorithmCrc64nvme, types.ChecksumTypeFullObject
	}
	start := time.Now()
	out, err := s.client.CreateMultipartUpload(ctx, in)
	if err != nil {
		return "", s.mapErr("create multipart upload", key, err)
	}
	s.sawSSE(out.ServerSideEncryption, out.SSECustomerAlgorithm)
	id := aws.ToString(out.UploadId)
	if r, ok := retry.GetAttemptResults(out.ResultMetadata); ok && len(r.Results) > 1 {
		s.abortLostUploads(ctx, key, id, time.Since(start))
	}
	return id, nil
}

// abortLostUploads aborts the uploads of key that an earlier attempt of a retried
// CreateMultipartUpload created while its answer was lost (a reset connection, a
// timeout): those initiated during the call, before the upload id it returned. Nobody
// knows their ids, so nobody else would ever abort them.
func (s *S3) abortLostUploads(ctx context.Context, key, id string, took time.Duration) {
	uploads, err := s.ListUploads(ctx, key)
	if err != nil {
		return
	}
	var mine time.Time
	for _, u := range uploads {
		if u.ID == id {
			mine = u.Initiated
		}
	}
	if mine.IsZero() {
		return
	}
	for _, u := range uploads {
		if u.ID != id && !u.Initiated.After(mine) && u.Initiated.After(mine.Add(-took-time.Minute)) {
			_ = s.AbortUpload(ctx, key, u.ID)
		}
	}
}

func (s *S3) UploadPart(ctx context.Context, key, uploadID string, number int, body []byte, sums Sums) (string, error) {
	out, err := s.client.UploadPart(ctx, &s3.UploadPartInput{
		Bucket: aws.String(s.bucket), Key: aws.String(s.full(key)), UploadId: aws.String(uploadID),
		PartNumber: aws.Int32(int32(number)), Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body))),
		ContentMD5: md5b64(sums.MD5), ChecksumCRC64NVME: s.crc(sums), RequestPayer: s.payer(),
	}, unsignedIfMD5(sums.MD5))
	if err != nil {
		return "", s.mapErr(fmt.Sprintf("upload part %d of", number), key, err)
	}
	s.sawSSE(out.ServerSideEncryption, out.SSECustomerAlgorithm)
	return unquote(aws.ToString(out.ETag)), nil
}

func (s *S3) ListParts(ctx context.Context, key, uploadID string) ([]Part, error) {
	var parts []Part
	in := &s3.ListPartsInput{Bucket: aws.String(s.bucket), Key: aws.String(s.full(key)), UploadId: aws.String(uploadID), RequestPayer: s.payer()}
	for {
		out, err := s.client.ListParts(ctx, in)
		if err != nil {
			return nil, s.mapErr("list parts of", key, err)
		}
		for _, p := range out.Parts {
			parts = append(parts, Part{Number: int(aws.ToInt32(p.PartNumber)), Size: aws.ToInt64(p.Size), ETag: unquote(aws.ToString(p.ETag)),
				CRC64NVME: aws.ToString(p.ChecksumCRC64NVME)})
		}
		if !aws.ToBool(out.IsTruncated) || out.NextPartNumberMarker == nil {
			break
		}
		in.PartNumberMarker = out.NextPartNumberMarker
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].Number < parts[j].Number })
	return parts, nil
}

func (s *S3) CompleteUpload(ctx context.Context, key, uploadID string, parts []Part, full Sums) (string, error) {
	cp := make([]types.CompletedPart, len(parts))
	for i, p := range parts {
		cp[i] = types.CompletedPart{PartNumber: aws.Int32(int32(p.Number)), ETag: aws.String(quote(p.ETag))}
		if s.checksums {
			cp[i].ChecksumCRC64NVME = strp(p.CRC64NVME)
		}
	}
	in := &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(s.bucket), Key: aws.String(s.full(key)), UploadId: aws.String(uploadID),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: cp}, RequestPayer: s.payer(),
	}
	if c := s.crc(full); c != nil {
		in.ChecksumCRC64NVME, in.ChecksumType = c, types.ChecksumTypeFullObject
	}
	out, err := s.client.CompleteMultipartUpload(ctx, in)
	if err != nil {
		return "", s.mapErr("complete multipart upload of", key, err)
	}
	s.sawSSE(out.ServerSideEncryption, nil)
	return unquote(aws.ToString(out.ETag)), nil
}

func (s *S3) AbortUpload(ctx context.Context, key, uploadID string) error {
	_, err := s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket: aws.String(s.bucket), Key: aws.String(s.full(key)), UploadId: aws.String(uploadID), RequestPayer: s.payer(),
	})
	if err != nil {
		err = s.mapErr("abort multipart upload of", key, err)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		return err
	}
	return nil
}

func (s *S3) ListUploads(ctx context.Context, key string) ([]Upload, error) {
	full := s.full(key)
	in := &s3.ListMultipartUploadsInput{Bucket: aws.String(s.bucket), Prefix: aws.String(full), RequestPayer: s.payer()}
	var ups []Upload
	for {
		out, err := s.client.ListMultipartUploads(ctx, in)
		if err != nil {
			return nil, s.mapErr("list multipart uploads of", key, err)
		}
		for _, u := range out.Uploads {
			// Exact key only: an upload of "a/b.bin.1" is not one of "a/b.bin".
			if aws.ToString(u.Key) == full {
				ups = append(ups, Upload{Key: key, ID: aws.ToString(u.UploadId), Initiated: aws.ToTime(u.Initiated)})
			}
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
	}
	return ups, nil
}

func (s *S3) Delete(ctx context.Context, key string) error {
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.full(key)), RequestPayer: s.payer()})
	if err != nil {
		return s.mapErr("delete", key, err)
	}
	return nil
}

// DeleteKeys deletes up to 1,000 keys in one DeleteObjects request. failed holds the
// keys S3 refused, with their errors; err is set when the request as a whole failed
// (then nothing is known to be deleted and the caller may fall back to Delete).
func (s *S3) DeleteKeys(ctx context.Context, keys []string) (failed map[string]error, err error) {
	if len(keys) == 0 {
		return nil, nil
	}
	if len(keys) > 1000 {
		return nil, fmt.Errorf("delete %d keys of %s in one request: at most 1,000", len(keys), s.URL())
	}
	ids := make([]types.ObjectIdentifier, len(keys))
	for i, k := range keys {
		ids[i] = types.ObjectIdentifier{Key: aws.String(s.full(k))}
	}
	out, err := s.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{
		Bucket: aws.String(s.bucket), Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)}, RequestPayer: s.payer(),
	}, func(o *s3.Options) {
		if !s.provider.AWS {
			// Stores that predate S3's CRC checksums still require Content-MD5 here.
			o.APIOptions = append(o.APIOptions, smithyhttp.AddContentChecksumMiddleware)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("delete %d keys in %s: %w", len(keys), s.URL(), err)
	}
	for _, e := range out.Errors {
		k := s.rel(aws.ToString(e.Key))
		if failed == nil {
			failed = map[string]error{}
		}
		failed[k] = fmt.Errorf("delete %s: %s: %s", s.URL()+k, aws.ToString(e.Code), aws.ToString(e.Message))
	}
	return failed, nil
}
