package image

import (
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"transferhub/cloud/image/imagetest"
)

// TestRerunHeadOnly: a second run over a counting proxy copies nothing and sends only
// HEAD requests (one per side per image), for single images and indexes alike.
func TestRerunHeadOnly(t *testing.T) {
	r, ctx, rc, ns := setup(t)
	push(t, rc, r.open+"/"+ns+"/a:v1", imagetest.Spec{Layers: []int64{100 << 10}, Seed: 11})
	push(t, rc, r.open+"/"+ns+"/b:v1", imagetest.Spec{Platforms: []string{"linux/amd64", "linux/arm64"}, Layers: []int64{64 << 10}, Seed: 12})

	srcP, dstP, e := r.proxiedEngine(t)
	spec := Spec{
		Sources:     []Source{{Registry: srcP.Host, Repository: ns + "/a", Tag: "v1"}, {Registry: srcP.Host, Repository: ns + "/b", Tag: "v1"}},
		Destination: Destination{Registry: dstP.Host, Prefix: "rerun"},
		Copy:        CopyOptions{Referrers: true},
	}
	sum := mustRun(ctx, t, e, spec, RunOptions{}, 2, 2, 0, 0)
	if n := len(imagetest.BlobUploads(dstP.Requests())); n != 6 { // a: config+layer; b: 2 configs + 2 layers
		t.Errorf("first run uploaded %d blobs, want 6", n)
	}
	// a new image costs the source one read of its manifest (GET, no HEAD first)
	tagReads := map[string]int{}
	for _, q := range srcP.Requests() {
		if strings.HasSuffix(q.Path, "/manifests/v1") {
			tagReads[q.Method]++
		}
	}
	if tagReads[http.MethodGet] != 2 || len(tagReads) != 1 {
		t.Errorf("first run read the source tags with %v; want one GET per image", tagReads)
	}
	srcP.Reset()
	dstP.Reset()

	sum = mustRun(ctx, t, e, spec, RunOptions{}, 2, 0, 2, 0)
	if sum.Bytes != 0 {
		t.Errorf("re-run sent %d bytes", sum.Bytes)
	}
	for name, p := range map[string]*imagetest.Proxy{"source": srcP, "destination": dstP} {
		reqs := p.Requests()
		// One HEAD per image; Go's transport may resend an idempotent request once on a
		// fresh connection when a reused one closed under it, so a path may appear twice.
		heads := map[string]int{}
		for _, q := range reqs {
			if q.Method != http.MethodHead {
				t.Errorf("%s: re-run sent %s %s (status %d); only HEAD expected", name, q.Method, q.Path, q.Status)
			}
			if q.Status == 200 {
				heads[q.Path]++
			}
		}
		if len(heads) != 2 || len(reqs) > 3 {
			t.Errorf("%s: successful HEADs by path %v in %d requests, want the 2 images' tags, one HEAD each (one resend at most): %+v",
				name, heads, len(reqs), reqs)
		}
	}
}

