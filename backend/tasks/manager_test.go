package tasks

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/spec"
	"transferhub/cloud/state"
	"transferhub/cloud/taskrun"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for k, v := range files {
		p := filepath.Join(dir, filepath.FromSlash(k))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(v), 0o644))
	}
}

func localDef(src, dst string) Definition {
	return Definition{S3: &S3Spec{Source: Location{Side: spec.Side{Kind: LocationLocal, Path: src}}, Destination: Location{Side: spec.Side{Kind: LocationLocal, Path: dst}}}}
}

func TestLocalTaskRunsToCompletion(t *testing.T) {
	ctx := context.Background()
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "out")
	writeFiles(t, src, map[string]string{"a.txt": "alpha", "dir/b.txt": "bravo!", "dir/deep/c.bin": strings.Repeat("c", 4096)})
	obs := newRecorder()
	m := newManager(t, t.TempDir(), newFakeCreds(), obs)

	v, err := m.Create(ctx, CreateRequest{Name: "folders", Definition: localDef(src, dst), Start: true})
	require.NoError(t, err)
	assert.Equal(t, state.TaskS3, v.Type)
	assert.Equal(t, state.EngineLocal, v.Engine)
	assert.True(t, strings.HasPrefix(v.ID, "s3-"))
	assert.FileExists(t, v.StateFile)

	v = waitFor(t, m, v.ID, "COMPLETED", settled("COMPLETED"))
	assert.Equal(t, state.Counters{FoundObjects: 3, FoundBytes: 5 + 6 + 4096, DoneObjects: 3, DoneBytes: 5 + 6 + 4096}, v.Counters)
	assert.Equal(t, src, v.Source)
	assert.Equal(t, dst, v.Destination)
	assert.True(t, v.CanStart)
	assert.False(t, v.CanResume, "a complete run has nothing to resume")
	assert.False(t, v.CanRetry)
	assert.False(t, v.FinishedAt.IsZero())
	b, err := os.ReadFile(filepath.Join(dst, "dir", "b.txt"))
	require.NoError(t, err)
	assert.Equal(t, "bravo!", string(b))

	// The state file is the engine's own: thub reads it, records are keyset paged.
	st, err := m.Store(v.ID)
	require.NoError(t, err)
	page, err := st.ListObjects(ctx, v.ID, state.ListOptions{Limit: 2})
	require.NoError(t, err)
	require.Len(t, page.Items, 2)
	assert.Equal(t, "a.txt", page.Items[0].Key)
	assert.NotEmpty(t, page.Next)

	logs, err := m.Log(v.ID)
	require.NoError(t, err)
	var msgs []string
	for _, r := range logs.Last(100) {
		msgs = append(msgs, r.Message)
	}
	assert.Contains(t, msgs, "task created")
	assert.Contains(t, msgs, "run begins")
	assert.Contains(t, msgs, "run finished")
	obs.mu.Lock()
	assert.Positive(t, obs.changed[v.ID])
	obs.mu.Unlock()

	// A second run finds everything in place.
	require.NoError(t, m.Start(ctx, v.ID))
	v = waitFor(t, m, v.ID, "COMPLETED again", func(v View) bool { return settled("COMPLETED")(v) && v.Counters.SkippedObjects == 3 })
	assert.Zero(t, v.Counters.DoneObjects)
}

