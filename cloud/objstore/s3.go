package objstore

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/logging"
)

// S3Config says how to reach one side of a transfer. Secrets are only held here, never
// logged or put into errors.
type S3Config struct {
	Provider string // preset name (see Providers); "" = aws, or other with an Endpoint
	// Region is the bucket's region as the user gave it. Without it, an Amazon S3 bucket
	// is found where it lives (DetectRegion), starting from DefaultRegion (a profile's
	// default: it picks the partition), else the shared config's or the provider's.
	Region        string
	DefaultRegion string
	Endpoint      string // custom endpoint URL; overrides the preset's
	// PathStyle overrides the preset's addressing: "path", "virtual" or "" (preset).
	PathStyle string

	// Credentials: a shared-config profile (SSO, credential_process, endpoint_url and
	// services sections are honoured by the SDK), static keys, or anonymous access.
	// With none of them the SDK's default chain applies (env, default profile, role).
	Profile      string
	AccessKey    string
	SecretKey    string
	SessionToken string
	Anonymous    bool
	// RoleARN is assumed (with ExternalID when set) on top of the credentials above.
	RoleARN    string
	ExternalID string
	// Credentials, when set, supplies the keys instead (e.g. read from a Secrets Manager
	// secret and renewed); CredentialsName names it (never a secret) so that two sides
	// can tell whether they share one principal.
	Credentials     aws.CredentialsProvider
	CredentialsName string
	// OnAuthError is called for every 401/403 answer: the owner of Credentials drops
	// cached keys so that the next attempt reads fresh ones.
	OnAuthError func()

	RequesterPays bool

	// Write options for destinations.
	StorageClass string // e.g. STANDARD, INTELLIGENT_TIERING, STANDARD_IA
	ACL          string // canned ACL, e.g. bucket-owner-full-control
	SSE          string // "", AES256 or aws:kms
	SSEKMSKeyID  string
	Tagging      string // URL-encoded tag set: k1=v1&k2=v2

	// Transport tuning.
	Concurrency  int           // sizes the connection pool (default 64)
	StallTimeout time.Duration // a connection with no progress for this long is killed (default 60 s)
	MaxAttempts  int           // per request, with exponential backoff (default 10)
	// OnThrottle is called for every 503/429 answer, before the SDK retries; the engine
	// uses it to lower its concurrency.
	OnThrottle func()
	// HTTPClient replaces the built transport (tests).
	HTTPClient *http.Client
	// Log receives the SDK's own warnings (at debug level); nil: slog.Default().
	Log *slog.Logger
	// Checksums: "on" reads full-object CRC-64/NVME checksums of sources and sends them
	// with writes, "off" never does, "" decides by provider (Amazon S3 only: many
	// S3-compatible stores refuse the headers).
	Checksums string
}

// S3 is a bucket and prefix behind the S3 API.
type S3 struct {
	client   *s3.Client
	bucket   string
	prefix   string // "" or ending in "/"
	provider Provider
	cfg      S3Config
	endpoint string
	region   string
	identity string
	lean     *lean // the direct path for whole-object GETs and single PUTs (nil: SDK only)
	// opaque: a write was answered with SSE-KMS (bucket default or ours), so the ETags of
	// what this location stores are not MD5s of the content.
	// (A pointer: copies of an S3, as tests make, share it.)
	opaque *atomic.Bool
	// checksums: full-object CRC-64/NVME checksums are read and written (S3Config.Checksums).
	checksums bool
	// newClient builds the client for a region; autoRegion: no region was given for an
	// Amazon S3 bucket, so DetectRegion asks the bucket where it lives.
	newClient  func(region string) *s3.Client
	autoRegion bool
}

// Region returns the region requests are signed for.
func (s *S3) Region() string { return s.region }

// TakesChecksums reports whether this location reads and writes full-object CRC-64/NVME
// checksums.
func (s *S3) TakesChecksums() bool { return s.checksums }

// OpaqueETags reports whether a write to this location was answered with SSE-KMS or
// SSE-C: its ETags then say nothing about the content (Content-MD5 still guards every
// write). Set before the write that saw it returns.
func (s *S3) OpaqueETags() bool { return s.opaque.Load() }

// sawSSE records the encryption a write answer reported.
func (s *S3) sawSSE(sse types.ServerSideEncryption, customer *string) {
	if OpaqueSSE(string(sse)) || aws.ToString(customer) != "" {
		s.opaque.Store(true)
	}
}

// sseOf names an object's encryption from an answer's headers.
func sseOf(sse types.ServerSideEncryption, customer *string) string {
	if aws.ToString(customer) != "" {
		return "SSE-C"
	}
	return string(sse)
}

