// Package recordgen writes a cloud task's object records into its DynamoDB table the
// way a cloud run does, through cloud/state/dynamostore: the finder's job batches
// (PutJob, 200 objects each, in key order), the workers' outcomes for each batch
// (PutObjects: DONE, or FAILED with an error), the found counters, the finder's end and
// the run's final status. The UI bench reads the table back through the same store, so
// the items are exactly the store's own. Benchmarks and tests only.
package recordgen

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"transferhub/cloud/state"
)

// Options describe the records.
type Options struct {
	TaskID string
	Name   string
	// Records is how many objects; Failed how many of them failed (spread evenly).
	Records, Failed int
	// Batch is the objects of one job (default 200, the finder's).
	Batch int
	// Parallel is how many batches are written at once (default 4).
	Parallel int
	// Definition is the task's definition as the registry keeps it (optional).
	Definition []byte
}

// FailedError is the error of the failed objects (the UI bench looks for it).
const FailedError = "access denied to the destination: the credentials may not write this key (AccessDenied)"

// Key is the key of object j: photos/YYYY/MM/IMG_nnnnnnn.jpg, as thseed makes them for
// the local task of the UI bench.
func Key(j int) string {
	return fmt.Sprintf("photos/%04d/%02d/IMG_%07d.jpg", 2000+j%25, j%12+1, j)
}

// failed reports whether object j failed (n records, f failures).
func failed(j, n, f int) bool {
	return f > 0 && j%max(1, n/f) == 7
}

// Keys returns the first and last key in key order.
func Keys(n int) (first, last string) {
	keys := make([]string, n)
	for j := range n {
		keys[j] = Key(j)
	}
	slices.Sort(keys)
	return keys[0], keys[n-1]
}

// Write writes the task and its records into st (a dynamostore.Store on the table).
// It returns the task as its record now says.
func Write(ctx context.Context, st state.Store, o Options) (state.Task, error) {
	if o.Batch <= 0 {
		o.Batch = 200
	}
	if o.Parallel <= 0 {
		o.Parallel = 4
	}
	if o.Name == "" {
		o.Name = fmt.Sprintf("Benchmark: %d generated cloud records", o.Records)
	}
	if err := st.PutTask(ctx, state.Task{ID: o.TaskID, Type: state.TaskS3, Name: o.Name, Engine: state.EngineCloud,
		Definition: o.Definition, Status: state.TaskIdle}); err != nil {
		return state.Task{}, err
	}
	t, err := st.StartRun(ctx, o.TaskID)
	if err != nil {
		return t, err
	}
	// The finder lists in key order: index j by its key's rank.
	idx := make([]int, o.Records)
	for j := range idx {
		idx[j] = j
	}
	keys := make([]string, o.Records)
	for j := range keys {
		keys[j] = Key(j)
	}
	slices.SortFunc(idx, func(a, b int) int {
		switch {
		case keys[a] < keys[b]:
			return -1
		case keys[a] > keys[b]:
			return 1
		}
		return 0
	})
	start := time.Unix(1_764_000_000, 0).UTC()
	var found state.Counters
	batches := make(chan []int)
	errs := make(chan error, o.Parallel)
	var wg sync.WaitGroup
	for range o.Parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				if err := writeBatch(ctx, st, o, t.RunID, keys, b, start); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var sendErr error
send:
	for i := 0; i < o.Records; i += o.Batch {
		b := idx[i:min(i+o.Batch, o.Records)]
		for _, j := range b {
			found.FoundObjects++
			found.FoundBytes += size(j)
		}
		select {
		case batches <- b:
		case sendErr = <-errs:
			break send
		case <-ctx.Done():
			sendErr = ctx.Err()
			break send
		}
	}
	close(batches)
	wg.Wait()
	if sendErr == nil {
		select {
		case sendErr = <-errs:
		default:
		}
	}
	if sendErr != nil {
		return t, sendErr
	}
	if err := st.AddCounters(ctx, o.TaskID, t.RunID, found); err != nil {
		return t, err
	}
	if err := st.FinishFinder(ctx, o.TaskID, t.RunID); err != nil {
		return t, err
	}
	if t, err = st.GetTask(ctx, o.TaskID); err != nil {
		return t, err
	}
	final, msg := state.TaskCompleted, ""
	if t.Counters.FailedObjects > 0 {
		final, msg = state.TaskFailed, fmt.Sprintf("%d objects failed", t.Counters.FailedObjects)
	}
	if err := st.SetTaskStatus(ctx, o.TaskID, nil, final, msg); err != nil {
		return t, err
	}
	return st.GetTask(ctx, o.TaskID)
}

func size(j int) int64 { return int64(1024 + j%65536) }

// writeBatch sends one job and records its outcomes, as the finder and a worker do.
func writeBatch(ctx context.Context, st state.Store, o Options, run string, keys []string, b []int, at time.Time) error {
	objs := make([]state.Object, len(b))
	for i, j := range b {
		objs[i] = state.Object{Key: keys[j], Size: size(j), ETag: fmt.Sprintf("%032x", j), LastModified: at,
			Status: state.ItemPending, RunID: run}
	}
	if err := st.PutJob(ctx, o.TaskID, objs); err != nil {
		return err
	}
	for i, j := range b {
		objs[i].Attempts = 1
		if failed(j, o.Records, o.Failed) {
			objs[i].Status, objs[i].Error, objs[i].Attempts = state.ItemFailed, FailedError, 3
		} else {
			objs[i].Status, objs[i].DestETag = state.ItemDone, objs[i].ETag
		}
	}
	return st.PutObjects(ctx, o.TaskID, objs)
}
