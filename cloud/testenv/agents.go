package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// Agents are thub (./cloud/cmd/thub) built for linux, stripped, as the deployments ship
// it: thub-linux-<arch> for each of Arches, built once per test binary in a temporary
// directory that the package's TestMain removes with Remove (or Main).
type Agents struct {
	Arches []string

	once sync.Once
	dir  string
	err  error
}

// Dir builds the agents on its first call and returns their directory.
func (a *Agents) Dir(t testing.TB) string {
	t.Helper()
	a.once.Do(func() {
		a.dir, a.err = os.MkdirTemp("", "thub-agents-")
		if a.err != nil {
			return
		}
		for _, arch := range a.Arches {
			cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", filepath.Join(a.dir, "thub-linux-"+arch), "./cloud/cmd/thub")
			cmd.Dir = RepoRoot()
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
			if out, err := cmd.CombinedOutput(); err != nil {
				a.err = fmt.Errorf("go build thub for linux/%s: %v\n%s", arch, err, out)
				return
			}
		}
	})
	if a.err != nil {
		t.Fatal(a.err)
	}
	return a.dir
}

// Remove deletes the agents' directory, if they were built.
func (a *Agents) Remove() {
	if a.dir != "" {
		os.RemoveAll(a.dir)
	}
}

// Main runs the package's tests, removes the agents and exits with the tests' status:
// the whole TestMain of a package whose tests build agents.
func (a *Agents) Main(m *testing.M) {
	code := m.Run()
	a.Remove()
	os.Exit(code)
}
