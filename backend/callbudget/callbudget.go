// Package callbudget keeps the AWS calls made for one purpose (a cloud task's live
// view) within a number per minute. A Budget counts the calls of the SDK clients
// built from a configuration with Install, for the contexts that carry it (With);
// background refreshes ask Allow before they call, while calls a person asked for
// (a page of the object table) are counted but never refused.
package callbudget

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/middleware"
)

// Window is the span a budget's limit applies to.
const Window = time.Minute

// Budget is a sliding window of the calls made in the last minute.
type Budget struct {
	mu    sync.Mutex
	limit int
	now   func() time.Time
	calls []time.Time // oldest first
	total int64
}

// New returns a budget of limit calls a minute; now is the clock (nil: time.Now).
func New(limit int, now func() time.Time) *Budget {
	if now == nil {
		now = time.Now
	}
	return &Budget{limit: limit, now: now}
}

// SetLimit changes the calls allowed a minute (a page opened or hidden).
func (b *Budget) SetLimit(limit int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.limit = limit
}

// Limit is the calls allowed a minute.
func (b *Budget) Limit() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.limit
}

// trim drops calls older than the window (b.mu held).
func (b *Budget) trim(now time.Time) {
	i := 0
	for i < len(b.calls) && now.Sub(b.calls[i]) >= Window {
		i++
	}
	b.calls = b.calls[i:]
}

// Allow says whether n more calls fit in the last minute's budget. It takes nothing:
// the calls are counted as they are made.
func (b *Budget) Allow(n int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.trim(now)
	return len(b.calls)+n <= b.limit
}

// Spend counts one call.
func (b *Budget) Spend() {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.trim(now)
	b.calls = append(b.calls, now)
	b.total++
}

// InWindow is the number of calls made in the last minute.
func (b *Budget) InWindow() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.trim(b.now())
	return len(b.calls)
}

// Total is the number of calls counted since the budget was made.
func (b *Budget) Total() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.total
}

type ctxKey struct{}

// With returns a context whose SDK calls (through clients of a configuration with
// Install) are counted against b.
func With(ctx context.Context, b *Budget) context.Context {
	if b == nil {
		return ctx
	}
	return context.WithValue(ctx, ctxKey{}, b)
}

// From is the budget a context carries, or nil.
func From(ctx context.Context) *Budget {
	b, _ := ctx.Value(ctxKey{}).(*Budget)
	return b
}

// Install makes every client built from cfg count its requests against the budget of
// the call's context: each attempt is a request AWS bills and throttles, so the
// counter sits after the retry loop.
func Install(cfg *aws.Config) {
	cfg.APIOptions = append(cfg.APIOptions, func(s *middleware.Stack) error {
		return s.Finalize.Add(middleware.FinalizeMiddlewareFunc("transferhub-call-budget",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				if b := From(ctx); b != nil {
					b.Spend()
				}
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	})
}
