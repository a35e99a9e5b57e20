package s3sync_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"transferhub/cloud/queue"
	"transferhub/cloud/s3sync"
	"transferhub/cloud/state"
	"transferhub/cloud/state/sqlite"
)

// The dead-letter sweep of a retry, over a real store and queue (SQLite): what it keeps
// and what it deletes, message by message; kept messages are visible again at once.
func TestDropRetriedDeadLetters(t *testing.T) {
	ctx := context.Background()
	db, old, cur := secondRun(t, "old-failed")
	require.NoError(t, db.PutObjects(ctx, "t", []state.Object{
		{Key: "failed", Status: state.ItemFailed, RunID: cur.RunID},
		{Key: "failed2", Status: state.ItemFailed, RunID: cur.RunID},
		{Key: "done", Status: state.ItemDone, RunID: cur.RunID},
		{Key: "skipped", Status: state.ItemSkipped, RunID: cur.RunID},
		{Key: "pending", Status: state.ItemPending, RunID: cur.RunID},
	}))
	job := func(run string, keys ...string) string { return jobBody(t, run, keys...) }
	part := func(key string) string {
		b, err := s3sync.EncodePart(s3sync.PartJob{Run: cur.RunID, Object: s3sync.JobObject{Key: key, Size: 10 << 20},
			UploadID: "u", Part: 1, Parts: 2, PartSize: 5 << 20})
		require.NoError(t, err)
		return string(b)
	}
	gone := []string{
		job(cur.RunID, "failed"),
		job(cur.RunID, "failed", "failed2", "done", "skipped"),
		job(old.RunID, "failed2"), // an older run's message of an object retried now
		part("failed"),
	}
	stays := []string{
		job(cur.RunID, "failed", "pending"), // one object not settled
		job(cur.RunID, "failed", "unknown"), // one object without a record
		job(old.RunID, "old-failed"),        // an older run's failure is not retried
		part("done2"),
		`{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"failed","size":1}}}]}`,
		`not json`,
		job(cur.RunID), // no object at all
	}
	dlq := db.Queue("dlq", sqlite.QueueOptions{MaxReceives: 1000})
	var bodies [][]byte
	for _, b := range append(slices.Clone(gone), stays...) {
		bodies = append(bodies, []byte(b))
	}
	require.NoError(t, dlq.Send(ctx, bodies...))

	n, err := s3sync.DropRetriedDeadLetters(ctx, db, dlq, cur)
	require.NoError(t, err)
	require.Equal(t, len(gone), n)

	msgs, left := receiveBodies(t, dlq)
	require.ElementsMatch(t, stays, left, "the others stay, visible again at once")

	// Nothing failed in the current run: nothing to judge, nothing read or deleted.
	require.NoError(t, dlq.Release(ctx, msgs[0]))
	require.NoError(t, db.SetTaskStatus(ctx, "t", []state.TaskStatus{state.TaskRunning}, state.TaskFailed, ""))
	none, err := db.StartRun(ctx, "t")
	require.NoError(t, err)
	n, err = s3sync.DropRetriedDeadLetters(ctx, db, dlq, none)
	require.NoError(t, err)
	require.Zero(t, n)
}

// jobBody is the message of a job of run holding keys (1 byte each).
func jobBody(t *testing.T, run string, keys ...string) string {
	t.Helper()
	j := s3sync.Job{Run: run}
	for _, k := range keys {
		j.Objects = append(j.Objects, s3sync.JobObject{Key: k, Size: 1})
	}
	b, err := s3sync.EncodeJob(j)
	require.NoError(t, err)
	return string(b)
}

