package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regclient/regclient/types/ref"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/cloudrun"
	"transferhub/cloud/image/imagetest"
	"transferhub/cloud/state"
	"transferhub/cloud/taskrun"
	"transferhub/cloud/testenv"
)

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// rie runs `thub lambda image-list` under the Lambda runtime interface emulator, bound
// to 127.0.0.1, and returns its invoke URL once the emulator takes requests.
func rie(t *testing.T, env []string) string {
	t.Helper()
	bin := filepath.Join(testenv.Load(t).Get("TH_BIN_DIR"), "aws-lambda-rie")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("aws-lambda-rie not built (build/scripts/deps.sh tools): %v", err)
	}
	// A free port may be taken by another process before the emulator binds it (the
	// machine is shared): then the emulator ends at once, and it is started again on
	// other ports.
	for attempt := 1; ; attempt++ {
		url, log, listening := startRIE(t, bin, env)
		if listening {
			return url
		}
		if attempt == 3 {
			t.Fatalf("aws-lambda-rie ended before it took requests, %d times; its last log:\n%s", attempt, log)
		}
	}
}

// startRIE starts the emulator on two free ports and waits until it accepts connections
// (true) or ends (false, with its log). The wait is bounded only against a hang: a
// loaded machine may take seconds to start it.
func startRIE(t *testing.T, bin string, env []string) (url string, log []byte, listening bool) {
	t.Helper()
	invoke, api := freePort(t), freePort(t)
	cmd := exec.Command(bin, "--runtime-interface-emulator-address", fmt.Sprintf("127.0.0.1:%d", invoke),
		"--runtime-api-address", fmt.Sprintf("127.0.0.1:%d", api), thubBin, "lambda", "image-list")
	cmd.Env = append(append(os.Environ(), "AWS_LAMBDA_FUNCTION_NAME=image-list", "HOME="+t.TempDir()), env...)
	logf, err := os.Create(filepath.Join(t.TempDir(), "rie.log"))
	require.NoError(t, err)
	cmd.Stdout, cmd.Stderr = logf, logf
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("rie log:\n%s", b)
		}
	})
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		select {
		case <-done:
			b, _ := os.ReadFile(logf.Name())
			return "", b, false
		default:
		}
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", invoke)); err == nil {
			c.Close()
			return fmt.Sprintf("http://127.0.0.1:%d/2015-03-31/functions/function/invocations", invoke), nil, true
		}
		if time.Now().After(deadline) {
			t.Fatalf("aws-lambda-rie does not take connections on 127.0.0.1:%d after 2 minutes", invoke)
		}
	}
}

func invoke(t *testing.T, url, event string) []byte {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(event))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	// The emulator answers 200 even when the handler failed: the body says so.
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	return b
}

