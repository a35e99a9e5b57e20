package s3sync

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"transferhub/cloud/queue"
	"transferhub/cloud/state"
)

// Bounds of one retry's work on the dead-letter queue and the table.
const (
	retryJobObjects   = 200     // objects per queued job
	retryKeysKept     = 100_000 // keys to queue remembered to judge dead letters without reads
	deadLetterRounds  = 50      // receives of up to 10 messages (SQS's limit)
	deadLetterLookups = 200     // object records read for dead-lettered objects not queued
)

// EnqueueFailed sends the current run's failed objects of task t to q as jobs, so the
// reopened run copies them again (its finder is done), and returns how many it sent.
func EnqueueFailed(ctx context.Context, st state.Store, q queue.Queue, t state.Task) (int, error) {
	n := 0
	err := eachFailed(ctx, st, t, func(objs []JobObject) error {
		if err := SendJobs(ctx, q, t.RunID, objs); err != nil {
			return err
		}
		n += len(objs)
		return nil
	})
	return n, err
}

// PrepareRetry records the current run's failed objects of task t PENDING again and
// returns them, for SendJobs once the run has reopened. A FAILED object counts as
// settled: were the run reopened with them still FAILED, a worker with nothing to do
// would find it complete and end it FAILED before their copies settle (and a run ended
// so stays FAILED after they succeed). Pending, they keep the run open until they
// settle again, and the worker that settles the last ends it as it does any run.
func PrepareRetry(ctx context.Context, st state.Store, t state.Task) ([]JobObject, error) {
	var all []JobObject
	// Pending ones of the run are sent again too: left by a retry that recorded them and
	// then could not reopen the run or queue them, they would wait for nothing. (Read
	// first: the failed ones join them below.)
	err := eachOfRun(ctx, st, t, state.ItemPending, func(objs []JobObject) error {
		all = append(all, objs...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = eachFailed(ctx, st, t, func(objs []JobObject) error {
		if len(objs) == 0 {
			return nil
		}
		recs := make([]state.Object, len(objs))
		for i, o := range objs {
			recs[i] = state.Object{Key: o.Key, Size: o.Size, ETag: o.ETag, LastModified: o.MTime, Status: state.ItemPending, RunID: t.RunID}
		}
		if err := st.PutObjects(ctx, t.ID, recs); err != nil {
			return fmt.Errorf("record the failed objects pending again: %w", err)
		}
		all = append(all, objs...)
		return nil
	})
	return all, err
}

// SendJobs sends objs to q as jobs of run.
func SendJobs(ctx context.Context, q queue.Queue, run string, objs []JobObject) error {
	var bodies [][]byte
	for chunk := range slices.Chunk(objs, retryJobObjects) {
		b, err := EncodeJob(Job{V: JobVersion, Run: run, Objects: chunk})
		if err != nil {
			return err
		}
		bodies = append(bodies, b)
		if len(bodies) == 10 { // a batch of SQS's size; a large retry's bodies are not all held at once
			if err := q.Send(ctx, bodies...); err != nil {
				return fmt.Errorf("queue failed objects: %w", err)
			}
			bodies = nil
		}
	}
	if len(bodies) > 0 {
		if err := q.Send(ctx, bodies...); err != nil {
			return fmt.Errorf("queue failed objects: %w", err)
		}
	}
	return nil
}

// DropRetriedDeadLetters deletes from the dead-letter queue dlq the jobs and part jobs of
// task t that EnqueueFailed is about to make redundant: every object of the message is
// a failed object of the current run (to be queued again) or already has a final
// non-failed record of that run. A message holding anything else stays, and so does
// everything not read within the bounds: nothing a person may redrive is lost. It
// returns how many it deleted. Call it while the run rests, before the run reopens and
// its failed objects are queued, so that a new failure of a retried copy stays.
func DropRetriedDeadLetters(ctx context.Context, st state.Store, dlq queue.Queue, t state.Task) (int, error) {
	if t.RunID == "" {
		return 0, nil
	}
	s := &deadLetterSweep{st: st, task: t.ID, run: t.RunID, queued: map[string]bool{}, complete: true}
	err := eachFailed(ctx, st, t, func(objs []JobObject) error {
		for _, o := range objs {
			if len(s.queued) == retryKeysKept {
				s.complete = false
				break
			}
			s.queued[o.Key] = true
		}
		return nil
	})
	if err != nil || len(s.queued) == 0 {
		return 0, err
	}
	return s.sweep(ctx, dlq)
}

// eachFailed calls fn with each page of the current run's failed objects.
func eachFailed(ctx context.Context, st state.Store, t state.Task, fn func([]JobObject) error) error {
	return eachOfRun(ctx, st, t, state.ItemFailed, fn)
}

// eachOfRun calls fn with each page of the current run's objects of status s.
func eachOfRun(ctx context.Context, st state.Store, t state.Task, s state.ItemStatus, fn func([]JobObject) error) error {
	opt := state.ListOptions{Status: s, Limit: 1000}
	for {
		page, err := st.ListObjects(ctx, t.ID, opt)
		if err != nil {
			return fmt.Errorf("list %s objects: %w", s, err)
		}
		var objs []JobObject
		for _, o := range page.Items {
			// One that failed in an older run: the current run's finder decided about it.
			if o.RunID == t.RunID {
				objs = append(objs, JobObject{Key: o.Key, Size: o.Size, ETag: o.ETag, MTime: o.LastModified})
			}
		}
		if err := fn(objs); err != nil {
			return err
		}
		if page.Next == "" {
			return nil
		}
		opt.After = page.Next
	}
}

// deadLetterSweep decides which dead letters a retry made redundant.
type deadLetterSweep struct {
	st       state.Store
	task     string
	run      string
	queued   map[string]bool
	complete bool
	lookups  int
}

// sweep deletes the redundant dead letters; the others are made visible again.
func (s *deadLetterSweep) sweep(ctx context.Context, dlq queue.Queue) (removed int, err error) {
	return scanDeadLetters(ctx, dlq, deadLetterRounds, func(ctx context.Context, msgs []queue.Message) ([]queue.Message, error) {
		var drop []queue.Message
		for _, m := range msgs {
			redundant, err := s.redundant(ctx, m.Body)
			if err != nil {
				return nil, err
			}
			if redundant {
				drop = append(drop, m)
			}
		}
		return drop, nil
	})
}

// redundant says whether a dead-lettered message holds only objects the retry covers.
// Anything else (S3 events, unreadable bodies, other runs' objects not queued now) stays.
func (s *deadLetterSweep) redundant(ctx context.Context, body []byte) (bool, error) {
	kind, err := Classify(body)
	if err != nil {
		return false, nil
	}
	var objs []JobObject
	switch kind {
	case KindJob:
		j, err := DecodeJob(body)
		if err != nil {
			return false, nil
		}
		objs = j.Objects
	case KindPart:
		p, err := DecodePart(body)
		if err != nil {
			return false, nil
		}
		objs = []JobObject{p.Object} // the retry copies the whole object in a new upload
	default:
		return false, nil
	}
	if len(objs) == 0 {
		return false, nil
	}
	for _, o := range objs {
		if ok, err := s.covered(ctx, o.Key); err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// covered: the retry queues key again, or the current run already settled it otherwise.
func (s *deadLetterSweep) covered(ctx context.Context, key string) (bool, error) {
	if s.queued[key] {
		return true, nil
	}
	if s.lookups >= deadLetterLookups {
		return false, nil
	}
	s.lookups++
	rec, err := s.st.GetObject(ctx, s.task, key)
	if errors.Is(err, state.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read the record of a dead-lettered object: %w", err)
	}
	if rec.RunID != s.run {
		return false, nil
	}
	switch rec.Status {
	case state.ItemDone, state.ItemSkipped:
		return true, nil
	case state.ItemFailed:
		// To be queued, when the keys did not all fit in memory.
		return !s.complete, nil
	}
	return false, nil
}
