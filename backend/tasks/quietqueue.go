package tasks

import (
	"context"
	"sync"
	"time"

	"transferhub/cloud/queue"
)

// quietQueue wraps a local task's queue for the one process that uses it. The engine's
// workers ask the queue for work every 200 ms, and each ask is a write transaction on the
// state file: a run that waits on slow transfers spent most of its idle CPU there. After
// an ask found nothing, asks within quietFor are answered "nothing" without the file,
// unless something was sent or released in this process meanwhile (which wakes them at
// once). Messages of a worker that stopped heartbeating come back at most quietFor later.
type quietQueue struct {
	queue.Queue
	quietFor time.Duration

	mu    sync.Mutex
	quiet time.Time     // asks before this are answered from memory
	wake  chan struct{} // closed on Send/Release

	// waiting, when set (tests), is called by a receive that holds the wake channel and
	// is about to wait out the quiet spell: a send from then on must wake it.
	waiting func()
}

const defaultQuiet = time.Second

func newQuietQueue(q queue.Queue, quietFor time.Duration) *quietQueue {
	return &quietQueue{Queue: q, quietFor: quietFor, wake: make(chan struct{})}
}

func (q *quietQueue) poke() {
	q.mu.Lock()
	q.quiet = time.Time{}
	close(q.wake)
	q.wake = make(chan struct{})
	q.mu.Unlock()
}

// Send implements queue.Queue.
func (q *quietQueue) Send(ctx context.Context, bodies ...[]byte) error {
	err := q.Queue.Send(ctx, bodies...)
	q.poke()
	return err
}

// ReleaseOrphans passes the run owner's take-back of a dead process's deliveries through
// to the queue (the engine calls it when it resumes an interrupted run).
func (q *quietQueue) ReleaseOrphans(ctx context.Context) (int64, error) {
	o, ok := q.Queue.(interface {
		ReleaseOrphans(ctx context.Context) (int64, error)
	})
	if !ok {
		return 0, nil
	}
	n, err := o.ReleaseOrphans(ctx)
	q.poke()
	return n, err
}

// Release implements queue.Queue.
func (q *quietQueue) Release(ctx context.Context, m queue.Message) error {
	err := q.Queue.Release(ctx, m)
	q.poke()
	return err
}

// Receive implements queue.Queue.
func (q *quietQueue) Receive(ctx context.Context, n int, visibility, wait time.Duration) ([]queue.Message, error) {
	start := time.Now()
	q.mu.Lock()
	quiet, wake := q.quiet, q.wake
	q.mu.Unlock()
	if left := quiet.Sub(start); left > 0 {
		if q.waiting != nil {
			q.waiting()
		}
		t := time.NewTimer(min(left, wait))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-wake:
			t.Stop()
		case <-t.C:
			if left >= wait {
				return nil, nil // still quiet for the whole wait
			}
		}
		wait = max(0, wait-time.Since(start))
	}
	q.mu.Lock()
	wake = q.wake
	q.mu.Unlock()
	msgs, err := q.Queue.Receive(ctx, n, visibility, wait)
	if err == nil && len(msgs) == 0 {
		q.mu.Lock()
		if q.wake == wake { // nothing was sent while we looked
			q.quiet = time.Now().Add(q.quietFor)
		}
		q.mu.Unlock()
	}
	return msgs, err
}
