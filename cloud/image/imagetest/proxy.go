package imagetest

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Request is one request the proxy saw.
type Request struct {
	Method string
	Path   string // path and query
	Status int
	Bytes  int64 // request body bytes received
	Start  time.Time
	Took   time.Duration
	Proto  string // HTTP/1.1 or HTTP/2.0, as the client spoke it
	Remote string // client address: one per client connection
}

// FaultAction is what the proxy does to one request.
type FaultAction int

const (
	Pass      FaultAction = iota
	Status429             // answer 429 with Retry-After: 1
	Status503             // answer 503
	Reset                 // close the connection without an answer
	CutBody               // forward, then cut the response body halfway (GET only)
	Status403             // answer 403 denied (a read-only or forbidden destination)
	Claim200              // answer 200 without asking upstream (a blob HEAD the registry later denies knowing)
)

// Proxy is a loopback reverse proxy in front of a registry: it counts requests,
// injects faults and can swap credentials (to stand in for a registry that accepts a
// different password, such as an ECR data plane accepting the emulator's token).
type Proxy struct {
	URL  *url.URL // http://127.0.0.1:port
	Host string   // 127.0.0.1:port

	srv    *http.Server
	ln     net.Listener
	target *url.URL
	rp     *httputil.ReverseProxy

	mu       sync.Mutex
	log      []Request
	n        atomic.Int64
	inflight atomic.Int64 // handlers that have not logged their request yet
	// Fault decides per request (n counts from 1); nil passes everything.
	Fault func(r *http.Request, n int64) FaultAction
	// RequireAuth, when set, is the only Basic credential accepted ("user:pass");
	// others get 401. ForwardAuth replaces it upstream.
	RequireAuth string
	ForwardAuth string
}

// NewProxy starts a proxy to target ("http://host:port" or "https://host:port");
// caFile (may be empty) is trusted for an https target. Clients speak plain HTTP to it.
func NewProxy(target, caFile string) (*Proxy, error) {
	return newProxy(target, caFile, "127.0.0.1:0", nil)
}

// NewTLSProxy is NewProxy with TLS (certFile/keyFile) in front, HTTP/2 offered like
// docker-registry does, listening on addr ("127.0.0.1:0" for any port): clients see
// the same protocol as with the registry itself (benchmarks count requests this way).
func NewTLSProxy(target, caFile, addr, certFile, keyFile string) (*Proxy, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	return newProxy(target, caFile, addr, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}})
}

// NewProxyAt is NewProxy listening on addr.
func NewProxyAt(target, caFile, addr string) (*Proxy, error) {
	return newProxy(target, caFile, addr, nil)
}

func newProxy(target, caFile, addr string, front *tls.Config) (*Proxy, error) {
	tu, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	scheme := "http"
	if front != nil {
		scheme = "https"
	}
	p := &Proxy{ln: ln, target: tu, Host: ln.Addr().String()}
	p.URL = &url.URL{Scheme: scheme, Host: p.Host}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(tu)
			pr.Out.Host = tu.Host
			pr.Out.Header.Set("X-Forwarded-Proto", scheme)
			pr.Out.Header.Set("X-Forwarded-Host", p.Host)
		},
		Transport:     tr,
		FlushInterval: -1,
		ModifyResponse: func(resp *http.Response) error {
			// absolute upload locations must come back through the proxy
			if loc := resp.Header.Get("Location"); loc != "" {
				if lu, err := url.Parse(loc); err == nil && lu.IsAbs() && (lu.Host == tu.Host || lu.Host == p.Host) {
					lu.Scheme, lu.Host = scheme, p.Host
					resp.Header.Set("Location", lu.String())
				}
			}
			return nil
		},
		ErrorLog: nil,
	}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 30 * time.Second, TLSConfig: front}
	if front != nil {
		go func() { _ = p.srv.ServeTLS(ln, "", "") }()
	} else {
		go func() { _ = p.srv.Serve(ln) }()
	}
	return p, nil
}

// Close stops the proxy.
func (p *Proxy) Close() { _ = p.srv.Close() }

// Requests returns the log so far. A client can see a response (a HEAD's headers are
// flushed early) before its handler has logged it, so this first waits, briefly, for
// handlers still running.
func (p *Proxy) Requests() []Request {
	for deadline := time.Now().Add(2 * time.Second); p.inflight.Load() > 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.log...)
}

// Reset clears the log.
func (p *Proxy) Reset() {
	p.mu.Lock()
	p.log = nil
	p.mu.Unlock()
}

