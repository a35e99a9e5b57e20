// Package queuetest is the contract test suite every queue.Queue implementation runs (the
// embedded SQLite queue, Amazon SQS through the AWS emulator). Timings use whole seconds
// because SQS visibility timeouts do.
package queuetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/queue"
)

// NewQueue returns an empty queue whose dead-letter limit is maxReceives.
type NewQueue func(t *testing.T, maxReceives int) queue.Queue

// Run runs the suite.
func Run(t *testing.T, newQueue NewQueue) {
	t.Run("SendReceiveDelete", func(t *testing.T) { testSendReceiveDelete(t, newQueue(t, 5)) })
	t.Run("Visibility", func(t *testing.T) { testVisibility(t, newQueue(t, 5)) })
	t.Run("DeadLetter", func(t *testing.T) { testDeadLetter(t, newQueue(t, 2)) })
	t.Run("WaitWakes", func(t *testing.T) { testWaitWakes(t, newQueue(t, 5)) })
	t.Run("ConcurrentConsumers", func(t *testing.T) { testConcurrentConsumers(t, newQueue(t, 5)) })
}

func receiveAll(t *testing.T, q queue.Queue, want int, vis time.Duration) []queue.Message {
	t.Helper()
	var out []queue.Message
	deadline := time.Now().Add(20 * time.Second)
	for len(out) < want && time.Now().Before(deadline) {
		msgs, err := q.Receive(context.Background(), 10, vis, time.Second)
		require.NoError(t, err)
		out = append(out, msgs...)
	}
	return out
}

func testSendReceiveDelete(t *testing.T, q queue.Queue) {
	ctx := context.Background()
	bodies := [][]byte{[]byte(`{"v":1,"key":"a b+c%20/\u00e9"}`), []byte(`{"v":1,"key":"2"}`), []byte(`{"v":1,"key":"3"}`)}
	require.NoError(t, q.Send(ctx, bodies...))
	msgs := receiveAll(t, q, 3, 30*time.Second)
	require.Len(t, msgs, 3)
	got := map[string]bool{}
	for _, m := range msgs {
		got[string(m.Body)] = true
		assert.Equal(t, 1, m.Receives)
		assert.NotEmpty(t, m.Receipt)
	}
	for _, b := range bodies {
		assert.True(t, got[string(b)], "body %s delivered intact", b)
	}
	msgs2, err := q.Receive(ctx, 10, 30*time.Second, 0)
	require.NoError(t, err)
	assert.Empty(t, msgs2, "received messages are hidden")
	require.NoError(t, q.Delete(ctx, msgs...))
	vis, inflight, err := q.Depth(ctx)
	require.NoError(t, err)
	assert.Zero(t, vis+inflight, "deleted messages are gone")
}

func testVisibility(t *testing.T, q queue.Queue) {
	ctx := context.Background()
	require.NoError(t, q.Send(ctx, []byte("job")))
	first := receiveAll(t, q, 1, time.Second)
	require.Len(t, first, 1)

	time.Sleep(1500 * time.Millisecond)
	// A receipt is only sure to be valid while its message is hidden (Amazon SQS refuses
	// to extend one that ran out), so this delivery hides the message far longer than a
	// loaded machine pauses between the receive and the extend. The look comes once that
	// visibility ran out, timed from the receive, not from the extend: whenever the
	// extend landed, only the extend can keep the message hidden then.
	const hidden = 10 * time.Second
	second := receiveAll(t, q, 1, hidden)
	received := time.Now()
	require.Len(t, second, 1, "an unacknowledged message comes back after its visibility timeout")
	assert.Equal(t, 2, second[0].Receives)

	require.NoError(t, q.Extend(ctx, second[0], time.Minute), "the holder extends (heartbeat)")
	time.Sleep(time.Until(received.Add(hidden + 1500*time.Millisecond)))
	none, err := q.Receive(ctx, 10, time.Second, 0)
	require.NoError(t, err)
	assert.Empty(t, none, "an extended message stays hidden")

	require.NoError(t, q.Release(ctx, second[0]))
	third := receiveAll(t, q, 1, 30*time.Second)
	require.Len(t, third, 1, "a released message is visible again at once")
	require.NoError(t, q.Delete(ctx, third...))
	vis, inflight, err := q.Depth(ctx)
	require.NoError(t, err)
	assert.Zero(t, vis+inflight)
}

