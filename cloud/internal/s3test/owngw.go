package s3test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"transferhub/cloud/testenv"
)

// own is a gateway process a test started for itself (OwnGateway).
type own struct {
	mu   sync.Mutex
	bin  string
	port int
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd exited
	log  string
}

// OwnGateway starts a versitygw gateway of the test's own (a free port on 127.0.0.1, a
// fresh data directory, new keys) for a test that restarts it: the shared gateways of
// the test environment are never disturbed. It stops when the test ends.
func OwnGateway(t testing.TB, name string) *Gateway {
	t.Helper()
	env := testenv.Load(t)
	env.Require(t, testenv.Bin)
	bin := filepath.Join(env.Get(string(testenv.Bin)), "versitygw")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("versitygw is missing (build/scripts/deps.sh tools): %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	var b [12]byte
	_, _ = rand.Read(b[:])
	dir := t.TempDir()
	g := &Gateway{Name: name, Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), AccessKey: "own" + name,
		SecretKey: hex.EncodeToString(b[:]), Region: "us-east-1", DataDir: filepath.Join(dir, "data")}
	if err := os.MkdirAll(g.DataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	g.own = &own{bin: bin, port: port, log: filepath.Join(dir, "versitygw.log")}
	g.Client = g.ClientAt(g.Endpoint)
	g.start(t)
	t.Cleanup(func() { g.stop() })
	return g
}

func (g *Gateway) start(t testing.TB) {
	t.Helper()
	o := g.own
	o.mu.Lock()
	defer o.mu.Unlock()
	logf, err := os.OpenFile(o.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(o.bin, "--port", fmt.Sprintf("127.0.0.1:%d", o.port), "--quiet", "posix", g.DataDir)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID="+g.AccessKey, "ROOT_SECRET_ACCESS_KEY="+g.SecretKey)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start gateway %s: %v", g.Name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(done) }()
	o.cmd, o.done = cmd, done
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", o.port)); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(o.log)
			t.Fatalf("gateway %s did not answer on port %d:\n%s", g.Name, o.port, b)
		}
	}
}

func (g *Gateway) stop() {
	o := g.own
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.cmd != nil {
		_ = o.cmd.Process.Kill()
		<-o.done
		o.cmd = nil
	}
}

// Restart kills the gateway (SIGKILL, as a crash) and starts it again on the same port
// and data, as a store that fails and comes back does. Only for OwnGateway gateways.
func (g *Gateway) Restart(t testing.TB, down time.Duration) {
	t.Helper()
	if g.own == nil {
		t.Fatal("Restart: only a test's own gateway (OwnGateway) may be restarted")
	}
	g.stop()
	time.Sleep(down)
	g.start(t)
}
