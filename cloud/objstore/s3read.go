package objstore

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func (s *S3) Head(ctx context.Context, key string, partNumber int) (Info, error) {
	in := &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.full(key)), RequestPayer: s.payer()}
	if partNumber > 0 {
		in.PartNumber = aws.Int32(int32(partNumber))
	} else if s.checksums {
		in.ChecksumMode = types.ChecksumModeEnabled
	}
	out, err := s.client.HeadObject(ctx, in)
	if err != nil {
		return Info{}, s.mapErr("head", key, err)
	}
	info := objectAnswer{out.ContentLength, out.ETag, out.LastModified, out.StorageClass, out.ContentType,
		out.CacheControl, out.ContentDisposition, out.ContentEncoding, out.ContentLanguage, out.ExpiresString,
		out.Metadata, out.PartsCount, out.ServerSideEncryption, out.SSECustomerAlgorithm, out.ChecksumType,
		out.ChecksumCRC64NVME, out.TagCount}.info(key, partNumber == 0)
	if partNumber > 0 {
		info.PartSize = info.Size
		info.Size = rangeTotal(out.ContentRange, -1) // the object's size is not in a part HEAD
	}
	return info, nil
}

func (s *S3) Get(ctx context.Context, key string, off, length int64, ifMatch string) (io.ReadCloser, Info, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.full(key)), RequestPayer: s.payer()}
	if off > 0 || length >= 0 {
		if length >= 0 {
			if length == 0 {
				// An empty range is not expressible; a zero-length read needs no request.
				return io.NopCloser(bytes.NewReader(nil)), Info{Object: Object{Key: key}}, nil
			}
			in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", off, off+length-1))
		} else {
			in.Range = aws.String(fmt.Sprintf("bytes=%d-", off))
		}
	}
	if ifMatch != "" {
		in.IfMatch = aws.String(quote(ifMatch))
	}
	if in.Range == nil && s.checksums {
		in.ChecksumMode = types.ChecksumModeEnabled
	}
	if s.lean != nil && in.Range == nil {
		if rc, info, ok, err := s.lean.get(ctx, s.full(key), key, ifMatch, s.checksums); ok {
			if err != nil {
				return nil, Info{}, s.mapErr("get", key, err)
			}
			return rc, info, nil
		}
	}
	out, err := s.client.GetObject(ctx, in)
	if err != nil {
		return nil, Info{}, s.mapErr("get", key, err)
	}
	info := objectAnswer{out.ContentLength, out.ETag, out.LastModified, out.StorageClass, out.ContentType,
		out.CacheControl, out.ContentDisposition, out.ContentEncoding, out.ContentLanguage, out.ExpiresString,
		out.Metadata, out.PartsCount, out.ServerSideEncryption, out.SSECustomerAlgorithm, out.ChecksumType,
		out.ChecksumCRC64NVME, out.TagCount}.info(key, in.Range == nil)
	info.Size = rangeTotal(out.ContentRange, info.Size)
	return out.Body, info, nil
}

// objectAnswer is what HEAD and GET answers share, as the SDK decodes them.
type objectAnswer struct {
	size                                                                *int64
	etag                                                                *string
	modified                                                            *time.Time
	class                                                               types.StorageClass
	contentType, cacheControl, disposition, encoding, language, expires *string
	metadata                                                            map[string]string
	parts                                                               *int32
	sse                                                                 types.ServerSideEncryption
	customerKey                                                         *string
	checksumType                                                        types.ChecksumType
	crc                                                                 *string
	tags                                                                *int32
}

// info is the answer as an Info; whole: the whole object was asked for, so a
// full-object checksum in the answer is the object's.
func (a objectAnswer) info(key string, whole bool) Info {
	info := Info{
		Object: Object{Key: key, Size: aws.ToInt64(a.size), ETag: unquote(aws.ToString(a.etag)),
			LastModified: aws.ToTime(a.modified), StorageClass: string(a.class)},
		Headers: Headers{ContentType: aws.ToString(a.contentType), CacheControl: aws.ToString(a.cacheControl),
			ContentDisposition: aws.ToString(a.disposition), ContentEncoding: aws.ToString(a.encoding),
			ContentLanguage: aws.ToString(a.language), Expires: aws.ToString(a.expires), Metadata: a.metadata,
			ModTime: aws.ToTime(a.modified)},
		PartsCount: int(aws.ToInt32(a.parts)), SSE: sseOf(a.sse, a.customerKey), TagCount: int(aws.ToInt32(a.tags)),
	}
	if whole && a.checksumType != types.ChecksumTypeComposite {
		info.CRC64NVME = aws.ToString(a.crc)
	}
	return info
}

// rangeTotal is the object size a Content-Range header ends with ("bytes a-b/size"), or
// otherwise when there is none.
func rangeTotal(contentRange *string, otherwise int64) int64 {
	n := otherwise
	if cr := contentRange; cr != nil {
		if i := strings.LastIndexByte(*cr, '/'); i >= 0 {
			fmt.Sscan((*cr)[i+1:], &n)
		}
	}
	return n
}
