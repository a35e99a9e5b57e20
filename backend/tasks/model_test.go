package tasks

// Unit tests of the task model with a fake runner: what the Manager decides itself and
// what it hands to the runner of a task's engine. The real local runner is tested
// through the Manager in manager_test.go and integration_test.go.

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/state"
)

// fakeRunner records what the Manager asks of it; a task it was asked to run stays
// active until it is stopped or deleted.
type fakeRunner struct {
	engine state.Engine

	mu        sync.Mutex
	runs      []string // "id mode" of every Run
	active    map[string]bool
	stopped   []string
	deleted   []string
	reopened  []string
	closed    bool
	deleteErr error
	task      Task // the newest Task handed over
}

func newFakeRunner(engine state.Engine) *fakeRunner {
	return &fakeRunner{engine: engine, active: map[string]bool{}}
}

func (f *fakeRunner) Engine() state.Engine { return f.engine }

func (f *fakeRunner) Run(_ context.Context, t Task, mode Mode) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.active[t.ID] {
		return ErrBusy
	}
	f.runs = append(f.runs, t.ID+" "+mode.String())
	f.active[t.ID] = true
	f.task = t
	return nil
}

func (f *fakeRunner) Stop(_ context.Context, t Task) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = append(f.stopped, t.ID)
	delete(f.active, t.ID)
	return nil
}

func (f *fakeRunner) Delete(_ context.Context, t Task) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted = append(f.deleted, t.ID)
	if f.deleteErr != nil {
		return f.deleteErr
	}
	delete(f.active, t.ID)
	return nil
}

func (f *fakeRunner) Reopen(_ context.Context, t Task) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reopened = append(f.reopened, t.ID)
	return nil
}

func (f *fakeRunner) Progress(id string) (Progress, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return Progress{RunID: "fake"}, f.active[id]
}

func (f *fakeRunner) Close(context.Context) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
}

func (f *fakeRunner) calls() (runs, stopped, deleted, reopened []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.runs...), append([]string(nil), f.stopped...), append([]string(nil), f.deleted...), append([]string(nil), f.reopened...)
}

// fakeManager opens a manager over dir whose only runner is r.
func fakeManager(t *testing.T, dir string, r Runner, obs Observer) *Manager {
	t.Helper()
	return openManager(t, New(Options{Folder: NewFolder(dir, quietLogger()), Runners: []Runner{r}, Logger: quietLogger(), Observer: obs}))
}

func TestRunsGoToTheRunnerOfTheTaskEngine(t *testing.T) {
	ctx := context.Background()
	fr := newFakeRunner(state.EngineLocal)
	m := fakeManager(t, t.TempDir(), fr, nil)
	v, err := m.Create(ctx, CreateRequest{Name: "photos", Definition: localDef(t.TempDir(), t.TempDir())})
	require.NoError(t, err)
	assert.False(t, v.Active)
	assert.True(t, v.CanStart)

	// Nothing to resume or retry yet: the Manager refuses without asking the runner.
	assert.ErrorIs(t, m.Resume(ctx, v.ID), ErrBusy)
	assert.ErrorIs(t, m.RetryFailed(ctx, v.ID), ErrBusy)

	require.NoError(t, m.Start(ctx, v.ID))
	runs, _, _, _ := fr.calls()
	assert.Equal(t, []string{v.ID + " start"}, runs)
	fr.mu.Lock()
	handed := fr.task
	fr.mu.Unlock()
	assert.Equal(t, v.ID, handed.ID)
	assert.Equal(t, "photos", handed.Name)
	require.NotNil(t, handed.Store)
	rec, err := handed.Store.GetTask(ctx, v.ID)
	require.NoError(t, err)
	assert.Equal(t, "photos", rec.Name, "the runner gets the task's own store")
	assert.NotNil(t, handed.Log)

	// The runner says the run is active: the view follows, a second start is refused.
	v, err = m.Get(ctx, v.ID)
	require.NoError(t, err)
	assert.True(t, v.Active)
	assert.False(t, v.CanStart)
	err = m.Start(ctx, v.ID)
	assert.ErrorIs(t, err, ErrBusy)
	assert.ErrorContains(t, err, `"photos" is already running`)

	require.NoError(t, m.Stop(ctx, v.ID))
	_, stopped, _, _ := fr.calls()
	assert.Equal(t, []string{v.ID}, stopped)

	// The schedule's runs are new runs too.
	m.scheduled(v.ID)
	runs, _, _, _ = fr.calls()
	assert.Equal(t, []string{v.ID + " start", v.ID + " scheduled run"}, runs)
	m.scheduled(v.ID) // still running: skipped, and said so in the task's log
	runs, _, _, _ = fr.calls()
	assert.Len(t, runs, 2)
	lg, err := m.Log(v.ID)
	require.NoError(t, err)
	assert.Contains(t, logMessages(lg), "scheduled run skipped")
}