func TestFailedObjectIsListedAndRetried(t *testing.T) {
	ctx := context.Background()
	src, dst := t.TempDir(), t.TempDir()
	writeFiles(t, src, map[string]string{"ok.txt": "fine", "x/y.txt": "blocked"})
	// A file where the destination needs a folder: x/y.txt cannot be written.
	writeFiles(t, dst, map[string]string{"x": "in the way"})
	m := newManager(t, t.TempDir(), newFakeCreds(), nil)

	v, err := m.Create(ctx, CreateRequest{Name: "with a failure", Definition: localDef(src, dst), Start: true})
	require.NoError(t, err)
	v = waitFor(t, m, v.ID, "FAILED", settled("FAILED"))
	assert.Equal(t, int64(1), v.Counters.FailedObjects)
	assert.Equal(t, int64(1), v.Counters.DoneObjects)
	assert.Equal(t, "1 objects failed", v.LastError)
	assert.True(t, v.CanRetry)
	assert.False(t, v.CanResume, "the run is complete; only its failures can be retried")

	st, failed := failedObjects(t, m, v.ID)
	require.Len(t, failed.Items, 1)
	assert.Equal(t, "x/y.txt", failed.Items[0].Key)
	assert.NotEmpty(t, failed.Items[0].Error)
	assert.NotContains(t, failed.Items[0].Error, "goroutine", "errors are messages, not stack traces")
	runID := v.RunID

	// Fix the cause and retry: same run, counters move from failed to done.
	require.NoError(t, os.Remove(filepath.Join(dst, "x")))
	require.NoError(t, m.RetryFailed(ctx, v.ID))
	v = waitFor(t, m, v.ID, "COMPLETED", settled("COMPLETED"))
	assert.Equal(t, runID, v.RunID)
	assert.Equal(t, int64(0), v.Counters.FailedObjects)
	assert.Equal(t, int64(2), v.Counters.DoneObjects)
	o, err := st.GetObject(ctx, v.ID, "x/y.txt")
	require.NoError(t, err)
	assert.Equal(t, state.ItemDone, o.Status)
	b, err := os.ReadFile(filepath.Join(dst, "x", "y.txt"))
	require.NoError(t, err)
	assert.Equal(t, "blocked", string(b))

	assert.ErrorIs(t, m.RetryFailed(ctx, v.ID), ErrBusy, "nothing left to retry")
	assert.ErrorIs(t, m.Resume(ctx, v.ID), ErrBusy, "nothing left to resume")
}

func TestInterruptedRunResumesWhenTheAppOpensAgain(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src, dst := t.TempDir(), t.TempDir()
	writeFiles(t, src, map[string]string{"1.txt": "one", "2.txt": "two"})

	v, db := leftBehind(t, build(dir, newFakeCreds(), nil), "interrupted", localDef(src, dst))

	// What a killed app leaves behind: a run marked RUNNING that nobody works on.
	started, err := db.StartRun(ctx, v.ID)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	m2 := newManager(t, dir, newFakeCreds(), nil)
	v = waitFor(t, m2, v.ID, "COMPLETED", settled("COMPLETED"))
	assert.Equal(t, started.RunID, v.RunID, "the interrupted run itself was resumed")
	assert.Equal(t, int64(2), v.Counters.DoneObjects)
	logs, err := m2.Log(v.ID)
	require.NoError(t, err)
	assert.Contains(t, logMessages(logs), "resuming")
}

func logMessages(l *Log) string {
	var b strings.Builder
	for _, r := range l.Last(200) {
		b.WriteString(r.Message + "\n")
	}
	return b.String()
}

func TestStopOfARunLeftByAKilledApp(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	v, db := leftBehind(t, build(dir, newFakeCreds(), nil), "stale", localDef(t.TempDir(), t.TempDir()))
	_, err := db.StartRun(ctx, v.ID)
	require.NoError(t, err)
	require.NoError(t, db.SetTaskStatus(ctx, v.ID, nil, state.TaskStopping, ""))
	require.NoError(t, db.Close())

	// STOPPING when the app died means stopped.
	m2 := newManager(t, dir, newFakeCreds(), nil)
	v, err = m2.Get(ctx, v.ID)
	require.NoError(t, err)
	assert.Equal(t, state.TaskStopped, v.Status)
	assert.True(t, v.CanResume)
	assert.ErrorIs(t, m2.Stop(ctx, v.ID), ErrBusy)
}

