package spec

import (
	"bufio"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"transferhub/cloud/image"
	"transferhub/cloud/image/ecr"
	"transferhub/cloud/invalid"
	"transferhub/cloud/s3sync"
)

// EngineOptions maps a validated S3 spec onto the engine's options (what the spec leaves
// at zero keeps the engine's default) and reads the prefix list file.
func (s S3) EngineOptions(log *slog.Logger) (s3sync.Options, error) {
	o := s.S3Options
	opt := s3sync.Options{Delete: o.Delete, DeleteEmptySource: o.DeleteEmptySource, MaxDelete: int64(o.MaxDelete),
		Concurrency: o.Concurrency, ListWorkers: o.ListWorkers, SplitRanges: o.SplitFlatLevels,
		ServerSide: s3sync.ServerSide(o.ServerSide), NoTags: o.NoTags, NoSrcETag: o.NoSrcETag, Logger: log}
	var err error
	if opt.Compare, err = s3sync.ParseCompareMode(o.Compare); err != nil {
		return opt, err
	}
	if opt.ServerSide == "" {
		opt.ServerSide = s3sync.ServerSideAuto
	}
	sel := &opt.Selection
	sel.Include, sel.Exclude = o.Include, o.Exclude
	sel.Prefixes = append([]string(nil), o.Prefixes...)
	if o.PrefixList != "" {
		ps, err := ReadPrefixList(o.PrefixList, s.Source.Kind == KindLocal)
		if err != nil {
			return opt, err
		}
		sel.Prefixes = append(sel.Prefixes, ps...)
	}
	for _, v := range []struct {
		dst *int64
		s   string
	}{{&sel.MinSize, o.MinSize}, {&sel.MaxSize, o.MaxSize}, {&opt.PartSize, o.PartSize},
		{&opt.MultipartThreshold, o.MultipartThreshold}, {&opt.MaxMemory, o.MaxMemory}} {
		if v.s == "" {
			continue
		}
		if *v.dst, err = ParseSize(v.s); err != nil {
			return opt, err
		}
	}
	for _, v := range []struct {
		dst *time.Time
		s   string
	}{{&sel.ModifiedAfter, o.ModifiedAfter}, {&sel.ModifiedBefore, o.ModifiedBefore}} {
		if v.s == "" {
			continue
		}
		if *v.dst, err = ParseDate(v.s); err != nil {
			return opt, err
		}
	}
	return opt, nil
}

// ReadPrefixList reads a file of prefixes, one per line (blank lines and # comments
// skipped). localSource refuses prefixes that leave a local source folder.
func ReadPrefixList(path string, localSource bool) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("prefix list: %w", err)
	}
	defer f.Close()
	var out []string
	var l invalid.List
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if msg := prefixProblem(line, localSource); msg != "" {
			addf(&l, "s3.prefixList", "%s: line %d %s", path, n, msg)
			continue
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("prefix list %s: %w", path, err)
	}
	if err := l.Err("task"); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("prefix list %s has no prefixes", path)
	}
	return out, nil
}

// ECRPlaceholder stands for a source ECR's registry host until the engine knows it
// (see ResolveECR).
const ECRPlaceholder = "ecr.placeholder.invalid"

// EngineConfig is the image engine's configuration for the spec, without credentials:
// the caller adds AWS configurations for ECR sides, registry logins (AddLogins) and
// token sources.
func (im Image) EngineConfig(log *slog.Logger) image.Config {
	o := im.ImageOptions
	cfg := image.Config{Log: log, Access: image.Access{InsecureHTTP: o.InsecureHTTP, CAFiles: o.CAFiles,
		NoDockerConfig: o.NoDockerConfig, HostConcurrency: o.HostConcurrency, ReqPerSec: o.ReqPerSec,
		Creds: map[string]image.Cred{}}}
	if s := im.Source; s.Kind == KindECR {
		cfg.SourceECR = &ecr.Config{Region: s.Region, Account: s.Account, Endpoint: s.Endpoint, RegistryHost: s.Host}
	}
	if d := im.Destination; d.Kind == KindECR {
		cfg.DestECR = &ecr.Config{Region: d.Region, Account: d.Account, Endpoint: d.Endpoint, RegistryHost: d.Host}
		cfg.ECRRepo = ecr.RepoSettings{ScanOnPush: d.ScanOnPush, Immutable: d.ImmutableTags, KMSKey: d.KMSKey}
	}
	return cfg
}

// EngineSpec is the engine's selection for the spec: references parsed (those of a
// source ECR against ECRPlaceholder until ResolveECR), list files read, the destination
// parsed.
func (im Image) EngineSpec() (image.Spec, error) {
	src, dst, o := im.Source, im.Destination, im.ImageOptions
	es := image.Spec{RepoPrefix: src.RepoPrefix, RepoRegex: src.RepoRegex,
		Tags: image.TagFilter{Include: o.TagInclude, Exclude: o.TagExclude, Semver: o.Semver, Latest: o.Latest},
		Copy: o.CopyOptions()}
	def := src.Registry
	if src.Kind == KindECR {
		def = ECRPlaceholder
	}
	for _, r := range src.References {
		s, err := image.ParseSource(r, def)
		if err != nil {
			return es, err
		}
		es.Sources = append(es.Sources, s)
	}
	for _, l := range src.Lists {
		ss, err := image.ReadListFile(l, def)
		if err != nil {
			return es, err
		}
		es.Sources = append(es.Sources, ss...)
	}
	if dst.Kind == KindECR {
		es.Destination = image.Destination{Prefix: dst.Prefix}
		return es, nil
	}
	d := dst.Registry
	if dst.Prefix != "" {
		d += "/" + dst.Prefix
	}
	var err error
	if es.Destination, err = image.ParseDestination(d); err != nil {
		return es, err
	}
	return es, nil
}

// ResolveECR puts the source ECR's registry host into sources parsed before the engine
// knew it.
func ResolveECR(es *image.Spec, host string) {
	for i := range es.Sources {
		if es.Sources[i].Registry == ECRPlaceholder {
			es.Sources[i].Registry = host
		}
	}
}

// AddLogins adds the logins given at run time to the hosts they are for: the source's
// to every source registry of es (and the source ECR host override), the
// destination's to its registry (or its ECR host override).
func (im Image) AddLogins(a *image.Access, es image.Spec) {
	if a.Creds == nil {
		a.Creds = map[string]image.Cred{}
	}
	if l := im.Source.Login; !l.IsZero() {
		for _, h := range im.sourceHosts(es) {
			a.Creds[h] = image.Cred{User: l.User, Password: l.Password}
		}
	}
	if l := im.Destination.Login; !l.IsZero() {
		h := es.Destination.Registry
		if im.Destination.Host != "" {
			h = im.Destination.Host
		}
		if h != "" {
			a.Creds[h] = image.Cred{User: l.User, Password: l.Password}
		}
	}
}

func (im Image) sourceHosts(es image.Spec) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range es.Sources {
		if !seen[s.Registry] && s.Registry != ECRPlaceholder && s.Registry != "" {
			seen[s.Registry] = true
			out = append(out, s.Registry)
		}
	}
	if im.Source.Host != "" {
		out = append(out, im.Source.Host)
	}
	return out
}

// CopyOptions are the engine's per-image copy options.
func (o ImageOptions) CopyOptions() image.CopyOptions {
	return image.CopyOptions{Platforms: o.Platforms, Referrers: o.Referrers, RecheckReferrers: o.RecheckReferrers, Attempts: o.Attempts}
}
