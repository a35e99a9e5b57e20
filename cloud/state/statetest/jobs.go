package statetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/state"
)

// The contract of job batches (Store.PutJob) and of the records written into them.

func counters(t *testing.T, s state.Store, id string) state.Counters {
	t.Helper()
	got, err := s.GetTask(context.Background(), id)
	require.NoError(t, err)
	return got.Counters
}

func sent(keys ...string) []state.Object {
	var out []state.Object
	for i, k := range keys {
		out = append(out, state.Object{Key: k, Size: int64(10 * (i + 1)), Status: state.ItemPending})
	}
	return out
}

func settled(objs []state.Object, st state.ItemStatus) []state.Object {
	out := slices.Clone(objs)
	for i := range out {
		out[i].Status, out[i].ETag, out[i].DestETag = st, fmt.Sprintf("%032x", i+1), fmt.Sprintf("%032x", i+1)
		out[i].Checksum = "CRC64NVME:AAAAAAAAAAE="
		if st == state.ItemFailed {
			out[i].Error = "SlowDown"
		}
	}
	return out
}

// A job batch is recorded queued as it is sent, then settled by the worker: its objects
// are found while in flight, a batch sent again never undoes what was settled, and only
// settling counts.
func testJobs(t *testing.T, s state.Store) {
	ctx := context.Background()
	task := newTask(t, s)
	job := sent("j/a", "j/b", "j/c", "j/d", "j/e")
	require.NoError(t, s.PutJob(ctx, task.ID, job))
	assert.True(t, counters(t, s, task.ID).IsZero(), "sending counts nothing")
	o, err := s.GetObject(ctx, task.ID, "j/c")
	require.NoError(t, err)
	assert.Equal(t, state.ItemPending, o.Status)
	assert.Equal(t, task.RunID, o.RunID)
	assert.EqualValues(t, 30, o.Size)
	p, err := s.ListObjects(ctx, task.ID, state.ListOptions{Status: state.ItemPending, After: "j/a", Limit: 2})
	require.NoError(t, err)
	assert.Equal(t, []string{"j/b", "j/c"}, keysOf(p.Items), "queued objects are listed, in key order")
	assert.Equal(t, "j/c", p.Next)
	// A worker starts on one (a multipart upload's intent): in progress.
	started := job[1]
	started.Status = state.ItemInProgress
	require.NoError(t, s.PutObjects(ctx, task.ID, []state.Object{started}))
	p, err = s.ListObjects(ctx, task.ID, state.ListOptions{Status: state.ItemInProgress})
	require.NoError(t, err)
	assert.Equal(t, []string{"j/b"}, keysOf(p.Items))
	assert.True(t, counters(t, s, task.ID).IsZero(), "work in progress counts nothing")

	// The worker settles the batch in two writes: three done, one failed, one gone.
	done := settled(job[:3], state.ItemDone)
	require.NoError(t, s.PutObjects(ctx, task.ID, done))
	rest := append(settled(job[3:4], state.ItemFailed), settled(job[4:], state.ItemSkipped)...)
	require.NoError(t, s.PutObjects(ctx, task.ID, rest))
	want := state.Counters{DoneObjects: 3, DoneBytes: 60, FailedObjects: 1, FailedBytes: 40, SkippedObjects: 1, SkippedBytes: 50}
	assert.Equal(t, want, counters(t, s, task.ID))
	o, err = s.GetObject(ctx, task.ID, "j/a")
	require.NoError(t, err)
	assert.Equal(t, state.ItemDone, o.Status)
	assert.Equal(t, done[0].ETag, o.ETag)
	assert.Equal(t, done[0].DestETag, o.DestETag)
	assert.Equal(t, "CRC64NVME:AAAAAAAAAAE=", o.Checksum)

	// Sent again (a finder that died before its checkpoint), delivered twice: nothing moves.
	require.NoError(t, s.PutJob(ctx, task.ID, job))
	require.NoError(t, s.PutObjects(ctx, task.ID, done))
	assert.Equal(t, want, counters(t, s, task.ID))
	o, err = s.GetObject(ctx, task.ID, "j/b")
	require.NoError(t, err)
	assert.Equal(t, state.ItemDone, o.Status, "a batch sent again keeps its settled objects")

	p, err = s.ListObjects(ctx, task.ID, state.ListOptions{Status: state.ItemFailed})
	require.NoError(t, err)
	require.Equal(t, []string{"j/d"}, keysOf(p.Items))
	assert.Equal(t, "SlowDown", p.Items[0].Error)
	for _, st := range []state.ItemStatus{state.ItemPending, state.ItemInProgress} {
		p, err = s.ListObjects(ctx, task.ID, state.ListOptions{Status: st})
		require.NoError(t, err)
		assert.Empty(t, p.Items, "nothing in flight once settled")
	}
	p, err = s.ListObjects(ctx, task.ID, state.ListOptions{Status: state.ItemDone, Offset: 1})
	require.NoError(t, err)
	assert.Equal(t, []string{"j/b", "j/c"}, keysOf(p.Items))

	// The failed one is retried and copied: it leaves the failed list and the bucket.
	retried := settled(job[3:4], state.ItemDone)
	require.NoError(t, s.PutObjects(ctx, task.ID, retried))
	want = state.Counters{DoneObjects: 4, DoneBytes: 100, SkippedObjects: 1, SkippedBytes: 50}
	assert.Equal(t, want, counters(t, s, task.ID))
	p, err = s.ListObjects(ctx, task.ID, state.ListOptions{Status: state.ItemFailed})
	require.NoError(t, err)
	assert.Empty(t, p.Items)
	n, err := s.CountObjects(ctx, task.ID)
	require.NoError(t, err)
	assert.Equal(t, map[state.ItemStatus]int64{state.ItemDone: 4, state.ItemSkipped: 1}, n)

	// A large object travels alone: a batch of one, its upload recorded, then settled.
	big := sent("j/big")
	require.NoError(t, s.PutJob(ctx, task.ID, big))
	big[0].Status, big[0].UploadID, big[0].PartsTotal = state.ItemInProgress, "up-1", 3
	require.NoError(t, s.PutObjects(ctx, task.ID, big))
	o, err = s.GetObject(ctx, task.ID, "j/big")
	require.NoError(t, err)
	assert.Equal(t, "up-1", o.UploadID, "an upload is recorded in the batch's record")
	assert.Equal(t, state.ItemInProgress, o.Status)
	require.NoError(t, s.PutObjects(ctx, task.ID, settled(big, state.ItemDone)))
	assert.EqualValues(t, 5, counters(t, s, task.ID).DoneObjects)

	require.Error(t, s.PutJob(ctx, task.ID, settled(sent("j/x"), state.ItemDone)), "a job is sent in flight")
	require.ErrorIs(t, s.PutJob(ctx, "missing", sent("j/x")), state.ErrNotFound)
}

