package image

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/regclient/regclient/types/ref"

	"transferhub/cloud/image/imagetest"
	"transferhub/cloud/testenv"
)

// TestReferrersOnlyWhereTagged: on a registry without the OCI referrers API
// (docker-registry 2.8), referrers live in sha256-<hex> fallback tags and cosign
// digest tags. The engine lists each source repository's tags once per run and skips
// referrer discovery for images none of whose manifests has such a tag, but still
// brings a referrer attached to one platform manifest of an index and a cosign tag
// (regclient lists that repository's tags again per image: digest tags may hang off
// referrers too); an image changed later brings its new signature on the next run.
func TestReferrersOnlyWhereTagged(t *testing.T) {
	r, ctx, rc, ns := setup(t)
	x := r.open + "/" + ns + "/x"
	plain := push(t, rc, x+":plain", imagetest.Spec{Layers: []int64{8 << 10}, Seed: 91})
	idx := push(t, rc, x+":idx", imagetest.Spec{Platforms: []string{"linux/amd64", "linux/arm64"}, Layers: []int64{8 << 10}, Seed: 92})
	s := r.open + "/" + ns + "/s"
	signed := push(t, rc, s+":signed", imagetest.Spec{Layers: []int64{8 << 10}, Seed: 93})
	other := push(t, rc, r.open+"/"+ns+"/y:plain", imagetest.Spec{Layers: []int64{8 << 10}, Seed: 94})
	// an SBOM of the arm64 image only (buildkit-style per-platform attestation)
	sbom, err := imagetest.PushReferrer(ctx, rc, x, idx.Manifests[1], "application/spdx+json", []byte(`{"spdxVersion":"SPDX-2.3"}`))
	if err != nil {
		t.Fatal(err)
	}
	cosign, err := imagetest.PushDigestTag(ctx, rc, s, signed.Digest, []byte(`{"critical":{}}`))
	if err != nil {
		t.Fatal(err)
	}

	srcP := newProxy(t, "http://"+r.open, "")
	e := newEngine(t, Config{Access: r.access(srcP.Host)})
	spec := Spec{
		Sources: []Source{
			{Registry: srcP.Host, Repository: ns + "/x", Tag: "plain"}, {Registry: srcP.Host, Repository: ns + "/x", Tag: "idx"},
			{Registry: srcP.Host, Repository: ns + "/s", Tag: "signed"}, {Registry: srcP.Host, Repository: ns + "/y", Tag: "plain"},
		},
		Destination: Destination{Registry: r.auth, Prefix: "refs"},
		Copy:        CopyOptions{Referrers: true},
	}
	mustRun(ctx, t, e, spec, RunOptions{Concurrency: 4}, 4, 4, 0, 0)
	dst := r.auth + "/refs/" + ns

	// what had referrers arrived with them
	refRaw, _ := r.rawManifest(t, dst+"/x:"+strings.Replace(idx.Manifests[1], ":", "-", 1))
	var got []string
	for _, m := range parseManifest(t, refRaw).Manifests {
		got = append(got, m.Digest)
	}
	if !slices.Contains(got, sbom.Digest) {
		t.Errorf("SBOM of the arm64 manifest missing at the destination; fallback index lists %v", got)
	}
	if _, d := r.rawManifest(t, dst+"/s:"+strings.Replace(signed.Digest, ":", "-", 1)+".sig"); d != cosign {
		t.Errorf("cosign tag digest %s, want %s", d, cosign)
	}
	for _, ref := range []string{dst + "/x:plain", dst + "/x:idx", dst + "/y:plain"} {
		r.rawManifest(t, ref)
	}

	// what it cost the source
	lists := map[string]int{}
	api := map[string]int{}
	for _, q := range srcP.Requests() {
		repo, _, _ := strings.Cut(strings.TrimPrefix(q.Path, "/v2/"), "/tags/list")
		switch {
		case strings.Contains(q.Path, "/tags/list"):
			lists[repo]++
		case strings.Contains(q.Path, "/referrers/"):
			repo, _, _ = strings.Cut(strings.TrimPrefix(q.Path, "/v2/"), "/referrers/")
			api[repo]++
		}
		for _, d := range []string{plain.Digest, other.Digest} {
			if strings.Contains(q.Path, "/manifests/"+strings.Replace(d, ":", "-", 1)) {
				t.Errorf("fallback tag of %s (no referrers, no such tag) was queried: %s %s", d, q.Method, q.Path)
			}
		}
	}
	for _, repo := range []string{ns + "/x", ns + "/s", ns + "/y"} {
		// x has referrers in fallback tags only: no listing per image either
		if lists[repo] != 1 && repo != ns+"/s" {
			t.Errorf("%s: tags listed %d times, want once per run", repo, lists[repo])
		}
		if api[repo] != 1 {
			t.Errorf("%s: referrers API asked %d times, want one probe per repository", repo, api[repo])
		}
	}

	// plain changes and gets signed: the next run copies it with its signature
	plain2 := push(t, rc, x+":plain", imagetest.Spec{Layers: []int64{8 << 10}, Seed: 95})
	sig, err := imagetest.PushReferrer(ctx, rc, x, plain2.Digest, "application/vnd.dev.cosign.artifact.sig.v1+json", []byte(`{"sig":"new"}`))
	if err != nil {
		t.Fatal(err)
	}
	mustRun(ctx, t, e, spec, RunOptions{Concurrency: 4}, 4, 1, 3, 0)
	refRaw, _ = r.rawManifest(t, dst+"/x:"+strings.Replace(plain2.Digest, ":", "-", 1))
	if m := parseManifest(t, refRaw).Manifests; len(m) != 1 || m[0].Digest != sig.Digest {
		t.Errorf("signature of the changed image: fallback index %s", refRaw)
	}
	_ = plain
}

