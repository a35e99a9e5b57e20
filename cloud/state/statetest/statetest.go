// Package statetest is the contract test suite every state.Store implementation runs
// (the embedded SQLite store, the DynamoDB store against the AWS emulator), so both
// behave the same for the engines, and a state file for other packages' tests (SQLite).
package statetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/state"
)

// Run runs the suite; newStore returns an empty store (or one whose task ids the suite's
// random ids cannot collide with).
func Run(t *testing.T, newStore func(t *testing.T) state.Store) {
	t.Run("Tasks", func(t *testing.T) { testTasks(t, newStore(t)) })
	t.Run("Runs", func(t *testing.T) { testRuns(t, newStore(t)) })
	t.Run("StoppedStartsNoRun", func(t *testing.T) { testStoppedStartsNoRun(t, newStore(t)) })
	t.Run("ObjectTransitions", func(t *testing.T) { testObjectTransitions(t, newStore(t)) })
	t.Run("ConcurrentDuplicates", func(t *testing.T) { testConcurrentDuplicates(t, newStore(t)) })
	t.Run("ListObjects", func(t *testing.T) { testListObjects(t, newStore(t)) })
	t.Run("Jobs", func(t *testing.T) { testJobs(t, newStore(t)) })
	t.Run("JobSentAgainWithMore", func(t *testing.T) { testJobSentAgainWithMore(t, newStore(t)) })
	t.Run("JobsAcrossRuns", func(t *testing.T) { testJobsAcrossRuns(t, newStore(t)) })
	t.Run("JobsKeepUploads", func(t *testing.T) { testJobsKeepUploads(t, newStore(t)) })
	t.Run("JobAndSingleWrites", func(t *testing.T) { testJobAndSingleWrites(t, newStore(t)) })
	t.Run("ConcurrentJobsAndEvents", func(t *testing.T) { testConcurrentJobsAndEvents(t, newStore(t)) })
	t.Run("LongKeys", func(t *testing.T) { testLongKeys(t, newStore(t)) })
	t.Run("Parts", func(t *testing.T) { testParts(t, newStore(t)) })
	t.Run("Images", func(t *testing.T) { testImages(t, newStore(t)) })
	t.Run("MetaAndLeases", func(t *testing.T) { testMetaAndLeases(t, newStore(t)) })
}

func taskID() string { return fmt.Sprintf("t-%08x", rand.Uint32()) }

func newTask(t *testing.T, s state.Store) state.Task {
	t.Helper()
	ctx := context.Background()
	task := state.Task{ID: taskID(), Type: state.TaskS3, Name: "copy photos", Engine: state.EngineLocal,
		Definition: []byte(`{"v":1,"src":"s3://a/p"}`)}
	require.NoError(t, s.PutTask(ctx, task))
	run, err := s.StartRun(ctx, task.ID)
	require.NoError(t, err)
	return run
}

