package image

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"transferhub/cloud/internal/wait"
)

// newBaseTransport is the HTTP transport under regclient: TLS verified against the
// system pool (Go honours SSL_CERT_FILE/SSL_CERT_DIR) plus any extra CA files, and
// enough idle connections per host for our concurrency (Go keeps 2 by default).
func newBaseTransport(caFiles []string, conns int) (*http.Transport, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	for _, f := range caFiles {
		pem, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read CA file: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s: no PEM certificate found", f)
		}
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	t.MaxIdleConns = 0
	// HTTP/1.1: one connection per concurrent blob stream (as docker and skopeo), not
	// every stream multiplexed on one h2 connection.
	t.ForceAttemptHTTP2 = false
	t.MaxIdleConnsPerHost = max(conns*2, 16)
	t.ResponseHeaderTimeout = 5 * time.Minute
	return t, nil
}

// retryTransport retries what a registry (or the network) says is transient, below
// regclient: regclient gives up on a 503 at once and counts every failure against a
// per-host backoff limit shared by all concurrent requests, so a burst of faults
// fails unrelated requests. Here:
//   - 429, 502, 503, 504 are retried with exponential backoff and jitter, honouring
//     Retry-After (seconds or an HTTP date) up to maxWait;
//   - connection errors are retried for requests that can be replayed (no body, or a
//     GetBody that rewinds it);
//   - a GET body cut mid-stream is resumed with a Range request from the byte reached
//     (or, from a server that ignores Range, such as the distribution registry for
//     manifests, read again from the start when it is the same representation).
type retryTransport struct {
	base     http.RoundTripper
	attempts int           // total tries per request
	minWait  time.Duration // first backoff
	maxWait  time.Duration // longest single wait (backoff or Retry-After)
	log      *slog.Logger
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var lastErr error
	for attempt := 1; ; attempt++ {
		if attempt > 1 && req.Body != nil && req.Body != http.NoBody {
			if req.GetBody == nil {
				break
			}
			body, err := req.GetBody()
			if err != nil {
				return nil, fmt.Errorf("rewind request body for retry: %w (after %v)", err, lastErr)
			}
			req = req.Clone(req.Context())
			req.Body = body
		}
		resp, err := t.base.RoundTrip(req)
		var delay time.Duration
		switch {
		case err != nil:
			if !retryableNetErr(err) || req.Context().Err() != nil {
				return nil, err
			}
			lastErr = err
			delay = t.backoff(attempt)
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable ||
			resp.StatusCode == http.StatusBadGateway || resp.StatusCode == http.StatusGatewayTimeout:
			if attempt >= t.attempts {
				return resp, nil
			}
			delay = t.backoff(attempt)
			if ra, ok := retryAfter(resp.Header.Get("Retry-After")); ok {
				if ra > t.maxWait {
					return resp, nil // longer than we wait inline: let the caller decide
				}
				delay = max(ra, 0)
			} else if ra, ok := rateLimitReset(resp.Header); ok && ra <= t.maxWait {
				delay = max(ra, delay)
			}
			lastErr = fmt.Errorf("%s %s: http %d", req.Method, req.URL.Redacted(), resp.StatusCode)
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		default:
			if req.Method == http.MethodGet && resp.StatusCode == http.StatusOK && req.Header.Get("Range") == "" && resp.ContentLength > 0 {
				resp.Body = &resumableBody{t: t, req: req, body: resp.Body, size: resp.ContentLength, etag: resp.Header.Get("Etag"),
					digest: resp.Header.Get("Docker-Content-Digest")}
			}
			return resp, nil
		}
		if attempt >= t.attempts {
			break
		}
		t.log.Debug("registry request retry", "method", req.Method, "url", req.URL.Redacted(), "attempt", attempt, "wait", delay, "err", lastErr)
		if err := wait.Sleep(req.Context(), delay); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("%s %s: gave up after %d attempts: %w", req.Method, req.URL.Redacted(), t.attempts, lastErr)
}

func (t *retryTransport) backoff(attempt int) time.Duration {
	d := t.minWait << (attempt - 1)
	if d > t.maxWait || d <= 0 {
		d = t.maxWait
	}
	// full jitter in [d/2, d): concurrent retries do not stampede
	return d/2 + rand.N(d/2+1)
}

// retryAfter parses a Retry-After header (delta seconds or an HTTP date).
func retryAfter(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return time.Until(t), true
	}
	return 0, false
}