func TestDeleteLetsTheRunnerCleanUpFirst(t *testing.T) {
	ctx := context.Background()
	fr := newFakeRunner(state.EngineLocal)
	obs := newRecorder()
	m := fakeManager(t, t.TempDir(), fr, obs)
	v, err := m.Create(ctx, CreateRequest{Name: "cleanup", Definition: localDef(t.TempDir(), t.TempDir())})
	require.NoError(t, err)
	require.NoError(t, m.Start(ctx, v.ID))

	fr.mu.Lock()
	fr.deleteErr = errors.New("the stack is still being deleted")
	fr.mu.Unlock()
	assert.ErrorContains(t, m.Delete(ctx, v.ID), "the stack is still being deleted")
	_, err = m.Get(ctx, v.ID)
	require.NoError(t, err, "a task whose runner did not clean up stays, to be deleted again")
	assert.FileExists(t, v.StateFile)

	fr.mu.Lock()
	fr.deleteErr = nil
	fr.mu.Unlock()
	require.NoError(t, m.Delete(ctx, v.ID))
	_, _, deleted, _ := fr.calls()
	assert.Equal(t, []string{v.ID, v.ID}, deleted)
	assert.NoFileExists(t, v.StateFile)
	_, err = m.Get(ctx, v.ID)
	assert.ErrorIs(t, err, ErrNotFound)
	obs.mu.Lock()
	assert.Equal(t, 2, obs.changed[v.ID], "created and deleted")
	obs.mu.Unlock()
}

func TestOpenReopensEveryTaskAndCloseClosesTheRunners(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	fr := newFakeRunner(state.EngineLocal)
	m := New(Options{Folder: NewFolder(dir, quietLogger()), Runners: []Runner{fr}, Logger: quietLogger()})
	require.NoError(t, m.Open(ctx))
	a, err := m.Create(ctx, CreateRequest{Name: "a", Definition: localDef(t.TempDir(), t.TempDir())})
	require.NoError(t, err)
	b, err := m.Create(ctx, CreateRequest{Name: "b", Definition: localDef(t.TempDir(), t.TempDir())})
	require.NoError(t, err)
	m.Close(ctx)
	assert.True(t, fr.closed)
	_, _, _, reopened := fr.calls()
	assert.Empty(t, reopened, "the tasks were created after Open")

	fr2 := newFakeRunner(state.EngineLocal)
	fakeManager(t, dir, fr2, nil)
	_, _, _, reopened = fr2.calls()
	assert.ElementsMatch(t, []string{a.ID, b.ID}, reopened)
}

func TestATaskOfAnEngineWithoutARunnerIsListedButNotRun(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	local := newFakeRunner(state.EngineLocal)
	m := New(Options{Folder: NewFolder(dir, quietLogger()), Runners: []Runner{local}, Logger: quietLogger()})
	require.NoError(t, m.Open(ctx))
	v, err := m.Create(ctx, CreateRequest{Name: "here", Definition: localDef(t.TempDir(), t.TempDir())})
	require.NoError(t, err)
	m.Close(ctx)

	cloud := newFakeRunner(state.EngineCloud)
	m2 := fakeManager(t, dir, cloud, nil)
	v, err = m2.Get(ctx, v.ID)
	require.NoError(t, err)
	assert.Equal(t, "this app cannot run local tasks", v.Problem)
	assert.Equal(t, "here", v.Name)
	assert.ErrorIs(t, m2.Start(ctx, v.ID), ErrBusy)
	assert.ErrorContains(t, m2.Delete(ctx, v.ID), "this app cannot run local tasks")
	assert.FileExists(t, filepath.Join(dir, v.ID+".db"), "nothing is deleted that a runner could not clean up")
	runs, _, deleted, reopened := cloud.calls()
	assert.Empty(t, runs)
	assert.Empty(t, deleted)
	assert.Empty(t, reopened)
}
