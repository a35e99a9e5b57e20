package image

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"transferhub/cloud/state"
)

// EventKind names a run event.
type EventKind string

const (
	EventSelected EventKind = "selected" // selection done: Found items
	EventStarted  EventKind = "started"  // an item's copy started
	EventBytes    EventKind = "bytes"    // Bytes more were sent for Item
	EventFinished EventKind = "finished" // an item settled: Result
)

// Event reports progress. Handlers are called from several goroutines at once and
// must return quickly.
type Event struct {
	Kind   EventKind `json:"kind"`
	Item   Item      `json:"item,omitzero"`
	Found  int       `json:"found,omitempty"`
	Bytes  int64     `json:"bytes,omitempty"`
	Result *Result   `json:"result,omitempty"`
}

// RunOptions control a run.
type RunOptions struct {
	// Concurrency is the number of images copied at once (0: DefaultImageConcurrency).
	Concurrency int
	// DryRun selects and checks (HEAD requests) without writing anything.
	DryRun bool
	// Recorder, TaskID and RunID: where per-image records go (nil: nowhere).
	Recorder Recorder
	TaskID   string
	RunID    string
	// OnEvent receives progress events (nil: none).
	OnEvent func(Event)
}

// PlanEntry is one item of a dry run.
type PlanEntry struct {
	Item
	Action       string `json:"action"` // "copy", "skip" (up to date) or "error"
	SourceDigest string `json:"sourceDigest,omitempty"`
	DestDigest   string `json:"destDigest,omitempty"`
	Error        string `json:"error,omitempty"`
}

// Plan selects and checks every item without writing: what a run would copy.
func (e *Engine) Plan(ctx context.Context, spec Spec, concurrency int) ([]PlanEntry, error) {
	items, err := e.Select(ctx, spec)
	if err != nil {
		return nil, err
	}
	return e.PlanItems(ctx, items, spec.Copy, concurrency), nil
}

// PlanItems checks items (two HEADs each) without writing.
func (e *Engine) PlanItems(ctx context.Context, items []Item, opt CopyOptions, concurrency int) []PlanEntry {
	out := make([]PlanEntry, len(items))
	forEach(ctx, len(items), concurrency, func(i int) {
		c, err := e.Check(ctx, items[i], opt)
		p := PlanEntry{Item: items[i], SourceDigest: c.SourceDigest, DestDigest: c.DestDigest}
		switch {
		case err != nil:
			p.Action, p.Error = "error", err.Error()
		case c.UpToDate:
			p.Action = "skip"
		default:
			p.Action = "copy"
		}
		out[i] = p
	})
	return out
}

// Run selects, copies and records. The error is for a run that could not start or
// list (nothing copied); per-image failures are in the summary and the records.
func (e *Engine) Run(ctx context.Context, spec Spec, opt RunOptions) (Summary, error) {
	start := time.Now()
	scope := newRunScope()
	items, err := e.selectItems(ctx, spec, scope)
	if err != nil {
		return Summary{Seconds: time.Since(start).Seconds()}, err
	}
	emit(opt.OnEvent, Event{Kind: EventSelected, Found: len(items)})
	if opt.DryRun {
		sum := Summary{Found: len(items), DryRun: true}
		for _, p := range e.PlanItems(ctx, items, spec.Copy, opt.Concurrency) {
			switch p.Action {
			case "skip":
				sum.Skipped++
			case "copy":
				sum.Planned++
			default:
				sum.Failed++
			}
			r := Result{Item: p.Item, SourceDigest: p.SourceDigest, DestDigest: p.DestDigest, Error: p.Error}
			r.Status = map[string]state.ItemStatus{"skip": state.ItemSkipped, "copy": state.ItemPending, "error": state.ItemFailed}[p.Action]
			emit(opt.OnEvent, Event{Kind: EventFinished, Item: p.Item, Result: &r})
		}
		sum.Seconds = time.Since(start).Seconds()
		return sum, ctx.Err()
	}
	sum, err := e.copyItems(ctx, items, spec.Copy, opt, scope)
	sum.Seconds = time.Since(start).Seconds()
	return sum, err
}

