package s3test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// KMSProxy stands in for a bucket encrypted with SSE-KMS in front of one gateway: it
// answers as Amazon S3 does for such objects, with x-amz-server-side-encryption: aws:kms
// and ETags that are not the MD5 of the content (here a hash of the real ETag, mapped
// back on the way in). Requests are re-signed with the gateway's keys, since the ETags
// they carry (If-Match, copy conditions, CompleteMultipartUpload) are rewritten.
type KMSProxy struct {
	URL string
	// Rewritten counts ETags the proxy replaced in answers.
	Rewritten atomic.Int64
	// Corrupt, when set, flips one bit of every object body read through the proxy (a
	// fault no MD5 can catch here, since the ETags are opaque).
	Corrupt atomic.Bool

	g      *Gateway
	signer *v4.Signer
	rp     *httputil.ReverseProxy
	real   sync.Map // opaque -> real (without quotes, "-N" suffix kept)
}

// etagRe finds an ETag value: 32 hex digits, with a multipart "-N" suffix.
var etagRe = regexp.MustCompile(`[0-9a-fA-F]{32}(-[0-9]+)?`)

// xmlETagRe finds ETag elements in XML bodies, quoted as a gateway may quote them.
var xmlETagRe = regexp.MustCompile(`(<ETag>(?:&#34;|&quot;|")?)([0-9a-fA-F]{32}(?:-[0-9]+)?)((?:&#34;|&quot;|")?</ETag>)`)

// NewKMSProxy starts the stand-in on 127.0.0.1 in front of g, stopped when the test ends.
func NewKMSProxy(t testing.TB, g *Gateway) *KMSProxy {
	u, err := url.Parse(g.Endpoint)
	if err != nil {
		t.Fatalf("gateway endpoint %q: %v", g.Endpoint, err)
	}
	p := &KMSProxy{g: g, signer: v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Host = u.Host
		},
		ModifyResponse: p.response,
	}
	srv := httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = srv.URL
	t.Cleanup(srv.Close)
	return p
}

// opaque is the ETag shown for an object of bucket with realETag: per bucket, so that a
// copy to another bucket gets another ETag, as under SSE-KMS.
func (p *KMSProxy) opaque(bucket, realETag string) string {
	base, suffix, _ := strings.Cut(realETag, "-")
	sum := md5.Sum([]byte("kms:" + bucket + ":" + strings.ToLower(base)))
	o := hex.EncodeToString(sum[:])
	if suffix != "" {
		o += "-" + suffix
	}
	p.real.Store(o, realETag)
	p.Rewritten.Add(1)
	return o
}

func (p *KMSProxy) toReal(s string) string {
	return etagRe.ReplaceAllStringFunc(s, func(e string) string {
		if r, ok := p.real.Load(strings.ToLower(e)); ok {
			return r.(string)
		}
		return e
	})
}

func (p *KMSProxy) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	for _, h := range []string{"If-Match", "If-None-Match", "X-Amz-Copy-Source-If-Match"} {
		if v := r.Header.Get(h); v != "" {
			r.Header.Set(h, p.toReal(v))
		}
	}
	if r.Method == http.MethodPost && r.URL.Query().Has("uploadId") {
		// CompleteMultipartUpload lists the part ETags the client was given.
		body = []byte(p.toReal(string(body)))
		r.Header.Del("Content-Md5") // of the body as the client wrote it
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	// Sign again, for the gateway, what is now sent to it.
	u, _ := url.Parse(p.g.Endpoint)
	r.Host, r.URL.Host, r.URL.Scheme = u.Host, u.Host, u.Scheme
	for _, h := range []string{"Authorization", "X-Amz-Date", "X-Amz-Security-Token"} {
		r.Header.Del(h)
	}
	r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	creds := aws.Credentials{AccessKeyID: p.g.AccessKey, SecretAccessKey: p.g.SecretKey}
	if err := p.signer.SignHTTP(context.Background(), creds, r, "UNSIGNED-PAYLOAD", "s3", p.g.Region, time.Now()); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	p.rp.ServeHTTP(w, r)
}

// response makes an answer look like one for an SSE-KMS object.
func (p *KMSProxy) response(resp *http.Response) error {
	if resp.StatusCode/100 != 2 {
		return nil
	}
	q := resp.Request.URL.Query()
	bucket, key, _ := strings.Cut(strings.TrimPrefix(resp.Request.URL.Path, "/"), "/")
	object := key != ""
	opaque := func(e string) string { return p.opaque(bucket, e) }
	if object { // every object answer, CreateMultipartUpload's too, as Amazon S3 answers
		resp.Header.Set("X-Amz-Server-Side-Encryption", "aws:kms")
	}
	if e := resp.Header.Get("ETag"); e != "" {
		resp.Header.Set("ETag", etagRe.ReplaceAllStringFunc(e, opaque))
	}
	if resp.Request.Method == http.MethodGet && object && !q.Has("uploadId") {
		if p.Corrupt.Load() && resp.ContentLength != 0 {
			resp.Body = &flipFirst{ReadCloser: resp.Body}
		}
		return nil // object data passes (otherwise) untouched
	}
	if !strings.Contains(resp.Header.Get("Content-Type"), "xml") {
		return nil
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	b = xmlETagRe.ReplaceAllFunc(b, func(m []byte) []byte {
		g := xmlETagRe.FindSubmatch(m)
		return append(append(append([]byte{}, g[1]...), opaque(string(g[2]))...), g[3]...)
	})
	resp.Body = io.NopCloser(bytes.NewReader(b)) // same length: ETags keep theirs
	return nil
}

// flipFirst flips the lowest bit of the first byte read.
type flipFirst struct {
	io.ReadCloser
	done bool
}

func (f *flipFirst) Read(b []byte) (int, error) {
	n, err := f.ReadCloser.Read(b)
	if n > 0 && !f.done {
		b[0] ^= 1
		f.done = true
	}
	return n, err
}
