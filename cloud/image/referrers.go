package image

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/regclient/regclient"
	"github.com/regclient/regclient/types/manifest"
	"github.com/regclient/regclient/types/mediatype"
	"github.com/regclient/regclient/types/ref"
)

// Referrer discovery is what made a copy with referrers cost more requests than the
// copy itself: regclient asks, for every manifest of every image (an index and each
// platform), the OCI referrers API and then, on registries without it, the
// tag-schema fallback tag (sha256-<hex>), and lists the repository's tags once per
// image for cosign-style digest tags. Most images have no referrers at all.
//
// A run keeps, per source repository, one tag listing (shared by its images, valid
// for tagListTTL); the client knows for referrersAPITTL whether the repository
// answers the referrers API (probed on the first image, by a referrer query that also
// answers for that image). Then:
//   - no referrers API: referrers exist only as sha256-<hex> fallback tags, and
//     digest tags are sha256-<hex>.* tags, all in the listing. An image none of
//     whose manifest digests prefixes a tag has nothing to bring: it is copied
//     without referrer discovery. Otherwise regclient's full discovery runs.
//   - referrers API (or unknown): regclient queries it for every manifest, as
//     before; digest tags are looked for only when the repository has any
//     sha256-* tag at all.

// tagListTTL bounds how stale a repository's shared tag listing may be: a signature
// pushed while a long run is going is seen by images copied after the next listing.
const tagListTTL = time.Minute

// runScope is what the images of one run share about their source repositories.
type runScope struct {
	mu    sync.Mutex
	repos map[string]*repoFacts
	now   func() time.Time
}

func newRunScope() *runScope {
	return &runScope{repos: map[string]*repoFacts{}, now: time.Now}
}

// repoFacts: the tags of one source repository.
type repoFacts struct {
	mu       sync.Mutex // held while listing: one request for all waiters
	tags     []string
	listedAt time.Time
	listed   bool
}

type apiSupport int

const (
	apiUnknown apiSupport = iota
	apiYes
	apiNo
)

func (s *runScope) facts(repo string) *repoFacts {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.repos[repo]
	if f == nil {
		f = &repoFacts{}
		s.repos[repo] = f
	}
	return f
}

// seed stores a listing made elsewhere (selection of ALL_TAGS) at time at.
func (s *runScope) seed(repo string, tags []string, at time.Time) {
	f := s.facts(repo)
	f.mu.Lock()
	f.tags, f.listedAt, f.listed = tags, at, true
	f.mu.Unlock()
}

// tagList returns r's repository tags, listing them when the shared listing is
// missing or older than tagListTTL.
func (s *runScope) tagList(ctx context.Context, rc *regclient.RegClient, r ref.Ref) ([]string, error) {
	f := s.facts(repoKey(r))
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.listed && s.now().Sub(f.listedAt) < tagListTTL {
		return f.tags, nil
	}
	at := s.now()
	tl, err := rc.TagList(ctx, r.SetTag(""))
	if err != nil {
		return nil, err
	}
	tags, err := tl.GetTags()
	if err != nil {
		return nil, err
	}
	f.tags, f.listedAt, f.listed = tags, at, true
	return tags, nil
}

// referrersAPITTL: how long the client trusts what a probe said (regclient keeps
// its own answer as long).
const referrersAPITTL = 5 * time.Minute

// referrersAPICache: per repository, whether it answers the referrers API.
type referrersAPICache struct {
	mu sync.Mutex
	m  map[string]*apiEntry
}

type apiEntry struct {
	mu  sync.Mutex // held while probing: one probe for all waiters
	api apiSupport
	at  time.Time
}

// referrersAPI says whether r's repository answers the OCI referrers API, probing it
// with a referrer query for r (a digest reference) when not known. With the API,
// regclient caches the answer, so the copy does not ask again for this manifest.
// Without it, the probe ends there: regclient's next step, the fallback tag, is the
// copy's business (and only when the tag listing shows one).
func (c *Client) referrersAPI(ctx context.Context, rc *regclient.RegClient, r ref.Ref) apiSupport {
	c.refAPI.mu.Lock()
	f := c.refAPI.m[repoKey(r)]
	if f == nil {
		f = &apiEntry{}
		c.refAPI.m[repoKey(r)] = f
	}
	c.refAPI.mu.Unlock()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.api != apiUnknown && time.Since(f.at) < referrersAPITTL {
		return f.api
	}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p := &referrersProbe{stop: cancel}
	_, err := rc.ReferrerList(context.WithValue(pctx, referrersProbeKey{}, p), r)
	f.api, f.at = apiUnknown, time.Now()
	switch st := int(p.status.Load()); {
	case st == http.StatusOK && err == nil:
		f.api = apiYes
	case (noReferrersAPI(st) || p.skippedAPI.Load()) && ctx.Err() == nil:
		f.api = apiNo
	}
	return f.api // unknown: the copy's own discovery retries and reports
}

// noReferrersAPI: the status of a referrers request to a registry without the API
// (no such route). Registries with it answer 200 for any digest of an existing
// repository (OCI distribution spec 1.1).
func noReferrersAPI(status int) bool {
	switch status {
	case http.StatusNotFound, http.StatusBadRequest, http.StatusMethodNotAllowed, http.StatusNotImplemented:
		return true
	}
	return false
}

