package image

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/regclient/regclient"
	"github.com/regclient/regclient/config"
	"github.com/regclient/regclient/scheme/reg"

	"transferhub/cloud/image/ecr"
	"transferhub/cloud/version"
)

// Defaults chosen for throughput: regclient allows 3 concurrent requests per host and
// regsync copies one image at a time.
const (
	DefaultImageConcurrency = 8
	DefaultHostConcurrency  = 16
	DefaultRequestAttempts  = 6
	// DefaultBlobChunk is used when a blob goes up in chunks (a failed monolithic PUT,
	// or a registry asking for it). ECR rejects parts under 5 MiB
	// (LayerPartTooSmallException) and over 10 MiB.
	DefaultBlobChunk = 8 << 20
	minBlobChunk     = 5 << 20
	maxBlobChunk     = 10 << 20
)

// Cred is a user name and password (or token) for one registry.
type Cred struct {
	User     string `json:"user"`
	Password string `json:"-"` // never serialised
}

// Access says how registries are reached. The zero value is usable: TLS against the
// system pool, docker config credentials, the default concurrency.
type Access struct {
	// InsecureHTTP lists hosts (host[:port]) spoken to over plain HTTP. Every other
	// host uses TLS verified against the system CA pool (SSL_CERT_FILE honoured) plus CAFiles.
	InsecureHTTP []string `json:"insecureHttp,omitempty"`
	CAFiles      []string `json:"caFiles,omitempty"`
	// Creds are explicit credentials per host; they win over the docker config.
	Creds map[string]Cred `json:"-"`
	// NoDockerConfig skips ~/.docker/config.json (or $DOCKER_CONFIG) and its
	// credential helpers.
	NoDockerConfig bool `json:"noDockerConfig,omitempty"`
	// HostConcurrency is the number of concurrent requests per registry host
	// (blob transfers included). 0: DefaultHostConcurrency.
	HostConcurrency int `json:"hostConcurrency,omitempty"`
	// ReqPerSec limits requests per second per host (e.g. for Docker Hub); 0: no limit.
	ReqPerSec float64 `json:"reqPerSec,omitempty"`
	// BlobChunk is the chunk size for chunked uploads, clamped to ECR's 5–10 MiB.
	BlobChunk int64 `json:"blobChunk,omitempty"`
	// Attempts per HTTP request for transient failures (429/502/503/504, resets).
	Attempts int `json:"attempts,omitempty"`
}

// TokenSource yields a registry credential that expires (ECR).
type TokenSource interface {
	Token(ctx context.Context) (ecr.Token, error)
}

// Client gives the engine a regclient configured from Access, renewing expiring
// credentials (ECR tokens) before they run out. It is safe for concurrent use.
type Client struct {
	access Access
	log    *slog.Logger
	rt     http.RoundTripper

	mu        sync.Mutex
	rc        *regclient.RegClient
	sources   map[string]TokenSource // host -> source
	refAPI    referrersAPICache
	tokens    map[string]ecr.Token
	refreshAt time.Time
}

// NewClient validates the access settings and prepares the HTTP transport.
func NewClient(access Access, log *slog.Logger) (*Client, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if access.HostConcurrency <= 0 {
		access.HostConcurrency = DefaultHostConcurrency
	}
	if access.Attempts <= 0 {
		access.Attempts = DefaultRequestAttempts
	}
	switch {
	case access.BlobChunk == 0:
		access.BlobChunk = DefaultBlobChunk
	case access.BlobChunk < minBlobChunk || access.BlobChunk > maxBlobChunk:
		return nil, fmt.Errorf("blob chunk size %d out of range: ECR accepts 5 MiB to 10 MiB parts", access.BlobChunk)
	}
	base, err := newBaseTransport(access.CAFiles, access.HostConcurrency)
	if err != nil {
		return nil, err
	}
	rt := &retryTransport{base: base, attempts: access.Attempts, minWait: 250 * time.Millisecond, maxWait: 30 * time.Second, log: log}
	return &Client{access: access, log: log, rt: probeObserver{next: rt}, sources: map[string]TokenSource{}, tokens: map[string]ecr.Token{},
		refAPI: referrersAPICache{m: map[string]*apiEntry{}}}, nil
}

// AddTokenSource registers an expiring credential for host (an ECR registry).
func (c *Client) AddTokenSource(host string, ts TokenSource) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sources[host] = ts
	c.rc = nil
}

// Invalidate drops cached tokens (after an authentication failure) so the next
// RegClient call fetches new ones.
func (c *Client) Invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.sources) > 0 {
		c.rc = nil
		c.tokens = map[string]ecr.Token{}
	}
}