func TestCloneDeleteAndInUse(t *testing.T) {
	ctx := context.Background()
	creds := newFakeCreds(compatProfile)
	m := newManager(t, t.TempDir(), creds, nil)
	src := t.TempDir()
	d := Definition{S3: &S3Spec{
		Source:      Location{Side: spec.Side{Kind: LocationLocal, Path: src}},
		Destination: Location{ProfileID: "s3c", Side: spec.Side{Kind: LocationS3, Bucket: "some-bucket"}},
		S3Options:   spec.S3Options{Include: []string{"*.jpg"}},
	}}
	v, err := m.Create(ctx, CreateRequest{Name: "photos", Definition: d})
	require.NoError(t, err)
	assert.Equal(t, state.TaskDraft, v.Status)
	assert.Equal(t, "s3://some-bucket/", v.Destination)

	c, err := m.Clone(ctx, v.ID, "")
	require.NoError(t, err)
	assert.Equal(t, "Copy of photos", c.Name)
	assert.Equal(t, v.Spec, c.Spec)
	assert.NotEqual(t, v.ID, c.ID)
	c2, err := m.Clone(ctx, v.ID, "")
	require.NoError(t, err)
	assert.Equal(t, "Copy 2 of photos", c2.Name)
	_, err = m.Clone(ctx, v.ID, "PHOTOS")
	assert.ErrorIs(t, err, ErrInvalid, "names stay unique")

	names, err := m.folder.InUse(ctx, "s3c")
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"photos", "Copy of photos", "Copy 2 of photos"}, names)
	names, err = m.folder.InUse(ctx, "other")
	require.NoError(t, err)
	assert.Empty(t, names)

	list, err := m.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 3)

	require.NoError(t, m.Delete(ctx, c.ID))
	assert.NoFileExists(t, c.StateFile)
	assert.NoFileExists(t, strings.TrimSuffix(c.StateFile, ".db")+".log")
	_, err = m.Get(ctx, c.ID)
	assert.ErrorIs(t, err, ErrNotFound)
	list, err = m.List(ctx)
	require.NoError(t, err)
	assert.Len(t, list, 2)
}

func TestCreateRejectsInvalidAndWritesNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	m := newManager(t, dir, newFakeCreds(), nil)
	_, err := m.Create(ctx, CreateRequest{Name: "", Definition: localDef("relative", t.TempDir())})
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Len(t, ve.Fields, 2)
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	assert.Empty(t, files, "nothing half-written")
}

func TestWrongCredentialIsAReadableTaskError(t *testing.T) {
	ctx := context.Background()
	creds := newFakeCreds(compatProfile)
	m := newManager(t, t.TempDir(), creds, nil)
	d := Definition{S3: &S3Spec{Source: Location{Side: spec.Side{Kind: LocationLocal, Path: t.TempDir()}},
		Destination: Location{ProfileID: "s3c", Side: spec.Side{Kind: LocationS3, Bucket: "some-bucket"}}}}
	v, err := m.Create(ctx, CreateRequest{Name: "no secret", Definition: d})
	require.NoError(t, err)

	// The profile lost its secret (keychain entry removed).
	r := compatProfile
	r.Secret = credentialsSecretNone()
	creds.put(r)
	require.NoError(t, m.Start(ctx, v.ID))
	v = waitFor(t, m, v.ID, "FAILED", settled("FAILED"))
	assert.Equal(t, `destination: profile "Gateway" has no secret access key in the keychain; set it under Credentials`, v.LastError)

	// The profile was deleted.
	delete(creds.profiles, "s3c")
	require.NoError(t, m.Start(ctx, v.ID))
	v = waitFor(t, m, v.ID, "FAILED", func(v View) bool { return settled("FAILED")(v) && strings.Contains(v.LastError, "deleted") })
	assert.Equal(t, "destination: its credential profile was deleted; clone the task and choose other credentials", v.LastError)
}

