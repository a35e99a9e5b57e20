package s3sync

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Throttle carries throttling signals from the HTTP layer (objstore.S3Config.OnThrottle,
// set before any worker exists) to the worker that uses it (Options.Throttle).
type Throttle struct {
	lim  atomic.Pointer[limiter]
	hits atomic.Int64
}

// Signal records one throttling answer.
func (t *Throttle) Signal() {
	t.hits.Add(1)
	if l := t.lim.Load(); l != nil {
		l.throttled()
	}
}

// Hits returns the number of throttling answers seen.
func (t *Throttle) Hits() int64 { return t.hits.Load() }

// limiter bounds the transfers in flight and adapts the bound (AIMD): it cuts it by a
// quarter when the service throttles (503 SlowDown, 429) and grows it by one after a
// bound's worth of successes. Slots are tokens in a channel, so a release wakes exactly
// one waiter (hundreds of goroutines wait here during a run).
type limiter struct {
	tokens  chan struct{}
	mu      sync.Mutex
	max     int
	limit   int
	debt    int // tokens to retire as they come back, after a cut
	ok      int
	lastCut time.Time
	cuts    int
}

func newLimiter(max int) *limiter {
	l := &limiter{tokens: make(chan struct{}, max), max: max, limit: max}
	for i := 0; i < max; i++ {
		l.tokens <- struct{}{}
	}
	return l
}

func (l *limiter) acquire(ctx context.Context) error {
	select {
	case <-l.tokens:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *limiter) release() {
	l.mu.Lock()
	l.ok++
	if l.debt > 0 {
		l.debt--
		l.mu.Unlock()
		return
	}
	grow := l.ok >= l.limit && l.limit < l.max
	if grow {
		l.limit++
		l.ok = 0
	}
	l.mu.Unlock()
	l.tokens <- struct{}{}
	if grow {
		l.tokens <- struct{}{}
	}
}

// throttled is called for each throttling answer; cuts are at most one per second so a
// burst of 503s from one moment counts once.
func (l *limiter) throttled() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if time.Since(l.lastCut) < time.Second {
		return
	}
	l.lastCut = time.Now()
	cut := l.limit - max(1, l.limit*3/4)
	l.limit -= cut
	l.debt += cut
	l.ok = 0
	l.cuts++
	// Retire idle tokens at once; the rest as transfers finish.
	for l.debt > 0 {
		select {
		case <-l.tokens:
			l.debt--
			continue
		default:
		}
		break
	}
}

// current returns the bound now in force.
func (l *limiter) current() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.limit
}

// budget bounds the bytes buffered in flight.
type budget struct {
	mu   sync.Mutex
	free int64
	max  int64
	wake chan struct{}
}

func newBudget(max int64) *budget { return &budget{free: max, max: max, wake: make(chan struct{})} }

func (b *budget) acquire(ctx context.Context, n int64) error {
	if n > b.max {
		n = b.max
	}
	for {
		b.mu.Lock()
		if b.free >= n {
			b.free -= n
			b.mu.Unlock()
			return nil
		}
		ch := b.wake
		b.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (b *budget) release(n int64) {
	if n > b.max {
		n = b.max
	}
	b.mu.Lock()
	b.free += n
	close(b.wake)
	b.wake = make(chan struct{})
	b.mu.Unlock()
}

// bufPool recycles buffers by power-of-two size class, so steady-state copying allocates
// nothing per object.
type bufPool struct {
	classes sync.Map // int (class size) -> *sync.Pool
}

func classOf(n int64) int64 {
	c := int64(64 << 10)
	for c < n {
		c <<= 1
	}
	return c
}

func (p *bufPool) get(n int64) []byte {
	c := classOf(n)
	pl, _ := p.classes.LoadOrStore(c, &sync.Pool{})
	if b, ok := pl.(*sync.Pool).Get().(*[]byte); ok {
		return (*b)[:n]
	}
	b := make([]byte, c)
	return b[:n]
}

func (p *bufPool) put(b []byte) {
	c := int64(cap(b))
	if c&(c-1) != 0 || c < 64<<10 {
		return
	}
	pl, _ := p.classes.LoadOrStore(c, &sync.Pool{})
	b = b[:cap(b)]
	pl.(*sync.Pool).Put(&b)
}
