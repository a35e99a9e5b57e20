package image

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/regclient/regclient"
	"github.com/regclient/regclient/types/errs"
	"github.com/regclient/regclient/types/manifest"
	"github.com/regclient/regclient/types/platform"
	"github.com/regclient/regclient/types/ref"
)

// digestTagRE matches referrer fallback and cosign tags (sha256-<hex>[.sig|.att|.sbom]):
// they travel with their subject image, not as images of their own.
var digestTagRE = regexp.MustCompile(`^sha(256|512)-[0-9a-f]{64,128}(\..+)?$`)

// Validate checks a spec without network calls.
func (e *Engine) Validate(spec Spec) error {
	if len(spec.Sources) == 0 && e.srcECR == nil {
		return fmt.Errorf("nothing to copy: give source references, --list FILE or --src-ecr REGION")
	}
	if spec.Destination.Registry == "" && e.dstHost == "" {
		return fmt.Errorf("no destination: give DST as registry[/prefix] or --dst-ecr REGION")
	}
	if spec.RepoRegex != "" {
		if _, err := regexp.Compile(spec.RepoRegex); err != nil {
			return fmt.Errorf("invalid repository regex %q: %w", spec.RepoRegex, err)
		}
	}
	if _, err := spec.Tags.compile(); err != nil {
		return err
	}
	for _, p := range spec.Copy.Platforms {
		if _, err := platform.Parse(p); err != nil {
			return fmt.Errorf("invalid platform %q (expected os/arch[/variant], e.g. linux/arm64): %w", p, err)
		}
	}
	return nil
}

// destination resolves the spec's destination (the ECR host when set).
func (e *Engine) destination(spec Spec) Destination {
	d := spec.Destination
	if e.dstHost != "" {
		d.Registry = e.dstHost
	}
	return d
}

// Select expands the spec into items, in a stable order without duplicates. Listing
// failures (a repository that cannot be listed) fail the selection: a partial list
// would silently drop images.
func (e *Engine) Select(ctx context.Context, spec Spec) ([]Item, error) {
	return e.selectItems(ctx, spec, nil)
}

// selectItems is Select keeping the tag listings it made in scope (when not nil) for
// the copies' referrer checks.
func (e *Engine) selectItems(ctx context.Context, spec Spec, scope *runScope) ([]Item, error) {
	if err := e.Validate(spec); err != nil {
		return nil, err
	}
	filter, _ := spec.Tags.compile()
	dst := e.destination(spec)
	sources := spec.Sources
	if len(sources) == 0 && e.srcECR != nil {
		repos, err := e.listECRRepos(ctx, spec)
		if err != nil {
			return nil, err
		}
		for _, r := range repos {
			sources = append(sources, Source{Registry: e.srcHost, Repository: r, Tag: AllTags})
		}
	}
	rc, err := e.client.RegClient(ctx)
	if err != nil {
		return nil, err
	}
	var items []Item
	seen := map[string]bool{}
	add := func(it Item) {
		if !seen[it.Source] {
			seen[it.Source] = true
			items = append(items, it)
		}
	}
	for _, s := range sources {
		dstRepo := dst.Registry + "/" + dst.Repository(s.Repository)
		switch {
		case s.Tag == AllTags:
			tags, err := e.listTags(ctx, rc, s, filter, spec, scope)
			if err != nil {
				return nil, err
			}
			for _, t := range tags {
				add(Item{Source: s.Registry + "/" + s.Repository + ":" + t, Destination: dstRepo + ":" + t, Repository: s.Repository, Tag: t})
			}
		case s.Digest != "" && s.Tag != "":
			add(Item{Source: s.String(), Destination: dstRepo + ":" + s.Tag, Repository: s.Repository, Tag: s.Tag, Digest: s.Digest})
		case s.Digest != "":
			add(Item{Source: s.String(), Destination: dstRepo + "@" + s.Digest, Repository: s.Repository, Digest: s.Digest})
		default:
			add(Item{Source: s.String(), Destination: dstRepo + ":" + s.Tag, Repository: s.Repository, Tag: s.Tag})
		}
	}
	return items, nil
}

