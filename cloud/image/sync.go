package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"transferhub/cloud/state"
	"transferhub/cloud/taskrun"
)

// SyncOptions control Sync.
type SyncOptions struct {
	// Concurrency is the number of images copied at once (0: DefaultImageConcurrency).
	Concurrency int
	// OnEvent receives progress events (nil: none).
	OnEvent func(Event)
	// Name and Definition describe the task when Sync creates it.
	Name       string
	Definition json.RawMessage
	// RetryFailed copies the current run's failed images again, in that run (reopened):
	// their records and the counters move from FAILED to what happens now.
	RetryFailed bool
	// Run says how Sync holds the task (its lease) and begins and ends its run; the zero
	// value is thub image sync's (see Sync).
	Run taskrun.Options
}

// metaSelected records the run whose selection was counted as found, so a resumed run
// counts it once. The name is the one the desktop's runs wrote, so that their state files
// resume correctly.
const metaSelected = "app-image-selected"

// Sync is a local image sync of spec, recorded per image in st under task taskID (a
// state file on this computer): the entry point of thub image sync and the desktop.
//
// The run's life cycle is taskrun's, with opt.Run's rules: Sync creates the task when
// the store has none, holds its lease (a second Sync of the task is refused with a
// *taskrun.LeaseError; a lease left by a killed process on this computer is taken over
// at once, one that cannot be checked is waited for up to its TTL + 5 s), and begins a
// new run by default: a run a killed process left RUNNING is superseded (the new one
// skips what the destination has with HEAD requests); with taskrun.ResumeInterrupted or
// ResumeCurrent a run continues with the images it has not settled. The selection is
// counted as found once per run; every image is recorded PENDING, then settled. The run
// ends COMPLETED, or FAILED ("N of M images failed", or the error that stopped it); a
// run whose ctx is cancelled stays RUNNING (to be resumed; the caller records why), and
// one that loses its lease stops with that error and records nothing more.
//
// Summary.RunID is empty when no run began (the error says why); the summary counts what
// this call did.
func (e *Engine) Sync(ctx context.Context, spec Spec, st state.Store, taskID string, opt SyncOptions) (sum Summary, err error) {
	start := time.Now()
	tmpl := state.Task{ID: taskID, Type: state.TaskImage, Name: opt.Name, Engine: state.EngineLocal,
		Definition: opt.Definition, Status: state.TaskIdle}
	ctx, run, err := taskrun.Start(ctx, st, tmpl, e.localRun(opt))
	if err != nil {
		return Summary{Seconds: time.Since(start).Seconds()}, err
	}
	defer func() {
		if cerr := run.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	sum, err = e.syncRun(ctx, spec, st, run.Begun, opt)
	sum.TaskID, sum.RunID, sum.Seconds = taskID, run.Task.RunID, time.Since(start).Seconds()
	if lost := run.Err(); lost != nil {
		return sum, lost // the task is another process's now
	}
	if err != nil && ctx.Err() != nil {
		// Cancelled by the caller: the run stays RUNNING, to be resumed, as s3sync.Sync's
		// does; the caller says why (the desktop: stopped by the user, or the app closed).
		return sum, context.Cause(ctx)
	}
	if _, ferr := run.Finish(ctx, taskrun.End{Err: err, Noun: "images", Log: e.log}); ferr != nil {
		return sum, errors.Join(err, ferr)
	}
	return sum, err
}

// localRun is opt.Run with the rules of a local image run: a new run unless opt says
// otherwise; retrying failed images reopens the current one.
func (e *Engine) localRun(opt SyncOptions) taskrun.Options {
	r := opt.Run.Local(e.log, taskrun.ResumeNone)
	if opt.RetryFailed {
		r.Begin.Resume = taskrun.ResumeCurrent
	}
	return r
}

// syncRun selects (or, retrying, lists the failed images), counts and copies.
func (e *Engine) syncRun(ctx context.Context, spec Spec, st state.Store, b taskrun.Begun, opt SyncOptions) (Summary, error) {
	t := b.Task
	scope := newRunScope()
	var items []Item
	switch {
	case opt.RetryFailed:
		failed, err := runImages(ctx, st, t, state.ItemFailed)
		if err != nil {
			return Summary{}, err
		}
		for _, im := range failed {
			items = append(items, Item{Source: im.Source, Destination: im.Destination, Repository: im.Repository, Tag: im.Tag, Digest: im.Digest})
		}
		e.log.Info("retrying failed images", "images", len(items))
	default:
		var err error
		if items, err = e.selectItems(ctx, spec, scope); err != nil {
			return Summary{}, err
		}
		if err := countSelection(ctx, st, t, len(items)); err != nil {
			return Summary{}, err
		}
		if b.Resumed {
			if items, err = unsettled(ctx, st, t, items); err != nil {
				return Summary{}, err
			}
		}
	}
	emit(opt.OnEvent, Event{Kind: EventSelected, Found: len(items)})
	return e.copyItems(ctx, items, spec.Copy, RunOptions{Concurrency: opt.Concurrency, Recorder: st, TaskID: t.ID,
		RunID: t.RunID, OnEvent: opt.OnEvent}, scope)
}

// countSelection records the selection as the run's found items, and the run's listing
// as finished: once per run, so a resumed run does not count it twice.
func countSelection(ctx context.Context, st state.Store, t state.Task, found int) error {
	counted, err := st.GetMeta(ctx, t.ID, metaSelected)
	if err != nil {
		return fmt.Errorf("read the run's selection: %w", err)
	}
	if counted == t.RunID {
		return nil
	}
	if found > 0 {
		if err := st.AddCounters(ctx, t.ID, t.RunID, state.Counters{FoundObjects: int64(found)}); err != nil {
			return fmt.Errorf("count the selection: %w", err)
		}
	}
	if err := st.SetMeta(ctx, t.ID, metaSelected, t.RunID); err != nil {
		return fmt.Errorf("record the selection: %w", err)
	}
	if err := st.FinishFinder(ctx, t.ID, t.RunID); err != nil {
		return fmt.Errorf("record the selection: %w", err)
	}
	return nil
}

// unsettled drops the items the run already settled (a resumed run).
func unsettled(ctx context.Context, st state.Store, t state.Task, items []Item) ([]Item, error) {
	recs, err := runImages(ctx, st, t, "")
	if err != nil {
		return nil, err
	}
	settled := map[string]bool{}
	for _, im := range recs {
		settled[im.Source] = im.Status.Terminal()
	}
	out := items[:0:0]
	for _, it := range items {
		if !settled[it.Source] {
			out = append(out, it)
		}
	}
	return out, nil
}

// runImages lists the records of the task's current run, of one status ("" for all).
func runImages(ctx context.Context, st state.Store, t state.Task, status state.ItemStatus) ([]state.Image, error) {
	var out []state.Image
	for after := ""; ; {
		page, err := st.ListImages(ctx, t.ID, state.ListOptions{Status: status, After: after, Limit: 1000})
		if err != nil {
			return nil, fmt.Errorf("list the run's images: %w", err)
		}
		for _, im := range page.Items {
			if im.RunID == t.RunID {
				out = append(out, im)
			}
		}
		if page.Next == "" {
			return out, nil
		}
		after = page.Next
	}
}