func TestScheduledRunEndsIdle(t *testing.T) {
	ctx := context.Background()
	src, dst := t.TempDir(), t.TempDir()
	writeFiles(t, src, map[string]string{"f": "x"})
	m := newManager(t, t.TempDir(), newFakeCreds(), nil)
	d := localDef(src, dst)
	d.Schedule = Schedule{Kind: ScheduleInterval, Every: "2h"}
	before := time.Now()
	v, err := m.Create(ctx, CreateRequest{Name: "every two hours", Definition: d})
	require.NoError(t, err)
	assert.WithinDuration(t, before.Add(2*time.Hour), v.NextRun, time.Minute)

	m.scheduled(v.ID) // what the cron runner calls when the time comes
	v = waitFor(t, m, v.ID, "IDLE", settled("IDLE"))
	assert.Equal(t, int64(1), v.Counters.DoneObjects)
	assert.True(t, v.CanStart)
}

func TestUnreadableDefinitionIsAProblemNotACrash(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	v, db := leftBehind(t, build(dir, nil, nil), "future", localDef(t.TempDir(), t.TempDir()))
	task, err := db.GetTask(ctx, v.ID)
	require.NoError(t, err)
	task.Definition = json.RawMessage(`{"v":9,"s3":{}}`)
	require.NoError(t, db.PutTask(ctx, task))
	require.NoError(t, db.Close())
	require.NoError(t, os.WriteFile(filepath.Join(dir, "broken.db"), []byte("not sqlite"), 0o600))

	m2 := newManager(t, dir, nil, nil)
	list, err := m2.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	for _, v := range list {
		assert.NotEmpty(t, v.Problem, v.ID)
	}
	assert.Error(t, m2.Start(ctx, v.ID))
	assert.Error(t, m2.Start(ctx, "broken"))
}

func TestPlanOfLocalFolders(t *testing.T) {
	ctx := context.Background()
	src, dst := t.TempDir(), t.TempDir()
	writeFiles(t, src, map[string]string{"a": "12345", "b": "123", "c.jpg": "1"})
	writeFiles(t, dst, map[string]string{"old": "x"})
	m := newManager(t, t.TempDir(), newFakeCreds(), nil)
	d := localDef(src, dst)
	d.S3.Exclude = []string{"*.jpg"}
	d.S3.Delete = true
	p, err := m.Plan(ctx, d)
	require.NoError(t, err)
	assert.Equal(t, int64(2), p.Found)
	assert.Equal(t, int64(8), p.FoundBytes)
	assert.Equal(t, int64(2), p.ToCopy)
	assert.Equal(t, int64(8), p.ToCopyBytes)
	assert.Equal(t, int64(1), p.ToDelete)
	assert.False(t, p.Partial)
	assert.NoFileExists(t, filepath.Join(dst, "a"), "a plan writes nothing")

	_, err = m.Plan(ctx, localDef("relative", dst))
	assert.ErrorIs(t, err, ErrInvalid)
}

func TestATaskRunningElsewhereIsLeftAlone(t *testing.T) {
	ctx := context.Background()
	m := newManager(t, t.TempDir(), newFakeCreds(), nil)
	v, err := m.Create(ctx, CreateRequest{Name: "shared", Definition: localDef(t.TempDir(), t.TempDir())})
	require.NoError(t, err)
	// Another window (or thub) holds the task's run lease.
	st, err := m.Store(v.ID)
	require.NoError(t, err)
	require.NoError(t, st.Lease(ctx, v.ID, taskrun.RunLease, "another-app", time.Minute))

	require.NoError(t, m.Start(ctx, v.ID))
	v = waitFor(t, m, v.ID, "not active", func(v View) bool { return !v.Active })
	assert.Equal(t, state.TaskDraft, v.Status, "the other owner's task status is not touched")
	logs, err := m.Log(v.ID)
	require.NoError(t, err)
	assert.Contains(t, logMessages(logs), "running in another Transfer Hub window")
}
