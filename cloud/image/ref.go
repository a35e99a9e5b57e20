package image

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"strings"

	"github.com/regclient/regclient/types/ref"
)

// AllTags as a source tag selects every tag of the repository (DTH's `repo:ALL_TAGS`).
const AllTags = "ALL_TAGS"

// Source is one requested source: a tag, a digest or every tag of a repository.
type Source struct {
	Registry   string `json:"registry"`
	Repository string `json:"repository"`
	Tag        string `json:"tag,omitempty"` // AllTags for every tag; "" with Digest
	Digest     string `json:"digest,omitempty"`
}

// String is the source as a reference (registry/repo:tag or registry/repo@digest).
func (s Source) String() string {
	r := s.Registry + "/" + s.Repository
	if s.Tag != "" {
		r += ":" + s.Tag
	}
	if s.Digest != "" {
		r += "@" + s.Digest
	}
	return r
}

// ParseSource parses registry/repo[:tag|@digest|:ALL_TAGS]. A missing tag means
// "latest" (Docker's convention, as DTH). When defaultRegistry is set (a source ECR),
// the string is a repository path on that registry and must not name a host.
// Docker Hub short names (alpine, user/app) resolve to docker.io.
func ParseSource(s, defaultRegistry string) (Source, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return Source{}, fmt.Errorf("empty source reference")
	}
	if strings.Contains(in, "://") {
		return Source{}, fmt.Errorf("invalid source reference %q: give registry/repository:tag without a scheme", s)
	}
	if defaultRegistry != "" {
		if first, _, ok := strings.Cut(in, "/"); ok && looksLikeHost(first) {
			return Source{}, fmt.Errorf("invalid source reference %q: with a source ECR give repository:tag without a registry host", s)
		}
		in = defaultRegistry + "/" + in
	}
	r, err := ref.New(in)
	if err != nil {
		if _, digest, ok := strings.Cut(in, "@"); ok && !digestRE.MatchString(digest) {
			err = errBadDigest // says more than the parser's "invalid reference"
		}
		return Source{}, fmt.Errorf("invalid source reference %q (expected registry/repository:tag, registry/repository@sha256:<hex> or registry/repository:ALL_TAGS): %w", s, err)
	}
	if r.Tag != "" && r.Digest != "" {
		// A tag with a pinned digest: copy that digest under that tag.
		if r.Tag == AllTags {
			return Source{}, fmt.Errorf("invalid source reference %q: ALL_TAGS cannot be combined with a digest", s)
		}
	}
	if r.Digest != "" && !digestRE.MatchString(r.Digest) {
		return Source{}, fmt.Errorf("invalid source reference %q: digest must be sha256:<64 hex> or sha512:<128 hex>", s)
	}
	return Source{Registry: r.Registry, Repository: r.Repository, Tag: r.Tag, Digest: r.Digest}, nil
}

var errBadDigest = errors.New("digest must be sha256:<64 hex> or sha512:<128 hex>")

var digestRE = regexp.MustCompile(`^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$`)

// looksLikeHost reports whether the first path component names a registry host
// (Docker's rule: it has a dot or a port, or is localhost).
func looksLikeHost(s string) bool {
	return strings.ContainsAny(s, ".:") || s == "localhost"
}

// ReadList reads sources from a list file: one reference per line, or several
// separated by commas (DTH's srcImageList format); blank lines and # comments are
// ignored. Errors name the line.
func ReadList(r io.Reader, name, defaultRegistry string) ([]Source, error) {
	var out []Source
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		for _, f := range strings.FieldsFunc(line, func(c rune) bool { return c == ',' || c == ' ' || c == '\t' }) {
			s, err := ParseSource(f, defaultRegistry)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", name, n, err)
			}
			out = append(out, s)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return out, nil
}

// ReadListFile is ReadList on a file.
func ReadListFile(file, defaultRegistry string) ([]Source, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("open image list: %w", err)
	}
	defer f.Close()
	return ReadList(f, file, defaultRegistry)
}

// Destination is a registry and an optional repository prefix: the destination
// repository is the prefix joined with the source repository path
// (reg1/app:v1 → reg2/mirror/app:v1).
type Destination struct {
	Registry string `json:"registry"`
	Prefix   string `json:"prefix,omitempty"`
}

var repoPathRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$`)

// ParseDestination parses registry[/prefix].
func ParseDestination(s string) (Destination, error) {
	in := strings.TrimSuffix(strings.TrimSpace(s), "/")
	if in == "" {
		return Destination{}, fmt.Errorf("empty destination: give registry[/prefix] or --dst-ecr REGION")
	}
	if strings.Contains(in, "://") {
		return Destination{}, fmt.Errorf("invalid destination %q: give registry[/prefix] without a scheme (plain HTTP: --insecure-http HOST)", s)
	}
	host, prefix, _ := strings.Cut(in, "/")
	if !looksLikeHost(host) {
		return Destination{}, fmt.Errorf("invalid destination %q: it must start with a registry host such as registry.example.com or 127.0.0.1:5000 (for Docker Hub write docker.io/NAMESPACE)", s)
	}
	if strings.ContainsAny(prefix, ":@") {
		return Destination{}, fmt.Errorf("invalid destination %q: a destination is registry[/prefix], without tag or digest (tags follow the source)", s)
	}
	if _, err := ref.New(host + "/x"); err != nil {
		return Destination{}, fmt.Errorf("invalid destination registry %q: %w", host, err)
	}
	if prefix != "" && !repoPathRE.MatchString(prefix) {
		return Destination{}, fmt.Errorf("invalid destination prefix %q: use lowercase letters, digits, '.', '_', '-' and '/' separators", prefix)
	}
	if host == "index.docker.io" || host == "registry-1.docker.io" {
		host = "docker.io"
	}
	return Destination{Registry: host, Prefix: prefix}, nil
}

// Repository maps a source repository path to the destination repository.
func (d Destination) Repository(srcRepo string) string {
	if d.Prefix == "" {
		return srcRepo
	}
	return path.Join(d.Prefix, srcRepo)
}

func (d Destination) String() string {
	if d.Prefix == "" {
		return d.Registry
	}
	return d.Registry + "/" + d.Prefix
}
