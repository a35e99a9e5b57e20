package image

import (
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"transferhub/cloud/image/imagetest"
	"transferhub/cloud/state"
)

// TestFaultsSurvived: connection resets, 429 (Retry-After), 503 and bodies cut halfway
// on both sides; the copy still completes with identical digests, each image at its first
// attempt: a fault is survived where it happens (the request retried, the body resumed),
// not by copying the whole image again. Before, a cut manifest body failed the attempt
// (the registry ignores Range for manifests), and when cuts met the same image's
// manifests three times over (the request order varies with the machine's load) the
// image failed.
func TestFaultsSurvived(t *testing.T) {
	r, ctx, rc, ns := setup(t)
	a := push(t, rc, r.open+"/"+ns+"/f:v1", imagetest.Spec{Layers: []int64{3 << 20, 1 << 20}, Seed: 51})
	b := push(t, rc, r.open+"/"+ns+"/g:v1", imagetest.Spec{Platforms: []string{"linux/amd64", "linux/arm64"}, Layers: []int64{2 << 20}, Seed: 52})

	var injected atomic.Int64
	faults := func(req *http.Request, n int64) imagetest.FaultAction {
		if n%4 != 0 {
			return imagetest.Pass
		}
		injected.Add(1)
		switch (n / 4) % 4 {
		case 0:
			return imagetest.Reset
		case 1:
			return imagetest.Status429
		case 2:
			return imagetest.Status503
		}
		if req.Method == http.MethodGet {
			return imagetest.CutBody
		}
		return imagetest.Status503
	}
	srcP, dstP, e := r.proxiedEngine(t)
	srcP.Fault, dstP.Fault = faults, faults
	var mu sync.Mutex
	var results []Result
	sum, err := e.Run(ctx, Spec{
		Sources:     []Source{{Registry: srcP.Host, Repository: ns + "/f", Tag: "v1"}, {Registry: srcP.Host, Repository: ns + "/g", Tag: "v1"}},
		Destination: Destination{Registry: dstP.Host, Prefix: "faults"},
		Copy:        CopyOptions{Referrers: true},
	}, RunOptions{OnEvent: func(ev Event) {
		if ev.Kind == EventFinished && ev.Result != nil {
			mu.Lock()
			results = append(results, *ev.Result)
			mu.Unlock()
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(results) != 2 {
		t.Errorf("%d images settled, want 2", len(results))
	}
	for _, res := range results {
		if res.Status != state.ItemDone || res.Attempts != 1 {
			t.Errorf("%s: %s after %d attempts (want DONE at the first): %s", res.Source, res.Status, res.Attempts, res.Error)
		}
	}
	mu.Unlock()
	mustSummary(t, sum, 2, 2, 0, 0)
	if injected.Load() < 8 {
		t.Fatalf("only %d faults injected", injected.Load())
	}
	t.Logf("survived %d injected faults", injected.Load())
	if _, d := r.rawManifest(t, r.auth+"/faults/"+ns+"/f:v1"); d != a.Digest {
		t.Errorf("f digest %s", d)
	}
	if _, d := r.rawManifest(t, r.auth+"/faults/"+ns+"/g:v1"); d != b.Digest {
		t.Errorf("g digest %s", d)
	}
	r.skopeoPull(t, r.auth+"/faults/"+ns+"/f:v1")
	r.skopeoPull(t, r.auth+"/faults/"+ns+"/g:v1")
}
