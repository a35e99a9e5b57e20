package s3test

import (
	"fmt"
	"io"
	"log"
	"math/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// FaultProxy is a loopback HTTP proxy in front of one S3 gateway. It can reset
// connections, answer 503 SlowDown and cut response bodies short for a share of
// requests, and it counts the request body bytes it forwards (uploaded data).
type FaultProxy struct {
	URL string

	// Shares of requests (0..1) that get each fault.
	ResetShare    float64 // connection reset before the request is forwarded
	SlowDownShare float64 // 503 SlowDown answer
	CutShare      float64 // GET response body cut after half of it
	StallShare    float64 // the answer is held back for Stall (a dead peer)
	Stall         time.Duration
	SlowShare     float64 // GET response body trickled: 16 KiB every 20 ms (a slow link)

	// Intercept, when set, sees every request first; returning true means it answered.
	Intercept func(w http.ResponseWriter, r *http.Request) bool
	// LoseAnswer, when set and true for a request, forwards it (the gateway acts on it)
	// and then resets the connection instead of answering: a reply lost on the way.
	LoseAnswer func(r *http.Request) bool

	Resets, SlowDowns, Cuts, Stalls, Slows, Requests atomic.Int64
	// Unreachable counts requests the gateway behind did not take (502: it was down).
	Unreachable atomic.Int64
	UploadBytes atomic.Int64
	// Gets counts object reads (GETs that are not listings), Heads object HEADs.
	Gets, Heads atomic.Int64

	mu  sync.Mutex
	rnd *rand.Rand
	srv *httptest.Server
}

// NewFaultProxy starts a proxy to target on 127.0.0.1, stopped when the test ends.
func NewFaultProxy(t testing.TB, target string) *FaultProxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatalf("proxy target %q: %v", target, err)
	}
	p := &FaultProxy{rnd: rand.New(rand.NewSource(42))}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 256}
	rp.ErrorLog = log.New(io.Discard, "", 0)
	rp.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		p.Unreachable.Add(1)
		w.WriteHeader(http.StatusBadGateway)
	}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.Requests.Add(1)
		q := r.URL.Query()
		switch {
		case r.Method == http.MethodGet && !q.Has("list-type") && !q.Has("uploads") && !q.Has("uploadId") && !q.Has("tagging") && strings.Count(strings.Trim(r.URL.Path, "/"), "/") >= 1:
			p.Gets.Add(1)
		case r.Method == http.MethodHead:
			p.Heads.Add(1)
		}
		if p.Intercept != nil && p.Intercept(w, r) {
			return
		}
		if p.LoseAnswer != nil && p.LoseAnswer(r) {
			rp.ServeHTTP(httptest.NewRecorder(), r)
			p.Resets.Add(1)
			reset(w)
			return
		}
		roll := p.roll()
		switch {
		case roll < p.ResetShare:
			p.Resets.Add(1)
			reset(w)
			return
		case roll < p.ResetShare+p.SlowDownShare:
			p.SlowDowns.Add(1)
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
			return
		case roll < p.ResetShare+p.SlowDownShare+p.CutShare && r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "" && r.URL.Query().Get("uploads") == "":
			p.Cuts.Add(1)
			w = &cutWriter{ResponseWriter: w}
		case roll < p.ResetShare+p.SlowDownShare+p.CutShare+p.StallShare:
			p.Stalls.Add(1)
			select {
			case <-time.After(p.Stall):
			case <-r.Context().Done():
			}
			return
		case roll < p.ResetShare+p.SlowDownShare+p.CutShare+p.StallShare+p.SlowShare && r.Method == http.MethodGet:
			p.Slows.Add(1)
			w = &slowWriter{ResponseWriter: w}
		}
		if r.Body != nil {
			r.Body = countingBody{ReadCloser: r.Body, n: &p.UploadBytes}
		}
		rp.ServeHTTP(w, r)
	}))
	p.URL = p.srv.URL
	t.Cleanup(p.srv.Close)
	return p
}

// reset drops the connection of w with a TCP reset.
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // RST instead of FIN
		}
		conn.Close()
	}
}

func (p *FaultProxy) roll() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rnd.Float64()
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c countingBody) Read(b []byte) (int, error) {
	n, err := c.ReadCloser.Read(b)
	c.n.Add(int64(n))
	return n, err
}

// Faults returns the faults injected so far, by kind.
func (p *FaultProxy) Faults() map[string]int64 {
	return map[string]int64{"resets": p.Resets.Load(), "slowdowns": p.SlowDowns.Load(), "truncated": p.Cuts.Load(),
		"stalls": p.Stalls.Load(), "slow": p.Slows.Load(), "gateway down": p.Unreachable.Load()}
}

// slowWriter trickles a body: 16 KiB, then 20 ms, and so on.
type slowWriter struct{ http.ResponseWriter }

func (s *slowWriter) Write(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		k := min(len(b), 16<<10)
		m, err := s.ResponseWriter.Write(b[:k])
		n += m
		if err != nil {
			return n, err
		}
		if f, ok := s.ResponseWriter.(http.Flusher); ok {
			f.Flush()
		}
		b = b[k:]
		time.Sleep(20 * time.Millisecond)
	}
	return n, nil
}

// cutWriter forwards the headers and half of the announced body, then drops the
// connection, as a peer dying mid-transfer does.
type cutWriter struct {
	http.ResponseWriter
	limit   int64
	written int64
}

func (c *cutWriter) WriteHeader(code int) {
	var n int64
	fmt.Sscan(c.Header().Get("Content-Length"), &n)
	c.limit = n / 2
	c.ResponseWriter.WriteHeader(code)
}

func (c *cutWriter) Write(b []byte) (int, error) {
	if c.limit <= 0 {
		return c.ResponseWriter.Write(b)
	}
	if c.written+int64(len(b)) > c.limit {
		k := c.limit - c.written
		_, _ = c.ResponseWriter.Write(b[:k])
		if f, ok := c.ResponseWriter.(http.Flusher); ok {
			f.Flush()
		}
		panic(http.ErrAbortHandler)
	}
	c.written += int64(len(b))
	return c.ResponseWriter.Write(b)
}
