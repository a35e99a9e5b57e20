package image

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/regclient/regclient"

	"transferhub/cloud/image/imagetest"
	"transferhub/cloud/state"
	"transferhub/cloud/testenv"
)

// regs are the two local registries: auth = TLS + basic auth, open = plain HTTP.
type regs struct {
	env        *testenv.Env
	auth, open string
	ca         string
	user, pass string
}

// setup is how most tests start: the registries, a context, a client and a namespace
// of the test's own.
func setup(t *testing.T) (regs, context.Context, *regclient.RegClient, string) {
	t.Helper()
	r := loadRegs(t)
	return r, ctxT(t), r.rc(t), uniq(t)
}

func loadRegs(t *testing.T) regs {
	t.Helper()
	env := testenv.Load(t)
	env.Require(t, testenv.RegAuth, testenv.RegOpen)
	return regs{env: env, auth: env.Get("TH_REG_AUTH"), open: env.Get("TH_REG_OPEN"), ca: env.Get("TH_REG_AUTH_CA"),
		user: env.Get("TH_REG_AUTH_USER"), pass: env.Get("TH_REG_AUTH_PASS")}
}

// access reaches both registries (and any extra plain-HTTP hosts such as proxies).
func (r regs) access(insecure ...string) Access {
	return Access{
		InsecureHTTP:   append([]string{r.open}, insecure...),
		CAFiles:        []string{r.ca},
		Creds:          map[string]Cred{r.auth: {User: r.user, Password: r.pass}},
		NoDockerConfig: true,
	}
}

func (r regs) rc(t *testing.T, insecure ...string) *regclient.RegClient {
	t.Helper()
	_, rc := newClient(t, r.access(insecure...))
	return rc
}

