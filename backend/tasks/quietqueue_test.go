package tasks

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/queue"
	"transferhub/cloud/state/sqlite"
)

// countingQueue counts the receives that reach the real queue.
type countingQueue struct {
	queue.Queue
	receives atomic.Int64
}

func (c *countingQueue) Receive(ctx context.Context, n int, vis, wait time.Duration) ([]queue.Message, error) {
	c.receives.Add(1)
	return c.Queue.Receive(ctx, n, vis, wait)
}

func TestQuietQueueSparesTheFileButNeverMissesASend(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "q.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	inner := &countingQueue{Queue: db.Queue("jobs", sqlite.QueueOptions{})}
	q := newQuietQueue(inner, time.Hour)

	msgs, err := q.Receive(ctx, 1, time.Minute, 10*time.Millisecond)
	require.NoError(t, err)
	assert.Empty(t, msgs)
	require.EqualValues(t, 1, inner.receives.Load())
	for i := 0; i < 5; i++ { // quiet: answered without the file
		msgs, err = q.Receive(ctx, 1, time.Minute, time.Millisecond)
		require.NoError(t, err)
		assert.Empty(t, msgs)
	}
	assert.EqualValues(t, 1, inner.receives.Load())

	// A send in this process wakes a waiting receiver at once. The send comes only once
	// the receiver waits: one that started after it would find the quiet spell over and
	// ask the file, whether or not a send wakes anyone.
	waiting := make(chan struct{}, 1)
	q.waiting = func() {
		select {
		case waiting <- struct{}{}:
		default:
		}
	}
	got := make(chan []queue.Message, 1)
	go func() {
		m, _ := q.Receive(ctx, 1, time.Minute, time.Hour)
		got <- m
	}()
	select {
	case <-waiting:
	case <-time.After(30 * time.Second):
		t.Fatal("the receiver never waited out the quiet spell")
	}
	require.NoError(t, q.Send(ctx, []byte("job")))
	select {
	case m := <-got:
		require.Len(t, m, 1)
		assert.Equal(t, "job", string(m[0].Body))
		// Released work is visible at once too.
		require.NoError(t, q.Release(ctx, m[0]))
	case <-time.After(30 * time.Second):
		t.Fatal("the send did not wake the receiver")
	}
	msgs, err = q.Receive(ctx, 1, time.Minute, time.Second)
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	require.NoError(t, q.Delete(ctx, msgs[0]))

	// After the quiet spell the file is asked again.
	short := newQuietQueue(inner, time.Millisecond)
	before := inner.receives.Load()
	_, _ = short.Receive(ctx, 1, time.Minute, time.Millisecond)
	time.Sleep(5 * time.Millisecond)
	_, _ = short.Receive(ctx, 1, time.Minute, time.Millisecond)
	assert.EqualValues(t, before+2, inner.receives.Load())
}