func testTasks(t *testing.T, s state.Store) {
	ctx := context.Background()
	_, err := s.GetTask(ctx, "missing")
	require.ErrorIs(t, err, state.ErrNotFound)

	a := state.Task{ID: taskID(), Type: state.TaskS3, Name: "a", Engine: state.EngineLocal,
		Definition: []byte(`{"v":1}`), StackOutputs: map[string]string{"Queue": "q"}}
	require.NoError(t, s.PutTask(ctx, a))
	got, err := s.GetTask(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, state.TaskDraft, got.Status, "a new task without status is a draft")
	assert.JSONEq(t, `{"v":1}`, string(got.Definition))
	assert.Equal(t, "q", got.StackOutputs["Queue"])
	assert.False(t, got.CreatedAt.IsZero())

	// PutTask updates descriptive fields but never status or counters.
	_, err = s.StartRun(ctx, a.ID)
	require.NoError(t, err)
	require.NoError(t, s.AddCounters(ctx, a.ID, mustRun(t, s, a.ID), state.Counters{FoundObjects: 3}))
	a.Name, a.Status = "renamed", state.TaskFailed
	require.NoError(t, s.PutTask(ctx, a))
	got, err = s.GetTask(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, "renamed", got.Name)
	assert.Equal(t, state.TaskRunning, got.Status)
	assert.EqualValues(t, 3, got.Counters.FoundObjects)

	// Conditional status changes.
	err = s.SetTaskStatus(ctx, a.ID, []state.TaskStatus{state.TaskIdle}, state.TaskStopped, "")
	require.ErrorIs(t, err, state.ErrConflict)
	require.NoError(t, s.SetTaskStatus(ctx, a.ID, []state.TaskStatus{state.TaskRunning}, state.TaskFailed, "access denied"))
	got, err = s.GetTask(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, state.TaskFailed, got.Status)
	assert.Equal(t, "access denied", got.LastError)
	assert.False(t, got.FinishedAt.IsZero(), "a failed run has an end time")
	require.ErrorIs(t, s.SetTaskStatus(ctx, "missing", nil, state.TaskFailed, ""), state.ErrNotFound)

	list, err := s.ListTasks(ctx)
	require.NoError(t, err)
	assert.True(t, containsTask(list, a.ID))

	require.NoError(t, s.PutObjects(ctx, a.ID, []state.Object{{Key: "k", Size: 1, Status: state.ItemDone}}))
	require.NoError(t, s.DeleteTask(ctx, a.ID))
	_, err = s.GetTask(ctx, a.ID)
	require.ErrorIs(t, err, state.ErrNotFound)
	_, err = s.GetObject(ctx, a.ID, "k")
	require.ErrorIs(t, err, state.ErrNotFound, "deleting a task deletes its records")
	require.ErrorIs(t, s.DeleteTask(ctx, a.ID), state.ErrNotFound)
}

func containsTask(ts []state.Task, id string) bool {
	for _, t := range ts {
		if t.ID == id {
			return true
		}
	}
	return false
}

func mustRun(t *testing.T, s state.Store, id string) string {
	t.Helper()
	task, err := s.GetTask(context.Background(), id)
	require.NoError(t, err)
	return task.RunID
}

func testRuns(t *testing.T, s state.Store) {
	ctx := context.Background()
	task := newTask(t, s)
	assert.Equal(t, state.TaskRunning, task.Status)
	require.NotEmpty(t, task.RunID)
	assert.False(t, task.StartedAt.IsZero())

	_, err := s.StartRun(ctx, task.ID)
	require.ErrorIs(t, err, state.ErrConflict, "a running task cannot start a second run")

	require.NoError(t, s.AddCounters(ctx, task.ID, task.RunID, state.Counters{FoundObjects: 2, FoundBytes: 30}))
	require.NoError(t, s.PutObjects(ctx, task.ID, []state.Object{
		{Key: "a", Size: 10, Status: state.ItemDone}, {Key: "b", Size: 20, Status: state.ItemSkipped}}))
	got, err := s.GetTask(ctx, task.ID)
	require.NoError(t, err)
	assert.False(t, got.Complete(), "not complete before the finder is done")
	require.NoError(t, s.FinishFinder(ctx, task.ID, task.RunID))
	got, err = s.GetTask(ctx, task.ID)
	require.NoError(t, err)
	assert.True(t, got.Complete())
	assert.Equal(t, state.Counters{FoundObjects: 2, FoundBytes: 30, DoneObjects: 1, DoneBytes: 10,
		SkippedObjects: 1, SkippedBytes: 20}, got.Counters)

	require.NoError(t, s.SetTaskStatus(ctx, task.ID, nil, state.TaskCompleted, ""))
	second, err := s.StartRun(ctx, task.ID)
	require.NoError(t, err)
	assert.NotEqual(t, task.RunID, second.RunID)
	assert.Greater(t, second.RunID, task.RunID, "run ids sort by start")
	assert.True(t, second.Counters.IsZero(), "a new run starts from zero")
	assert.False(t, second.FinderDone)

	// Late writes of the old run neither count nor overwrite.
	require.ErrorIs(t, s.AddCounters(ctx, task.ID, task.RunID, state.Counters{DoneObjects: 1}), state.ErrConflict)
	require.ErrorIs(t, s.FinishFinder(ctx, task.ID, task.RunID), state.ErrConflict)
	require.NoError(t, s.PutObjects(ctx, task.ID, []state.Object{{Key: "a", Size: 10, Status: state.ItemDone}}))
	require.NoError(t, s.PutObjects(ctx, task.ID, []state.Object{{Key: "a", Size: 10, Status: state.ItemFailed, RunID: task.RunID}}))
	o, err := s.GetObject(ctx, task.ID, "a")
	require.NoError(t, err)
	assert.Equal(t, state.ItemDone, o.Status, "an older run's late write does not overwrite")
	got, err = s.GetTask(ctx, task.ID)
	require.NoError(t, err)
	assert.Equal(t, state.Counters{DoneObjects: 1, DoneBytes: 10}, got.Counters)

	// The old run's end does not land on the new run; the new run's does.
	running := []state.TaskStatus{state.TaskRunning}
	require.ErrorIs(t, s.FinishRun(ctx, task.ID, task.RunID, running, state.TaskCompleted, ""), state.ErrConflict)
	got, err = s.GetTask(ctx, task.ID)
	require.NoError(t, err)
	assert.Equal(t, state.TaskRunning, got.Status, "a late end of the old run leaves the new one running")
	require.NoError(t, s.FinishRun(ctx, task.ID, second.RunID, running, state.TaskFailed, "1 of 1 objects failed"))
	got, err = s.GetTask(ctx, task.ID)
	require.NoError(t, err)
	assert.Equal(t, state.TaskFailed, got.Status)
	assert.Equal(t, "1 of 1 objects failed", got.LastError)
	require.ErrorIs(t, s.FinishRun(ctx, task.ID, second.RunID, running, state.TaskCompleted, ""), state.ErrConflict, "ended already")
	require.ErrorIs(t, s.FinishRun(ctx, "missing", second.RunID, running, state.TaskCompleted, ""), state.ErrNotFound)
}

