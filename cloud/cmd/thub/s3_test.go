package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/internal/s3test"
)

// s3Env passes each side's keys the way users do: environment variables, never flags.
func s3Env(a, b *s3test.Gateway) []string {
	return []string{"THUB_SRC_ACCESS_KEY_ID=" + a.AccessKey, "THUB_SRC_SECRET_ACCESS_KEY=" + a.SecretKey,
		"THUB_DST_ACCESS_KEY_ID=" + b.AccessKey, "THUB_DST_SECRET_ACCESS_KEY=" + b.SecretKey,
		"AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent"}
}

func endpoints(a, b string) []string { return []string{"--src-endpoint", a, "--dst-endpoint", b} }

// The CLI contract: the --json line, exit codes, failures listed, the report.
func TestS3SyncContract(t *testing.T) {
	a, b, sb, db := s3test.SrcDst(t)
	for i := 0; i < 30; i++ {
		a.Put(t, sb, fmt.Sprintf("data/%02d.txt", i), []byte(fmt.Sprintf("object %d", i)), nil)
	}
	statePath := filepath.Join(t.TempDir(), "task.db")
	args := append([]string{"s3", "sync", "s3://" + sb + "/data", "s3://" + db + "/copy", "--state", statePath, "--json"}, endpoints(a.Endpoint, b.Endpoint)...)

	dry := thub(t, s3Env(a, b), append(args, "--dry-run")...)
	require.Equal(t, 0, dry.code, dry.stderr)
	m := lastJSON(t, dry.stdout)
	require.Equal(t, 30.0, m["found"])
	require.Equal(t, 30.0, m["plan"].(map[string]any)["toCopy"])
	require.Positive(t, m["plan"].(map[string]any)["estRequests"])
	require.Empty(t, b.List(t, db, ""))
	// The cost estimate (cloud/cost): two S3-compatible gateways and this computer bill
	// nothing in AWS, and it says what it left out.
	est := m["cost"].(map[string]any)
	require.Empty(t, est["lines"])
	require.Contains(t, fmt.Sprint(est["notIncluded"]), "requests to the source (other)")
	require.Contains(t, fmt.Sprint(est["assumptions"]), "this computer")

	r := thub(t, s3Env(a, b), args...)
	require.Equal(t, 0, r.code, r.stderr)
	m = lastJSON(t, r.stdout)
	for _, k := range []string{"found", "copied", "skipped", "failed", "bytes", "seconds"} {
		require.Contains(t, m, k)
	}
	require.Equal(t, 30.0, m["found"])
	require.Equal(t, 30.0, m["copied"])
	require.Equal(t, 0.0, m["failed"])
	require.Equal(t, 1, strings.Count(strings.TrimSpace(r.stdout), "\n")+1, "not a TTY: nothing but the JSON line")

	r = thub(t, s3Env(a, b), args...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, 0.0, lastJSON(t, r.stdout)["copied"])
	require.Equal(t, 30.0, lastJSON(t, r.stdout)["skipped"])

	rep := thub(t, nil, "s3", "report", "--state", statePath)
	require.Equal(t, 0, rep.code, rep.stderr)
	require.True(t, strings.HasPrefix(rep.stdout, "key,size,status"))
	require.Equal(t, 31, strings.Count(rep.stdout, "\n"))

	// A key a local directory cannot hold fails that object only: exit 1, listed.
	a.Put(t, sb, "data/sub/.thub-uploads", []byte("reserved name"), nil)
	local := t.TempDir()
	localState := filepath.Join(t.TempDir(), "local.db")
	r = thub(t, s3Env(a, b), "s3", "sync", "s3://"+sb+"/data", local, "--state", localState, "--json", "--src-endpoint", a.Endpoint)
	require.Equal(t, 1, r.code, r.stderr)
	require.Equal(t, 1.0, lastJSON(t, r.stdout)["failed"])
	require.Equal(t, 30.0, lastJSON(t, r.stdout)["copied"])
	require.Contains(t, r.stderr, `"sub/.thub-uploads"`)
	rep = thub(t, nil, "s3", "report", "--state", localState, "--status", "FAILED", "--format", "json")
	require.Equal(t, 0, rep.code, rep.stderr)
	require.Contains(t, rep.stdout, `"key":"sub/.thub-uploads"`)
	require.Contains(t, rep.stdout, `local directory cannot hold`)
}