func repoKey(r ref.Ref) string { return r.Registry + "/" + r.Repository }

// referrersProbe receives, through the request context, the final HTTP status of a
// referrers API request (the transport below regclient records it), or that
// regclient went to the fallback tag without asking the API (it saw, minutes ago,
// that there is none); stop ends the probe once there is no API.
type referrersProbe struct {
	status     atomic.Int32
	skippedAPI atomic.Bool
	stop       context.CancelFunc
}

type referrersProbeKey struct{}

// probeObserver records referrers API answers for probes (see referrersProbe).
type probeObserver struct{ next http.RoundTripper }

func (o probeObserver) RoundTrip(req *http.Request) (*http.Response, error) {
	if p, ok := req.Context().Value(referrersProbeKey{}).(*referrersProbe); ok && req.Method == http.MethodGet &&
		p.status.Load() == 0 && isFallbackTagPath(req.URL.Path) {
		// not sent: the probe has its answer
		p.skippedAPI.Store(true)
		p.stop()
		return nil, context.Canceled
	}
	resp, err := o.next.RoundTrip(req)
	if err == nil && req.Method == http.MethodGet && strings.Contains(req.URL.Path, "/referrers/") {
		if p, ok := req.Context().Value(referrersProbeKey{}).(*referrersProbe); ok && resp.StatusCode != http.StatusUnauthorized {
			p.status.Store(int32(resp.StatusCode))
			if noReferrersAPI(resp.StatusCode) {
				// once regclient has read and closed the error body (the connection
				// stays reusable), nothing more of the probe is sent
				resp.Body = stopOnClose{resp.Body, p.stop}
			}
		}
	}
	return resp, err
}

// isFallbackTagPath: .../manifests/sha256-<hex> (a referrers fallback tag).
func isFallbackTagPath(path string) bool {
	_, tag, ok := strings.Cut(path, "/manifests/")
	return ok && isDigestTag(tag) && !strings.Contains(tag, ".")
}

type stopOnClose struct {
	io.ReadCloser
	stop context.CancelFunc
}

func (s stopOnClose) Close() error {
	err := s.ReadCloser.Close()
	s.stop()
	return err
}

// referrerOpts returns the ImageCopy options that bring m's referrers and digest
// tags along (src is pinned to m's digest), or none when the source provably has
// none for it (see the comment at the top of this file). Anything unexpected (a
// failed listing or probe, nested indexes) keeps regclient's full discovery.
func (e *Engine) referrerOpts(ctx context.Context, rc *regclient.RegClient, scope *runScope, src ref.Ref, m manifest.Manifest) []regclient.ImageOpts {
	full := []regclient.ImageOpts{regclient.ImageWithReferrers(), regclient.ImageWithDigestTags()}
	if scope == nil {
		return full
	}
	digests, ok := manifestDigests(m)
	if !ok {
		return full
	}
	tags, err := scope.tagList(ctx, rc, src)
	if err != nil {
		e.log.Debug("tag listing for referrers failed; full referrer discovery", "repository", repoKey(src), "err", err)
		return full
	}
	// anyDigestTag: some sha256-* tag in the repository; suffixed: a cosign-style
	// one (sha256-<hex>.sig), not a bare fallback tag; mine: one of this image's.
	anyDigestTag, suffixed, mine := false, false, false
	for _, t := range tags {
		// regclient copies every tag that starts with a manifest's "<alg>-<hex>"
		if !isDigestTag(t) {
			continue
		}
		anyDigestTag = true
		if _, rest, _ := strings.Cut(t, "-"); !isHex(rest) {
			suffixed = true
		}
		for _, d := range digests {
			if strings.HasPrefix(t, strings.Replace(d, ":", "-", 1)) {
				mine = true
			}
		}
	}
	switch e.client.referrersAPI(ctx, rc, src) {
	case apiNo:
		switch {
		case !mine:
			return nil
		case !suffixed:
			// referrers only in fallback tags, which regclient reads for each
			// manifest; no digest tags to look for (no tag listing per image)
			return []regclient.ImageOpts{regclient.ImageWithReferrers()}
		}
		return full
	default:
		if !anyDigestTag {
			return []regclient.ImageOpts{regclient.ImageWithReferrers()}
		}
		return full
	}
}

// isDigestTag: a referrer fallback tag or a cosign-style digest tag
// (sha256-<hex>[suffix]), as regclient's digest-tag copy matches them.
func isDigestTag(t string) bool {
	return strings.HasPrefix(t, "sha256-") || strings.HasPrefix(t, "sha512-")
}

func isHex(s string) bool {
	if len(s) != 64 && len(s) != 128 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// manifestDigests lists m's digest and, for an index, its entries' digests. ok is
// false for shapes the rule does not cover (nested indexes).
func manifestDigests(m manifest.Manifest) ([]string, bool) {
	out := []string{m.GetDescriptor().Digest.String()}
	idx, isIdx := m.(manifest.Indexer)
	if !isIdx {
		return out, true
	}
	dl, err := idx.GetManifestList()
	if err != nil {
		return nil, false
	}
	for _, d := range dl {
		switch d.MediaType {
		case mediatype.OCI1ManifestList, mediatype.Docker2ManifestList:
			return nil, false
		}
		out = append(out, d.Digest.String())
	}
	return out, true
}
