package tasks

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"transferhub/backend/credentials"
	"transferhub/cloud/state"
	"transferhub/cloud/state/sqlite"
)

// fakeCreds is an in-memory credential store (the keychain is the credentials package's
// business); it only maps ids to profiles with their secrets.
type fakeCreds struct {
	mu       sync.Mutex
	profiles map[string]credentials.Resolved
}

func newFakeCreds(rs ...credentials.Resolved) *fakeCreds {
	f := &fakeCreds{profiles: map[string]credentials.Resolved{}}
	for _, r := range rs {
		f.profiles[r.ID] = r
	}
	return f
}

func (f *fakeCreds) put(r credentials.Resolved) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.profiles[r.ID] = r
}

func (f *fakeCreds) Get(_ context.Context, id string) (credentials.Profile, error) {
	r, err := f.Resolve(context.Background(), id)
	return r.Profile, err
}

func (f *fakeCreds) Resolve(_ context.Context, id string) (credentials.Resolved, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.profiles[id]
	if !ok {
		return r, fmt.Errorf("profile %s: %w", id, ErrProfileNotFound)
	}
	return r, nil
}

// recorder is an Observer that remembers what it heard.
type recorder struct {
	mu       sync.Mutex
	changed  map[string]int
	progress map[string][]Progress
}

func newRecorder() *recorder {
	return &recorder{changed: map[string]int{}, progress: map[string][]Progress{}}
}

func (r *recorder) TaskChanged(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.changed[id]++
}

func (r *recorder) TaskProgress(id string, p Progress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.progress[id] = append(r.progress[id], p)
}

func (r *recorder) progressOf(id string) []Progress {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Progress(nil), r.progress[id]...)
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// build makes a manager over the task folder dir with the real local runner; obs (may
// be nil) hears the manager and the runner.
func build(dir string, creds Credentials, obs Observer) *Manager {
	return buildIn(NewFolder(dir, quietLogger()), creds, obs)
}

func buildIn(f *Folder, creds Credentials, obs Observer) *Manager {
	local := NewLocalRunner(LocalOptions{Credentials: creds, Observer: obs, Logger: quietLogger()})
	return New(Options{Folder: f, Runners: []Runner{local}, Credentials: creds, Logger: quietLogger(), Observer: obs})
}

// newManager builds a manager (see build), opens it and closes it at the end of the test.
func newManager(t *testing.T, dir string, creds Credentials, obs Observer) *Manager {
	t.Helper()
	return openManager(t, build(dir, creds, obs))
}

func openManager(t *testing.T, m *Manager) *Manager {
	t.Helper()
	require.NoError(t, m.Open(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		m.Close(ctx)
	})
	return m
}

// leftBehind opens m, creates a task and closes m again, as an earlier app would; it
// returns the task and its state file, opened for the test to change what the next app
// finds (close it before that app opens).
func leftBehind(t *testing.T, m *Manager, name string, d Definition) (View, *sqlite.DB) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, m.Open(ctx))
	v, err := m.Create(ctx, CreateRequest{Name: name, Definition: d})
	require.NoError(t, err)
	m.Close(ctx)
	db, err := sqlite.Open(ctx, v.StateFile)
	require.NoError(t, err)
	return v, db
}

// failedObjects returns the task's store and its FAILED object records.
func failedObjects(t *testing.T, m *Manager, id string) (state.Store, state.Page[state.Object]) {
	t.Helper()
	st, err := m.Store(id)
	require.NoError(t, err)
	failed, err := st.ListObjects(context.Background(), id, state.ListOptions{Status: state.ItemFailed})
	require.NoError(t, err)
	return st, failed
}

// waitFor polls a task until cond holds (runs are asynchronous); it fails after a
// generous bound, which is a hang detector, not a timing assertion.
func waitFor(t *testing.T, m *Manager, id string, what string, cond func(View) bool) View {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	var v View
	for time.Now().Before(deadline) {
		var err error
		v, err = m.Get(context.Background(), id)
		require.NoError(t, err)
		if cond(v) {
			return v
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("task %s never became %s; last view: status=%s active=%v counters=%+v lastError=%q", id, what, v.Status, v.Active, v.Counters, v.LastError)
	return v
}

func settled(status string) func(View) bool {
	return func(v View) bool { return !v.Active && string(v.Status) == status }
}

func credentialsSecretNone() credentials.Secret { return credentials.Secret{} }
