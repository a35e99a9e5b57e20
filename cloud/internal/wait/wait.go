// Package wait is time passing under a context: a sleep that ends early when the
// context does, and a ticker loop for heartbeats and lease renewals.
package wait

import (
	"context"
	"time"
)

// Sleep waits for d or until ctx ends, whichever comes first; it returns ctx.Err() when
// the context ended (also when d <= 0 and the context has already ended), nil otherwise.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Every calls fn every d until ctx ends; the first call comes after d, not at once, and
// none comes after ctx ended. It returns when ctx ends (run it in a goroutine).
func Every(ctx context.Context, d time.Duration, fn func(ctx context.Context)) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if ctx.Err() != nil {
				return // both were ready: the end wins
			}
			fn(ctx)
		}
	}
}
