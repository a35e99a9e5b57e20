// Package testenv gives integration tests the endpoints of the local test services that
// `make testenv-up` (build/scripts/testenv.sh) starts on 127.0.0.1 and writes to an env
// file. A test that needs a service it cannot find fails when CI=true and skips loudly
// otherwise. Only tests import this package.
package testenv

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Service names one local test service; its value is the env-file key that must be set.
type Service string

const (
	S3A Service = "TH_S3_A_ENDPOINT" // versitygw "cloud A"
	S3B Service = "TH_S3_B_ENDPOINT" // versitygw "cloud B"
	AWS Service = "TH_AWS_ENDPOINT"  // AWS emulator (moto server)
	// AWS2 is a second AWS emulator for tests that flip its server-wide switches (IAM
	// enforcement) or run state machines themselves (its Step Functions interpreter is
	// off): one package at a time uses it (cloud/deploy/harness).
	AWS2    Service = "TH_AWS2_ENDPOINT"
	RegAuth Service = "TH_REG_AUTH" // OCI registry with basic auth (user AWS), TLS
	RegOpen Service = "TH_REG_OPEN" // OCI registry, anonymous, plain HTTP
	RegOCI  Service = "TH_REG_OCI"  // OCI 1.1 registry with the referrers API, anonymous, plain HTTP
	Keyring Service = "TH_KEYRING"  // session D-Bus with an unlocked Secret Service
	Bin     Service = "TH_BIN_DIR"  // directory with versitygw and other test tools
)

// Env is the parsed env file plus the process environment (which wins).
type Env struct {
	vals map[string]string
	file string
}

// File returns the env file path: $TH_TESTENV_FILE or <repo root>/.testenv/env.
func File() string {
	if f := os.Getenv("TH_TESTENV_FILE"); f != "" {
		return f
	}
	return filepath.Join(RepoRoot(), ".testenv", "env")
}

// RepoRoot walks up from the working directory to the directory holding go.mod.
func RepoRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// Load reads the env file; a missing file yields an empty Env (Require then fails or skips).
func Load(t testing.TB) *Env {
	t.Helper()
	e := &Env{vals: map[string]string{}, file: File()}
	f, err := os.Open(e.file)
	if err != nil {
		return e
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		e.vals[k] = strings.Trim(v, `"'`)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read test env %s: %v", e.file, err)
	}
	return e
}

// Get returns a value, the process environment taking precedence over the file.
func (e *Env) Get(key string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return e.vals[key]
}

// Require makes sure each service is configured: under CI=true a missing one fails the
// test, elsewhere it skips with a loud message saying how to start it.
func (e *Env) Require(t testing.TB, services ...Service) {
	t.Helper()
	for _, s := range services {
		if e.Get(string(s)) != "" {
			continue
		}
		msg := fmt.Sprintf("test service %s is not available (no %s in %s or the environment); start it with `make testenv-up`", serviceName(s), s, e.file)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip("SKIPPED — " + msg)
	}
}

func serviceName(s Service) string {
	switch s {
	case S3A:
		return "S3 gateway A"
	case S3B:
		return "S3 gateway B"
	case AWS:
		return "AWS emulator"
	case AWS2:
		return "second AWS emulator"
	case RegAuth:
		return "registry (auth)"
	case RegOpen:
		return "registry (open)"
	case RegOCI:
		return "registry (OCI 1.1, referrers API)"
	case Keyring:
		return "keychain (D-Bus Secret Service)"
	}
	return string(s)
}