// A task its user stopped starts no run that a finder or a schedule asks for
// (RefuseStopped): the check is the run's own conditional write, so a finder that read
// the task before the stop cannot begin a run after it. The user's own start (no
// option) still begins one, and so does a task made IDLE again (Resume, Run now).
func testStoppedStartsNoRun(t *testing.T, s state.Store) {
	ctx := context.Background()
	task := newTask(t, s)
	require.NoError(t, s.SetTaskStatus(ctx, task.ID, []state.TaskStatus{state.TaskRunning}, state.TaskStopped, ""))

	_, err := s.StartRun(ctx, task.ID, state.RefuseStopped)
	require.ErrorIs(t, err, state.ErrStopped)
	require.ErrorIs(t, err, state.ErrConflict, "a refusal is a conflict, as for a running task")
	got, err := s.GetTask(ctx, task.ID)
	require.NoError(t, err)
	assert.Equal(t, state.TaskStopped, got.Status, "the refused start changed nothing")
	assert.Equal(t, task.RunID, got.RunID, "no run begun")

	// Running and stopping tasks are refused as before, and not as stopped.
	require.NoError(t, s.SetTaskStatus(ctx, task.ID, nil, state.TaskStopping, ""))
	_, err = s.StartRun(ctx, task.ID, state.RefuseStopped)
	require.ErrorIs(t, err, state.ErrConflict)
	require.NotErrorIs(t, err, state.ErrStopped)

	// Made IDLE again (Resume, Run now): a finder begins its run.
	require.NoError(t, s.SetTaskStatus(ctx, task.ID, nil, state.TaskIdle, ""))
	second, err := s.StartRun(ctx, task.ID, state.RefuseStopped)
	require.NoError(t, err)
	assert.Equal(t, state.TaskRunning, second.Status)
	assert.NotEqual(t, task.RunID, second.RunID)

	// Without the option a stopped task starts (a local run the user starts again).
	require.NoError(t, s.SetTaskStatus(ctx, task.ID, nil, state.TaskStopped, ""))
	third, err := s.StartRun(ctx, task.ID)
	require.NoError(t, err)
	assert.Equal(t, state.TaskRunning, third.Status)
	assert.NotEqual(t, second.RunID, third.RunID)

	_, err = s.StartRun(ctx, "missing", state.RefuseStopped)
	require.ErrorIs(t, err, state.ErrNotFound)
}

