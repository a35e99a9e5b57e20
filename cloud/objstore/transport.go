package objstore

import (
	"context"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// newHTTPClient sizes the connection pool to the concurrency (Go keeps 2 idle connections
// per host by default, so TLS would be re-negotiated constantly) and kills connections
// that make no progress for stall. It stays a BuildableClient so the SDK can still apply
// a CA bundle (AWS_CA_BUNDLE, ca_bundle in the profile).
func newHTTPClient(concurrency int, stall time.Duration) *awshttp.BuildableClient {
	dialer := &net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}
	return awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &stallConn{Conn: c, stall: stall}, nil
		}
		tr.MaxIdleConns = 2*concurrency + 16
		tr.MaxIdleConnsPerHost = 2*concurrency + 16
		tr.IdleConnTimeout = 90 * time.Second
		tr.TLSHandshakeTimeout = 15 * time.Second
		tr.ExpectContinueTimeout = time.Second
		// CopyObject/CompleteMultipartUpload may think for minutes; the stall watchdog
		// covers dead peers instead of a header timeout.
		tr.ResponseHeaderTimeout = 0
		// Buffer sizes stay at Go's 4 KiB: some servers close the connection after each
		// request, and large per-connection buffers then cost an allocation per request.
	})
}

// throttleMiddleware reports every 503/429 answer (each attempt, before the retryer
// sleeps) to onThrottle.
func throttleMiddleware(onThrottle func()) func(*middleware.Stack) error {
	return statusMiddleware("thubThrottle", onThrottle, http.StatusServiceUnavailable, http.StatusTooManyRequests)
}

// authErrorMiddleware reports every 401/403 answer to onAuthError.
func authErrorMiddleware(onAuthError func()) func(*middleware.Stack) error {
	return statusMiddleware("thubAuthError", onAuthError, http.StatusForbidden, http.StatusUnauthorized)
}

// statusMiddleware calls fn for every answer with one of the statuses.
func statusMiddleware(id string, fn func(), statuses ...int) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		return st.Deserialize.Add(middleware.DeserializeMiddlewareFunc(id,
			func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleDeserialize(ctx, in)
				if resp, ok := out.RawResponse.(*smithyhttp.Response); ok && resp != nil && slices.Contains(statuses, resp.StatusCode) {
					fn()
				}
				return out, md, err
			}), middleware.After)
	}
}

// freshSigner signs like the S3 client's own SigV4 signer but starts a new one when the
// secret key changes under the same access key id. The SDK's signer caches the derived
// signing key per access key id and day, so a corrected secret (a mistyped key fixed in
// Secrets Manager) would otherwise be ignored until midnight UTC.
type freshSigner struct {
	mu     sync.Mutex
	secret string
	signer *v4.Signer
	opts   func(*v4.SignerOptions)
}

func newFreshSigner(opts func(*v4.SignerOptions)) *freshSigner {
	return &freshSigner{signer: v4.NewSigner(opts), opts: opts}
}

func (f *freshSigner) SignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request, payloadHash, service, region string, t time.Time, optFns ...func(*v4.SignerOptions)) error {
	f.mu.Lock()
	if creds.SecretAccessKey != f.secret {
		f.secret, f.signer = creds.SecretAccessKey, v4.NewSigner(f.opts)
	}
	s := f.signer
	f.mu.Unlock()
	return s.SignHTTP(ctx, creds, r, payloadHash, service, region, t, optFns...)
}

// stallConn pushes its deadline forward on every read and write: a connection that moves
// no byte in either direction for stall is dead (CRT's rule), and the SDK retries the
// request on a new one. Progress in one direction extends both, because the transport
// reads (waiting for the answer) while a long request body is still being written.
type stallConn struct {
	net.Conn
	stall time.Duration
}

func (c *stallConn) Read(p []byte) (int, error) {
	_ = c.Conn.SetDeadline(time.Now().Add(c.stall))
	return c.Conn.Read(p)
}

func (c *stallConn) Write(p []byte) (int, error) {
	_ = c.Conn.SetDeadline(time.Now().Add(c.stall))
	return c.Conn.Write(p)
}
