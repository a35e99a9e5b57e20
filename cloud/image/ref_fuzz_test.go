package image

import (
	"strings"
	"testing"
)

// Image references (go test -fuzz, seed corpora in testdata/fuzz): parsing never
// panics, and a reference that parses names the same image when written out and read
// again.
func FuzzParseSource(f *testing.F) {
	for _, s := range []string{"alpine", "user/app:v1", "ghcr.io/o/r:ALL_TAGS", "localhost:5000/a/b@sha256:" + strings.Repeat("a", 64),
		"reg.example.com/x/y:v1@sha256:" + strings.Repeat("b", 64), "https://x/y", "a//b", "UPPER/case", "r:5000/p:t:t", " "} {
		f.Add(s, "")
		f.Add(s, "123456789012.dkr.ecr.us-east-1.amazonaws.com")
	}
	f.Fuzz(func(t *testing.T, s, def string) {
		src, err := ParseSource(s, def)
		if err != nil {
			return
		}
		if src.Registry == "" || src.Repository == "" || src.Tag == "" && src.Digest == "" {
			t.Fatalf("%q (default %q) parsed into an incomplete reference %+v", s, def, src)
		}
		again, err := ParseSource(src.String(), "")
		if err != nil {
			t.Fatalf("%q parsed as %q, which does not parse: %v", s, src.String(), err)
		}
		if again != src {
			t.Fatalf("%q: %+v, written out and read again %+v", s, src, again)
		}
	})
}

// Destinations: parsing never panics; the repository a source repository (one a
// reference can name) lands in is a path under the destination's prefix.
func FuzzParseDestination(f *testing.F) {
	for _, s := range []string{"reg.example.com/mirror", "localhost:5000", "reg:5000/a/b", "https://x", "", "a b"} {
		f.Add(s, "team/app")
	}
	f.Fuzz(func(t *testing.T, s, repo string) {
		d, err := ParseDestination(s)
		if err != nil || !repoPathRE.MatchString(repo) {
			return
		}
		if d.Registry == "" {
			t.Fatalf("%q parsed without a registry: %+v", s, d)
		}
		if r := d.Repository(repo); d.Prefix != "" && !strings.HasPrefix(r, d.Prefix+"/") {
			t.Fatalf("repository %q of %q lands at %q, outside the prefix %q", repo, s, r, d.Prefix)
		}
	})
}
