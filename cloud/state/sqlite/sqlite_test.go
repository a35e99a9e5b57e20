package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"transferhub/cloud/queue"
	"transferhub/cloud/queue/queuetest"
	"transferhub/cloud/state"
	"transferhub/cloud/state/sqlite"
	"transferhub/cloud/state/statetest"
)

func open(t *testing.T) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "state", "task.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

func TestStoreContract(t *testing.T) {
	statetest.Run(t, func(t *testing.T) state.Store { return open(t) })
}

func TestQueueContract(t *testing.T) {
	queuetest.Run(t, func(t *testing.T, maxReceives int) queue.Queue {
		return open(t).Queue("jobs", sqlite.QueueOptions{MaxReceives: maxReceives})
	})
}

// The state survives closing and reopening the file: a killed run resumes from it.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "task.db")
	db, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	require.NoError(t, db.PutTask(ctx, state.Task{ID: "t1", Type: state.TaskS3, Name: "n", Engine: state.EngineLocal}))
	_, err = db.StartRun(ctx, "t1")
	require.NoError(t, err)
	require.NoError(t, db.PutObjects(ctx, "t1", []state.Object{{Key: "k", Size: 5, Status: state.ItemDone}}))
	q := db.Queue("jobs", sqlite.QueueOptions{})
	require.NoError(t, q.Send(ctx, []byte(`{"v":1}`)))
	require.NoError(t, db.Close())

	db, err = sqlite.Open(ctx, path)
	require.NoError(t, err)
	defer db.Close()
	task, err := db.GetTask(ctx, "t1")
	require.NoError(t, err)
	require.EqualValues(t, 1, task.Counters.DoneObjects)
	msgs, err := db.Queue("jobs", sqlite.QueueOptions{}).Receive(ctx, 10, 0, 0)
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	require.JSONEq(t, `{"v":1}`, string(msgs[0].Body))
}

// Two queues in one file are independent.
func TestNamedQueues(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	a, b := db.Queue("a", sqlite.QueueOptions{}), db.Queue("b", sqlite.QueueOptions{})
	require.NoError(t, a.Send(ctx, []byte("1")))
	msgs, err := b.Receive(ctx, 10, 0, 0)
	require.NoError(t, err)
	require.Empty(t, msgs)
	vis, _, err := a.Depth(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 1, vis)
}

// After a crash, the sole owner takes the dead process's deliveries back at once; they
// still count toward the dead-letter limit, and other queues are untouched.
func TestReleaseOrphans(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	q := db.Queue("jobs", sqlite.QueueOptions{MaxReceives: 2})
	other := db.Queue("other", sqlite.QueueOptions{})
	require.NoError(t, q.Send(ctx, []byte("1"), []byte("2"), []byte("3")))
	require.NoError(t, other.Send(ctx, []byte("x")))
	held, err := q.Receive(ctx, 2, time.Hour, 0)
	require.NoError(t, err)
	require.Len(t, held, 2)
	_, err = other.Receive(ctx, 1, time.Hour, 0)
	require.NoError(t, err)

	n, err := q.ReleaseOrphans(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 2, n)
	vis, inFlight, err := q.Depth(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 3, vis)
	require.Zero(t, inFlight)
	_, inFlight, err = other.Depth(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 1, inFlight, "another queue's deliveries stay in flight")

	again, err := q.Receive(ctx, 3, time.Hour, 0)
	require.NoError(t, err)
	require.Len(t, again, 3)
	for _, m := range again {
		if m.ID == held[0].ID || m.ID == held[1].ID {
			require.Equal(t, 2, m.Receives, "an interrupted delivery still counts")
		}
	}
	n, err = q.ReleaseOrphans(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 3, n)
	dead, err := q.DeadLetters(ctx, 10)
	require.NoError(t, err)
	require.Empty(t, dead)
	next, err := q.Receive(ctx, 3, time.Hour, 0)
	require.NoError(t, err)
	require.Len(t, next, 1, "the two at their limit went to the dead-letter queue")
	dead, err = q.DeadLetters(ctx, 10)
	require.NoError(t, err)
	require.Len(t, dead, 2)
}