func (e *Engine) listECRRepos(ctx context.Context, spec Spec) ([]string, error) {
	var re *regexp.Regexp
	if spec.RepoRegex != "" {
		re = regexp.MustCompile(spec.RepoRegex) // validated
	}
	repos, err := e.srcECR.ListRepositories(ctx, func(name string) bool {
		return strings.HasPrefix(name, spec.RepoPrefix) && (re == nil || re.MatchString(name))
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(repos)
	return repos, nil
}

// listTags lists a repository's tags through the registry API (ECR included) and
// applies the filters.
func (e *Engine) listTags(ctx context.Context, rc *regclient.RegClient, s Source, f *compiledFilter, spec Spec, scope *runScope) ([]string, error) {
	r, err := ref.New(s.Registry + "/" + s.Repository)
	if err != nil {
		return nil, fmt.Errorf("list tags of %s/%s: %w", s.Registry, s.Repository, err)
	}
	listedAt := time.Now()
	tl, err := rc.TagList(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("list tags of %s/%s: %w", s.Registry, s.Repository, describeErr(err, s.Registry, false))
	}
	all, err := tl.GetTags()
	if err != nil {
		return nil, fmt.Errorf("list tags of %s/%s: %w", s.Registry, s.Repository, err)
	}
	if scope != nil {
		scope.seed(repoKey(r), all, listedAt)
	}
	var tags []string
	for _, t := range all {
		if spec.Copy.Referrers && digestTagRE.MatchString(t) {
			continue
		}
		if f.match(t) {
			tags = append(tags, t)
		}
	}
	sort.Strings(tags)
	if f.latest > 0 && len(tags) > f.latest {
		dated, err := e.created(ctx, rc, r, tags, spec.Copy.Platforms)
		if err != nil {
			return nil, err
		}
		tags = newest(dated, f.latest)
		sort.Strings(tags)
	}
	return tags, nil
}

// created reads each tag's image config creation time (for an index: the first
// platform entry matching the requested platforms).
func (e *Engine) created(ctx context.Context, rc *regclient.RegClient, repo ref.Ref, tags []string, platforms []string) ([]datedTag, error) {
	out := make([]datedTag, len(tags))
	errCh := make(chan error, len(tags))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, t := range tags {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			ts, err := imageCreated(ctx, rc, repo.SetTag(t), platforms)
			if err != nil {
				errCh <- fmt.Errorf("read creation time of %s: %w", repo.SetTag(t).CommonName(), err)
				return
			}
			out[i] = datedTag{tag: t, created: ts}
		}()
	}
	wg.Wait()
	close(errCh)
	if err := <-errCh; err != nil {
		return nil, err
	}
	return out, nil
}

func imageCreated(ctx context.Context, rc *regclient.RegClient, r ref.Ref, platforms []string) (time.Time, error) {
	m, err := rc.ManifestGet(ctx, r)
	if err != nil {
		return time.Time{}, err
	}
	if idx, ok := m.(manifest.Indexer); ok {
		dl, err := idx.GetManifestList()
		if err != nil {
			return time.Time{}, err
		}
		var pick string
		for _, d := range dl {
			if d.Platform == nil || d.Platform.OS == "unknown" || d.Platform.OS == "" {
				continue
			}
			if len(platforms) > 0 {
				if ok, _ := platformInList(*d.Platform, platforms); !ok {
					continue
				}
			}
			pick = d.Digest.String()
			break
		}
		if pick == "" {
			return time.Time{}, nil // no image platform: sorts last
		}
		m, err = rc.ManifestGet(ctx, r.SetDigest(pick))
		if err != nil {
			return time.Time{}, err
		}
	}
	img, ok := m.(manifest.Imager)
	if !ok {
		return time.Time{}, nil
	}
	cd, err := img.GetConfig()
	if err != nil {
		if errors.Is(err, errs.ErrUnsupportedMediaType) {
			return time.Time{}, nil // docker schema 1: no config
		}
		return time.Time{}, err
	}
	cfg, err := rc.BlobGetOCIConfig(ctx, r, cd)
	if err != nil {
		return time.Time{}, err
	}
	if c := cfg.GetConfig().Created; c != nil {
		return *c, nil
	}
	return time.Time{}, nil
}

func platformInList(p platform.Platform, list []string) (bool, error) {
	for _, s := range list {
		want, err := platform.Parse(s)
		if err != nil {
			return false, err
		}
		if platform.Match(p, want) {
			return true, nil
		}
	}
	return false, nil
}
