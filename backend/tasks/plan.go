package tasks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"transferhub/cloud/s3sync"
)

// Plan is a dry run of a definition: what a run would do now, for the wizard's review.
type Plan struct {
	Found       int64 `json:"found"`
	FoundBytes  int64 `json:"foundBytes"`
	ToCopy      int64 `json:"toCopy"`
	ToCopyBytes int64 `json:"toCopyBytes"`
	// Unchanged items are already at the destination.
	Unchanged      int64 `json:"unchanged"`
	UnchangedBytes int64 `json:"unchangedBytes"`
	ToDelete       int64 `json:"toDelete"`
	Archived       int64 `json:"archived"`
	// Errors: images whose source could not be checked (Entries say why).
	Errors      int64 `json:"errors"`
	EstRequests int64 `json:"estRequests"`
	ServerSide  bool  `json:"serverSide"`
	// Entries are the first images of an image plan with their action.
	Entries []PlanEntry `json:"entries,omitempty"`
	// Partial: the listing was cut short by the time limit; the counts are a lower bound.
	Partial bool    `json:"partial"`
	Seconds float64 `json:"seconds"`
}

// PlanEntry is one image of a plan.
type PlanEntry struct {
	Source      string `json:"source"`
	Destination string `json:"destination"`
	Action      string `json:"action"` // copy, skip or error
	Error       string `json:"error,omitempty"`
}

const maxPlanEntries = 200

// Plan validates the definition and runs the engine's dry run with the task's
// credentials (listing and comparing, or HEAD requests for images); nothing is written.
// A listing that outlasts ctx's deadline gives a partial plan.
func (m *Manager) Plan(ctx context.Context, d Definition) (Plan, error) {
	d = d.normalized()
	// The name is not part of a plan: check the definition with a placeholder.
	if err := Validate(ctx, "plan", d, m.profileLookup(), nil); err != nil {
		return Plan{}, err
	}
	start := time.Now()
	var p Plan
	var err error
	if d.S3 != nil {
		p, err = m.planS3(ctx, *d.S3)
	} else {
		p, err = m.planImage(ctx, *d.Image)
	}
	p.Seconds = time.Since(start).Seconds()
	return p, err
}

func (m *Manager) planS3(ctx context.Context, s S3Spec) (Plan, error) {
	conc := m.concurrency(s.Concurrency)
	// The dry run needs its own context: on the deadline it stops listing and the
	// progress seen so far is the (partial) plan.
	src, dst, err := m.openS3(context.WithoutCancel(ctx), s, conc, nil)
	if err != nil {
		return Plan{}, err
	}
	opt, err := s3Options(s, conc, m.log)
	if err != nil {
		return Plan{}, err
	}
	var mu sync.Mutex
	var last s3sync.Progress
	opt.Progress = func(p s3sync.Progress) { mu.Lock(); last = p; mu.Unlock() }
	res, err := s3sync.DryRun(ctx, src, dst, opt)
	if err != nil {
		if ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			mu.Lock()
			defer mu.Unlock()
			if last.Found == 0 {
				return Plan{}, fmt.Errorf("the dry run found nothing before the time limit: the source may be very large or slow; create the task and watch its first run instead")
			}
			return Plan{Found: last.Found, FoundBytes: last.FoundBytes, Unchanged: last.Skipped, UnchangedBytes: last.SkippedBytes,
				ToCopy: last.Found - last.Skipped - last.Archived, ToCopyBytes: last.FoundBytes - last.SkippedBytes,
				Archived: last.Archived, Partial: true}, nil
		}
		return Plan{}, err
	}
	p := Plan{Found: res.Found, FoundBytes: res.FoundBytes, Unchanged: res.Skipped, ServerSide: res.ServerSide}
	if res.Plan != nil {
		p.ToCopy, p.ToCopyBytes, p.ToDelete = res.Plan.ToCopy, res.Plan.ToCopyBytes, res.Plan.ToDelete
		p.Archived, p.EstRequests = res.Plan.Archived, res.Plan.EstRequests
	}
	p.UnchangedBytes = max(0, p.FoundBytes-p.ToCopyBytes)
	return p, nil
}

func (m *Manager) planImage(ctx context.Context, s ImageSpec) (Plan, error) {
	eng, spec, err := m.imageEngine(ctx, s, slog.New(slog.DiscardHandler))
	if err != nil {
		return Plan{}, err
	}
	entries, err := eng.Plan(ctx, spec, m.imageConcurrency(s.Concurrency))
	if err != nil {
		return Plan{}, fmt.Errorf("select images: %w", err)
	}
	p := Plan{Found: int64(len(entries))}
	for _, e := range entries {
		switch e.Action {
		case "copy":
			p.ToCopy++
		case "skip":
			p.Unchanged++
		default:
			p.Errors++
		}
		if len(p.Entries) < maxPlanEntries {
			p.Entries = append(p.Entries, PlanEntry{Source: e.Source, Destination: e.Destination, Action: e.Action, Error: e.Error})
		}
	}
	return p, nil
}