// newClient is a Client with access a and its regclient.
func newClient(t *testing.T, a Access) (*Client, *regclient.RegClient) {
	t.Helper()
	c, err := NewClient(a, nil)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := c.RegClient(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c, rc
}

// proxiedEngine puts a counting proxy in front of each registry, src before the open
// one and dst before the authenticated one, and returns an engine that reaches both
// through them.
func (r regs) proxiedEngine(t *testing.T) (src, dst *imagetest.Proxy, e *Engine) {
	t.Helper()
	src, dst = newProxy(t, "http://"+r.open, ""), newProxy(t, "https://"+r.auth, r.ca)
	acc := r.access(src.Host, dst.Host)
	acc.Creds[dst.Host] = Cred{User: r.user, Password: r.pass}
	return src, dst, newEngine(t, Config{Access: acc})
}

// newProxy is a counting proxy in front of target, closed when the test ends.
func newProxy(t *testing.T, target, caFile string) *imagetest.Proxy {
	t.Helper()
	p, err := imagetest.NewProxy(target, caFile)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func newEngine(t *testing.T, cfg Config) *Engine {
	t.Helper()
	e, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// uniq is a per-test repository namespace on the shared registries.
func uniq(t *testing.T) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	if len(name) > 40 {
		name = name[:40]
	}
	return "th-test/" + strings.Trim(name, "-") + "-" + hex.EncodeToString(b)
}

func push(t *testing.T, rc *regclient.RegClient, ref string, spec imagetest.Spec) imagetest.Image {
	t.Helper()
	img, err := imagetest.Push(context.Background(), rc, ref, spec)
	if err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	return img
}

// skopeo runs /usr/bin/skopeo with the flags each registry needs.
func (r regs) skopeo(t *testing.T, args ...string) []byte {
	t.Helper()
	full := []string{}
	for i, a := range args {
		full = append(full, a)
		if i == 0 {
			// trust and log in to the auth registry; the open one is plain HTTP
			full = append(full, "--retry-times", "2")
		}
	}
	cmd := exec.Command("/usr/bin/skopeo", full...)
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		shown := strings.Join(args, " ")
		if r.pass != "" {
			shown = strings.ReplaceAll(shown, r.pass, "***") // no password in test logs
		}
		t.Fatalf("skopeo %s: %v\n%s", shown, err, stderr)
	}
	return out
}

// rawManifest fetches a manifest with `skopeo inspect --raw` and returns it with its digest.
func (r regs) rawManifest(t *testing.T, ref string) ([]byte, string) {
	t.Helper()
	args := []string{"inspect", "--raw"}
	args = append(args, r.tlsFlags(ref, "")...)
	args = append(args, "docker://"+ref)
	raw := r.skopeo(t, args...)
	sum := sha256.Sum256(raw)
	return raw, "sha256:" + hex.EncodeToString(sum[:])
}

// tlsFlags are skopeo's flags for ref's registry; prefix is "src-"/"dest-" for copy.
func (r regs) tlsFlags(ref, prefix string) []string {
	switch {
	case strings.HasPrefix(ref, r.auth+"/"):
		return []string{"--" + prefix + "cert-dir", certDir(r.ca), "--" + prefix + "creds", r.user + ":" + r.pass}
	default:
		return []string{"--" + prefix + "tls-verify=false"}
	}
}

var certDirs = map[string]string{}

// certDir makes a directory with the CA as ca.crt (skopeo's --cert-dir layout).
func certDir(ca string) string {
	if d, ok := certDirs[ca]; ok {
		return d
	}
	d, err := os.MkdirTemp("", "th-skopeo-certs")
	if err != nil {
		panic(err)
	}
	pem, err := os.ReadFile(ca)
	if err != nil {
		panic(err)
	}
	if err := os.WriteFile(d+"/ca.crt", pem, 0o644); err != nil {
		panic(err)
	}
	certDirs[ca] = d
	return d
}

// skopeoPull copies ref (every platform) into a local OCI layout: skopeo verifies each
// blob's digest on the way, so success proves every blob is present and intact.
func (r regs) skopeoPull(t *testing.T, ref string) {
	t.Helper()
	dir := t.TempDir()
	args := []string{"copy", "--all", "--quiet"}
	args = append(args, r.tlsFlags(ref, "src-")...)
	args = append(args, "docker://"+ref, "oci:"+dir+":x")
	r.skopeo(t, args...)
}

type manifestJSON struct {
	MediaType string `json:"mediaType"`
	Manifests []struct {
		Digest       string            `json:"digest"`
		ArtifactType string            `json:"artifactType"`
		Annotations  map[string]string `json:"annotations"`
		Platform     *struct {
			OS           string `json:"os"`
			Architecture string `json:"architecture"`
		} `json:"platform"`
	} `json:"manifests"`
	Layers []struct {
		Digest string `json:"digest"`
	} `json:"layers"`
	Config struct {
		Digest string `json:"digest"`
	} `json:"config"`
}

func parseManifest(t *testing.T, raw []byte) manifestJSON {
	t.Helper()
	var m manifestJSON
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("parse manifest: %v\n%s", err, raw)
	}
	return m
}

// memRecorder keeps records in memory (the engine only needs PutImages).
type memRecorder struct {
	recs map[string]state.Image
}

func (m *memRecorder) PutImages(_ context.Context, _ string, imgs []state.Image) error {
	if m.recs == nil {
		m.recs = map[string]state.Image{}
	}
	for _, i := range imgs {
		m.recs[i.Source] = i
	}
	return nil
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func mustSummary(t *testing.T, got Summary, found, copied, skipped, failed int) {
	t.Helper()
	if got.Found != found || got.Copied != copied || got.Skipped != skipped || got.Failed != failed {
		t.Fatalf("summary = %s; want found=%d copied=%d skipped=%d failed=%d", got.JSON(), found, copied, skipped, failed)
	}
}

var _ = fmt.Sprintf

// mustRun runs spec with e and requires the summary's counts.
func mustRun(ctx context.Context, t *testing.T, e *Engine, spec Spec, opt RunOptions, found, copied, skipped, failed int) Summary {
	t.Helper()
	sum, err := e.Run(ctx, spec, opt)
	if err != nil {
		t.Fatal(err)
	}
	mustSummary(t, sum, found, copied, skipped, failed)
	return sum
}
