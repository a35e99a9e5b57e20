package s3sync

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"transferhub/cloud/internal/wait"
	"transferhub/cloud/queue"
)

// delivery is one received message being handled: heartbeat, then exactly one of
// ack, retry, release.
type delivery struct {
	f      *Fleet
	m      queue.Message
	stopHB func()
}

func (f *Fleet) begin(m queue.Message) *delivery {
	w := f.Worker
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		wait.Every(ctx, w.Opt.JobVisibility/3, func(ctx context.Context) {
			if err := w.Queue.Extend(ctx, m, w.Opt.JobVisibility); err != nil && ctx.Err() == nil {
				f.log().Warn("extend message visibility", "message", m.ID, "err", err)
			}
		})
	}()
	var once sync.Once
	return &delivery{f: f, m: m, stopHB: func() { once.Do(func() { cancel(); <-stopped }) }}
}

// detached is a context for the last writes of a message: they run even when the
// worker is stopping, with a bound.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 60*time.Second)
}

func (d *delivery) ack(ctx context.Context) {
	d.stopHB()
	ctx, cancel := detached(ctx)
	defer cancel()
	if err := d.f.Worker.Queue.Delete(ctx, d.m); err != nil {
		// The message comes back after its visibility timeout; handling is idempotent.
		d.f.log().Warn("acknowledge message", "message", d.m.ID, "err", err)
	}
}

// ackSettled acknowledges the message of objects that reached a final status and tells
// the fleet's Settled hook.
func (d *delivery) ackSettled(ctx context.Context) {
	d.ack(ctx)
	if d.f.Settled != nil {
		d.f.Settled(ctx)
	}
}

// retry leaves the message for another delivery after a delay growing with deliveries.
func (d *delivery) retry(ctx context.Context, deliveries int) {
	d.stopHB()
	d.f.stats.retried.Add(1)
	delay := d.f.RetryDelay * time.Duration(1<<min(max(deliveries-1, 0), 5))
	delay = min(delay, 15*time.Minute)
	delay += rand.N(delay/4 + 1)
	ctx, cancel := detached(ctx)
	defer cancel()
	if err := d.f.Worker.Queue.Extend(ctx, d.m, delay); err != nil {
		d.f.log().Warn("delay message for retry", "message", d.m.ID, "err", err)
	}
}

// release gives the message back at once (stopping mid-work).
func (d *delivery) release(ctx context.Context) {
	d.stopHB()
	d.f.stats.released.Add(1)
	ctx, cancel := detached(ctx)
	defer cancel()
	if err := d.f.Worker.Queue.Release(ctx, d.m); err != nil {
		d.f.log().Warn("release message", "message", d.m.ID, "err", err)
	}
}

// deadLetter sends body to the dead-letter queue; false when it could not (the caller
// then keeps the original message for another delivery).
func (f *Fleet) deadLetter(ctx context.Context, body []byte) bool {
	if f.DeadLetter == nil {
		return true
	}
	ctx, cancel := detached(ctx)
	defer cancel()
	if err := f.DeadLetter.Send(ctx, body); err != nil {
		f.log().Error("send to the dead-letter queue", "err", err)
		return false
	}
	f.stats.dead.Add(1)
	return true
}