// OpenS3 builds a client for bucket/prefix. It does not contact the service; Check does.
func OpenS3(ctx context.Context, bucket, prefix string, c S3Config) (*S3, error) {
	if err := ValidateBucket(bucket); err != nil {
		return nil, err
	}
	c, prov, endpoint, err := c.resolve()
	if err != nil {
		return nil, err
	}
	checksums, err := c.checksumsFor(prov)
	if err != nil {
		return nil, err
	}
	pathStyle, err := c.pathStyleFor(prov)
	if err != nil {
		return nil, err
	}
	awsCfg, err := c.loadAWS(ctx, prov)
	if err != nil {
		return nil, err
	}
	if endpoint == "" && prov.EndpointTemplate != "" {
		endpoint = prov.Endpoint(awsCfg.Region)
	}
	newClient := func(region string) *s3.Client {
		cfg := awsCfg.Copy()
		cfg.Region = region
		return s3.NewFromConfig(cfg, func(o *s3.Options) {
			clientOptions(o, endpoint, pathStyle, c)
		})
	}
	client := newClient(awsCfg.Region)
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	effEndpoint := endpoint
	if effEndpoint == "" && awsCfg.BaseEndpoint != nil {
		effEndpoint = *awsCfg.BaseEndpoint
	}
	return &S3{
		client: client, bucket: bucket, prefix: prefix, provider: prov, cfg: c,
		endpoint: effEndpoint, region: awsCfg.Region, lean: newLean(ctx, client, bucket, c),
		identity: identity(prov, effEndpoint, awsCfg.Region, c),
		opaque:   new(atomic.Bool), checksums: checksums,
		newClient: newClient, autoRegion: prov.AWS && c.Region == "",
	}, nil
}

// resolve checks the configuration, finds its provider preset and validated endpoint
// ("" = the preset's or the SDK's) and fills the tuning defaults.
func (c S3Config) resolve() (S3Config, Provider, string, error) {
	endpoint, err := ValidateEndpoint(c.Endpoint)
	if err != nil {
		return c, Provider{}, "", err
	}
	prov, err := LookupProvider(c.Provider, endpoint != "")
	if err != nil {
		return c, Provider{}, "", err
	}
	if prov.NeedsEndpoint && endpoint == "" {
		return c, Provider{}, "", fmt.Errorf("provider %s needs an endpoint URL", prov.Name)
	}
	if c.AccessKey != "" && c.SecretKey == "" || c.AccessKey == "" && c.SecretKey != "" {
		return c, Provider{}, "", fmt.Errorf("static credentials need both an access key and a secret key")
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 64
	}
	if c.StallTimeout <= 0 {
		c.StallTimeout = 60 * time.Second
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 10
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return c, prov, endpoint, nil
}

// checksumsFor says whether full-object CRC-64/NVME checksums are read and written.
func (c S3Config) checksumsFor(prov Provider) (bool, error) {
	switch c.Checksums {
	case "on":
		return true, nil
	case "off":
		return false, nil
	case "", "auto":
		return prov.AWS, nil
	}
	return false, fmt.Errorf("checksums %q: use on, off or auto", c.Checksums)
}

// pathStyleFor says whether buckets are addressed as https://host/bucket.
func (c S3Config) pathStyleFor(prov Provider) (bool, error) {
	switch c.PathStyle {
	case "path":
		return true, nil
	case "virtual":
		return false, nil
	case "":
		return prov.PathStyle, nil
	}
	return false, fmt.Errorf("addressing style %q: use path or virtual", c.PathStyle)
}

// loadAWS loads the SDK configuration: HTTP client, logger, retries, profile, region,
// credentials (with an assumed role on top) and the provider's checksum behaviour.
func (c S3Config) loadAWS(ctx context.Context, prov Provider) (aws.Config, error) {
	var hc config.HTTPClient = c.HTTPClient
	if c.HTTPClient == nil {
		hc = newHTTPClient(c.Concurrency, c.StallTimeout)
	}
	opts := []func(*config.LoadOptions) error{
		config.WithHTTPClient(hc),
		// The SDK prints warnings such as "falling back to IMDSv1" straight to stderr;
		// what matters reaches the user as an error.
		config.WithLogger(logging.LoggerFunc(func(cls logging.Classification, format string, v ...any) {
			c.Log.Debug("aws sdk: "+fmt.Sprintf(format, v...), "class", string(cls))
		})),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = c.MaxAttempts
				o.MaxBackoff = 20 * time.Second
				// The default retry quota runs dry under sustained throttling or resets and
				// then fails requests outright; the engine's own concurrency control backs off.
				o.RateLimiter = ratelimit.None
			})
		}),
	}
	if c.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(c.Profile))
	}
	if r := cmp.Or(c.Region, c.DefaultRegion); r != "" {
		opts = append(opts, config.WithRegion(r))
	}
	if creds := c.credentialsProvider(); creds != nil {
		opts = append(opts, config.WithCredentialsProvider(creds))
	}
	if !prov.AWS {
		opts = append(opts,
			config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
			config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration (profile %q): %w", c.Profile, err)
	}
	if awsCfg.Region == "" {
		awsCfg.Region = prov.DefaultRegion
	}
	if c.RoleARN != "" {
		awsCfg.Credentials = AssumeRole(awsCfg, c.RoleARN, c.ExternalID)
	}
	return awsCfg, nil
}