func testObjectTransitions(t *testing.T, s state.Store) {
	ctx := context.Background()
	task := newTask(t, s)
	counters := func() state.Counters {
		got, err := s.GetTask(ctx, task.ID)
		require.NoError(t, err)
		return got.Counters
	}
	put := func(o state.Object) {
		t.Helper()
		require.NoError(t, s.PutObjects(ctx, task.ID, []state.Object{o}))
	}
	put(state.Object{Key: "x", Size: 100, Status: state.ItemInProgress, UploadID: "u1", PartsTotal: 4, Attempts: 1})
	assert.True(t, counters().IsZero(), "in-progress is not counted")
	o, err := s.GetObject(ctx, task.ID, "x")
	require.NoError(t, err)
	assert.Equal(t, "u1", o.UploadID)
	assert.Equal(t, 4, o.PartsTotal)
	assert.Equal(t, task.RunID, o.RunID, "an empty run id means the current run")

	put(state.Object{Key: "x", Size: 100, Status: state.ItemFailed, Error: "SlowDown", Attempts: 2})
	assert.Equal(t, state.Counters{FailedObjects: 1, FailedBytes: 100}, counters())
	put(state.Object{Key: "x", Size: 100, Status: state.ItemFailed, Error: "SlowDown"})
	assert.Equal(t, state.Counters{FailedObjects: 1, FailedBytes: 100}, counters(), "failing twice counts once")
	o, err = s.GetObject(ctx, task.ID, "x")
	require.NoError(t, err)
	assert.Equal(t, 2, o.Attempts, "attempts kept when not given")
	assert.Equal(t, "SlowDown", o.Error)

	put(state.Object{Key: "x", Size: 100, Status: state.ItemDone, DestETag: `"abc"`})
	assert.Equal(t, state.Counters{DoneObjects: 1, DoneBytes: 100}, counters(), "a retried object moves from failed to done")
	put(state.Object{Key: "x", Size: 100, Status: state.ItemDone, DestETag: `"abc"`})
	assert.Equal(t, state.Counters{DoneObjects: 1, DoneBytes: 100}, counters(), "a duplicate done counts once")

	put(state.Object{Key: "x", Size: 100, Status: state.ItemPending})
	assert.True(t, counters().IsZero(), "re-queued (retry failed) leaves the settled buckets")

	require.Error(t, s.PutObjects(ctx, task.ID, []state.Object{{Key: "y", Size: 1}}), "status is required")
	require.ErrorIs(t, s.PutObjects(ctx, "missing", []state.Object{{Key: "y", Size: 1, Status: state.ItemDone}}), state.ErrNotFound)
	_, err = s.GetObject(ctx, task.ID, "nope")
	require.ErrorIs(t, err, state.ErrNotFound)
}

