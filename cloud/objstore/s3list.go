package objstore

import (
	"context"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func (s *S3) List(ctx context.Context, prefix, startAfter string, fn func(Page) error) error {
	in := &s3.ListObjectsV2Input{
		Bucket: aws.String(s.bucket), Prefix: aws.String(s.full(prefix)),
		EncodingType: types.EncodingTypeUrl, RequestPayer: s.payer(),
	}
	if startAfter != "" {
		in.StartAfter = aws.String(s.full(startAfter))
	}
	if s.provider.AWS {
		in.OptionalObjectAttributes = []types.OptionalObjectAttributes{types.OptionalObjectAttributesRestoreStatus}
	}
	for {
		out, err := s.client.ListObjectsV2(ctx, in, fastListV2)
		if err != nil {
			return fmt.Errorf("list %s (prefix %q): %w", s.URL(), prefix, err)
		}
		p, err := s.page(out.Contents, nil, out.EncodingType)
		if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
		if !aws.ToBool(out.IsTruncated) || out.NextContinuationToken == nil {
			return nil
		}
		in.ContinuationToken = out.NextContinuationToken
	}
}

func (s *S3) ListDir(ctx context.Context, prefix string, limit int) (Page, bool, error) {
	in := &s3.ListObjectsV2Input{
		Bucket: aws.String(s.bucket), Prefix: aws.String(s.full(prefix)), Delimiter: aws.String("/"),
		EncodingType: types.EncodingTypeUrl, RequestPayer: s.payer(),
	}
	if s.provider.AWS {
		in.OptionalObjectAttributes = []types.OptionalObjectAttributes{types.OptionalObjectAttributesRestoreStatus}
	}
	var all Page
	for {
		out, err := s.client.ListObjectsV2(ctx, in, fastListV2)
		if err != nil {
			return Page{}, false, fmt.Errorf("list %s (prefix %q, delimiter /): %w", s.URL(), prefix, err)
		}
		p, err := s.page(out.Contents, out.CommonPrefixes, out.EncodingType)
		if err != nil {
			return Page{}, false, err
		}
		all.Objects = append(all.Objects, p.Objects...)
		all.Dirs = append(all.Dirs, p.Dirs...)
		more := aws.ToBool(out.IsTruncated) && out.NextContinuationToken != nil
		if !more {
			return all, false, nil
		}
		if limit > 0 && len(all.Objects)+len(all.Dirs) >= limit {
			return all, true, nil
		}
		in.ContinuationToken = out.NextContinuationToken
	}
}

func (s *S3) page(contents []types.Object, cps []types.CommonPrefix, enc types.EncodingType) (Page, error) {
	dec := func(k string) (string, error) {
		if enc != types.EncodingTypeUrl {
			return k, nil
		}
		// S3 form-encodes listed keys (space as "+", "+" as %2B).
		return url.QueryUnescape(k)
	}
	p := Page{Objects: make([]Object, 0, len(contents))}
	for _, c := range contents {
		k, err := dec(aws.ToString(c.Key))
		if err != nil {
			return Page{}, fmt.Errorf("list %s: undecodable key %q: %w", s.URL(), aws.ToString(c.Key), err)
		}
		o := Object{Key: s.rel(k), Size: aws.ToInt64(c.Size), ETag: unquote(aws.ToString(c.ETag)),
			LastModified: aws.ToTime(c.LastModified), StorageClass: string(c.StorageClass)}
		if c.RestoreStatus != nil && !aws.ToBool(c.RestoreStatus.IsRestoreInProgress) && c.RestoreStatus.RestoreExpiryDate != nil {
			o.Restored = true
		}
		p.Objects = append(p.Objects, o)
	}
	for _, cp := range cps {
		k, err := dec(aws.ToString(cp.Prefix))
		if err != nil {
			return Page{}, fmt.Errorf("list %s: undecodable prefix %q: %w", s.URL(), aws.ToString(cp.Prefix), err)
		}
		p.Dirs = append(p.Dirs, s.rel(k))
	}
	return p, nil
}
