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

	"transferhub/cloud/spec"
	"transferhub/cloud/state"
)

// fakeRunner records what the Manager asks of it; a task it was asked to run stays
// active until it is stopped or deleted.
type fakeRunner struct {
	engine state.Engine

	mu        sync.Mutex
	log       map[string][]string // calls by method: task ids ("id mode" for run)
	active    map[string]bool
	closed    bool
	deleteErr error
	task      Task // the newest Task handed to Run
}

func newFakeRunner(engine state.Engine) *fakeRunner {
	return &fakeRunner{engine: engine, log: map[string][]string{}, active: map[string]bool{}}
}

// record notes a call (f.mu held).
func (f *fakeRunner) record(method, what string) { f.log[method] = append(f.log[method], what) }

func (f *fakeRunner) calls(method string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log[method]...)
}

func (f *fakeRunner) Engine() state.Engine { return f.engine }

func (f *fakeRunner) Run(_ context.Context, t Task, mode Mode) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.active[t.ID] {
		return ErrBusy
	}
	f.record("run", t.ID+" "+mode.String())
	f.active[t.ID], f.task = true, t
	return nil
}

func (f *fakeRunner) Stop(_ context.Context, t Task) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("stop", t.ID)
	delete(f.active, t.ID)
	return nil
}

func (f *fakeRunner) Delete(_ context.Context, t Task, _ DeleteOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("delete", t.ID)
	if f.deleteErr == nil {
		delete(f.active, t.ID)
	}
	return f.deleteErr
}

func (f *fakeRunner) Reopen(_ context.Context, t Task) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("reopen", t.ID)
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

// fakeBuild builds a manager over dir whose only runner is r.
func fakeBuild(dir string, r Runner, obs Observer) *Manager {
	return New(Options{Folder: NewFolder(dir, quietLogger()), Runners: []Runner{r}, Logger: quietLogger(), Observer: obs})
}

// fakeManager opens a fakeBuild manager for the test.
func fakeManager(t *testing.T, dir string, r Runner, obs Observer) *Manager {
	t.Helper()
	return openManager(t, fakeBuild(dir, r, obs))
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
	assert.Equal(t, []string{v.ID + " start"}, fr.calls("run"))
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
	assert.Equal(t, []string{v.ID}, fr.calls("stop"))

	// The schedule's runs are new runs too.
	m.scheduled(v.ID)
	assert.Equal(t, []string{v.ID + " start", v.ID + " scheduled run"}, fr.calls("run"))
	m.scheduled(v.ID) // still running: skipped, and said so in the task's log
	assert.Len(t, fr.calls("run"), 2)
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
	assert.Equal(t, []string{v.ID, v.ID}, fr.calls("delete"))
	assert.NoFileExists(t, v.StateFile)
	_, err = m.Get(ctx, v.ID)
	assert.ErrorIs(t, err, ErrNotFound)
	obs.mu.Lock()
	assert.Equal(t, 2, obs.changed[v.ID], "created and deleted")
	obs.mu.Unlock()
}

func TestOpenReopensEveryTaskAndCloseClosesTheRunners(t *testing.T) {
	dir := t.TempDir()
	fr := newFakeRunner(state.EngineLocal)
	a, db := leftBehind(t, fakeBuild(dir, fr, nil), "a", localDef(t.TempDir(), t.TempDir()))
	require.NoError(t, db.Close())
	assert.True(t, fr.closed)
	assert.Empty(t, fr.calls("reopen"), "the task was created after Open")
	b, db := leftBehind(t, fakeBuild(dir, fr, nil), "b", localDef(t.TempDir(), t.TempDir()))
	require.NoError(t, db.Close())
	assert.Equal(t, []string{a.ID}, fr.calls("reopen"))

	fr2 := newFakeRunner(state.EngineLocal)
	fakeManager(t, dir, fr2, nil)
	assert.ElementsMatch(t, []string{a.ID, b.ID}, fr2.calls("reopen"))
}

func TestATaskOfAnEngineWithoutARunnerIsListedButNotRun(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	local := newFakeRunner(state.EngineLocal)
	v, db := leftBehind(t, fakeBuild(dir, local, nil), "here", localDef(t.TempDir(), t.TempDir()))
	require.NoError(t, db.Close())

	cloud := newFakeRunner(state.EngineCloud)
	m2 := fakeManager(t, dir, cloud, nil)
	v, err := m2.Get(ctx, v.ID)
	require.NoError(t, err)
	assert.Equal(t, "this app cannot run local tasks", v.Problem)
	assert.Equal(t, "here", v.Name)
	assert.ErrorIs(t, m2.Start(ctx, v.ID), ErrBusy)
	assert.ErrorContains(t, m2.Delete(ctx, v.ID), "this app cannot run local tasks")
	assert.FileExists(t, filepath.Join(dir, v.ID+".db"), "nothing is deleted that a runner could not clean up")
	assert.Empty(t, cloud.calls("run"))
	assert.Empty(t, cloud.calls("delete"))
	assert.Empty(t, cloud.calls("reopen"))
}

func TestImageSidesAreReachedThroughTheirProfiles(t *testing.T) {
	ctx := context.Background()
	eng := newEngines(newFakeCreds(awsProfile, regProfile), nil, quietLogger())
	set, err := eng.imageConfig(ctx, ImageSpec{
		Source:      ImageSource{ProfileID: "aws1", ImageSource: spec.ImageSource{Kind: ECRKind, References: []string{"team/app:v1"}}},
		Destination: ImageDestination{ProfileID: "reg", ImageDestination: spec.ImageDestination{Kind: RegistryKind, Prefix: "mirror"}},
	})
	require.NoError(t, err)
	assert.Equal(t, "eu-west-1", set.im.Source.Region, "the profile's region")
	require.NotNil(t, set.cfg.SourceECR)
	require.NotNil(t, set.cfg.SourceECR.AWS)
	assert.Equal(t, "eu-west-1", set.cfg.SourceECR.AWS.Region)
	assert.Equal(t, "reg.example.com:5000", set.im.Destination.Registry, "the profile's host")
	assert.Contains(t, set.cfg.Access.Creds, "reg.example.com:5000")
	assert.Nil(t, set.cfg.DestECR)

	// Each side says which it is when its profile does not fit.
	_, err = eng.imageConfig(ctx, ImageSpec{
		Source:      ImageSource{ProfileID: "aws1", ImageSource: spec.ImageSource{Kind: ECRKind}},
		Destination: ImageDestination{ProfileID: "aws1", ImageDestination: spec.ImageDestination{Kind: RegistryKind}},
	})
	assert.EqualError(t, err, `destination: profile "Prod" is not a container registry profile`)
	_, err = eng.imageConfig(ctx, ImageSpec{Source: ImageSource{ProfileID: "gone", ImageSource: spec.ImageSource{Kind: ECRKind}}})
	assert.EqualError(t, err, "source: its credential profile was deleted; clone the task and choose other credentials")
}
