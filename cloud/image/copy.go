package image

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/regclient/regclient"
	"github.com/regclient/regclient/types"
	"github.com/regclient/regclient/types/descriptor"
	"github.com/regclient/regclient/types/errs"
	"github.com/regclient/regclient/types/manifest"
	"github.com/regclient/regclient/types/ref"

	"transferhub/cloud/image/ecr"
	"transferhub/cloud/internal/wait"
	"transferhub/cloud/state"
)

// Check is what two HEAD requests tell about an item.
type Check struct {
	SourceDigest string
	DestDigest   string // "" when the destination has no such tag/digest
	// Expected is the digest the destination must have to be up to date: the source
	// digest, or for a platform subset the digest of the rewritten index.
	Expected string
	UpToDate bool
	// subset is the rewritten index of a platform subset.
	subset manifest.Manifest
	// source is the source manifest when it was read (GET) rather than asked (HEAD).
	source manifest.Manifest
}

// Check compares source and destination. It costs two HEAD requests, plus a GET of
// the source index when a platform subset is requested (the subset's digest must be
// computed).
func (e *Engine) Check(ctx context.Context, it Item, opt CopyOptions) (Check, error) {
	rc, err := e.client.RegClient(ctx)
	if err != nil {
		return Check{}, err
	}
	return e.check(ctx, rc, it, opt, false)
}

// check asks the destination first. With fetch, a destination without the image
// makes it read the source manifest (GET) instead of asking its digest (HEAD): the
// copy needs the manifest anyway, so a new image costs the source one request, not
// two. Without fetch (plans) and for images the destination has, only HEADs are sent
// (plus a GET of the index for a platform subset), so a no-op re-run reads nothing.
func (e *Engine) check(ctx context.Context, rc *regclient.RegClient, it Item, opt CopyOptions, fetch bool) (Check, error) {
	src, dst, err := it.refs()
	if err != nil {
		return Check{}, err
	}
	var c Check
	mDst, err := rc.ManifestHead(ctx, dst, regclient.WithManifestRequireDigest())
	switch {
	case err == nil:
		c.DestDigest = mDst.GetDescriptor().Digest.String()
	case errors.Is(err, errs.ErrNotFound):
		// not there yet
	default:
		return c, fmt.Errorf("check destination %s: %w", it.Destination, describeErr(err, dst.Registry, false))
	}
	var mSrc manifest.Manifest
	if c.DestDigest == "" && fetch {
		mSrc, err = rc.ManifestGet(ctx, src)
		c.source = mSrc
	} else {
		mSrc, err = rc.ManifestHead(ctx, src, regclient.WithManifestRequireDigest())
	}
	if err != nil {
		return c, fmt.Errorf("read source %s: %w", it.Source, describeErr(err, src.Registry, false))
	}
	c.SourceDigest = mSrc.GetDescriptor().Digest.String()
	if it.Digest != "" && c.SourceDigest != it.Digest {
		return c, fmt.Errorf("read source %s: registry answered digest %s", it.Source, c.SourceDigest)
	}
	c.Expected = c.SourceDigest
	if len(opt.Platforms) > 0 && mSrc.IsList() {
		if c.source == nil {
			if c.source, err = rc.ManifestGet(ctx, src.SetDigest(c.SourceDigest)); err != nil {
				return c, fmt.Errorf("read source index %s: %w", it.Source, describeErr(err, src.Registry, false))
			}
		}
		sub, err := subsetIndex(c.source, opt.Platforms)
		if err != nil {
			return c, fmt.Errorf("%s: %w", it.Source, err)
		}
		c.subset = sub
		c.Expected = sub.GetDescriptor().Digest.String()
	}
	c.UpToDate = c.DestDigest != "" && c.DestDigest == c.Expected
	return c, nil
}

func (it Item) refs() (src, dst ref.Ref, err error) {
	src, err = ref.New(it.Source)
	if err != nil {
		return src, dst, fmt.Errorf("invalid source %q: %w", it.Source, err)
	}
	if it.Digest != "" {
		src = src.SetDigest(it.Digest)
	}
	dst, err = ref.New(it.Destination)
	if err != nil {
		return src, dst, fmt.Errorf("invalid destination %q: %w", it.Destination, err)
	}
	return src, dst, nil
}

// Copy copies one item: skip when the destination already has the expected digest,
// else copy (blobs the destination has are not re-sent), retrying transient failures.
// It never returns an error: the Result says FAILED with the reason.
func (e *Engine) Copy(ctx context.Context, it Item, opt CopyOptions, onBytes func(int64)) Result {
	return e.copyItem(ctx, it, opt, onBytes, newRunScope())
}

