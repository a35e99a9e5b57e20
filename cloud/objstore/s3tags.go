package objstore

import (
	"context"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// KeepsTags reports whether the store keeps object tags (see Provider.NoTags).
func (s *S3) KeepsTags() bool { return !s.provider.NoTags }

// KeepsHeaders: S3 objects keep content headers and user metadata.
func (s *S3) KeepsHeaders() bool { return true }

// TagsOverride is the tag set every write gets (--tags), "" when copies keep their own.
func (s *S3) TagsOverride() string { return s.cfg.Tagging }

// Tags reads key's tag set (GetObjectTagging) and returns it as x-amz-tagging takes it.
func (s *S3) Tags(ctx context.Context, key string) (string, error) {
	out, err := s.client.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(s.bucket), Key: aws.String(s.full(key)),
		RequestPayer: s.payer()})
	if err != nil {
		return "", s.mapErr("read tags of", key, err)
	}
	tags := make(map[string]string, len(out.TagSet))
	for _, t := range out.TagSet {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return EncodeTags(tags), nil
}

// EncodeTags renders a tag set as x-amz-tagging takes it: k1=v1&k2=v2 in key order,
// percent-encoded (a space is %20, never "+").
func EncodeTags(tags map[string]string) string {
	keys := slices.Sorted(maps.Keys(tags))
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(tagEscape(k))
		b.WriteByte('=')
		b.WriteString(tagEscape(tags[k]))
	}
	return b.String()
}

func tagEscape(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

// tagging is what a write sends as x-amz-tagging: the tags the user set for the
// destination (S3Config.Tagging) replace the object's own; none where the store keeps no
// tags.
func (s *S3) tagging(h Headers) *string {
	if s.cfg.Tagging != "" {
		return aws.String(s.cfg.Tagging)
	}
	if s.provider.NoTags {
		return nil
	}
	return strp(h.Tags)
}
