package objstore

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	smithyauth "github.com/aws/smithy-go/auth"
	"github.com/aws/smithy-go/encoding/httpbinding"
	smithytime "github.com/aws/smithy-go/time"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Many small objects are where sync tools are slow, and for them the SDK's per-request
// machinery (endpoint rules, a middleware stack built per call, retries, metrics) cost
// more CPU than the transfer: measured, a whole-object GET + PUT pair through the SDK
// took twice the client CPU of the same signed requests sent directly. The lean path
// sends exactly those two requests (whole-object GET, single PUT) with the SDK's own
// endpoint (resolved once per bucket), SigV4 signer, credentials and HTTP client. Any
// answer but success, 404, 412 or a definite 4xx error is sent again through the SDK
// (retries, redirects, region errors keep the SDK's handling), so the lean path never
// decides an outcome the SDK would decide differently.

// lean is the direct path of one bucket; nil when its endpoint is not plain SigV4 S3.
type lean struct {
	base      url.URL // the bucket's endpoint (path style: ending in /bucket)
	region    string
	service   string
	anonymous bool
	creds     aws.CredentialsProvider
	signer    s3.HTTPSignerV4
	http      s3.HTTPClient
	payer     bool
	// onThrottle and onAuthError hear 503/429 and 401/403 answers, as the SDK path's
	// middlewares do.
	onThrottle, onAuthError func()
}

// newLean resolves the bucket's endpoint the way the SDK does and keeps it when it is
// an ordinary SigV4 S3 endpoint with no extra headers.
func newLean(ctx context.Context, c *s3.Client, bucket string, cfg S3Config) *lean {
	o := c.Options()
	if o.HTTPSignerV4 == nil || o.HTTPClient == nil || o.EndpointResolverV2 == nil {
		return nil
	}
	params := s3.EndpointParameters{
		Bucket: aws.String(bucket), Region: aws.String(o.Region),
		UseFIPS:                        aws.Bool(o.EndpointOptions.UseFIPSEndpoint == aws.FIPSEndpointStateEnabled),
		UseDualStack:                   aws.Bool(o.EndpointOptions.UseDualStackEndpoint == aws.DualStackEndpointStateEnabled),
		Endpoint:                       o.BaseEndpoint,
		ForcePathStyle:                 aws.Bool(o.UsePathStyle),
		Accelerate:                     aws.Bool(o.UseAccelerate),
		DisableMultiRegionAccessPoints: aws.Bool(o.DisableMultiRegionAccessPoints),
		UseArnRegion:                   aws.Bool(o.UseARNRegion),
	}
	ep, err := o.EndpointResolverV2.ResolveEndpoint(ctx, params)
	if err != nil || len(ep.Headers) > 0 {
		return nil
	}
	if p := strings.TrimSuffix(ep.URI.Path, "/"); p != "" && p != "/"+bucket {
		return nil
	}
	l := &lean{base: ep.URI, region: o.Region, service: "s3", signer: o.HTTPSignerV4, http: o.HTTPClient, creds: o.Credentials,
		payer: cfg.RequesterPays, onThrottle: cfg.OnThrottle, onAuthError: cfg.OnAuthError}
	opts, _ := smithyauth.GetAuthOptions(&ep.Properties)
	for _, opt := range opts {
		if opt.SchemeID != "sigv4" && opt.SchemeID != "aws.auth#sigv4" {
			return nil
		}
		if n, ok := smithyhttp.GetSigV4SigningName(&opt.SignerProperties); ok {
			l.service = n
		}
		if r, ok := smithyhttp.GetSigV4SigningRegion(&opt.SignerProperties); ok {
			l.region = r
		}
	}
	if l.creds == nil || aws.IsCredentialsProvider(l.creds, aws.AnonymousCredentials{}) {
		l.anonymous = true
	}
	return l
}