// Bad input fails fast with a clear message and writes nothing.
func TestS3SyncBadInput(t *testing.T) {
	a, b, sb, db := s3test.SrcDst(t)
	a.Put(t, sb, "x/one", []byte("one"), nil)
	good := s3Env(a, b)
	cases := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"missing bucket", good, append([]string{"s3://" + s3test.RandName("nope"), "s3://" + db}, endpoints(a.Endpoint, b.Endpoint)...), "does not exist"},
		{"wrong secret", append(good, "THUB_SRC_SECRET_ACCESS_KEY=wrong"), append([]string{"s3://" + sb, "s3://" + db}, endpoints(a.Endpoint, b.Endpoint)...), "wrong secret key"},
		{"unknown key", append(good, "THUB_DST_ACCESS_KEY_ID=nobody"), append([]string{"s3://" + sb, "s3://" + db}, endpoints(a.Endpoint, b.Endpoint)...), "access key id is unknown"},
		{"no credentials", append(good, "THUB_DST_ACCESS_KEY_ID=", "THUB_DST_SECRET_ACCESS_KEY=", "AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_PROFILE="),
			append([]string{"s3://" + sb, "s3://" + db}, endpoints(a.Endpoint, b.Endpoint)...), "destination: no credentials for s3://" + db + "/ at " + b.Endpoint + ": none were given"},
		{"access denied", good, append([]string{"s3://" + sb, "s3://" + db, "--src-anonymous"}, endpoints(a.Endpoint, b.Endpoint)...), "access denied"},
		{"invalid bucket name", good, append([]string{"s3://Bad_Bucket", "s3://" + db}, endpoints(a.Endpoint, b.Endpoint)...), "invalid bucket name"},
		{"malformed endpoint", good, []string{"s3://" + sb, "s3://" + db, "--src-endpoint", "ftp://127.0.0.1:7070", "--dst-endpoint", b.Endpoint}, "malformed endpoint"},
		{"unreachable endpoint", good, []string{"s3://" + sb, "s3://" + db, "--src-endpoint", a.Endpoint, "--dst-endpoint", "http://127.0.0.1:1"}, "cannot reach"},
		{"overlap", append(good, "THUB_DST_ACCESS_KEY_ID="+a.AccessKey, "THUB_DST_SECRET_ACCESS_KEY="+a.SecretKey), append([]string{"s3://" + sb + "/x", "s3://" + sb + "/x/y"}, endpoints(a.Endpoint, a.Endpoint)...), "overlap"},
		{"bad compare", good, append([]string{"s3://" + sb, "s3://" + db, "--compare", "mtime"}, endpoints(a.Endpoint, b.Endpoint)...), "compare mode"},
		{"bad glob", good, append([]string{"s3://" + sb, "s3://" + db, "--include", "[x"}, endpoints(a.Endpoint, b.Endpoint)...), "unclosed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"s3", "sync"}, c.args...)
			args = append(args, "--state", filepath.Join(t.TempDir(), "s.db"))
			r := thub(t, c.env, args...)
			require.Equal(t, 2, r.code, "stdout %s stderr %s", r.stdout, r.stderr)
			require.Contains(t, strings.ToLower(r.stderr), c.want)
			require.NotContains(t, r.stderr, a.SecretKey)
			require.NotContains(t, r.stderr, b.SecretKey)
			require.Empty(t, b.List(t, db, ""), "nothing written")
			require.Len(t, a.List(t, sb, ""), 1, "nothing written")
		})
	}
}

