package image

import (
	"slices"
	"strings"
	"testing"
	"time"

	"transferhub/cloud/image/imagetest"
	"transferhub/cloud/state"
)

// TestCopyVerifiedBySkopeo copies a single-platform image and a signed multi-platform
// index with an SBOM from the TLS+auth registry to the plain one under a prefix, then
// checks with skopeo that every digest is identical and the referrers came along.
func TestCopyVerifiedBySkopeo(t *testing.T) {
	r, ctx, rc, ns := setup(t)
	single := push(t, rc, r.auth+"/"+ns+"/app:v1", imagetest.Spec{Layers: []int64{300 << 10, 50 << 10}, Seed: 1})
	multi := push(t, rc, r.auth+"/"+ns+"/multi:v2", imagetest.Spec{Platforms: []string{"linux/amd64", "linux/arm64"}, Layers: []int64{200 << 10}, Seed: 2})
	sig, err := imagetest.PushReferrer(ctx, rc, r.auth+"/"+ns+"/multi", multi.Digest, "application/vnd.dev.cosign.artifact.sig.v1+json", []byte(`{"sig":"test"}`))
	if err != nil {
		t.Fatal(err)
	}
	sbom, err := imagetest.PushReferrer(ctx, rc, r.auth+"/"+ns+"/multi", multi.Digest, "application/spdx+json", []byte(`{"spdxVersion":"SPDX-2.3"}`))
	if err != nil {
		t.Fatal(err)
	}
	cosign, err := imagetest.PushDigestTag(ctx, rc, r.auth+"/"+ns+"/multi", multi.Digest, []byte(`{"critical":{}}`))
	if err != nil {
		t.Fatal(err)
	}

	e := newEngine(t, Config{Access: r.access()})
	rec := &memRecorder{}
	spec := Spec{
		Sources:     []Source{{Registry: r.auth, Repository: ns + "/app", Tag: "v1"}, {Registry: r.auth, Repository: ns + "/multi", Tag: "v2"}},
		Destination: Destination{Registry: r.open, Prefix: "mirror"},
		Copy:        CopyOptions{Referrers: true},
	}
	sum := mustRun(ctx, t, e, spec, RunOptions{Recorder: rec, TaskID: "t", RunID: "r1"}, 2, 2, 0, 0)
	if sum.Bytes <= 550<<10 {
		t.Errorf("bytes sent = %d, want more than the layers (%d)", sum.Bytes, 550<<10)
	}

	// digests identical at both ends, as a peer client sees them
	for _, pair := range [][2]string{
		{r.auth + "/" + ns + "/app:v1", r.open + "/mirror/" + ns + "/app:v1"},
		{r.auth + "/" + ns + "/multi:v2", r.open + "/mirror/" + ns + "/multi:v2"},
	} {
		srcRaw, srcDig := r.rawManifest(t, pair[0])
		dstRaw, dstDig := r.rawManifest(t, pair[1])
		if srcDig != dstDig || string(srcRaw) != string(dstRaw) {
			t.Fatalf("%s: destination digest %s != source %s", pair[1], dstDig, srcDig)
		}
		r.skopeoPull(t, pair[1])
	}
	_, d := r.rawManifest(t, r.open+"/mirror/"+ns+"/app:v1")
	if d != single.Digest {
		t.Fatalf("single digest %s, pushed %s", d, single.Digest)
	}
	idxRaw, _ := r.rawManifest(t, r.open+"/mirror/"+ns+"/multi:v2")
	idx := parseManifest(t, idxRaw)
	for i, m := range idx.Manifests {
		raw, dig := r.rawManifest(t, r.open+"/mirror/"+ns+"/multi@"+m.Digest)
		if dig != multi.Manifests[i] {
			t.Fatalf("platform manifest %d digest %s, want %s", i, dig, multi.Manifests[i])
		}
		pm := parseManifest(t, raw)
		if len(pm.Layers) != 1 {
			t.Fatalf("platform manifest %d has %d layers", i, len(pm.Layers))
		}
	}

	// referrers: the tag-schema fallback index lists the signature and the SBOM
	refRaw, _ := r.rawManifest(t, r.open+"/mirror/"+ns+"/multi:"+strings.Replace(multi.Digest, ":", "-", 1))
	var got []string
	for _, m := range parseManifest(t, refRaw).Manifests {
		got = append(got, m.Digest+" "+m.ArtifactType)
	}
	for _, want := range []imagetest.Referrer{sig, sbom} {
		if !slices.Contains(got, want.Digest+" "+want.ArtifactType) {
			t.Errorf("referrer %s (%s) missing at destination; have %v", want.Digest, want.ArtifactType, got)
		}
	}
	// and the cosign-style digest tag
	_, cd := r.rawManifest(t, r.open+"/mirror/"+ns+"/multi:"+strings.Replace(multi.Digest, ":", "-", 1)+".sig")
	if cd != cosign {
		t.Errorf("cosign tag digest %s, want %s", cd, cosign)
	}

	// per-image records
	m := rec.recs[r.auth+"/"+ns+"/multi:v2"]
	if m.Status != state.ItemDone || m.Digest != multi.Digest || !slices.Equal(m.Platforms, []string{"linux/amd64", "linux/arm64"}) || m.Bytes == 0 || m.Duration <= 0 || m.RunID != "r1" {
		t.Errorf("record = %+v", m)
	}
	if s := rec.recs[r.auth+"/"+ns+"/app:v1"]; s.Status != state.ItemDone || s.Tag != "v1" || s.Repository != ns+"/app" || s.Destination != r.open+"/mirror/"+ns+"/app:v1" {
		t.Errorf("record = %+v", s)
	}
	_ = time.Second
}

// A platform the index does not have will not appear on a retry: the image fails at
// once, with one attempt, naming what the index has.
func TestMissingPlatformFailsAtOnce(t *testing.T) {
	r, ctx, rc, ns := setup(t)
	push(t, rc, r.open+"/"+ns+"/multi:v1", imagetest.Spec{Platforms: []string{"linux/amd64", "linux/arm64"}, Layers: []int64{10 << 10}, Seed: 7})
	e := newEngine(t, Config{Access: r.access()})
	start := time.Now()
	res := e.Copy(ctx, Item{Source: r.open + "/" + ns + "/multi:v1", Destination: r.open + "/" + ns + "/copy:v1"},
		CopyOptions{Platforms: []string{"linux/s390x"}, Attempts: 3}, nil)
	if res.Status != state.ItemFailed || res.Attempts != 1 {
		t.Fatalf("status %s after %d attempts (%s), want FAILED after 1", res.Status, res.Attempts, time.Since(start))
	}
	if !strings.Contains(res.Error, "linux/s390x") || !strings.Contains(res.Error, "linux/arm64") {
		t.Fatalf("error %q does not say what was asked and what the index has", res.Error)
	}
}
