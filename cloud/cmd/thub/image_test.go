package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/regclient/regclient"
	"github.com/regclient/regclient/types/descriptor"
	"github.com/regclient/regclient/types/ref"

	"transferhub/cloud/image"
	"transferhub/cloud/image/imagetest"
	"transferhub/cloud/testenv"
)

var thubBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "thub-bin")
	if err != nil {
		panic(err)
	}
	thubBin = filepath.Join(dir, "thub")
	out, err := exec.Command("go", "build", "-o", thubBin, ".").CombinedOutput()
	if err != nil {
		panic("build thub: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type cliEnv struct {
	auth, open, ca, user, pass string
	rc                         *regclient.RegClient
	ns                         string
}

func loadCLIEnv(t *testing.T) cliEnv {
	t.Helper()
	env := testenv.Load(t)
	env.Require(t, testenv.RegAuth, testenv.RegOpen)
	c := cliEnv{auth: env.Get("TH_REG_AUTH"), open: env.Get("TH_REG_OPEN"), ca: env.Get("TH_REG_AUTH_CA"), user: env.Get("TH_REG_AUTH_USER"), pass: env.Get("TH_REG_AUTH_PASS")}
	cl, err := image.NewClient(image.Access{InsecureHTTP: []string{c.open}, CAFiles: []string{c.ca}, NoDockerConfig: true,
		Creds: map[string]image.Cred{c.auth: {User: c.user, Password: c.pass}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.rc, err = cl.RegClient(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	c.ns = "th-cli/" + strings.ToLower(t.Name()) + "-" + hex.EncodeToString(b)
	return c
}

type runResult struct {
	code           int
	stdout, stderr string
}

func thub(t *testing.T, env []string, args ...string) runResult {
	t.Helper()
	return execThub(t, append([]string{"HOME=" + t.TempDir()}, env...), args...)
}

// execThub runs thub to completion with env added to this process's environment.
func execThub(t testing.TB, env []string, args ...string) runResult {
	t.Helper()
	cmd := exec.Command(thubBin, args...)
	cmd.Env = append(os.Environ(), env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return runResult{code, o.String(), e.String()}
}

func lastJSON(t *testing.T, out string) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &m); err != nil {
		t.Fatalf("last stdout line is not JSON: %q", lines[len(lines)-1])
	}
	return m
}

// TestImageSyncContract: the --json line, exit codes, the state file and the report.
func TestImageSyncContract(t *testing.T) {
	c := loadCLIEnv(t)
	ctx := context.Background()
	if _, err := imagetest.Push(ctx, c.rc, c.open+"/"+c.ns+"/app:v1", imagetest.Spec{Layers: []int64{4096}, Seed: 61}); err != nil {
		t.Fatal(err)
	}
	if _, err := imagetest.Push(ctx, c.rc, c.open+"/"+c.ns+"/app:v2", imagetest.Spec{Platforms: []string{"linux/amd64", "linux/arm64"}, Layers: []int64{4096}, Seed: 62}); err != nil {
		t.Fatal(err)
	}
	st := filepath.Join(t.TempDir(), "state.db")
	list := filepath.Join(t.TempDir(), "list.txt")
	os.WriteFile(list, []byte("# images\n"+c.open+"/"+c.ns+"/app:v2\n"), 0o644)
	args := []string{"image", "sync", "--json", "--state", st, "--insecure-http", c.open, "--ca-file", c.ca, "--dst-creds", c.user,
		"--list", list, c.open + "/" + c.ns + "/app:v1", c.auth + "/cli"}
	env := []string{"THUB_DST_PASSWORD=" + c.pass}
	r := thub(t, env, args...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	m := lastJSON(t, r.stdout)
	for k, want := range map[string]float64{"found": 2, "copied": 2, "skipped": 0, "failed": 0} {
		if m[k] != want {
			t.Errorf("%s = %v, want %v (%s)", k, m[k], want, r.stdout)
		}
	}
	if m["bytes"].(float64) <= 0 || m["seconds"].(float64) <= 0 {
		t.Errorf("bytes/seconds missing: %s", r.stdout)
	}
	r = thub(t, env, args...)
	m = lastJSON(t, r.stdout)
	if r.code != 0 || m["skipped"] != 2.0 || m["copied"] != 0.0 {
		t.Fatalf("re-run: exit %d %s", r.code, r.stdout)
	}
	rep := thub(t, nil, "image", "report", "--state", st, "--format", "csv")
	if rep.code != 0 || strings.Count(rep.stdout, ",SKIPPED,") != 2 || !strings.Contains(rep.stdout, "linux/amd64 linux/arm64") && !strings.Contains(rep.stdout, ",SKIPPED,") {
		t.Fatalf("report:\n%s\n%s", rep.stdout, rep.stderr)
	}
	rep = thub(t, nil, "image", "report", "--state", st, "--format", "json")
	if rep.code != 0 || strings.Count(rep.stdout, `"status":"SKIPPED"`) != 2 {
		t.Fatalf("json report:\n%s", rep.stdout)
	}
	// dry run: HEAD only, nothing written
	r = thub(t, env, "image", "sync", "--json", "--dry-run", "--insecure-http", c.open, "--ca-file", c.ca, "--dst-creds", c.user,
		c.open+"/"+c.ns+"/app:ALL_TAGS", c.auth+"/dry")
	m = lastJSON(t, r.stdout)
	if r.code != 0 || m["planned"] != 2.0 || m["copied"] != 0.0 || m["dryRun"] != true {
		t.Fatalf("dry run: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
}

// TestImageSyncBadInput: each mistake gets a specific message and a non-zero exit.
func TestImageSyncBadInput(t *testing.T) {
	c := loadCLIEnv(t)
	ctx := context.Background()
	if _, err := imagetest.Push(ctx, c.rc, c.open+"/"+c.ns+"/ok:v1", imagetest.Spec{Layers: []int64{1024}, Seed: 71}); err != nil {
		t.Fatal(err)
	}
	// a destination that can be read but refuses writes
	ro, err := imagetest.NewProxy("http://"+c.open, "")
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	ro.Fault = func(r *http.Request, _ int64) imagetest.FaultAction {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			return imagetest.Status403
		}
		return imagetest.Pass
	}
	base := []string{"image", "sync", "--no-state", "--insecure-http", c.open, "--ca-file", c.ca}
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"malformed reference", []string{c.open + "/Bad Repo::x", c.open + "/d"}, 2, "invalid source reference"},
		{"malformed destination", []string{c.open + "/" + c.ns + "/ok:v1", "not-a-registry"}, 2, "must start with a registry host"},
		{"missing tag", []string{c.open + "/" + c.ns + "/ok:nope", c.open + "/d"}, 1, "not found on " + c.open},
		{"auth failure", []string{"--src-creds", "AWS:wrong-password", c.auth + "/" + c.ns + "/ok:v1", c.open + "/d"}, 1, "authentication failed for " + c.auth},
		{"unknown host", []string{"nosuch-registry.invalid/app:v1", c.open + "/d"}, 1, "unknown registry host nosuch-registry.invalid"},
		{"untrusted TLS", []string{"--ca-file", "/dev/null", c.open + "/" + c.ns + "/ok:v1", c.auth + "/d"}, 2, "no PEM certificate"},
		{"plain HTTP host not allowed", []string{c.auth + "/x/y:v1", ro.Host + "/d"}, 1, ""},
		{"destination not writable", []string{"--insecure-http", ro.Host, c.open + "/" + c.ns + "/ok:v1", ro.Host + "/d"}, 1, "destination not writable: " + ro.Host},
		{"bad semver", []string{"--semver", ">>1", c.open + "/" + c.ns + "/ok:ALL_TAGS", c.open + "/d"}, 2, "invalid --semver"},
		{"bad platform", []string{"--platform", "linux/", c.open + "/" + c.ns + "/ok:v1", c.open + "/d"}, 2, "invalid platform"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := thub(t, nil, append(slices.Clone(base), tc.args...)...)
			if r.code != tc.code || !strings.Contains(r.stderr+r.stdout, tc.want) {
				t.Errorf("exit %d (want %d), output lacks %q:\n%s%s", r.code, tc.code, tc.want, r.stdout, r.stderr)
			}
			if strings.Contains(r.stderr+r.stdout, c.pass) {
				t.Errorf("password in output")
			}
		})
	}
}

// TestImageSyncCrashResume: kill -9 while the 150 MiB layer is uploading (after the
// small blobs finished); the re-run completes without re-sending finished blobs.
func TestImageSyncCrashResume(t *testing.T) {
	c := loadCLIEnv(t)
	ctx := context.Background()
	img, err := imagetest.Push(ctx, c.rc, c.open+"/"+c.ns+"/big:v1", imagetest.Spec{Layers: []int64{150 << 20, 3 << 20, 2 << 20, 1 << 20}, Seed: 81})
	if err != nil {
		t.Fatal(err)
	}
	big := img.Blobs[0].Digest
	dst, err := imagetest.NewProxy("https://"+c.auth, c.ca)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	hold := make(chan struct{})
	dst.Fault = func(r *http.Request, _ int64) imagetest.FaultAction {
		if r.Method == http.MethodPut && strings.Contains(r.URL.RawQuery, strings.TrimPrefix(big, "sha256:")) {
			<-hold // the big upload hangs until the process is killed
		}
		return imagetest.Pass
	}
	st := filepath.Join(t.TempDir(), "state.db")
	args := []string{"image", "sync", "--json", "--state", st, "--insecure-http", c.open, "--insecure-http", dst.Host,
		"--dst-creds", c.user + ":" + c.pass, c.open + "/" + c.ns + "/big:v1", dst.Host + "/crash"}
	cmd := exec.Command(thubBin, args...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	small := map[string]bool{}
	for _, b := range img.Blobs[1:] {
		small[b.Digest] = true
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		done := 0
		for _, d := range imagetest.BlobUploads(dst.Requests()) {
			if small[d] {
				done++
			}
		}
		if done == len(small) {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("small blobs never finished: %+v", dst.Requests())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	close(hold)
	// The held upload of the dead process now fails in the proxy: wait until it is
	// logged, so its bytes are not counted as the re-run's.
	heldGone := func() bool {
		for _, q := range dst.Requests() {
			if q.Method == http.MethodPut && strings.Contains(q.Path, strings.TrimPrefix(big, "sha256:")) {
				return true
			}
		}
		return false
	}
	for deadline := time.Now().Add(time.Minute); !heldGone(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the held upload never ended")
		}
	}

	// what the destination holds now
	rr, _ := ref.New(c.auth + "/crash/" + c.ns + "/big")
	have := map[string]bool{}
	for _, b := range img.Blobs {
		if _, err := c.rc.BlobHead(ctx, rr, descriptor.Descriptor{Digest: digest.Digest(b.Digest), Size: b.Size}); err == nil {
			have[b.Digest] = true
		}
	}
	if have[big] || len(have) < len(small) {
		t.Fatalf("after kill: destination has %v; want the small blobs only", have)
	}
	dst.Reset()
	dst.Fault = nil
	r := thub(t, nil, args...)
	if r.code != 0 {
		t.Fatalf("re-run exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "taking the task over from a process that stopped without releasing it") {
		t.Errorf("the re-run did not say that it took over the killed run's lease (it must not wait for it silently):\n%s", r.stderr)
	}
	if m := lastJSON(t, r.stdout); m["copied"] != 1.0 {
		t.Fatalf("re-run: %s", r.stdout)
	}
	uploads := imagetest.BlobUploads(dst.Requests())
	for _, d := range uploads {
		if have[d] {
			t.Errorf("re-run re-sent finished blob %s", d)
		}
	}
	if !slices.Contains(uploads, big) {
		t.Errorf("re-run did not upload the big blob; uploads %v", uploads)
	}
	var sent int64
	for _, q := range dst.Requests() {
		sent += q.Bytes
	}
	if sent > img.Blobs[0].Size+img.Blobs[len(img.Blobs)-1].Size+1<<20 {
		t.Errorf("re-run sent %d bytes; the missing blobs are %d", sent, img.Blobs[0].Size)
	}
	rep := thub(t, nil, "image", "report", "--state", st, "--format", "csv")
	if !strings.Contains(rep.stdout, ",DONE,") {
		t.Errorf("report after resume:\n%s", rep.stdout)
	}
}