// copyItem is Copy with what the images of a run share (tag listings, referrers API
// support of their source repositories).
func (e *Engine) copyItem(ctx context.Context, it Item, opt CopyOptions, onBytes func(int64), scope *runScope) Result {
	start := time.Now()
	res := Result{Item: it}
	attempts := opt.Attempts
	if attempts <= 0 {
		attempts = 3
	}
	refreshed := false
	var err error
	for a := 1; a <= attempts; a++ {
		res.Attempts = a
		err = e.copyOnce(ctx, it, opt, &res, onBytes, scope)
		if err == nil || ctx.Err() != nil {
			break
		}
		if errors.Is(err, errs.ErrHTTPUnauthorized) && !refreshed && e.hasExpiringCreds(it) {
			// An ECR token can be revoked or expire early: renew once, at once.
			refreshed = true
			e.client.Invalidate()
			a--
			continue
		}
		if !retryable(err) || a == attempts {
			break
		}
		delay := time.Duration(1<<(a-1)) * time.Second
		e.log.Warn("image copy failed, retrying", "source", it.Source, "attempt", a, "wait", delay, "err", err)
		if wait.Sleep(ctx, delay) != nil {
			break
		}
	}
	res.Duration = time.Since(start)
	if err != nil {
		res.Status = state.ItemFailed
		if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		res.Error = err.Error()
	}
	return res
}

func (e *Engine) hasExpiringCreds(it Item) bool {
	src, dst, err := it.refs()
	return err == nil && (e.client.HasTokenSource(src.Registry) || e.client.HasTokenSource(dst.Registry))
}

func (e *Engine) copyOnce(ctx context.Context, it Item, opt CopyOptions, res *Result, onBytes func(int64), scope *runScope) error {
	rc, err := e.client.RegClient(ctx)
	if err != nil {
		return err
	}
	c, err := e.check(ctx, rc, it, opt, true)
	res.SourceDigest, res.DestDigest = c.SourceDigest, c.DestDigest
	if err != nil {
		return err
	}
	src, dst, _ := it.refs()
	if c.UpToDate {
		res.Status = state.ItemSkipped
		if opt.Referrers && opt.RecheckReferrers && c.subset == nil {
			return e.recheckReferrers(ctx, rc, scope, src.SetDigest(c.SourceDigest), dst, c, res, onBytes)
		}
		return nil
	}
	src = src.SetDigest(c.SourceDigest) // pin: the tag may move while we copy
	if e.ensurer != nil && dst.Registry == e.dstHost {
		if err := e.ensurer.ensure(ctx, dst.Repository); err != nil {
			return err
		}
	}
	// The source manifest (regclient's cache keeps it for ImageCopy, which reads it too).
	mSrc := c.source
	if mSrc == nil {
		if mSrc, err = rc.ManifestGet(ctx, src); err != nil {
			return fmt.Errorf("read source %s: %w", it.Source, describeErr(err, src.Registry, false))
		}
	}
	res.Platforms = platformsOf(mSrc)

	var sent atomic.Int64
	prog := newBlobProgress(&sent, onBytes)
	opts := []regclient.ImageOpts{
		// The top-level comparison is done; children the destination already has
		// (same digest) are skipped with a HEAD too.
		regclient.ImageWithFastCheck(),
		regclient.ImageWithCallback(prog.callback),
	}
	if opt.Referrers {
		opts = append(opts, e.referrerOpts(ctx, rc, scope, src, mSrc)...)
	}
	if c.subset != nil {
		err = e.copySubset(ctx, rc, src, dst, c.subset, opts)
		res.Platforms = platformsOf(c.subset)
	} else {
		err = rc.ImageCopy(ctx, src, dst, opts...)
	}
	res.Bytes = sent.Load()
	if err != nil {
		return fmt.Errorf("copy %s to %s: %w", it.Source, it.Destination, describeErr(err, dst.Registry, true))
	}
	// Verify with one more HEAD: the destination must now serve the expected digest.
	mDst, err := rc.ManifestHead(ctx, dst, regclient.WithManifestRequireDigest())
	if err != nil {
		return fmt.Errorf("verify %s: %w", it.Destination, describeErr(err, dst.Registry, false))
	}
	res.DestDigest = mDst.GetDescriptor().Digest.String()
	if res.DestDigest != c.Expected {
		return fmt.Errorf("verify %s: destination digest %s, expected %s", it.Destination, res.DestDigest, c.Expected)
	}
	res.Status = state.ItemDone
	return nil
}