// fakeReferrers is a registry front that only knows the referrers route: apiStatus
// answers GET .../referrers/<digest>; everything else is 404. It counts requests.
type fakeReferrers struct {
	apiStatus int
	mu        sync.Mutex
	paths     []string
}

func (f *fakeReferrers) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.paths = append(f.paths, r.Method+" "+r.URL.Path)
	f.mu.Unlock()
	if strings.Contains(r.URL.Path, "/referrers/") && f.apiStatus == http.StatusOK {
		w.Header().Set("Content-Type", "application/vnd.oci.image.index.v1+json")
		_, _ = w.Write([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}`))
		return
	}
	if strings.Contains(r.URL.Path, "/referrers/") {
		w.WriteHeader(f.apiStatus)
		return
	}
	http.NotFound(w, r)
}

// TestReferrersProbe: the probe tells a registry with the referrers API (200) from
// one without (404), once per repository, and without the API it stops before the
// fallback-tag request (the copy decides whether that tag is worth asking for), also
// when regclient remembers the answer and skips the API request.
func TestReferrersProbe(t *testing.T) {
	for _, tc := range []struct {
		status   int
		want     apiSupport
		requests int
	}{
		{http.StatusOK, apiYes, 1},
		{http.StatusNotFound, apiNo, 1},
		{http.StatusInternalServerError, apiUnknown, -1},
	} {
		f := &fakeReferrers{apiStatus: tc.status}
		srv := httptest.NewServer(f)
		host := strings.TrimPrefix(srv.URL, "http://")
		c, rc := newClient(t, Access{InsecureHTTP: []string{host}, NoDockerConfig: true, Attempts: 1})
		r, _ := ref.New(host + "/a/b@sha256:" + strings.Repeat("ab", 32))
		if got := c.referrersAPI(context.Background(), rc, r); got != tc.want {
			t.Errorf("status %d: support %v, want %v (requests %v)", tc.status, got, tc.want, f.paths)
		}
		if tc.requests >= 0 && len(f.paths) != tc.requests {
			t.Errorf("status %d: requests %v, want %d", tc.status, f.paths, tc.requests)
		}
		n := len(f.paths)
		if tc.want != apiUnknown {
			c.referrersAPI(context.Background(), rc, r.SetDigest("sha256:"+strings.Repeat("cd", 32)))
			if len(f.paths) != n {
				t.Errorf("status %d: second image of the repository probed again: %v", tc.status, f.paths[n:])
			}
		}
		if tc.want == apiNo {
			// our answer expired while regclient still knows there is no API: it goes
			// straight to the fallback tag, which the probe does not send
			c.refAPI.m = map[string]*apiEntry{}
			if got := c.referrersAPI(context.Background(), rc, r); got != apiNo || len(f.paths) != n {
				t.Errorf("re-probe: support %v, requests %v", got, f.paths[n:])
			}
		}
		srv.Close()
	}
}

// TestReferrersRecheck: a signature, an SBOM and a cosign tag added to images the
// destination already has are not seen by a default re-run (HEAD requests only);
// with RecheckReferrers they are copied, the images stay skipped, and a further
// recheck sends nothing.
func TestReferrersRecheck(t *testing.T) {
	r, ctx, rc, ns := setup(t)
	single := push(t, rc, r.open+"/"+ns+"/a:v1", imagetest.Spec{Layers: []int64{8 << 10}, Seed: 101})
	multi := push(t, rc, r.open+"/"+ns+"/b:v1", imagetest.Spec{Platforms: []string{"linux/amd64", "linux/arm64"}, Layers: []int64{8 << 10}, Seed: 102})
	push(t, rc, r.open+"/"+ns+"/c:v1", imagetest.Spec{Layers: []int64{8 << 10}, Seed: 103})

	srcP, dstP, e := r.proxiedEngine(t)
	spec := Spec{
		Sources: []Source{{Registry: srcP.Host, Repository: ns + "/a", Tag: "v1"}, {Registry: srcP.Host, Repository: ns + "/b", Tag: "v1"},
			{Registry: srcP.Host, Repository: ns + "/c", Tag: "v1"}},
		Destination: Destination{Registry: dstP.Host, Prefix: "recheck"},
		Copy:        CopyOptions{Referrers: true},
	}
	mustRun(ctx, t, e, spec, RunOptions{}, 3, 3, 0, 0)

	// signed after they were mirrored
	sig, err := imagetest.PushReferrer(ctx, rc, r.open+"/"+ns+"/a", single.Digest, "application/vnd.dev.cosign.artifact.sig.v1+json", []byte(`{"sig":"late"}`))
	if err != nil {
		t.Fatal(err)
	}
	cosign, err := imagetest.PushDigestTag(ctx, rc, r.open+"/"+ns+"/a", single.Digest, []byte(`{"critical":{"late":true}}`))
	if err != nil {
		t.Fatal(err)
	}
	sbom, err := imagetest.PushReferrer(ctx, rc, r.open+"/"+ns+"/b", multi.Manifests[0], "application/spdx+json", []byte(`{"spdxVersion":"SPDX-2.3"}`))
	if err != nil {
		t.Fatal(err)
	}
	dst := r.auth + "/recheck/" + ns
	fallback := func(repo, subject string) []string {
		t.Helper()
		fr, err := ref.New(dst + "/" + repo + ":" + strings.Replace(subject, ":", "-", 1))
		if err != nil {
			t.Fatal(err)
		}
		m, err := rc.ManifestGet(ctx, fr)
		if err != nil {
			return nil // no fallback index: no referrers
		}
		raw, _ := m.RawBody()
		var out []string
		for _, m := range parseManifest(t, raw).Manifests {
			out = append(out, m.Digest)
		}
		return out
	}

	// rerun runs again over freshly counted proxies; every re-run finds the images
	// up to date.
	rerun := func() Summary {
		t.Helper()
		srcP.Reset()
		dstP.Reset()
		sum := mustRun(ctx, t, e, spec, RunOptions{}, 3, 0, 3, 0)
		return sum
	}

	// default re-run: HEADs only, nothing new arrives
	rerun()
	for _, q := range append(srcP.Requests(), dstP.Requests()...) {
		if q.Method != http.MethodHead {
			t.Errorf("default re-run sent %s %s", q.Method, q.Path)
		}
	}
	if got := fallback("a", single.Digest); len(got) != 0 {
		t.Fatalf("default re-run copied referrers %v", got)
	}

	// recheck: they arrive; the images are still up to date (skipped)
	spec.Copy.RecheckReferrers = true
	rerun()
	if got := fallback("a", single.Digest); !slices.Contains(got, sig.Digest) {
		t.Errorf("late signature not copied: %v", got)
	}
	if got := fallback("b", multi.Manifests[0]); !slices.Contains(got, sbom.Digest) {
		t.Errorf("late SBOM of the amd64 manifest not copied: %v", got)
	}
	if _, d := r.rawManifest(t, dst+"/a:"+strings.Replace(single.Digest, ":", "-", 1)+".sig"); d != cosign {
		t.Errorf("late cosign tag digest %s, want %s", d, cosign)
	}
	for _, q := range srcP.Requests() {
		if strings.Contains(q.Path, "/"+ns+"/c/") && q.Method != http.MethodHead && !strings.Contains(q.Path, "/tags/list") && !strings.Contains(q.Path, "/referrers/") {
			t.Errorf("c has no referrers, yet the recheck sent %s %s", q.Method, q.Path)
		}
	}

	// a second recheck has nothing to bring: no uploads, no manifest writes
	if sum := rerun(); sum.Bytes != 0 {
		t.Errorf("second recheck sent %d bytes", sum.Bytes)
	}
	for _, q := range dstP.Requests() {
		if q.Method != http.MethodHead && q.Method != http.MethodGet {
			t.Errorf("second recheck wrote: %s %s", q.Method, q.Path)
		}
	}
}

// TestReferrersThroughTheAPI: an OCI 1.1 registry (reg-oci) keeps referrers in its
// referrers API only, with no sha256-* tags. A signature on an index and an SBOM on one
// of its platforms, found there through the API, reach a registry without the API as
// fallback tags; copied back from there to the 1.1 registry they are in its API again
// (and nowhere else). A re-run from the 1.1 registry sends HEADs only.
func TestReferrersThroughTheAPI(t *testing.T) {
	r := loadRegs(t)
	r.env.Require(t, testenv.RegOCI)
	oci := r.env.Get(string(testenv.RegOCI))
	ctx := ctxT(t)
	rc := r.rc(t, oci)
	ns := uniq(t)
	app := oci + "/" + ns + "/app"
	img := push(t, rc, app+":v1", imagetest.Spec{Platforms: []string{"linux/amd64", "linux/arm64"}, Layers: []int64{8 << 10}, Seed: 71})
	sig, err := imagetest.PushReferrer(ctx, rc, app, img.Digest, "application/vnd.dev.cosign.artifact.sig.v1+json", []byte(`{"critical":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	sbom, err := imagetest.PushReferrer(ctx, rc, app, img.Manifests[1], "application/spdx+json", []byte(`{"spdxVersion":"SPDX-2.3"}`))
	if err != nil {
		t.Fatal(err)
	}
	tags := func(repo string) []string {
		t.Helper()
		rr, err := ref.New(repo)
		if err != nil {
			t.Fatal(err)
		}
		tl, err := rc.TagList(ctx, rr)
		if err != nil {
			t.Fatalf("tags of %s: %v", repo, err)
		}
		out, _ := tl.GetTags()
		return out
	}
	referrers := func(repo, subject string) []string {
		t.Helper()
		rr, err := ref.New(repo)
		if err != nil {
			t.Fatal(err)
		}
		rl, err := rc.ReferrerList(ctx, rr.SetDigest(subject))
		if err != nil {
			t.Fatalf("referrers of %s@%s: %v", repo, subject, err)
		}
		var out []string
		for _, d := range rl.Descriptors {
			out = append(out, d.Digest.String())
		}
		return out
	}
	if got := tags(app); !slices.Equal(got, []string{"v1"}) {
		t.Fatalf("the 1.1 registry holds tags %v; referrers should live in its API only", got)
	}

	e := newEngine(t, Config{Access: r.access(oci)})
	sum, err := e.Run(ctx, Spec{
		Sources:     []Source{{Registry: oci, Repository: ns + "/app", Tag: "v1"}},
		Destination: Destination{Registry: r.auth, Prefix: "api-in"},
		Copy:        CopyOptions{Referrers: true},
	}, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mustSummary(t, sum, 1, 1, 0, 0)
	mid := r.auth + "/api-in/" + ns + "/app"
	for subject, want := range map[string]string{img.Digest: sig.Digest, img.Manifests[1]: sbom.Digest} {
		raw, _ := r.rawManifest(t, mid+":"+strings.Replace(subject, ":", "-", 1))
		var got []string
		for _, m := range parseManifest(t, raw).Manifests {
			got = append(got, m.Digest)
		}
		if !slices.Contains(got, want) {
			t.Errorf("referrer %s of %s missing at the registry without the API; its fallback index lists %v", want, subject, got)
		}
	}

	// Back to the 1.1 registry: into its API, with no fallback tags.
	sum, err = e.Run(ctx, Spec{
		Sources:     []Source{{Registry: r.auth, Repository: "api-in/" + ns + "/app", Tag: "v1"}},
		Destination: Destination{Registry: oci, Prefix: "api-out"},
		Copy:        CopyOptions{Referrers: true},
	}, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mustSummary(t, sum, 1, 1, 0, 0)
	back := oci + "/api-out/api-in/" + ns + "/app" // the prefix joined with the source path
	if got := referrers(back, img.Digest); !slices.Contains(got, sig.Digest) {
		t.Errorf("signature missing from the 1.1 registry's referrers API: %v", got)
	}
	if got := referrers(back, img.Manifests[1]); !slices.Contains(got, sbom.Digest) {
		t.Errorf("SBOM missing from the 1.1 registry's referrers API: %v", got)
	}
	if got := tags(back); !slices.Equal(got, []string{"v1"}) {
		t.Errorf("the copy left tags %v on the 1.1 registry; want v1 only", got)
	}

	// A re-run from the 1.1 registry: HEADs only.
	srcP := newProxy(t, "http://"+oci, "")
	e2 := newEngine(t, Config{Access: r.access(oci, srcP.Host)})
	sum, err = e2.Run(ctx, Spec{
		Sources:     []Source{{Registry: srcP.Host, Repository: ns + "/app", Tag: "v1"}},
		Destination: Destination{Registry: r.auth, Prefix: "api-in"},
		Copy:        CopyOptions{Referrers: true},
	}, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mustSummary(t, sum, 1, 0, 1, 0)
	for _, q := range srcP.Requests() {
		if q.Method != http.MethodHead {
			t.Errorf("re-run sent %s %s to the source", q.Method, q.Path)
		}
	}
}