// CopyItems copies a given list (a cloud copier's batch), recording each result.
// Records are written as PENDING first, so an interrupted run leaves visible traces.
func (e *Engine) CopyItems(ctx context.Context, items []Item, copt CopyOptions, opt RunOptions) (Summary, error) {
	return e.copyItems(ctx, items, copt, opt, newRunScope())
}

func (e *Engine) copyItems(ctx context.Context, items []Item, copt CopyOptions, opt RunOptions, scope *runScope) (Summary, error) {
	start := time.Now()
	sum := Summary{Found: len(items), TaskID: opt.TaskID, RunID: opt.RunID}
	if opt.Recorder != nil && len(items) > 0 {
		pending := make([]state.Image, len(items))
		for i, it := range items {
			pending[i] = Result{Item: it, Status: state.ItemPending}.Record(opt.RunID)
		}
		for i := 0; i < len(pending); i += 500 {
			if err := opt.Recorder.PutImages(ctx, opt.TaskID, pending[i:min(i+500, len(pending))]); err != nil {
				return sum, fmt.Errorf("record selected images: %w", err)
			}
		}
	}
	var mu sync.Mutex
	var recErr error
	var bytes atomic.Int64
	forEach(ctx, len(items), opt.Concurrency, func(i int) {
		it := items[i]
		emit(opt.OnEvent, Event{Kind: EventStarted, Item: it})
		var onBytes func(int64)
		if opt.OnEvent != nil {
			onBytes = func(n int64) { opt.OnEvent(Event{Kind: EventBytes, Item: it, Bytes: n}) }
		}
		res := e.copyItem(ctx, it, copt, onBytes, scope)
		if res.Status == state.ItemFailed && ctx.Err() != nil {
			// Stopped, not failed: no outcome is recorded (the image stays PENDING), so
			// that the run, resumed, copies it again instead of ending FAILED.
			e.log.Info("image copy stopped", "source", it.Source, "destination", it.Destination)
			return
		}
		if res.Status == state.ItemFailed {
			e.log.Error("image failed", "source", it.Source, "destination", it.Destination, "err", res.Error)
		} else {
			e.log.Info("image "+map[state.ItemStatus]string{state.ItemDone: "copied", state.ItemSkipped: "up to date"}[res.Status],
				"source", it.Source, "destination", it.Destination, "digest", res.SourceDigest, "bytes", res.Bytes, "duration", res.Duration.Round(time.Millisecond))
		}
		bytes.Add(res.Bytes)
		if opt.Recorder != nil {
			// Record even when ctx is canceled: the outcome is known.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			err := opt.Recorder.PutImages(rctx, opt.TaskID, []state.Image{res.Record(opt.RunID)})
			cancel()
			if err != nil {
				mu.Lock()
				recErr = fmt.Errorf("record %s: %w", it.Source, err)
				mu.Unlock()
			}
		}
		mu.Lock()
		switch res.Status {
		case state.ItemDone:
			sum.Copied++
		case state.ItemSkipped:
			sum.Skipped++
		default:
			sum.Failed++
		}
		mu.Unlock()
		emit(opt.OnEvent, Event{Kind: EventFinished, Item: it, Result: &res})
	})
	sum.Bytes = bytes.Load()
	sum.Seconds = time.Since(start).Seconds()
	if err := ctx.Err(); err != nil {
		// items never started count as failed: the run did not finish them
		sum.Failed = sum.Found - sum.Copied - sum.Skipped
		return sum, err
	}
	return sum, recErr
}

func emit(f func(Event), ev Event) {
	if f != nil {
		f(ev)
	}
}

// forEach runs fn(0..n-1) on up to conc goroutines, stopping new work when ctx ends.
func forEach(ctx context.Context, n, conc int, fn func(i int)) {
	if conc <= 0 {
		conc = DefaultImageConcurrency
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(conc, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
			i = n
		}
	}
	close(next)
	wg.Wait()
}