// request builds a signed request for the object key (the full key, prefix included).
func (l *lean) request(ctx context.Context, method, key, op string, body []byte, h http.Header) (*http.Request, error) {
	u := l.base
	// As the SDK's serializer and endpoint middleware build it: "/{Key+}" joined to the
	// endpoint's path, the key escaped with "/" kept.
	u.Path = smithyhttp.JoinPath(l.base.Path, "/"+key)
	u.RawPath = smithyhttp.JoinPath(l.base.EscapedPath(), "/"+httpbinding.EscapePath(key, false))
	u.RawQuery = "x-id=" + op
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	req.URL = &u
	if body != nil {
		req.ContentLength = int64(len(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if l.payer {
		req.Header.Set("X-Amz-Request-Payer", "requester")
	}
	if l.anonymous {
		return req, nil
	}
	creds, err := l.creds.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	const unsigned = "UNSIGNED-PAYLOAD"
	req.Header.Set("X-Amz-Content-Sha256", unsigned)
	if err := l.signer.SignHTTP(ctx, creds, req, unsigned, l.service, l.region, time.Now().UTC(), func(o *v4.SignerOptions) {
		o.DisableURIPathEscaping = true
	}); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return req, nil
}

// errRetrySDK marks an answer the SDK path must handle (the request is sent again there).
var errRetrySDK = fmt.Errorf("send through the SDK")

// do sends req; a final answer the lean path understands comes back as (resp, nil) for
// 2xx or (nil, API error) for 404/412/definite client errors; anything else is
// errRetrySDK, with the response drained.
func (l *lean) do(req *http.Request) (*http.Response, error) {
	resp, err := l.http.Do(req)
	if err != nil {
		return nil, errRetrySDK
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch resp.StatusCode {
	case http.StatusServiceUnavailable, http.StatusTooManyRequests:
		if l.onThrottle != nil {
			l.onThrottle()
		}
		return nil, errRetrySDK
	case http.StatusUnauthorized, http.StatusForbidden:
		if l.onAuthError != nil {
			l.onAuthError()
		}
		return nil, errRetrySDK
	case http.StatusNotFound, http.StatusPreconditionFailed:
		var e struct {
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		}
		if xml.Unmarshal(raw, &e) != nil || e.Code == "" {
			// A HEAD-like empty 404/412 (or a proxy's page): the SDK names it.
			return nil, errRetrySDK
		}
		return nil, &smithy.GenericAPIError{Code: e.Code, Message: e.Message}
	}
	return nil, errRetrySDK
}

// get reads a whole object (ifMatch: the ETag it must still have). ok is false when the
// SDK must send the request.
func (l *lean) get(ctx context.Context, fullKey, key, ifMatch string, checksums bool) (io.ReadCloser, Info, bool, error) {
	// identity: Go's transport would otherwise ask for gzip and silently inflate an
	// object stored with Content-Encoding: gzip (the SDK sends the same header).
	h := http.Header{"Accept-Encoding": {"identity"}}
	if checksums {
		h.Set("X-Amz-Checksum-Mode", "ENABLED")
	}
	if ifMatch != "" {
		h.Set("If-Match", quote(ifMatch))
	}
	req, err := l.request(ctx, http.MethodGet, fullKey, "GetObject", nil, h)
	if err != nil {
		return nil, Info{}, false, nil
	}
	resp, err := l.do(req)
	if err == errRetrySDK {
		return nil, Info{}, false, nil
	}
	if err != nil {
		return nil, Info{}, true, err
	}
	if resp.ContentLength < 0 || resp.StatusCode != http.StatusOK {
		// A chunked answer tells no size (or an unexpected 2xx): the SDK's reading decides.
		resp.Body.Close()
		return nil, Info{}, false, nil
	}
	rh := resp.Header
	info := Info{
		Object: Object{Key: key, Size: resp.ContentLength, ETag: unquote(rh.Get("ETag")), StorageClass: rh.Get("X-Amz-Storage-Class")},
		Headers: Headers{ContentType: rh.Get("Content-Type"), CacheControl: rh.Get("Cache-Control"),
			ContentDisposition: rh.Get("Content-Disposition"), ContentEncoding: rh.Get("Content-Encoding"),
			ContentLanguage: rh.Get("Content-Language"), Expires: rh.Get("Expires")},
	}
	if v := rh.Get("Last-Modified"); v != "" {
		t, err := smithytime.ParseHTTPDate(v)
		if err != nil {
			resp.Body.Close()
			return nil, Info{}, false, nil
		}
		info.LastModified, info.Headers.ModTime = t, t
	}
	if v := rh.Get("X-Amz-Mp-Parts-Count"); v != "" {
		info.PartsCount, _ = strconv.Atoi(v)
	}
	if v := rh.Get("X-Amz-Tagging-Count"); v != "" {
		info.TagCount, _ = strconv.Atoi(v)
	}
	info.SSE = rh.Get("X-Amz-Server-Side-Encryption")
	if rh.Get("X-Amz-Checksum-Type") != "COMPOSITE" {
		info.CRC64NVME = rh.Get("X-Amz-Checksum-Crc64nvme")
	}
	if rh.Get("X-Amz-Server-Side-Encryption-Customer-Algorithm") != "" {
		info.SSE = "SSE-C"
	}
	for k, v := range rh {
		// As the SDK's GetObject output: keys lowercased, values trimmed.
		if len(k) > len("X-Amz-Meta-") && strings.EqualFold(k[:len("X-Amz-Meta-")], "X-Amz-Meta-") && len(v) > 0 {
			if info.Headers.Metadata == nil {
				info.Headers.Metadata = map[string]string{}
			}
			info.Headers.Metadata[strings.ToLower(k[len("X-Amz-Meta-"):])] = strings.TrimSpace(v[0])
		}
	}
	return resp.Body, info, true, nil
}

// put writes body as fullKey with its headers and returns its ETag and the encryption the
// answer reported; ok is false when the SDK must.
func (l *lean) put(ctx context.Context, fullKey string, body []byte, md5 []byte, in *s3.PutObjectInput) (etag, sse string, ok bool, err error) {
	h := http.Header{}
	set := func(name string, v *string) {
		if v != nil {
			h.Set(name, *v)
		}
	}
	set("Content-Md5", md5b64(md5))
	set("Content-Type", in.ContentType)
	set("Cache-Control", in.CacheControl)
	set("Content-Disposition", in.ContentDisposition)
	set("Content-Encoding", in.ContentEncoding)
	set("Content-Language", in.ContentLanguage)
	if in.Expires != nil {
		h.Set("Expires", smithytime.FormatHTTPDate(*in.Expires))
	}
	for k, v := range in.Metadata {
		h.Set("X-Amz-Meta-"+k, v)
	}
	if in.StorageClass != "" {
		h.Set("X-Amz-Storage-Class", string(in.StorageClass))
	}
	if in.ACL != "" {
		h.Set("X-Amz-Acl", string(in.ACL))
	}
	if in.ServerSideEncryption != "" {
		h.Set("X-Amz-Server-Side-Encryption", string(in.ServerSideEncryption))
	}
	set("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id", in.SSEKMSKeyId)
	set("X-Amz-Tagging", in.Tagging)
	set("X-Amz-Checksum-Crc64nvme", in.ChecksumCRC64NVME)
	req, err := l.request(ctx, http.MethodPut, fullKey, "PutObject", body, h)
	if err != nil {
		return "", "", false, nil
	}
	resp, err := l.do(req)
	if err == errRetrySDK {
		return "", "", false, nil
	}
	if err != nil {
		return "", "", true, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	sse = resp.Header.Get("X-Amz-Server-Side-Encryption")
	if resp.Header.Get("X-Amz-Server-Side-Encryption-Customer-Algorithm") != "" {
		sse = "SSE-C"
	}
	return unquote(resp.Header.Get("ETag")), sse, true, nil
}