// rateLimitReset reads the IETF RateLimit headers some registries send with a 429
// ("RateLimit-Reset: <seconds>", or "ratelimit-reset" / "x-ratelimit-reset" as
// epoch seconds).
func rateLimitReset(h http.Header) (time.Duration, bool) {
	for _, k := range []string{"RateLimit-Reset", "X-RateLimit-Reset"} {
		v := strings.TrimSpace(strings.Split(h.Get(k), ";")[0])
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			continue
		}
		if n > 1_000_000_000 { // epoch seconds
			return time.Until(time.Unix(n, 0)), true
		}
		return time.Duration(n) * time.Second, true
	}
	return 0, false
}

func retryableNetErr(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsErr.IsTemporary // an unknown host stays unknown
	}
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) {
		return false
	}
	var rhe tls.RecordHeaderError
	if errors.As(err, &rhe) {
		return false // TLS spoken to a plain HTTP server
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true // a restarting registry; bounded by attempts
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) || isTimeout(err) ||
		strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "server closed idle connection") ||
		strings.Contains(err.Error(), "broken pipe")
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// resumableBody continues a GET body that breaks mid-stream with Range requests.
type resumableBody struct {
	t       *retryTransport
	req     *http.Request
	body    io.ReadCloser
	size    int64
	read    int64
	etag    string
	digest  string // Docker-Content-Digest of the first response
	resumes int
}

func (b *resumableBody) Read(p []byte) (int, error) {
	for {
		n, err := b.body.Read(p)
		b.read += int64(n)
		if err == nil || err == io.EOF && b.read >= b.size {
			return n, err
		}
		if b.read >= b.size || !retryableNetErr(err) && err != io.EOF || b.resumes >= b.t.attempts {
			return n, err
		}
		if n > 0 {
			// hand over what we have; the next Read resumes
			if rerr := b.resumeRetrying(err); rerr != nil {
				b.body = errReader{rerr}
			}
			return n, nil
		}
		if rerr := b.resumeRetrying(err); rerr != nil {
			return 0, rerr
		}
	}
}

// resumeRetrying resumes, again while what broke the resume is transient too (the
// resumed body cut while skipping to where the read was), up to attempts resumes.
func (b *resumableBody) resumeRetrying(cause error) error {
	for {
		err := b.resume(cause)
		if err == nil || b.resumes >= b.t.attempts || !retryableNetErr(err) {
			return err
		}
		cause = err
	}
}

func (b *resumableBody) resume(cause error) error {
	b.body.Close()
	b.resumes++
	if err := wait.Sleep(b.req.Context(), b.t.backoff(b.resumes)); err != nil {
		return err
	}
	req := b.req.Clone(b.req.Context())
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-", b.read))
	if b.etag != "" {
		req.Header.Set("If-Range", b.etag)
	}
	// Through the retries as any request: a reset or a 503 on the resuming request is
	// transient too (before, one failed the read).
	resp, err := b.t.RoundTrip(req)
	if err != nil {
		return fmt.Errorf("resume %s at byte %d after %v: %w", b.req.URL.Redacted(), b.read, cause, err)
	}
	switch {
	case resp.StatusCode == http.StatusPartialContent && strings.HasPrefix(resp.Header.Get("Content-Range"), fmt.Sprintf("bytes %d-", b.read)):
	case resp.StatusCode == http.StatusOK && resp.ContentLength == b.size && b.sameAs(resp):
		// The server ignores Range (the distribution registry does for manifests) and
		// sent the same representation whole: skip what was read already. Before, the
		// read failed and the whole image was copied again, which a second cut could
		// fail too.
		if n, err := io.CopyN(io.Discard, resp.Body, b.read); err != nil {
			resp.Body.Close()
			return fmt.Errorf("resume %s at byte %d after %v: skipping the %d bytes read before (server ignores Range) broke at %d: %w",
				b.req.URL.Redacted(), b.read, cause, b.read, n, err)
		}
	default:
		resp.Body.Close()
		return fmt.Errorf("resume %s at byte %d after %v: server answered %d without the requested range", b.req.URL.Redacted(), b.read, cause, resp.StatusCode)
	}
	b.t.log.Debug("registry download resumed", "url", b.req.URL.Redacted(), "offset", b.read, "cause", cause)
	b.body = resp.Body
	return nil
}

// sameAs says whether a full response is the representation the first one was: the
// same ETag or the same Docker-Content-Digest (without either nothing says so).
func (b *resumableBody) sameAs(resp *http.Response) bool {
	return b.etag != "" && resp.Header.Get("Etag") == b.etag || b.digest != "" && resp.Header.Get("Docker-Content-Digest") == b.digest
}

func (b *resumableBody) Close() error { return b.body.Close() }

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
func (e errReader) Close() error             { return nil }
