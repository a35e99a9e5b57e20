package objstore

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Provider is a preset for one S3 API implementation: where its endpoint is, how buckets
// are addressed and which checksum behaviour it tolerates.
type Provider struct {
	Name string
	// EndpointTemplate builds the endpoint from the region ({region}); "" = the SDK's own
	// resolver (Amazon S3 in every partition) or a user-supplied endpoint (Custom).
	EndpointTemplate string
	// PathStyle addresses buckets as https://host/bucket instead of https://bucket.host.
	PathStyle bool
	// AWS is set for Amazon S3 itself: its default checksums (CRC32 on every request since
	// SDK v1.73) are accepted there; every other store gets WhenRequired, because many
	// reject aws-chunked bodies and checksum trailers.
	AWS bool
	// NeedsEndpoint: the user must give --endpoint (MinIO/other, Cloudflare R2).
	NeedsEndpoint bool
	// DefaultRegion is used when no region is given.
	DefaultRegion string
	// NoTags: the store keeps no object tags (or refuses the tagging API), so none are
	// read from it or written to it.
	NoTags bool
}

var providers = map[string]Provider{
	"aws":           {Name: "aws", AWS: true, DefaultRegion: "us-east-1"},
	"aliyun-oss":    {Name: "aliyun-oss", EndpointTemplate: "https://oss-{region}.aliyuncs.com", DefaultRegion: "cn-hangzhou"},
	"tencent-cos":   {Name: "tencent-cos", EndpointTemplate: "https://cos.{region}.myqcloud.com", DefaultRegion: "ap-guangzhou"},
	"qiniu-kodo":    {Name: "qiniu-kodo", EndpointTemplate: "https://s3-{region}.qiniucs.com", DefaultRegion: "cn-east-1", NoTags: true},
	"gcs":           {Name: "gcs", EndpointTemplate: "https://storage.googleapis.com", PathStyle: true, DefaultRegion: "auto", NoTags: true},
	"cloudflare-r2": {Name: "cloudflare-r2", NeedsEndpoint: true, PathStyle: true, DefaultRegion: "auto", NoTags: true},
	"minio":         {Name: "minio", NeedsEndpoint: true, PathStyle: true, DefaultRegion: "us-east-1"},
	"other":         {Name: "other", NeedsEndpoint: true, PathStyle: true, DefaultRegion: "us-east-1"},
}

// Providers lists the preset names.
func Providers() []string {
	return slices.Sorted(maps.Keys(providers))
}

// LookupProvider returns the preset called name ("" = aws, or other when an endpoint is
// given: a custom endpoint without a provider is an S3-compatible store).
func LookupProvider(name string, haveEndpoint bool) (Provider, error) {
	if name == "" {
		if haveEndpoint {
			name = "other"
		} else {
			name = "aws"
		}
	}
	p, ok := providers[strings.ToLower(name)]
	if !ok {
		return Provider{}, fmt.Errorf("unknown provider %q: use one of %s", name, strings.Join(Providers(), ", "))
	}
	return p, nil
}

// Endpoint returns the endpoint URL for region ("" = let the SDK resolve Amazon S3).
func (p Provider) Endpoint(region string) string {
	return strings.ReplaceAll(p.EndpointTemplate, "{region}", region)
}

// Partition returns the AWS partition of a region: aws, aws-cn, aws-us-gov, aws-iso or
// aws-iso-b.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	}
	return "aws"
}

// ValidateEndpoint checks a user-supplied endpoint URL; a bare host gets https://.
func ValidateEndpoint(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("malformed endpoint %q: %v", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("malformed endpoint %q: the scheme must be http or https", raw)
	}
	if u.Host == "" || u.Hostname() == "" {
		return "", fmt.Errorf("malformed endpoint %q: no host", raw)
	}
	if u.Port() != "" {
		if !regexp.MustCompile(`^[0-9]{1,5}$`).MatchString(u.Port()) {
			return "", fmt.Errorf("malformed endpoint %q: bad port", raw)
		}
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("malformed endpoint %q: no query or fragment allowed", raw)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

var bucketRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
var ipRE = regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+$`)

// ValidateBucket checks a bucket name against the S3 naming rules, so a typo fails fast
// with a clear message instead of as a signature or DNS error.
func ValidateBucket(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("no bucket name given")
	case len(name) < 3 || len(name) > 63:
		return fmt.Errorf("invalid bucket name %q: it must be 3 to 63 characters long", name)
	case !bucketRE.MatchString(name):
		return fmt.Errorf("invalid bucket name %q: use lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit", name)
	case strings.Contains(name, ".."):
		return fmt.Errorf("invalid bucket name %q: no two adjacent dots", name)
	case ipRE.MatchString(name):
		return fmt.Errorf("invalid bucket name %q: it must not look like an IP address", name)
	}
	return nil
}
