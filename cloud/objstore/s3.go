package objstore

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
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
	endpoint, err := ValidateEndpoint(c.Endpoint)
	if err != nil {
		return nil, err
	}
	prov, err := LookupProvider(c.Provider, endpoint != "")
	if err != nil {
		return nil, err
	}
	if prov.NeedsEndpoint && endpoint == "" {
		return nil, fmt.Errorf("provider %s needs an endpoint URL", prov.Name)
	}
	if c.AccessKey != "" && c.SecretKey == "" || c.AccessKey == "" && c.SecretKey != "" {
		return nil, fmt.Errorf("static credentials need both an access key and a secret key")
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
	var hc config.HTTPClient = c.HTTPClient
	if c.HTTPClient == nil {
		hc = newHTTPClient(c.Concurrency, c.StallTimeout)
	}
	log := c.Log
	if log == nil {
		log = slog.Default()
		c.Log = log
	}
	opts := []func(*config.LoadOptions) error{
		config.WithHTTPClient(hc),
		// The SDK prints warnings such as "falling back to IMDSv1" straight to stderr;
		// what matters reaches the user as an error.
		config.WithLogger(logging.LoggerFunc(func(cls logging.Classification, format string, v ...any) {
			log.Debug("aws sdk: "+fmt.Sprintf(format, v...), "class", string(cls))
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
	switch {
	case c.Anonymous:
		opts = append(opts, config.WithCredentialsProvider(aws.AnonymousCredentials{}))
	case c.Credentials != nil:
		opts = append(opts, config.WithCredentialsProvider(c.Credentials))
	case c.AccessKey != "":
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(c.AccessKey, c.SecretKey, c.SessionToken)))
	}
	if !prov.AWS {
		opts = append(opts,
			config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
			config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration (profile %q): %w", c.Profile, err)
	}
	if awsCfg.Region == "" {
		awsCfg.Region = prov.DefaultRegion
	}
	if c.RoleARN != "" {
		stsClient := sts.NewFromConfig(awsCfg)
		awsCfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, c.RoleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "transfer-hub"
			if c.ExternalID != "" {
				o.ExternalID = aws.String(c.ExternalID)
			}
		}))
	}
	if endpoint == "" && prov.EndpointTemplate != "" {
		endpoint = prov.Endpoint(awsCfg.Region)
	}
	checksums := prov.AWS
	switch c.Checksums {
	case "on":
		checksums = true
	case "off":
		checksums = false
	case "", "auto":
	default:
		return nil, fmt.Errorf("checksums %q: use on, off or auto", c.Checksums)
	}
	pathStyle := prov.PathStyle
	switch c.PathStyle {
	case "path":
		pathStyle = true
	case "virtual":
		pathStyle = false
	case "":
	default:
		return nil, fmt.Errorf("addressing style %q: use path or virtual", c.PathStyle)
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

// Check lists one key to prove the bucket exists and the credentials can read it.
func (s *S3) Check(ctx context.Context, write bool) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	s.DetectRegion(ctx)
	_, err := s.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
		Bucket: aws.String(s.bucket), Prefix: aws.String(s.prefix), MaxKeys: aws.Int32(1), RequestPayer: s.payer(),
	}, func(o *s3.Options) { o.RetryMaxAttempts = 2 })
	if err == nil {
		return nil
	}
	where := s.URL()
	if s.endpoint != "" {
		where += " at " + s.endpoint
	}
	if msg, ok := credentialFailure(err); ok {
		if strings.Contains(msg, "EC2 IMDS") || strings.Contains(msg, "ec2imds") {
			return fmt.Errorf("%w for %s: none were given, and none were found in the environment, the shared config files or EC2 instance metadata", ErrNoCredentials, where)
		}
		return fmt.Errorf("get credentials for %s: %s", where, msg)
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchBucket":
			return fmt.Errorf("bucket %q does not exist (%s)", s.bucket, where)
		case "InvalidAccessKeyId", "XAdminUserNotFound": // the latter: versitygw
			return fmt.Errorf("credentials rejected for %s: the access key id is unknown to the service (InvalidAccessKeyId)", where)
		case "SignatureDoesNotMatch":
			return fmt.Errorf("credentials rejected for %s: wrong secret key (SignatureDoesNotMatch)", where)
		case "AccessDenied", "AllAccessDisabled":
			return fmt.Errorf("access denied to %s: the credentials may not list this bucket (AccessDenied)", where)
		case "InvalidBucketName":
			return fmt.Errorf("invalid bucket name %q (%s)", s.bucket, where)
		case "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException":
			return fmt.Errorf("bucket %q is in another region than %q: set the region (%s)", s.bucket, s.region, ae.ErrorCode())
		}
		return fmt.Errorf("check %s: %s: %s", where, ae.ErrorCode(), ae.ErrorMessage())
	}
	if ctx.Err() != nil {
		return fmt.Errorf("cannot reach %s: no answer within 60 s", where)
	}
	return fmt.Errorf("cannot reach %s: %w", where, unwrapNet(err))
}

// credentialFailure tells whether err is the SDK failing to get credentials (before any
// request was sent) and returns the provider's own words.
func credentialFailure(err error) (string, bool) {
	msg := err.Error()
	i := strings.Index(msg, "get identity: ")
	if i < 0 {
		return "", false
	}
	msg = msg[i+len("get identity: "):]
	msg = strings.TrimPrefix(msg, "get credentials: ")
	msg = strings.TrimPrefix(msg, "failed to refresh cached credentials, ")
	return msg, true
}