// HasTokenSource reports whether host's credentials expire and can be renewed.
func (c *Client) HasTokenSource(host string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.sources[host]
	return ok
}

// tokenMargin: renew this long before a token expires, so a copy that starts with a
// token does not outlive it (ECR tokens last 12 h).
const tokenMargin = 30 * time.Minute

// RegClient returns the current regclient, rebuilt when a token is due for renewal.
// In-flight copies keep the client they started with; the HTTP connection pool is
// shared across rebuilds.
func (c *Client) RegClient(ctx context.Context) (*regclient.RegClient, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if c.rc != nil && (len(c.sources) == 0 || now.Before(c.refreshAt)) {
		return c.rc, nil
	}
	refresh := now.Add(12 * time.Hour)
	for host, ts := range c.sources {
		tok, err := ts.Token(ctx)
		if err != nil {
			return nil, fmt.Errorf("credentials for %s: %w", host, err)
		}
		c.tokens[host] = tok
		at := tok.Expires.Add(-tokenMargin)
		if !tok.Expires.After(now.Add(2 * tokenMargin)) {
			// No usable expiry (emulators return one in the past): renew hourly,
			// and on any authentication failure.
			at = now.Add(time.Hour)
		}
		if at.Before(refresh) {
			refresh = at
		}
	}
	c.refreshAt = refresh
	c.rc = c.build()
	return c.rc, nil
}

func (c *Client) build() *regclient.RegClient {
	chunk := c.access.BlobChunk
	def := config.Host{
		TLS:           config.TLSEnabled,
		ReqConcurrent: int64(c.access.HostConcurrency),
		ReqPerSec:     c.access.ReqPerSec,
		BlobChunk:     chunk,
	}
	opts := []regclient.Opt{
		regclient.WithConfigHostDefault(def),
		regclient.WithUserAgent("transfer-hub/" + version.Version),
		// regclient logs each layer at info and transient failures at warn; the
		// engine reports outcomes itself.
		regclient.WithSlog(slog.New(levelFloor{c.log.Handler(), c.regclientLevel()})),
		regclient.WithRegOpts(
			reg.WithHTTPClient(&http.Client{Transport: c.rt}),
			reg.WithDelay(200*time.Millisecond, 30*time.Second),
			reg.WithRetryLimit(5),
			reg.WithBlobSize(chunk, -1),
			// The engine reads a manifest that ImageCopy reads again: serve the second
			// from memory (one authenticated request less per image and per platform).
			reg.WithCache(5*time.Minute, 2000),
		),
	}
	if !c.access.NoDockerConfig {
		opts = append(opts, regclient.WithDockerCreds())
	}
	hosts := map[string]*config.Host{}
	host := func(name string) *config.Host {
		if h, ok := hosts[name]; ok {
			return h
		}
		h := &config.Host{Name: name, TLS: config.TLSEnabled, ReqConcurrent: def.ReqConcurrent, ReqPerSec: def.ReqPerSec, BlobChunk: chunk}
		if slices.Contains(c.access.InsecureHTTP, name) {
			h.TLS = config.TLSDisabled
		}
		hosts[name] = h
		return h
	}
	for _, name := range c.access.InsecureHTTP {
		host(name)
	}
	for name, cr := range c.access.Creds {
		h := host(name)
		h.User, h.Pass = cr.User, cr.Password
	}
	for name, tok := range c.tokens {
		h := host(name)
		h.User, h.Pass = tok.User, tok.Password
	}
	list := make([]config.Host, 0, len(hosts))
	for _, h := range hosts {
		list = append(list, *h)
	}
	opts = append(opts, regclient.WithConfigHost(list...))
	return regclient.New(opts...)
}

// regclientLevel: regclient's own records only at debug level (then all of them).
func (c *Client) regclientLevel() slog.Level {
	if c.log.Enabled(context.Background(), slog.LevelDebug) {
		return slog.LevelDebug
	}
	return slog.LevelError
}

// levelFloor drops records below min (regclient's chatter).
type levelFloor struct {
	slog.Handler
	min slog.Level
}

func (l levelFloor) Enabled(ctx context.Context, lv slog.Level) bool {
	return lv >= l.min && l.Handler.Enabled(ctx, lv)
}
func (l levelFloor) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFloor{l.Handler.WithAttrs(a), l.min}
}
func (l levelFloor) WithGroup(n string) slog.Handler {
	return levelFloor{l.Handler.WithGroup(n), l.min}
}