func testDeadLetter(t *testing.T, q queue.Queue) {
	ctx := context.Background()
	require.NoError(t, q.Send(ctx, []byte("poison"), []byte("good")))
	var poisonReceives int
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		msgs, err := q.Receive(ctx, 10, time.Second, time.Second)
		require.NoError(t, err)
		for _, m := range msgs {
			if string(m.Body) == "good" {
				require.NoError(t, q.Delete(ctx, m))
			} else {
				poisonReceives++
				assert.LessOrEqual(t, m.Receives, 2)
			}
		}
		vis, inflight, err := q.Depth(ctx)
		require.NoError(t, err)
		if vis+inflight == 0 {
			break
		}
	}
	assert.Equal(t, 2, poisonReceives, "a failing message is delivered exactly the limit number of times")
	vis, inflight, err := q.Depth(ctx)
	require.NoError(t, err)
	assert.Zero(t, vis+inflight, "then it leaves the queue")
	if dl, ok := q.(queue.DeadLetter); ok {
		var dead []queue.Message
		for time.Now().Before(deadline) && len(dead) == 0 {
			dead, err = dl.DeadLetters(ctx, 10)
			require.NoError(t, err)
		}
		require.Len(t, dead, 1)
		assert.Equal(t, "poison", string(dead[0].Body))
	}
}

func testWaitWakes(t *testing.T, q queue.Queue) {
	ctx := context.Background()
	done := make(chan []queue.Message, 1)
	go func() {
		msgs, err := q.Receive(ctx, 1, 30*time.Second, 15*time.Second)
		assert.NoError(t, err)
		done <- msgs
	}()
	time.Sleep(300 * time.Millisecond)
	require.NoError(t, q.Send(ctx, []byte("late")))
	select {
	case msgs := <-done:
		require.Len(t, msgs, 1, "a waiting receive gets a message sent while it waits")
		require.NoError(t, q.Delete(ctx, msgs...))
	case <-time.After(14 * time.Second):
		t.Fatal("a waiting receive did not return the message sent while it waited")
	}
	// An empty queue returns nothing, without error, once the wait is over.
	msgs, err := q.Receive(ctx, 1, time.Second, time.Second)
	require.NoError(t, err)
	assert.Empty(t, msgs)
}

func testConcurrentConsumers(t *testing.T, q queue.Queue) {
	ctx := context.Background()
	const n = 200
	var bodies [][]byte
	for i := 0; i < n; i++ {
		bodies = append(bodies, []byte(fmt.Sprintf("m%03d", i)))
	}
	for i := 0; i < n; i += 10 {
		require.NoError(t, q.Send(ctx, bodies[i:i+10]...))
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			idle := 0
			for idle < 2 {
				msgs, err := q.Receive(ctx, 10, 30*time.Second, time.Second)
				if !assert.NoError(t, err) {
					return
				}
				if len(msgs) == 0 {
					idle++
					continue
				}
				idle = 0
				mu.Lock()
				for _, m := range msgs {
					seen[string(m.Body)]++
				}
				mu.Unlock()
				assert.NoError(t, q.Delete(ctx, msgs...))
			}
		}()
	}
	wg.Wait()
	require.Len(t, seen, n, "every message delivered")
	// At-least-once: SQS standard queues may deliver a message twice even while it is
	// hidden (the engines are idempotent for that), but rarely; a queue that ignores
	// visibility would deliver most messages several times.
	dups := 0
	for _, c := range seen {
		dups += c - 1
	}
	assert.LessOrEqual(t, dups, n/10, "duplicate deliveries while hidden must stay rare")
}