// Images in the cloud run: the list handler (for real, under the Lambda runtime
// interface emulator) expands the selection into batches, two `thub image copy`
// processes copy one batch each in parallel, every image ends DONE with the source's
// digest at the destination, and the task COMPLETED.
func TestFleetImages(t *testing.T) {
	c := loadCLIEnv(t)
	f := newFleet(t, 5)
	ctx := context.Background()
	pushed := map[string]string{} // source ref -> digest
	push := func(r string, spec imagetest.Spec) {
		img, err := imagetest.Push(ctx, c.rc, r, spec)
		require.NoError(t, err)
		pushed[r] = img.Digest
	}
	base := c.open + "/" + c.ns
	push(base+"/app:v1", imagetest.Spec{Layers: []int64{64 << 10, 4096}, Seed: 501})
	push(base+"/app:v2", imagetest.Spec{Layers: []int64{64 << 10}, Seed: 502})
	push(base+"/app:v3", imagetest.Spec{Platforms: []string{"linux/amd64", "linux/arm64"}, Layers: []int64{8192}, Seed: 503})
	push(base+"/web:1.0", imagetest.Spec{Layers: []int64{32 << 10}, Seed: 504})
	push(base+"/web:2.0", imagetest.Spec{Layers: []int64{32 << 10}, Seed: 505})
	push(base+"/db:latest", imagetest.Spec{Layers: []int64{16 << 10}, Seed: 506})
	secret := f.secret(map[string]string{"username": c.user, "password": c.pass})
	env := append(append([]string{}, f.env...),
		"THUB_IMAGE_SOURCES="+base+"/app:ALL_TAGS,"+base+"/web:ALL_TAGS,"+base+"/db:latest",
		"THUB_IMAGE_DEST="+c.auth+"/mirror", "THUB_INSECURE_HTTP="+c.open, "THUB_CA_FILE="+c.ca,
		"THUB_DST_SECRET_ARN="+secret, "THUB_BATCH_SIZE=3")

	out := invoke(t, rie(t, env), `{}`)
	var list cloudrun.ImageList
	require.NoError(t, json.Unmarshal(out, &list), string(out))
	require.Equal(t, f.taskID, list.TaskID)
	require.Equal(t, 6, list.Found, string(out))
	require.Len(t, list.Batches, 2)
	tk, err := f.store.GetTask(ctx, f.taskID)
	require.NoError(t, err)
	require.Equal(t, state.TaskRunning, tk.Status)
	require.True(t, tk.FinderDone)
	require.Equal(t, int64(6), tk.Counters.FoundObjects)

	// Two copiers in parallel, each fed its batch as a container override would.
	var wg sync.WaitGroup
	results := make([]runResult, len(list.Batches))
	for i, b := range list.Batches {
		raw, _ := json.Marshal(b)
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = f.run([]string{"THUB_INSECURE_HTTP=" + c.open, "THUB_CA_FILE=" + c.ca, "THUB_DST_SECRET_ARN=" + secret,
				"THUB_INPUT_JSON=" + string(raw)}, "image", "copy", "--json")
		}()
	}
	wg.Wait()
	for _, r := range results {
		require.Equal(t, 0, r.code, r.stderr)
		require.NotContains(t, r.stderr, c.pass, "no secret in the logs")
	}
	tk, err = f.store.GetTask(ctx, f.taskID)
	require.NoError(t, err)
	require.Equal(t, state.TaskCompleted, tk.Status, tk.LastError)
	require.Equal(t, int64(6), tk.Counters.DoneObjects)
	page, err := f.store.ListImages(ctx, f.taskID, state.ListOptions{})
	require.NoError(t, err)
	require.Len(t, page.Items, 6)
	for _, im := range page.Items {
		require.Equal(t, state.ItemDone, im.Status, "%s: %s", im.Source, im.Error)
		require.Equal(t, list.RunID, im.RunID)
		want, ok := pushed[im.Source]
		require.True(t, ok, "record for an image that was not pushed: %s", im.Source)
		require.Equal(t, want, im.Digest)
		dst, err := ref.New(im.Destination)
		require.NoError(t, err)
		m, err := c.rc.ManifestHead(ctx, dst)
		require.NoError(t, err, im.Destination)
		require.Equal(t, want, m.GetDescriptor().Digest.String(), "digest at %s", im.Destination)
		require.True(t, strings.HasPrefix(im.Destination, c.auth+"/mirror/"+c.ns+"/"), im.Destination)
	}

	// A handler error comes back from the emulator as HTTP 200 with errorMessage.
	bad := append(append([]string{}, env...), "THUB_IMAGE_DEST=", "THUB_TASK_ID="+f.taskID)
	out = invoke(t, rie(t, bad), `{"batchSize":2}`)
	var lerr struct {
		ErrorMessage string `json:"errorMessage"`
	}
	require.NoError(t, json.Unmarshal(out, &lerr), string(out))
	require.Contains(t, lerr.ErrorMessage, "no destination: set --image-dest (THUB_IMAGE_DEST)")

	// A stale batch (an earlier run's) is skipped without touching records.
	raw, _ := json.Marshal(cloudrun.ImageBatch{TaskID: f.taskID, RunID: "20200101T000000.000000000-00000000", Items: list.Batches[0].Items})
	r := f.run([]string{"THUB_INSECURE_HTTP=" + c.open, "THUB_CA_FILE=" + c.ca, "THUB_INPUT_JSON=" + string(raw)}, "image", "copy")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stderr, "batch of an earlier run")
}

// The listing takes the task's execution lease: while an execution holds it (its
// copiers still record in its run), a listing run by hand exits 3, names the holder and
// begins no run.
func TestImageListWhileAnExecutionRuns(t *testing.T) {
	c := loadCLIEnv(t)
	f := newFleet(t, 5)
	ctx := context.Background()
	src := c.open + "/" + c.ns + "/busy:v1"
	_, err := imagetest.Push(ctx, c.rc, src, imagetest.Spec{Layers: []int64{4096}, Seed: 601})
	require.NoError(t, err)
	env := []string{"THUB_IMAGE_SOURCES=" + src, "THUB_IMAGE_DEST=" + c.open + "/busy-mirror", "THUB_INSECURE_HTTP=" + c.open}
	holder := "arn:aws:states:us-east-1:123456789012:execution:images:scheduled"
	require.NoError(t, f.store.Lease(ctx, f.taskID, taskrun.ExecutionLease, holder, time.Hour))
	r := f.run(env, "lambda", "image-list")
	require.Equal(t, 3, r.code, r.stderr)
	require.Contains(t, r.stderr, "another run of the task is under way")
	require.Contains(t, r.stderr, holder)
	tk, err := f.store.GetTask(ctx, f.taskID)
	require.NoError(t, err)
	require.Empty(t, tk.RunID, "no run begun")

	// Once the execution released it, the listing runs.
	require.NoError(t, f.store.ReleaseLease(ctx, f.taskID, taskrun.ExecutionLease, holder))
	r = f.run(env, "lambda", "image-list")
	require.Equal(t, 0, r.code, r.stderr)
	var list cloudrun.ImageList
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &list), r.stdout)
	require.Equal(t, 1, list.Found)
}