// A fleet settles the dead letters of its current run (SQS moved them there after a
// worker died in their last delivery): their objects without a final record of the run
// are recorded FAILED; the messages stay, visible again, for a person to redrive.
func TestSettleDeadLettersRecordsTheRunsUnsettled(t *testing.T) {
	ctx := context.Background()
	db, old, cur := secondRun(t, "old-failed")
	require.NoError(t, db.PutObjects(ctx, "t", []state.Object{
		{Key: "done", Status: state.ItemDone, RunID: cur.RunID},
		{Key: "done-before", Status: state.ItemDone, RunID: old.RunID},
	}))
	dlq := db.Queue("dlq", sqlite.QueueOptions{MaxReceives: 1000})
	bodies := []string{
		jobBody(t, cur.RunID, "done", "lost"),
		jobBody(t, cur.RunID, "done-before"),
		jobBody(t, old.RunID, "old-failed", "other"), // an older run's: not this run's business
		`not json`,
	}
	for _, b := range bodies {
		require.NoError(t, dlq.Send(ctx, []byte(b)))
	}
	f := &s3sync.Fleet{Worker: &s3sync.Worker{Store: db, TaskID: "t"}, DeadLetter: dlq, MaxReceives: 3}
	n, err := f.SettleDeadLetters(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	for key, want := range map[string]state.ItemStatus{"lost": state.ItemFailed, "done-before": state.ItemFailed, "done": state.ItemDone} {
		rec, err := db.GetObject(ctx, "t", key)
		require.NoError(t, err, key)
		require.Equal(t, want, rec.Status, key)
		require.Equal(t, cur.RunID, rec.RunID, key)
	}
	rec, err := db.GetObject(ctx, "t", "lost")
	require.NoError(t, err)
	require.Contains(t, rec.Error, "dead-letter queue")
	require.Equal(t, 3, rec.Attempts)
	_, err = db.GetObject(ctx, "t", "other")
	require.ErrorIs(t, err, state.ErrNotFound)

	_, left := receiveBodies(t, dlq)
	require.ElementsMatch(t, bodies, left, "every dead letter stays, visible again at once")
}

// receiveBodies receives the visible messages of q (up to 100, hidden for a minute) and
// returns them with their bodies.
func receiveBodies(t *testing.T, q queue.Queue) ([]queue.Message, []string) {
	t.Helper()
	msgs, err := q.Receive(context.Background(), 100, time.Minute, 0)
	require.NoError(t, err)
	var bodies []string
	for _, m := range msgs {
		bodies = append(bodies, string(m.Body))
	}
	return msgs, bodies
}

// EnqueueFailed queues the current run's failed objects only, as jobs of that run.
func TestEnqueueFailedQueuesTheCurrentRunsFailures(t *testing.T) {
	ctx := context.Background()
	db, _, cur := secondRun(t, "old")
	var objs []state.Object
	for i := range 450 {
		objs = append(objs, state.Object{Key: string(rune('a'+i%26)) + time.Duration(i).String(), Size: int64(i), Status: state.ItemFailed, RunID: cur.RunID})
	}
	objs = append(objs, state.Object{Key: "ok", Status: state.ItemDone, RunID: cur.RunID})
	require.NoError(t, db.PutObjects(ctx, "t", objs))
	q := db.Queue("jobs", sqlite.QueueOptions{})
	n, err := s3sync.EnqueueFailed(ctx, db, q, cur)
	require.NoError(t, err)
	require.Equal(t, 450, n)
	msgs, err := q.Receive(ctx, 100, time.Minute, 0)
	require.NoError(t, err)
	require.Len(t, msgs, 3, "jobs of 200 objects at most")
	seen := 0
	for _, m := range msgs {
		j, err := s3sync.DecodeJob(m.Body)
		require.NoError(t, err)
		require.Equal(t, cur.RunID, j.Run)
		require.LessOrEqual(t, len(j.Objects), 200)
		seen += len(j.Objects)
	}
	require.Equal(t, 450, seen)
}

// secondRun opens a task store (SQLite) whose task "t" ran once, with oldKey FAILED in
// that run, and began a second run.
func secondRun(t *testing.T, oldKey string) (db *sqlite.DB, old, cur state.Task) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "task.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	require.NoError(t, db.PutTask(ctx, state.Task{ID: "t", Type: state.TaskS3, Name: "t"}))
	old, err = db.StartRun(ctx, "t")
	require.NoError(t, err)
	require.NoError(t, db.PutObjects(ctx, "t", []state.Object{{Key: oldKey, Status: state.ItemFailed, RunID: old.RunID}}))
	require.NoError(t, db.SetTaskStatus(ctx, "t", []state.TaskStatus{state.TaskRunning}, state.TaskFailed, ""))
	cur, err = db.StartRun(ctx, "t")
	require.NoError(t, err)
	return db, old, cur
}

// PrepareRetry records the current run's failed objects pending (the run no longer
// counts them settled) and returns them with the run's pending ones; an older run's
// failure is not retried.
func TestPrepareRetryRecordsTheFailuresPending(t *testing.T) {
	ctx := context.Background()
	db, _, cur := secondRun(t, "old")
	require.NoError(t, db.PutObjects(ctx, "t", []state.Object{
		{Key: "a", Size: 1, Status: state.ItemFailed, Error: "SlowDown", RunID: cur.RunID},
		{Key: "b", Size: 2, Status: state.ItemDone, RunID: cur.RunID},
		{Key: "c", Size: 4, Status: state.ItemFailed, Error: "SlowDown", RunID: cur.RunID},
		{Key: "d", Size: 8, Status: state.ItemPending, RunID: cur.RunID},
	}))
	require.NoError(t, db.AddCounters(ctx, "t", cur.RunID, state.Counters{FoundObjects: 4, FoundBytes: 15}))
	require.NoError(t, db.FinishFinder(ctx, "t", cur.RunID))
	objs, err := s3sync.PrepareRetry(ctx, db, cur)
	require.NoError(t, err)
	var keys []string
	for _, o := range objs {
		keys = append(keys, o.Key)
	}
	require.ElementsMatch(t, []string{"a", "c", "d"}, keys)
	got, err := db.GetTask(ctx, "t")
	require.NoError(t, err)
	require.Equal(t, state.Counters{FoundObjects: 4, FoundBytes: 15, DoneObjects: 1, DoneBytes: 2}, got.Counters)
	require.False(t, got.Complete(), "pending objects keep the run open")
	for _, k := range []string{"a", "c"} {
		o, err := db.GetObject(ctx, "t", k)
		require.NoError(t, err)
		require.Equal(t, state.ItemPending, o.Status, k)
	}
	o, err := db.GetObject(ctx, "t", "old")
	require.NoError(t, err)
	require.Equal(t, state.ItemFailed, o.Status, "an older run's failure stays")
}