// TestSelectFilters: ALL_TAGS with regex include/exclude, semver ranges and the N most
// recent tags (by image creation time, not tag order).
func TestSelectFilters(t *testing.T) {
	r, ctx, rc, ns := setup(t)
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	// creation times deliberately out of tag order
	tags := map[string]int{"1.0.0": 1, "1.2.0": 5, "1.10.0": 3, "2.0.0": 4, "2.1.0-rc1": 6, "latest": 2, "dev-abc": 7}
	for tag, day := range tags {
		push(t, rc, r.open+"/"+ns+"/app:"+tag, imagetest.Spec{Layers: []int64{1024}, Seed: uint64(day), Created: base.AddDate(0, 0, day)})
	}
	e := newEngine(t, Config{Access: r.access()})
	sel := func(f TagFilter) []string {
		t.Helper()
		items, err := e.Select(ctx, Spec{
			Sources:     []Source{{Registry: r.open, Repository: ns + "/app", Tag: AllTags}},
			Destination: Destination{Registry: r.auth, Prefix: "p"},
			Tags:        f,
		})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, it := range items {
			if it.Destination != r.auth+"/p/"+ns+"/app:"+it.Tag {
				t.Errorf("destination %s", it.Destination)
			}
			out = append(out, it.Tag)
		}
		sort.Strings(out)
		return out
	}
	cases := []struct {
		name string
		f    TagFilter
		want []string
	}{
		{"all", TagFilter{}, []string{"1.0.0", "1.10.0", "1.2.0", "2.0.0", "2.1.0-rc1", "dev-abc", "latest"}},
		{"include", TagFilter{Include: []string{`1\..*`}}, []string{"1.0.0", "1.10.0", "1.2.0"}},
		{"include is whole-tag", TagFilter{Include: []string{`abc`}}, nil},
		{"exclude", TagFilter{Exclude: []string{`.*-.*`, "latest"}}, []string{"1.0.0", "1.10.0", "1.2.0", "2.0.0"}},
		{"semver", TagFilter{Semver: ">=1.2, <2"}, []string{"1.10.0", "1.2.0"}},
		{"semver prerelease", TagFilter{Semver: ">=2.1.0-0"}, []string{"2.1.0-rc1"}},
		{"latest", TagFilter{Latest: 3}, []string{"1.2.0", "2.1.0-rc1", "dev-abc"}},
		{"semver then latest", TagFilter{Semver: "1.x", Latest: 2}, []string{"1.10.0", "1.2.0"}},
	}
	for _, c := range cases {
		if got := sel(c.f); !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

// TestPlatformSubset: copying one platform of an index writes a new one-platform index
// (new digest) whose platform manifest is byte-identical to the source's; a re-run
// skips it.
func TestPlatformSubset(t *testing.T) {
	r, ctx, rc, ns := setup(t)
	src := push(t, rc, r.open+"/"+ns+"/m:v1", imagetest.Spec{Platforms: []string{"linux/amd64", "linux/arm64", "linux/arm/v7"}, Layers: []int64{32 << 10}, Seed: 21})
	e := newEngine(t, Config{Access: r.access()})
	spec := Spec{
		Sources:     []Source{{Registry: r.open, Repository: ns + "/m", Tag: "v1"}},
		Destination: Destination{Registry: r.auth},
		Copy:        CopyOptions{Platforms: []string{"linux/arm64"}},
	}
	rec := &memRecorder{}
	mustRun(ctx, t, e, spec, RunOptions{Recorder: rec}, 1, 1, 0, 0)
	raw, dig := r.rawManifest(t, r.auth+"/"+ns+"/m:v1")
	if dig == src.Digest {
		t.Fatal("subset index kept the source digest")
	}
	idx := parseManifest(t, raw)
	if len(idx.Manifests) != 1 || idx.Manifests[0].Digest != src.Manifests[1] || idx.Manifests[0].Platform.Architecture != "arm64" {
		t.Fatalf("subset index = %s", raw)
	}
	_, d := r.rawManifest(t, r.auth+"/"+ns+"/m@"+src.Manifests[1])
	if d != src.Manifests[1] {
		t.Fatalf("arm64 manifest digest %s, want %s", d, src.Manifests[1])
	}
	r.skopeoPull(t, r.auth+"/"+ns+"/m:v1")
	if got := rec.recs[r.open+"/"+ns+"/m:v1"].Platforms; !slices.Equal(got, []string{"linux/arm64"}) {
		t.Errorf("recorded platforms %v", got)
	}
	mustRun(ctx, t, e, spec, RunOptions{}, 1, 0, 1, 0)

	// a platform the index lacks is a clear failure
	spec.Copy.Platforms = []string{"windows/amd64"}
	spec.Destination.Prefix = "other"
	sum, _ := e.Run(ctx, spec, RunOptions{Recorder: rec})
	mustSummary(t, sum, 1, 0, 0, 1)
	if msg := rec.recs[r.open+"/"+ns+"/m:v1"].Error; !contains(msg, "none of the platforms windows/amd64 is in the index") {
		t.Errorf("error = %q", msg)
	}
}

// TestAllTagsAndDigest: ALL_TAGS copies every tag; a by-digest source lands by digest.
func TestAllTagsAndDigest(t *testing.T) {
	r, ctx, rc, ns := setup(t)
	a := push(t, rc, r.auth+"/"+ns+"/x:one", imagetest.Spec{Layers: []int64{4096}, Seed: 31})
	push(t, rc, r.auth+"/"+ns+"/x:two", imagetest.Spec{Layers: []int64{4096}, Seed: 32})
	d := push(t, rc, r.auth+"/"+ns+"/y:tmp", imagetest.Spec{Layers: []int64{4096}, Seed: 33})
	e := newEngine(t, Config{Access: r.access()})
	sum, err := e.Run(ctx, Spec{
		Sources:     []Source{{Registry: r.auth, Repository: ns + "/x", Tag: AllTags}, {Registry: r.auth, Repository: ns + "/y", Digest: d.Digest}},
		Destination: Destination{Registry: r.open, Prefix: "all/tags"},
	}, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mustSummary(t, sum, 3, 3, 0, 0)
	if _, dig := r.rawManifest(t, r.open+"/all/tags/"+ns+"/x:one"); dig != a.Digest {
		t.Errorf("x:one digest %s", dig)
	}
	r.rawManifest(t, r.open+"/all/tags/"+ns+"/x:two")
	if _, dig := r.rawManifest(t, r.open+"/all/tags/"+ns+"/y@"+d.Digest); dig != d.Digest {
		t.Errorf("y@digest digest %s", dig)
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && indexOf(s, sub) >= 0)
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}