// recheckReferrers brings referrers and digest tags of an image the destination
// already has. regclient's ImageCopy without the fast check does just that for an
// image in place: it compares digests (HEAD), reads no blobs, asks for referrers of
// each manifest, copies what is missing and pushes no image manifest.
func (e *Engine) recheckReferrers(ctx context.Context, rc *regclient.RegClient, scope *runScope, src, dst ref.Ref, c Check, res *Result, onBytes func(int64)) error {
	tags, err := scope.tagList(ctx, rc, src)
	if err != nil {
		return fmt.Errorf("list tags of %s: %w", repoKey(src), describeErr(err, src.Registry, false))
	}
	if !slices.ContainsFunc(tags, isDigestTag) && e.client.referrersAPI(ctx, rc, src) == apiNo {
		return nil // no API and no sha256-* tag: no referrers anywhere in the repository
	}
	m := c.source
	if m == nil {
		if m, err = rc.ManifestGet(ctx, src); err != nil {
			return fmt.Errorf("read source %s: %w", src.CommonName(), describeErr(err, src.Registry, false))
		}
	}
	opts := e.referrerOpts(ctx, rc, scope, src, m)
	if len(opts) == 0 {
		return nil
	}
	var sent atomic.Int64
	prog := newBlobProgress(&sent, onBytes)
	err = rc.ImageCopy(ctx, src, dst, append(opts, regclient.ImageWithCallback(prog.callback))...)
	res.Bytes = sent.Load()
	if err != nil {
		return fmt.Errorf("copy referrers of %s to %s: %w", src.CommonName(), dst.CommonName(), describeErr(err, dst.Registry, true))
	}
	return nil
}

// copySubset copies the kept platform manifests by digest, then pushes the rewritten
// index under the destination tag.
func (e *Engine) copySubset(ctx context.Context, rc *regclient.RegClient, src, dst ref.Ref, idx manifest.Manifest, opts []regclient.ImageOpts) error {
	dl, err := idx.(manifest.Indexer).GetManifestList()
	if err != nil {
		return err
	}
	for _, d := range dl {
		if err := rc.ImageCopy(ctx, src.SetDigest(d.Digest.String()), dst.SetDigest(d.Digest.String()), append(slices.Clone(opts), regclient.ImageWithChild())...); err != nil {
			return fmt.Errorf("platform manifest %s: %w", d.Digest, err)
		}
	}
	return rc.ManifestPut(ctx, dst, idx)
}

