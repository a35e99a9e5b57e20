// Package queue is the job queue between a finder and its workers: at-least-once
// delivery with visibility timeouts and a dead-letter queue, implemented by the embedded
// SQLite queue (local runs) and Amazon SQS (cloud runs). Bodies are opaque bytes; the
// engines put versioned JSON in them.
package queue

import (
	"context"
	"time"
)

// Message is one received message. Receipt identifies this delivery: Delete, Extend and
// Release need it, and it is invalid after the visibility timeout ran out.
type Message struct {
	ID      string
	Body    []byte
	Receipt string
	// Receives counts deliveries including this one; it reaches the dead-letter limit
	// after repeated failures.
	Receives int
}

// Queue is the contract both implementations satisfy.
type Queue interface {
	// Send enqueues bodies (batched by the implementation).
	Send(ctx context.Context, bodies ...[]byte) error
	// Receive waits up to wait for at most max messages and hides them for visibility.
	// It returns an empty slice (no error) when nothing arrived in time.
	Receive(ctx context.Context, max int, visibility, wait time.Duration) ([]Message, error)
	// Delete acknowledges finished messages.
	Delete(ctx context.Context, msgs ...Message) error
	// Extend pushes a message's visibility timeout to visibility from now (heartbeat).
	Extend(ctx context.Context, m Message, visibility time.Duration) error
	// Release makes a message visible again at once (worker shutdown).
	Release(ctx context.Context, m Message) error
	// Depth returns visible and in-flight (hidden) message counts.
	Depth(ctx context.Context) (visible, inFlight int64, err error)
}

// DeadLetter is implemented by queues with a dead-letter queue: messages received more
// than the limit are moved there instead of being delivered again.
type DeadLetter interface {
	DeadLetters(ctx context.Context, max int) ([]Message, error)
}