// Count returns how many logged requests used each method.
func (p *Proxy) Count() map[string]int {
	out := map[string]int{}
	for _, r := range p.Requests() {
		out[r.Method]++
	}
	return out
}

type statusWriter struct {
	http.ResponseWriter
	status int
	cut    int64 // >0: stop after this many body bytes and kill the connection
	n      int64
	hj     http.Hijacker
	dead   bool // connection hijacked and closed
}

func (w *statusWriter) WriteHeader(s int) {
	w.status = s
	w.ResponseWriter.WriteHeader(s)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = 200
	}
	if w.dead {
		return 0, fmt.Errorf("cut by fault proxy")
	}
	if w.cut > 0 && w.n+int64(len(b)) > w.cut {
		k := max(w.cut-w.n, 0)
		n, _ := w.ResponseWriter.Write(b[:k])
		w.n += int64(n)
		if f, ok := w.ResponseWriter.(http.Flusher); ok {
			f.Flush()
		}
		w.dead = true
		if conn, _, err := w.hj.Hijack(); err == nil {
			conn.Close()
		}
		return n, fmt.Errorf("cut by fault proxy")
	}
	n, err := w.ResponseWriter.Write(b)
	w.n += int64(n)
	return n, err
}

func (w *statusWriter) Flush() {
	if w.dead {
		return
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

type countingBody struct {
	io.ReadCloser
	n int64
}

func (c *countingBody) Read(b []byte) (int, error) {
	n, err := c.ReadCloser.Read(b)
	c.n += int64(n)
	return n, err
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := p.n.Add(1)
	p.inflight.Add(1)
	rec := Request{Method: r.Method, Path: r.URL.RequestURI(), Start: time.Now(), Proto: r.Proto, Remote: r.RemoteAddr}
	body := &countingBody{ReadCloser: r.Body}
	r.Body = body
	defer func() {
		rec.Bytes = body.n
		rec.Took = time.Since(rec.Start)
		p.mu.Lock()
		p.log = append(p.log, rec)
		p.mu.Unlock()
		p.inflight.Add(-1)
	}()
	if p.RequireAuth != "" {
		want := "Basic " + base64.StdEncoding.EncodeToString([]byte(p.RequireAuth))
		if r.Header.Get("Authorization") != want {
			w.Header().Set("WWW-Authenticate", `Basic realm="ecr-standin"`)
			rec.Status = http.StatusUnauthorized
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
		r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(p.ForwardAuth)))
	}
	action := Pass
	if p.Fault != nil {
		action = p.Fault(r, n)
	}
	switch action {
	case Status429:
		w.Header().Set("Retry-After", "1")
		rec.Status = http.StatusTooManyRequests
		http.Error(w, `{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}`, http.StatusTooManyRequests)
		return
	case Status403:
		rec.Status = http.StatusForbidden
		http.Error(w, `{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}`, http.StatusForbidden)
		return
	case Status503:
		rec.Status = http.StatusServiceUnavailable
		http.Error(w, "service unavailable", http.StatusServiceUnavailable)
		return
	case Claim200:
		rec.Status = http.StatusOK
		w.WriteHeader(http.StatusOK)
		return
	case Reset:
		rec.Status = -1
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				if tc, ok := conn.(*net.TCPConn); ok {
					_ = tc.SetLinger(0) // RST, not FIN
				}
				conn.Close()
				return
			}
		}
		return
	}
	sw := &statusWriter{ResponseWriter: w}
	if action == CutBody && r.Method == http.MethodGet {
		if hj, ok := w.(http.Hijacker); ok {
			sw.hj = hj
			sw.cut = 1 // set properly once the length is known
		}
	}
	if sw.cut > 0 {
		// cut halfway through: needs the length, so wrap after the upstream answers
		orig := p.rp.ModifyResponse
		rp := *p.rp
		rp.ModifyResponse = func(resp *http.Response) error {
			if resp.ContentLength > 1 {
				sw.cut = resp.ContentLength / 2
			} else {
				sw.cut = 0
			}
			return orig(resp)
		}
		rp.ServeHTTP(sw, r)
	} else {
		p.rp.ServeHTTP(sw, r)
	}
	rec.Status = sw.status
}

// BlobUploads returns the digests of blobs uploaded (completed PUTs with ?digest=).
func BlobUploads(reqs []Request) []string {
	var out []string
	for _, r := range reqs {
		if r.Method != http.MethodPut || !strings.Contains(r.Path, "/blobs/uploads/") {
			continue
		}
		u, err := url.Parse(r.Path)
		if err != nil {
			continue
		}
		if d := u.Query().Get("digest"); d != "" {
			out = append(out, d)
		}
	}
	return out
}