// subsetIndex returns a copy of index m holding only the requested platforms (and the
// attestation manifests that describe them).
func subsetIndex(m manifest.Manifest, platforms []string) (manifest.Manifest, error) {
	raw, err := m.RawBody()
	if err != nil {
		return nil, err
	}
	cp, err := manifest.New(manifest.WithRaw(raw), manifest.WithDesc(m.GetDescriptor()))
	if err != nil {
		return nil, err
	}
	idx, ok := cp.(manifest.Indexer)
	if !ok {
		return nil, fmt.Errorf("source is not an index")
	}
	dl, err := idx.GetManifestList()
	if err != nil {
		return nil, err
	}
	kept := map[string]bool{}
	var out []descriptor.Descriptor
	for _, d := range dl {
		if d.Platform == nil || d.Platform.OS == "unknown" {
			continue
		}
		ok, err := platformInList(*d.Platform, platforms)
		if err != nil {
			return nil, err
		}
		if ok {
			kept[d.Digest.String()] = true
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		var have []string
		for _, d := range dl {
			if d.Platform != nil && d.Platform.OS != "unknown" {
				have = append(have, d.Platform.String())
			}
		}
		return nil, fmt.Errorf("%w: none of the platforms %s is in the index (it has %s)", errNoPlatform, strings.Join(platforms, ", "), strings.Join(have, ", "))
	}
	for _, d := range dl {
		// buildkit attestation manifests name their image in an annotation
		if d.Platform != nil && d.Platform.OS == "unknown" && kept[d.Annotations["vnd.docker.reference.digest"]] {
			out = append(out, d)
		}
	}
	if len(out) == len(dl) {
		return m, nil // every platform requested: keep the index intact
	}
	if err := idx.SetManifestList(out); err != nil {
		return nil, err
	}
	return cp, nil
}

func platformsOf(m manifest.Manifest) []string {
	idx, ok := m.(manifest.Indexer)
	if !ok {
		return nil
	}
	dl, err := idx.GetManifestList()
	if err != nil {
		return nil
	}
	var out []string
	for _, d := range dl {
		if d.Platform != nil && d.Platform.OS != "unknown" {
			out = append(out, d.Platform.String())
		}
	}
	return out
}

// blobProgress turns regclient callbacks into bytes sent (blobs actually uploaded
// and manifests pushed; blobs the destination had count nothing).
type blobProgress struct {
	mu      sync.Mutex
	cur     map[string]int64
	sent    *atomic.Int64
	onBytes func(int64)
}

func newBlobProgress(sent *atomic.Int64, onBytes func(int64)) *blobProgress {
	return &blobProgress{cur: map[string]int64{}, sent: sent, onBytes: onBytes}
}

func (p *blobProgress) callback(kind types.CallbackKind, instance string, st types.CallbackState, cur, total int64) {
	var delta int64
	p.mu.Lock()
	switch st {
	case types.CallbackActive, types.CallbackFinished:
		if st == types.CallbackFinished {
			cur = total
		}
		if kind == types.CallbackManifest && st == types.CallbackActive {
			break
		}
		if cur > p.cur[instance] {
			delta = cur - p.cur[instance]
			p.cur[instance] = cur
		}
	}
	p.mu.Unlock()
	if delta > 0 {
		p.sent.Add(delta)
		if p.onBytes != nil {
			p.onBytes(delta)
		}
	}
}

// repoEnsurer creates destination ECR repositories once per run.
type repoEnsurer struct {
	api      *ecr.Client
	settings ecr.RepoSettings
	mu       sync.Mutex
	done     map[string]bool
}

func (r *repoEnsurer) ensure(ctx context.Context, repo string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done[repo] {
		return nil
	}
	if _, err := r.api.EnsureRepository(ctx, repo, r.settings); err != nil {
		return err
	}
	r.done[repo] = true
	return nil
}

// retryable reports whether another attempt of the whole image may succeed.
func retryable(err error) bool {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, errs.ErrNotFound), errors.Is(err, errs.ErrHTTPUnauthorized),
		errors.Is(err, errs.ErrInvalidReference), errors.Is(err, errs.ErrUnsupportedMediaType),
		errors.Is(err, errNotWritable), errors.Is(err, errUnreachable), errors.Is(err, errNoPlatform):
		return false
	}
	return true
}

var (
	errNotWritable = errors.New("destination not writable")
	errUnreachable = errors.New("registry unreachable")
	// errNoPlatform: the index has none of the requested platforms (no retry adds one).
	errNoPlatform = errors.New("platform not in the image")
)

// describeErr rewrites low-level registry errors into what the user must fix. write
// says the failure happened while writing to host.
func describeErr(err error, host string, write bool) error {
	var dnsErr *net.DNSError
	var certErr *x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	msg := err.Error()
	switch {
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return fmt.Errorf("%w: unknown registry host %s (DNS lookup failed): %w", errUnreachable, host, err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("%w: cannot connect to registry %s (connection refused): %w", errUnreachable, host, err)
	case errors.As(err, &certErr), errors.As(err, &hostErr), strings.Contains(msg, "x509:"):
		return fmt.Errorf("%w: TLS certificate of %s not trusted (add its CA with --ca-file or SSL_CERT_FILE; plain HTTP only with --insecure-http %s): %w", errUnreachable, host, host, err)
	case strings.Contains(msg, "server gave HTTP response to HTTPS client"):
		return fmt.Errorf("%w: %s speaks plain HTTP; allow it explicitly with --insecure-http %s: %w", errUnreachable, host, host, err)
	case write && (errors.Is(err, errs.ErrHTTPUnauthorized) || strings.Contains(msg, "[http 405]") || strings.Contains(msg, "Method Not Allowed")):
		return fmt.Errorf("%w: %s refused the write (check the destination credentials and permissions): %w", errNotWritable, host, err)
	case errors.Is(err, errs.ErrHTTPUnauthorized):
		return fmt.Errorf("authentication failed for %s (check credentials: --src-creds/--dst-creds, docker login, or the AWS credentials for ECR): %w", host, err)
	case errors.Is(err, errs.ErrNotFound):
		return fmt.Errorf("not found on %s (no such repository, tag or digest): %w", host, err)
	}
	return err
}
