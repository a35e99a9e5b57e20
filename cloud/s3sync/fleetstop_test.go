package s3sync_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"transferhub/cloud/queue"
	"transferhub/cloud/s3sync"
)

// pollQueue answers the first receive only when the test says so, after the stop: a long
// poll that took a message on the queue's side while the worker was stopping.
type pollQueue struct {
	queue.Queue
	answer chan queue.Message

	mu       sync.Mutex
	receives int
	released []queue.Message
}

func (q *pollQueue) Receive(ctx context.Context, _ int, _, _ time.Duration) ([]queue.Message, error) {
	q.mu.Lock()
	q.receives++
	n := q.receives
	q.mu.Unlock()
	if n > 1 {
		return nil, nil
	}
	select {
	case m := <-q.answer:
		return []queue.Message{m}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (q *pollQueue) Release(_ context.Context, m queue.Message) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.released = append(q.released, m)
	return nil
}

// A stop during a long poll lets the poll finish and gives back what it brought, instead
// of aborting it: an aborted poll could leave a message hidden for the whole visibility
// timeout with no worker holding it.
func TestFleetStopGivesBackWhatAPollBrings(t *testing.T) {
	q := &pollQueue{answer: make(chan queue.Message)}
	fl := &s3sync.Fleet{Worker: &s3sync.Worker{Queue: q, TaskID: "t", Opt: s3sync.Options{Concurrency: 1, ReceiveWait: time.Second, JobVisibility: time.Minute}},
		Grace: time.Second}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- fl.Serve(ctx) }()
	for { // the poll is under way
		q.mu.Lock()
		n := q.receives
		q.mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	stop()
	m := queue.Message{ID: "m1", Body: []byte(`{}`), Receipt: "r1"}
	select { // the poll still answers: the stop did not abort it
	case q.answer <- m:
	case <-time.After(10 * time.Second):
		t.Fatal("the stop aborted the long poll under way")
	}
	require.NoError(t, <-served)
	require.Equal(t, []queue.Message{m}, q.released, "the message is given back at once")
	require.Zero(t, fl.Stats().Messages, "nothing received after the stop is worked on")
	require.Equal(t, int64(1), fl.Stats().Released)
}
