package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Bad input is refused before anything is contacted or written, with exit status 2 and
// a message that names the flag and says what to fix (issue 12 items 4, 10 and 11: these
// were accepted silently, or answered with a parser's text).
func TestBadInputIsRefused(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "dst")
	s3 := func(extra ...string) []string {
		return append([]string{"s3", "sync", src, "s3://dest-bucket", "--dst-endpoint", "http://127.0.0.1:1", "--state", filepath.Join(dir, "s.db")}, extra...)
	}
	img := func(extra ...string) []string {
		return append(append([]string{"image", "sync", "--no-state"}, extra...), "reg.invalid/team/app:v1", "reg.invalid/mirror")
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"--sse value", s3("--sse", "AES"), `invalid --sse: "AES" is not an encryption mode; choose AES256 or aws:kms`},
		{"--acl value", s3("--acl", "everyone"), `invalid --acl: "everyone" is not a canned ACL`},
		{"--storage-class value", s3("--storage-class", "COLD"), `invalid --storage-class: "COLD" is not a storage class`},
		{"--sse-kms-key-id without aws:kms", s3("--sse-kms-key-id", "alias/k"), "invalid --sse-kms-key-id: a KMS key applies only with aws:kms"},
		{"malformed --tags", s3("--tags", "a&b"), "invalid --tags: "},
		{"--log-level value", s3("--log-level", "verbose"), `invalid --log-level: "verbose": use debug, info, warn or error`},
		{"--log-format value", s3("--log-format", "xml"), `invalid --log-format: "xml": use text or json`},
		{"--server-side always with two credential sets", []string{"s3", "sync", "s3://src-bucket", "s3://dest-bucket",
			"--src-profile", "a", "--dst-profile", "b", "--server-side", "always"}, "invalid --server-side: always: the source and destination are reached with different credentials"},
		{"anonymous plus keys", []string{"s3", "sync", "s3://src-bucket", dst, "--src-anonymous", "--src-access-key", "AK", "--src-secret-key", "SK"},
			"invalid --src-anonymous: anonymous access to the source takes no keys"},
		{"zero --list-workers", s3("--list-workers", "0"), "invalid --list-workers: 0 is out of range; use at least 1"},
		{"negative --list-workers", s3("--list-workers", "-4"), "invalid --list-workers: "},
		{"zero --stall-timeout", s3("--stall-timeout", "0s"), "invalid --stall-timeout: 0s: use a duration above 0"},
		{"zero --multipart-threshold", s3("--multipart-threshold", "0"), "invalid --multipart-threshold: 0: objects above this size are copied in parts"},
		{"image --concurrency 0", img("--concurrency", "0"), "invalid --concurrency: 0 is out of range; use at least 1"},
		{"image --attempts 0", img("--attempts", "0"), "invalid --attempts: 0 is out of range; use at least 1"},
		{"negative rate", img("--req-per-sec", "-1"), "invalid --req-per-sec: -1 is a negative rate"},
		{"no parser text", img("--req-per-sec", ""), `invalid --req-per-sec: "" is not a number`},
		{"no parser text (int)", s3("--concurrency", "many"), `invalid --concurrency: "many" is not a whole number`},
		{"htp:/host", []string{"s3", "sync", src, "s3://dest-bucket", "--dst-endpoint", "htp:/host"}, `invalid --dst-endpoint: malformed endpoint "htp:/host": write the scheme with two slashes`},
		{"missing destination (s3)", []string{"s3", "sync", src}, "missing destination: thub s3 sync SRC DST"},
		{"missing destination (image)", []string{"image", "sync", "reg.invalid/team/app:v1"}, "missing destination: reg.invalid/team/app:v1 is a source image"},
		{"s3:/bucket (item 4)", []string{"s3", "sync", "s3:/bucket", dst}, `invalid SRC: "s3:/bucket" looks like a URL with a mistyped scheme`},
		{"--prefix ../x on a local source (item 11)", []string{"s3", "sync", src, dst, "--prefix", "../x"}, `invalid --prefix: line 1 ("../x") leaves the source folder`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := thub(t, nil, c.args...)
			if r.code != 2 || !strings.Contains(r.stderr, c.want) {
				t.Fatalf("exit %d (want 2), stderr lacks %q:\n%s", r.code, c.want, r.stderr)
			}
			if strings.Contains(r.stderr, "strconv.") {
				t.Errorf("parser text in the message: %s", r.stderr)
			}
			if _, err := os.Stat(dst); err == nil {
				t.Errorf("%s was created", dst)
			}
			if _, err := os.Stat("s3:"); err == nil {
				t.Errorf("a directory s3: was created")
			}
		})
	}
}

// Half a key pair is refused with where the other half goes: its flag and its variable
// (before, the message named neither).
func TestHalfAKeyPairNamesTheOtherHalf(t *testing.T) {
	dir := t.TempDir()
	dst := filepath.Join(dir, "dst")
	for _, c := range []struct {
		name, want string
		args, env  []string
	}{
		{"key id without secret", "invalid --dst-access-key: the destination's access key id has no secret access key; give it with --dst-secret-key or the variable THUB_DST_SECRET_ACCESS_KEY",
			[]string{"s3", "sync", dir, "s3://dest-bucket", "--dst-endpoint", "http://127.0.0.1:1", "--dst-access-key", "AKid42"}, nil},
		{"secret without key id", "invalid --src-secret-key: the source's secret access key has no access key id; give it with --src-access-key or the variable THUB_SRC_ACCESS_KEY_ID",
			[]string{"s3", "sync", "s3://src-bucket", dst, "--src-secret-key", "SKsecret42"}, nil},
		{"key id variable without secret", "invalid THUB_DST_ACCESS_KEY_ID: the destination's access key id has no secret access key; give it with --dst-secret-key or the variable THUB_DST_SECRET_ACCESS_KEY",
			[]string{"s3", "sync", dir, "s3://dest-bucket", "--dst-endpoint", "http://127.0.0.1:1"}, []string{"THUB_DST_ACCESS_KEY_ID=AKid42"}},
		{"deploy task: secret variable without key id", "invalid THUB_SRC_SECRET_ACCESS_KEY: the source's secret access key has no access key id; give it with --src-access-key or the variable THUB_SRC_ACCESS_KEY_ID",
			[]string{"deploy", "s3-task", "s3://src-bucket", "s3://dest-bucket", "--name", "t1", "--dry-run"}, []string{"THUB_SRC_SECRET_ACCESS_KEY=SKsecret42"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := thub(t, c.env, c.args...)
			if r.code != 2 || !strings.Contains(r.stderr, "thub: "+c.want) {
				t.Fatalf("exit %d (want 2), stderr lacks %q:\n%s", r.code, c.want, r.stderr)
			}
			if strings.Contains(r.stderr, "SKsecret42") || strings.Contains(r.stderr, "AKid42") {
				t.Errorf("a key in the message: %s", r.stderr)
			}
			if _, err := os.Stat(dst); err == nil {
				t.Errorf("%s was created", dst)
			}
		})
	}
}