// AssumeRole is the credentials of roleARN (with externalID when set) assumed with the
// credentials of cfg, cached and renewed before they expire; sessions are named
// "transfer-hub" so that CloudTrail shows who acted.
func AssumeRole(cfg aws.Config, roleARN, externalID string) aws.CredentialsProvider {
	return aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), roleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "transfer-hub"
		if externalID != "" {
			o.ExternalID = aws.String(externalID)
		}
	}))
}

// credentialsProvider is the credentials the configuration names; nil: the SDK's default
// chain (environment, profile, role).
func (c S3Config) credentialsProvider() aws.CredentialsProvider {
	switch {
	case c.Anonymous:
		return aws.AnonymousCredentials{}
	case c.Credentials != nil:
		return c.Credentials
	case c.AccessKey != "":
		return credentials.NewStaticCredentialsProvider(c.AccessKey, c.SecretKey, c.SessionToken)
	}
	return nil
}

// identity names where and as whom a location is reached (no secret), so that two sides
// can tell whether one credential set reaches both in one partition.
func identity(prov Provider, endpoint, region string, c S3Config) string {
	return strings.Join([]string{prov.Name, endpoint, Partition(region), credentialID(c)}, "|")
}

// clientOptions are the S3 client's options for a location.
func clientOptions(o *s3.Options, endpoint string, pathStyle bool, c S3Config) {
	if endpoint != "" {
		o.BaseEndpoint = aws.String(endpoint)
	}
	o.UsePathStyle = pathStyle
	if c.OnThrottle != nil {
		o.APIOptions = append(o.APIOptions, throttleMiddleware(c.OnThrottle))
	}
	if c.OnAuthError != nil {
		o.APIOptions = append(o.APIOptions, authErrorMiddleware(c.OnAuthError))
	}
	if c.Credentials != nil {
		logger, logSigning := o.Logger, o.ClientLogMode.IsSigning()
		o.HTTPSignerV4 = newFreshSigner(func(so *v4.SignerOptions) {
			// As the S3 client's default signer.
			so.Logger, so.LogSigning, so.DisableURIPathEscaping = logger, logSigning, true
		})
	}
}

// credentialID names the credential set (never the secret) so two sides can tell
// whether they share one principal.
func credentialID(c S3Config) string {
	var id string
	switch {
	case c.Anonymous:
		id = "anonymous"
	case c.Credentials != nil:
		id = "provider:" + c.CredentialsName
	case c.AccessKey != "":
		id = "key:" + c.AccessKey
	case c.Profile != "":
		id = "profile:" + c.Profile
	default:
		id = "default-chain"
	}
	if c.RoleARN != "" {
		id += "|role:" + c.RoleARN + "|" + c.ExternalID
	}
	return id
}

// Client exposes the SDK client (benchmarks and tests).
func (s *S3) Client() *s3.Client { return s.client }

// Bucket returns the bucket name.
func (s *S3) Bucket() string { return s.bucket }

// Prefix returns the key prefix ("" or ending in "/").
func (s *S3) Prefix() string { return s.prefix }

// Endpoint returns the effective endpoint URL ("" = the SDK's resolver for Amazon S3).
func (s *S3) Endpoint() string { return s.endpoint }

func (s *S3) URL() string { return "s3://" + s.bucket + "/" + s.prefix }

func (s *S3) payer() types.RequestPayer {
	if s.cfg.RequesterPays {
		return types.RequestPayerRequester
	}
	return ""
}

func (s *S3) full(key string) string { return s.prefix + key }

func (s *S3) rel(full string) string { return strings.TrimPrefix(full, s.prefix) }

func unquote(etag string) string { return strings.Trim(etag, `"`) }

func quote(etag string) string {
	if etag == "" || strings.HasPrefix(etag, `"`) {
		return etag
	}
	return `"` + etag + `"`
}