// A batch sent again with more keys (a finder that resumed from an earlier checkpoint
// and cut its batches elsewhere) queues the new keys; the ones already there keep their
// records.
func testJobSentAgainWithMore(t *testing.T, s state.Store) {
	ctx := context.Background()
	task := newTask(t, s)
	job := sent("m/a", "m/b")
	require.NoError(t, s.PutJob(ctx, task.ID, job))
	require.NoError(t, s.PutObjects(ctx, task.ID, settled(job[:1], state.ItemDone)))
	require.NoError(t, s.PutJob(ctx, task.ID, sent("m/a", "m/b", "m/c")))
	p, err := s.ListObjects(ctx, task.ID, state.ListOptions{Status: state.ItemPending})
	require.NoError(t, err)
	assert.Equal(t, []string{"m/b", "m/c"}, keysOf(p.Items), "the new key is queued")
	// New keys before and among the old ones, each recorded once.
	require.NoError(t, s.PutJob(ctx, task.ID, sent("m/a", "m/a0", "m/a1", "m/c", "m/d")))
	p, err = s.ListObjects(ctx, task.ID, state.ListOptions{Status: state.ItemPending})
	require.NoError(t, err)
	assert.Equal(t, []string{"m/a0", "m/a1", "m/b", "m/c", "m/d"}, keysOf(p.Items))
	n, err := s.CountObjects(ctx, task.ID)
	require.NoError(t, err)
	assert.Equal(t, map[state.ItemStatus]int64{state.ItemDone: 1, state.ItemPending: 5}, n)
	o, err := s.GetObject(ctx, task.ID, "m/a")
	require.NoError(t, err)
	assert.Equal(t, state.ItemDone, o.Status, "a settled key keeps its record")
}