// unwrapNet trims SDK wrapping down to the network error a user can act on.
func unwrapNet(err error) error {
	var oe interface{ Unwrap() error }
	for errors.As(err, &oe) {
		inner := oe.Unwrap()
		if inner == nil {
			break
		}
		if _, ok := inner.(*url.Error); ok {
			return inner
		}
		err = inner
	}
	return err
}

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

func unquote(etag string) string { return strings.Trim(etag, `"`) }

func quote(etag string) string {
	if etag == "" || strings.HasPrefix(etag, `"`) {
		return etag
	}
	return `"` + etag + `"`
}

func (s *S3) mapErr(op, key string, err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchKey", "NotFound", "NoSuchUpload":
			return fmt.Errorf("%s %s: %w (%s)", op, s.URL()+key, ErrNotFound, ae.ErrorCode())
		case "PreconditionFailed":
			return fmt.Errorf("%s %s: %w", op, s.URL()+key, ErrPrecondition)
		}
		return fmt.Errorf("%s %s: %w", op, s.URL()+key, conciseAPIError{ae: ae, err: err})
	}
	return fmt.Errorf("%s %s: %w", op, s.URL()+key, err)
}

// conciseAPIError says what the service answered in the words a user reads on a failed
// object ("AccessDenied: Access Denied (HTTP 403, request id X)"), without the SDK's
// operation prefix and host id; the SDK's error stays underneath for errors.As.
type conciseAPIError struct {
	ae  smithy.APIError
	err error
}

func (e conciseAPIError) Error() string {
	msg := e.ae.ErrorCode()
	if m := e.ae.ErrorMessage(); m != "" {
		msg += ": " + m
	}
	var re *awshttp.ResponseError
	if errors.As(e.err, &re) {
		msg += fmt.Sprintf(" (HTTP %d", re.HTTPStatusCode())
		if id := re.ServiceRequestID(); id != "" {
			msg += ", request id " + id
		}
		msg += ")"
	}
	return msg
}

func (e conciseAPIError) Unwrap() error { return e.err }

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
	info := Info{
		Object: Object{Key: key, Size: aws.ToInt64(out.ContentLength), ETag: unquote(aws.ToString(out.ETag)),
			LastModified: aws.ToTime(out.LastModified), StorageClass: string(out.StorageClass)},
		Headers: Headers{ContentType: aws.ToString(out.ContentType), CacheControl: aws.ToString(out.CacheControl),
			ContentDisposition: aws.ToString(out.ContentDisposition), ContentEncoding: aws.ToString(out.ContentEncoding),
			ContentLanguage: aws.ToString(out.ContentLanguage), Expires: aws.ToString(out.ExpiresString), Metadata: out.Metadata,
			ModTime: aws.ToTime(out.LastModified)},
		PartsCount: int(aws.ToInt32(out.PartsCount)), SSE: sseOf(out.ServerSideEncryption, out.SSECustomerAlgorithm),
	}
	if partNumber == 0 && out.ChecksumType != types.ChecksumTypeComposite {
		info.CRC64NVME = aws.ToString(out.ChecksumCRC64NVME)
	}
	if partNumber > 0 {
		info.PartSize = info.Size
		info.Size = -1 // the object's size is not in a part HEAD
		if cr := out.ContentRange; cr != nil {
			if i := strings.LastIndexByte(*cr, '/'); i >= 0 {
				fmt.Sscan((*cr)[i+1:], &info.Size)
			}
		}
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
	info := Info{
		Object: Object{Key: key, Size: aws.ToInt64(out.ContentLength), ETag: unquote(aws.ToString(out.ETag)),
			LastModified: aws.ToTime(out.LastModified), StorageClass: string(out.StorageClass)},
		Headers: Headers{ContentType: aws.ToString(out.ContentType), CacheControl: aws.ToString(out.CacheControl),
			ContentDisposition: aws.ToString(out.ContentDisposition), ContentEncoding: aws.ToString(out.ContentEncoding),
			ContentLanguage: aws.ToString(out.ContentLanguage), Expires: aws.ToString(out.ExpiresString), Metadata: out.Metadata,
			ModTime: aws.ToTime(out.LastModified)},
		PartsCount: int(aws.ToInt32(out.PartsCount)), SSE: sseOf(out.ServerSideEncryption, out.SSECustomerAlgorithm),
	}
	if in.Range == nil && out.ChecksumType != types.ChecksumTypeComposite {
		info.CRC64NVME = aws.ToString(out.ChecksumCRC64NVME)
	}
	if cr := out.ContentRange; cr != nil {
		if i := strings.LastIndexByte(*cr, '/'); i >= 0 {
			fmt.Sscan((*cr)[i+1:], &info.Size)
		}
	}
	return out.Body, info, nil
}

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
		ServerSideEncryption: sse, SSEKMSKeyId: kms, Tagging: strp(s.cfg.Tagging), RequestPayer: s.payer(),
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
		ServerSideEncryption: sse, SSEKMSKeyId: kms, Tagging: strp(s.cfg.Tagging), RequestPayer: s.payer(),
	}
	if crc && s.checksums {
		in.ChecksumAlgorithm, in.ChecksumType = types.ChecksumAlgorithmCrc64nvme, types.ChecksumTypeFullObject
	}
	out, err := s.client.CreateMultipartUpload(ctx, in)
	if err != nil {
		return "", s.mapErr("create multipart upload", key, err)
	}
	s.sawSSE(out.ServerSideEncryption, out.SSECustomerAlgorithm)
	return aws.ToString(out.UploadId), nil
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
	if s.cfg.Tagging != "" {
		in.TaggingDirective, in.Tagging = types.TaggingDirectiveReplace, aws.String(s.cfg.Tagging)
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