// testConcurrentDuplicates delivers every object's result many times from many goroutines:
// the counters must come out exact.
func testConcurrentDuplicates(t *testing.T, s state.Store) {
	ctx := context.Background()
	task := newTask(t, s)
	const objects, copies = 60, 4
	var wg sync.WaitGroup
	errs := make(chan error, copies)
	for c := 0; c < copies; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < objects; i += 10 {
				var batch []state.Object
				for j := i; j < i+10; j++ {
					st := state.ItemDone
					if j%10 == 0 {
						st = state.ItemFailed
					}
					batch = append(batch, state.Object{Key: fmt.Sprintf("k/%03d", j), Size: int64(j), Status: st})
				}
				if err := s.PutObjects(ctx, task.ID, batch); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	got, err := s.GetTask(ctx, task.ID)
	require.NoError(t, err)
	var want state.Counters
	for j := 0; j < objects; j++ {
		if j%10 == 0 {
			want.FailedObjects++
			want.FailedBytes += int64(j)
		} else {
			want.DoneObjects++
			want.DoneBytes += int64(j)
		}
	}
	assert.Equal(t, want, got.Counters)
	n, err := s.CountObjects(ctx, task.ID)
	require.NoError(t, err)
	assert.Equal(t, map[state.ItemStatus]int64{state.ItemDone: 54, state.ItemFailed: 6}, n)
}

func testListObjects(t *testing.T, s state.Store) {
	ctx := context.Background()
	task := newTask(t, s)
	// Keys that break tools, in byte order (S3's order).
	keys := []string{"", "a b", "a+b", "a%2Fb", "a/", "a//b", "a/?#", "é", "\U0001F600"}
	var objs []state.Object
	for i, k := range keys {
		if k == "" {
			continue
		}
		st := state.ItemDone
		if i%2 == 0 {
			st = state.ItemFailed
		}
		objs = append(objs, state.Object{Key: k, Size: int64(i), Status: st, LastModified: time.Unix(1700000000, 0).UTC()})
	}
	require.NoError(t, s.PutObjects(ctx, task.ID, objs))

	var all []string
	opt := state.ListOptions{Limit: 3}
	for {
		p, err := s.ListObjects(ctx, task.ID, opt)
		require.NoError(t, err)
		assert.LessOrEqual(t, len(p.Items), 3)
		for _, o := range p.Items {
			all = append(all, o.Key)
		}
		if p.Next == "" {
			break
		}
		opt.After = p.Next
	}
	want := slices.Clone(keys[1:])
	slices.Sort(want) // Go compares strings bytewise, like S3
	assert.Equal(t, want, all, "keyset paging returns every key once, in byte order")

	// Offset jumps ahead, alone, after a cursor and with a status filter.
	p, err := s.ListObjects(ctx, task.ID, state.ListOptions{Offset: 2, Limit: 3})
	require.NoError(t, err)
	assert.Equal(t, want[2:5], keysOf(p.Items))
	assert.Equal(t, want[4], p.Next)
	p, err = s.ListObjects(ctx, task.ID, state.ListOptions{After: want[1], Offset: 5, Limit: 3})
	require.NoError(t, err)
	assert.Equal(t, want[7:], keysOf(p.Items))
	assert.Empty(t, p.Next)
	p, err = s.ListObjects(ctx, task.ID, state.ListOptions{Offset: 100})
	require.NoError(t, err)
	assert.Empty(t, p.Items, "an offset past the end is an empty page")

	p, err = s.ListObjects(ctx, task.ID, state.ListOptions{Status: state.ItemFailed})
	require.NoError(t, err)
	for _, o := range p.Items {
		assert.Equal(t, state.ItemFailed, o.Status)
	}
	assert.Len(t, p.Items, 4)
	assert.Equal(t, time.Unix(1700000000, 0).UTC(), p.Items[0].LastModified.UTC())

	failed := keysOf(p.Items)
	p, err = s.ListObjects(ctx, task.ID, state.ListOptions{Status: state.ItemFailed, Offset: 1, Limit: 2})
	require.NoError(t, err)
	assert.Equal(t, failed[1:3], keysOf(p.Items))

	p, err = s.ListObjects(ctx, task.ID, state.ListOptions{Prefix: "a/"})
	require.NoError(t, err)
	var got []string
	for _, o := range p.Items {
		got = append(got, o.Key)
	}
	assert.Equal(t, []string{"a/", "a//b", "a/?#"}, got)
	assert.Empty(t, p.Next)
}

func keysOf(objs []state.Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.Key)
	}
	return out
}