// A later run's batches supersede the earlier run's records of their keys; the other
// keys keep theirs, and all are listed once, in key order.
func testJobsAcrossRuns(t *testing.T, s state.Store) {
	ctx := context.Background()
	task := newTask(t, s)
	first := sent("r/a", "r/b", "r/c", "r/e")
	require.NoError(t, s.PutJob(ctx, task.ID, first))
	require.NoError(t, s.PutObjects(ctx, task.ID, append(settled(first[:1], state.ItemDone),
		append(settled(first[1:2], state.ItemFailed), settled(first[2:], state.ItemDone)...)...)))
	require.NoError(t, s.SetTaskStatus(ctx, task.ID, nil, state.TaskFailed, "1 object failed"))
	second, err := s.StartRun(ctx, task.ID)
	require.NoError(t, err)

	job := sent("r/b", "r/d")
	require.NoError(t, s.PutJob(ctx, task.ID, job))
	p, err := s.ListObjects(ctx, task.ID, state.ListOptions{Status: state.ItemFailed})
	require.NoError(t, err)
	assert.Empty(t, p.Items, "an object sent again leaves the failed list")
	var got []string
	opt := state.ListOptions{Limit: 2}
	for {
		p, err := s.ListObjects(ctx, task.ID, opt)
		require.NoError(t, err)
		for _, o := range p.Items {
			got = append(got, fmt.Sprintf("%s %s %v", o.Key, o.Status, o.RunID == second.RunID))
		}
		if p.Next == "" {
			break
		}
		opt.After = p.Next
	}
	assert.Equal(t, []string{"r/a DONE false", "r/b PENDING true", "r/c DONE false", "r/d PENDING true", "r/e DONE false"}, got)
	require.NoError(t, s.PutObjects(ctx, task.ID, settled(job, state.ItemDone)))
	assert.Equal(t, state.Counters{DoneObjects: 2, DoneBytes: 30}, counters(t, s, task.ID), "only this run's objects count")
	o, err := s.GetObject(ctx, task.ID, "r/b")
	require.NoError(t, err)
	assert.Equal(t, state.ItemDone, o.Status)
	assert.Equal(t, second.RunID, o.RunID)
	o, err = s.GetObject(ctx, task.ID, "r/c")
	require.NoError(t, err)
	assert.Equal(t, task.RunID, o.RunID, "a key the run did not send keeps its earlier record")
	n, err := s.CountObjects(ctx, task.ID)
	require.NoError(t, err)
	assert.Equal(t, map[state.ItemStatus]int64{state.ItemDone: 5}, n)
	// A late write of the first run changes neither records nor counts.
	require.NoError(t, s.PutObjects(ctx, task.ID, []state.Object{{Key: "r/d", Size: 20, Status: state.ItemFailed, RunID: task.RunID}}))
	o, err = s.GetObject(ctx, task.ID, "r/d")
	require.NoError(t, err)
	assert.Equal(t, state.ItemDone, o.Status)
	assert.Equal(t, state.Counters{DoneObjects: 2, DoneBytes: 30}, counters(t, s, task.ID))
}

// A run's queued record never hides the work an earlier run left in progress (a
// multipart upload, whose id the new run's worker needs to resume or abort it); the
// object's outcome in the new run replaces it.
func testJobsKeepUploads(t *testing.T, s state.Store) {
	ctx := context.Background()
	task := newTask(t, s)
	job := sent("u/big", "u/small")
	require.NoError(t, s.PutJob(ctx, task.ID, job))
	require.NoError(t, s.PutObjects(ctx, task.ID, []state.Object{{Key: "u/big", Size: 10, Status: state.ItemInProgress,
		UploadID: "up-1", PartsTotal: 4}}))
	require.NoError(t, s.SetTaskStatus(ctx, task.ID, nil, state.TaskStopped, ""))
	second, err := s.StartRun(ctx, task.ID)
	require.NoError(t, err)
	require.NoError(t, s.PutJob(ctx, task.ID, job))
	o, err := s.GetObject(ctx, task.ID, "u/big")
	require.NoError(t, err)
	assert.Equal(t, state.ItemInProgress, o.Status)
	assert.Equal(t, "up-1", o.UploadID, "the upload under way stays findable")
	o, err = s.GetObject(ctx, task.ID, "u/small")
	require.NoError(t, err)
	assert.Equal(t, state.ItemPending, o.Status)
	assert.Equal(t, second.RunID, o.RunID)
	require.NoError(t, s.PutObjects(ctx, task.ID, settled(job, state.ItemDone)))
	o, err = s.GetObject(ctx, task.ID, "u/big")
	require.NoError(t, err)
	assert.Equal(t, state.ItemDone, o.Status)
	assert.Equal(t, second.RunID, o.RunID)
	assert.Equal(t, state.Counters{DoneObjects: 2, DoneBytes: 30}, counters(t, s, task.ID))
	n, err := s.CountObjects(ctx, task.ID)
	require.NoError(t, err)
	assert.Equal(t, map[state.ItemStatus]int64{state.ItemDone: 2}, n)
}