// kill -9 three times at random points, one of them inside a 200 MiB multipart upload;
// the next run resumes and finishes: the destination is identical, the big object's
// finished parts are not sent again, and no upload is left open.
func TestS3SyncCrashResume(t *testing.T) {
	a, b, sb, db := s3test.SrcDst(t)
	const bigSize = 200 << 20
	a.PutMultipart(t, sb, "big/object.bin", s3test.RandBytes(bigSize), 8<<20, map[string]string{"kind": "big"})
	for i := 0; i < 400; i++ {
		a.Put(t, sb, fmt.Sprintf("small/%03d", i), s3test.RandBytes(4096), nil)
	}
	proxy := s3test.NewFaultProxy(t, b.Endpoint) // counts the bytes sent to the destination
	statePath := filepath.Join(t.TempDir(), "crash.db")
	args := append([]string{"s3", "sync", "s3://" + sb, "s3://" + db, "--state", statePath, "--json", "--concurrency", "3"},
		endpoints(a.Endpoint, proxy.URL)...)
	rnd := rand.New(rand.NewSource(time.Now().UnixNano()))

	start := func() *exec.Cmd {
		cmd := exec.Command(thubBin, args...)
		cmd.Env = append(append(os.Environ(), "HOME="+t.TempDir()), s3Env(a, b)...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		require.NoError(t, cmd.Start())
		return cmd
	}
	kill := func(cmd *exec.Cmd) bool {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		return err != nil // false: it had already finished
	}
	partsUploaded := func() int {
		out, err := b.Client.ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: aws.String(db)})
		if err != nil || len(out.Uploads) == 0 {
			return 0
		}
		p, err := b.Client.ListParts(context.Background(), &s3.ListPartsInput{Bucket: aws.String(db), Key: out.Uploads[0].Key, UploadId: out.Uploads[0].UploadId})
		if err != nil {
			return 0
		}
		return len(p.Parts)
	}

	// Kill 1: at a random moment early on.
	cmd := start()
	time.Sleep(time.Duration(100+rnd.Intn(400)) * time.Millisecond)
	require.True(t, kill(cmd), "the run must still be going")

	// Kill 2: inside the multipart upload, once some parts have arrived.
	cmd = start()
	deadline := time.Now().Add(2 * time.Minute)
	for partsUploaded() < 4+rnd.Intn(8) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	require.True(t, kill(cmd), "the run must still be going")
	partsBefore := partsUploaded()
	require.GreaterOrEqual(t, partsBefore, 4, "killed inside the multipart upload")

	// Kill 3: again at a random moment.
	cmd = start()
	time.Sleep(time.Duration(200+rnd.Intn(800)) * time.Millisecond)
	kill(cmd)

	// The last run completes.
	sentBefore := proxy.UploadBytes.Load()
	r := thub(t, s3Env(a, b), args...)
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	m := lastJSON(t, r.stdout)
	require.Equal(t, 401.0, m["found"])
	require.Equal(t, 0.0, m["failed"])
	require.Equal(t, true, m["resumed"], "the run continues the killed one")
	require.Less(t, proxy.UploadBytes.Load()-sentBefore, int64(bigSize), "finished parts are not sent again")
	s3test.Verify(t, a, sb, "", b, db, "", true)
	require.Empty(t, b.OpenUploads(t, db), "no multipart upload left open")
	r = thub(t, s3Env(a, b), args...)
	require.Equal(t, 0.0, lastJSON(t, r.stdout)["copied"])
	t.Logf("parts at kill 2: %d; bytes sent by the final run: %d of %d; total sent: %d",
		partsBefore, proxy.UploadBytes.Load()-sentBefore, bigSize, proxy.UploadBytes.Load())
}

// Shared-config profiles per side, with endpoint_url from the profile (as the SDK reads it).
func TestS3SyncProfiles(t *testing.T) {
	a, b, sb, db := s3test.SrcDst(t)
	a.Put(t, sb, "p/one.txt", []byte("one"), nil)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`[profile gw-a]
region = us-east-1
endpoint_url = %s
aws_access_key_id = %s
aws_secret_access_key = %s

[profile gw-b]
region = us-east-1
endpoint_url = %s
aws_access_key_id = %s
aws_secret_access_key = %s
`, a.Endpoint, a.AccessKey, a.SecretKey, b.Endpoint, b.AccessKey, b.SecretKey)), 0o600))
	env := []string{"AWS_CONFIG_FILE=" + cfg, "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "none"), "AWS_EC2_METADATA_DISABLED=true"}
	r := thub(t, env, "s3", "sync", "s3://"+sb+"/p", "s3://"+db, "--src-profile", "gw-a", "--dst-profile", "gw-b",
		"--src-addressing", "path", "--dst-addressing", "path", "--json", "--state", filepath.Join(dir, "s.db"))
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, 1.0, lastJSON(t, r.stdout)["copied"])
	require.Equal(t, []byte("one"), b.Get(t, db, "one.txt"))
	r = thub(t, env, "s3", "sync", "s3://"+sb+"/p", "s3://"+db, "--src-profile", "nope", "--json")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, "nope")
}