func testParts(t *testing.T, s state.Store) {
	ctx := context.Background()
	task := newTask(t, s)
	var counts []int
	for _, n := range []int{3, 1, 2, 2} {
		done, err := s.PutPart(ctx, task.ID, "big", state.Part{UploadID: "u", Number: n, Size: 5 << 20, ETag: fmt.Sprintf(`"e%d"`, n)})
		require.NoError(t, err)
		counts = append(counts, done)
	}
	assert.Equal(t, []int{1, 2, 3, 3}, counts, "a duplicate part is counted once")
	done, err := s.PutPart(ctx, task.ID, "big", state.Part{UploadID: "other", Number: 1, ETag: `"o"`})
	require.NoError(t, err)
	assert.Equal(t, 1, done, "uploads are counted apart")

	// Many workers finishing parts at once (with duplicates): the last count is seen.
	const total = 40
	var wg sync.WaitGroup
	var mu sync.Mutex
	sawLast := 0
	for n := 1; n <= total; n++ {
		for dup := 0; dup < 2; dup++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				done, err := s.PutPart(ctx, task.ID, "giant", state.Part{UploadID: "g", Number: n, Size: 1, ETag: "e"})
				if !assert.NoError(t, err) {
					return
				}
				if done == total {
					mu.Lock()
					sawLast++
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	assert.GreaterOrEqual(t, sawLast, 1, "some worker sees the upload complete")
	parts, err := s.ListParts(ctx, task.ID, "big", "u")
	require.NoError(t, err)
	require.Len(t, parts, 3, "a duplicate part is stored once")
	for i, p := range parts {
		assert.Equal(t, i+1, p.Number)
	}
	require.NoError(t, s.DeleteParts(ctx, task.ID, "big", "u"))
	parts, err = s.ListParts(ctx, task.ID, "big", "u")
	require.NoError(t, err)
	assert.Empty(t, parts)
	parts, err = s.ListParts(ctx, task.ID, "big", "other")
	require.NoError(t, err)
	assert.Len(t, parts, 1)
}

func testImages(t *testing.T, s state.Store) {
	ctx := context.Background()
	task := newTask(t, s)
	img := state.Image{Source: "reg1/app:v1", Destination: "reg2/mirror/app:v1", Repository: "app", Tag: "v1",
		Digest: "sha256:abc", Platforms: []string{"linux/amd64", "linux/arm64"}, Bytes: 1000,
		Status: state.ItemDone, Duration: 1500 * time.Millisecond}
	require.NoError(t, s.PutImages(ctx, task.ID, []state.Image{img, img}))
	require.NoError(t, s.PutImages(ctx, task.ID, []state.Image{{Source: "reg1/app:v2", Status: state.ItemFailed, Error: "denied"}}))
	got, err := s.GetImage(ctx, task.ID, img.Source)
	require.NoError(t, err)
	assert.Equal(t, img.Platforms, got.Platforms)
	assert.Equal(t, img.Duration, got.Duration)
	assert.Equal(t, img.Destination, got.Destination)
	tk, err := s.GetTask(ctx, task.ID)
	require.NoError(t, err)
	assert.Equal(t, state.Counters{DoneObjects: 1, DoneBytes: 1000, FailedObjects: 1}, tk.Counters)
	p, err := s.ListImages(ctx, task.ID, state.ListOptions{Status: state.ItemFailed})
	require.NoError(t, err)
	require.Len(t, p.Items, 1)
	assert.Equal(t, "denied", p.Items[0].Error)
	_, err = s.GetImage(ctx, task.ID, "nope")
	require.ErrorIs(t, err, state.ErrNotFound)
}

func testMetaAndLeases(t *testing.T, s state.Store) {
	ctx := context.Background()
	task := newTask(t, s)
	v, err := s.GetMeta(ctx, task.ID, "checkpoint")
	require.NoError(t, err)
	assert.Empty(t, v)
	require.NoError(t, s.SetMeta(ctx, task.ID, "checkpoint", "photos/2024/"))
	require.NoError(t, s.SetMeta(ctx, task.ID, "checkpoint", "photos/2025/"))
	v, err = s.GetMeta(ctx, task.ID, "checkpoint")
	require.NoError(t, err)
	assert.Equal(t, "photos/2025/", v)

	require.NoError(t, s.Lease(ctx, task.ID, "finder", "host-a", time.Minute))
	require.NoError(t, s.Lease(ctx, task.ID, "finder", "host-a", time.Minute), "the holder renews")
	err = s.Lease(ctx, task.ID, "finder", "host-b", time.Minute)
	require.True(t, errors.Is(err, state.ErrConflict), "another owner is refused: %v", err)
	var held *state.LeaseHeldError
	require.ErrorAs(t, err, &held, "the refusal says who holds the lease")
	assert.Equal(t, "host-a", held.Holder)
	assert.Equal(t, "finder", held.Name)
	assert.Equal(t, task.ID, held.TaskID)
	assert.WithinDuration(t, time.Now().Add(time.Minute), held.Until, 10*time.Second, "and until when")
	require.NoError(t, s.ReleaseLease(ctx, task.ID, "finder", "host-b"), "releasing someone else's lease is a no-op")
	require.ErrorIs(t, s.Lease(ctx, task.ID, "finder", "host-b", time.Minute), state.ErrConflict)
	require.NoError(t, s.ReleaseLease(ctx, task.ID, "finder", "host-a"))
	require.NoError(t, s.Lease(ctx, task.ID, "finder", "host-b", 10*time.Millisecond))
	time.Sleep(30 * time.Millisecond)
	require.NoError(t, s.Lease(ctx, task.ID, "finder", "host-c", time.Minute), "an expired lease can be taken")
}