// An object recorded on its own (an S3 event's copy) and in a job batch of the same run,
// in either order, counts once.
func testJobAndSingleWrites(t *testing.T, s state.Store) {
	ctx := context.Background()
	task := newTask(t, s)
	// The event's copy first, then a batch holding the key.
	require.NoError(t, s.PutObjects(ctx, task.ID, []state.Object{{Key: "e/k", Size: 20, Status: state.ItemDone}}))
	job := sent("e/a", "e/k", "e/z")
	require.NoError(t, s.PutJob(ctx, task.ID, job))
	o, err := s.GetObject(ctx, task.ID, "e/k")
	require.NoError(t, err)
	assert.Equal(t, state.ItemDone, o.Status, "the batch keeps the key's record of this run")
	require.NoError(t, s.PutObjects(ctx, task.ID, settled(job, state.ItemDone)))
	assert.Equal(t, state.Counters{DoneObjects: 3, DoneBytes: 60}, counters(t, s, task.ID))
	// A batch first, then the event's copy, then the batch settles.
	job = sent("f/a", "f/k")
	require.NoError(t, s.PutJob(ctx, task.ID, job))
	require.NoError(t, s.PutObjects(ctx, task.ID, []state.Object{{Key: "f/k", Size: 20, Status: state.ItemDone}}))
	require.NoError(t, s.PutObjects(ctx, task.ID, settled(job, state.ItemDone)))
	assert.Equal(t, state.Counters{DoneObjects: 5, DoneBytes: 90}, counters(t, s, task.ID))
	n, err := s.CountObjects(ctx, task.ID)
	require.NoError(t, err)
	assert.Equal(t, map[state.ItemStatus]int64{state.ItemDone: 5}, n)
	p, err := s.ListObjects(ctx, task.ID, state.ListOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{"e/a", "e/k", "e/z", "f/a", "f/k"}, keysOf(p.Items))
}

// Batches sent and settled while the same keys are copied one by one (events) and the
// batches are sent twice, all at once: every key counts once.
func testConcurrentJobsAndEvents(t *testing.T, s state.Store) {
	ctx := context.Background()
	task := newTask(t, s)
	const batches, per = 6, 8
	var wg sync.WaitGroup
	errs := make(chan error, 4*batches*per)
	for b := 0; b < batches; b++ {
		var keys []string
		for i := 0; i < per; i++ {
			keys = append(keys, fmt.Sprintf("c/%02d/%02d", b, i))
		}
		job := sent(keys...)
		for dup := 0; dup < 2; dup++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.PutJob(ctx, task.ID, job); err != nil {
					errs <- err
					return
				}
				if err := s.PutObjects(ctx, task.ID, settled(job, state.ItemDone)); err != nil {
					errs <- err
				}
			}()
		}
		for i := 0; i < per; i += 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.PutObjects(ctx, task.ID, settled(job[i:i+1], state.ItemDone)); err != nil {
					errs <- err
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	c := counters(t, s, task.ID)
	assert.EqualValues(t, batches*per, c.DoneObjects, "every key counted once")
	n, err := s.CountObjects(ctx, task.ID)
	require.NoError(t, err)
	assert.Equal(t, map[state.ItemStatus]int64{state.ItemDone: batches * per}, n)
	var all []string
	opt := state.ListOptions{Limit: 7}
	for {
		p, err := s.ListObjects(ctx, task.ID, opt)
		require.NoError(t, err)
		all = append(all, keysOf(p.Items)...)
		if p.Next == "" {
			break
		}
		opt.After = p.Next
	}
	assert.Len(t, all, batches*per)
	assert.True(t, slices.IsSorted(all))
}

// Keys as long as S3 allows (1,024 bytes), sharing long prefixes, in batches.
func testLongKeys(t *testing.T, s state.Store) {
	ctx := context.Background()
	task := newTask(t, s)
	long := strings.Repeat("é", 480) // 960 bytes
	keys := []string{long + "a", long + "b/" + strings.Repeat("x", 60), long + "c", long[:958] + "z"}
	slices.Sort(keys)
	require.NoError(t, s.PutJob(ctx, task.ID, sent(keys[:2]...)))
	require.NoError(t, s.PutJob(ctx, task.ID, sent(keys[2:]...)))
	require.NoError(t, s.PutObjects(ctx, task.ID, settled(sent(keys...), state.ItemDone)))
	for _, k := range keys {
		o, err := s.GetObject(ctx, task.ID, k)
		require.NoError(t, err, "%d bytes", len(k))
		assert.Equal(t, state.ItemDone, o.Status)
	}
	p, err := s.ListObjects(ctx, task.ID, state.ListOptions{After: keys[0], Limit: 2})
	require.NoError(t, err)
	assert.Equal(t, keys[1:3], keysOf(p.Items))
	assert.Equal(t, state.Counters{DoneObjects: 4, DoneBytes: 100}, counters(t, s, task.ID))
}
