package dynamostore

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"transferhub/cloud/internal/wait"
	"transferhub/cloud/state"
)

// PutObjects implements state.Store: each object is written into its home in its run
// (the job item holding it; an item of its own when none does), the counter change in
// the same transaction (see jobs.go).
func (s *Store) PutObjects(ctx context.Context, taskID string, objs []state.Object) error {
	for _, o := range objs {
		if o.Status == "" {
			return fmt.Errorf("put %q of task %s: empty status", o.Key, taskID)
		}
	}
	if len(objs) == 0 {
		return nil
	}
	task, err := s.GetTask(ctx, taskID)
	if err != nil {
		return fmt.Errorf("put objects: %w", err)
	}
	byRun := map[string][]state.Object{}
	for _, o := range objs {
		if o.RunID == "" {
			o.RunID = task.RunID
		}
		byRun[o.RunID] = append(byRun[o.RunID], o)
	}
	runs := slices.Sorted(maps.Keys(byRun))
	for _, run := range runs {
		group := sortedUnique(byRun[run])
		if run != task.RunID {
			// A late write of an earlier run never replaces a later run's record.
			if group, err = s.dropSuperseded(ctx, taskID, run, group); err != nil {
				return fmt.Errorf("put objects of task %s: %w", taskID, err)
			}
		}
		if err := s.putRun(ctx, taskID, task.RunID, run, group); err != nil {
			return fmt.Errorf("put objects of task %s: %w", taskID, err)
		}
	}
	return nil
}

// dropSuperseded returns the objects of objs (of run) that no later run has recorded.
func (s *Store) dropSuperseded(ctx context.Context, task, run string, objs []state.Object) ([]state.Object, error) {
	_, runs, err := s.layers(ctx, task)
	if err != nil {
		return nil, err
	}
	var keep []state.Object
	for _, o := range objs {
		later := false
		for _, r := range runs {
			if r <= run {
				break
			}
			h, err := s.home(ctx, task, r, o.Key)
			if err != nil {
				return nil, err
			}
			if h != nil {
				later = true
				break
			}
		}
		if !later {
			keep = append(keep, o)
		}
	}
	return keep, nil
}

// putRun writes objs (sorted, of run) while cur is the task's current run: those a batch
// holds into it (those among them that have a single into their single), the others each
// into its single.
func (s *Store) putRun(ctx context.Context, task, cur, run string, objs []state.Object) error {
	pending := objs
	for attempt := 0; len(pending) > 0; {
		if attempt > 0 {
			c, err := s.currentRun(ctx, task)
			if err != nil {
				return err
			}
			cur = c
		}
		rest, conflict, err := s.putSome(ctx, task, cur, run, pending)
		if err != nil {
			return err
		}
		if conflict {
			// Another writer changed an item: read again and redo.
			if attempt == maxTxRetries {
				return fmt.Errorf("write %q: lost to concurrent writers %d times", pending[0].Key, attempt+1)
			}
			if err := wait.Sleep(ctx, backoff(attempt)); err != nil {
				return err
			}
			attempt++
			continue
		}
		pending = rest
	}
	return nil
}

// putSome writes the first of pending and those of its batch; rest is what is left.
func (s *Store) putSome(ctx context.Context, task, cur, run string, pending []state.Object) (rest []state.Object, conflict bool, err error) {
	batch, err := s.batchHome(ctx, task, run, pending[0].Key)
	if err != nil {
		return nil, false, err
	}
	mine := pending[:1]
	rest = pending[1:]
	if batch != nil {
		mine, rest = nil, nil
		for _, o := range pending {
			if batch.find(o.Key) >= 0 {
				mine = append(mine, o)
			} else {
				rest = append(rest, o)
			}
		}
	}
	singles, err := s.singlesIn(ctx, task, run, mine[0].Key, mine[len(mine)-1].Key)
	if err != nil {
		return nil, false, err
	}
	var inBatch []state.Object
	var twice []string // keys the batch holds though a single is their home
	for _, o := range mine {
		single := singles[o.Key]
		switch {
		case single != nil:
			if batch != nil {
				twice = append(twice, o.Key)
			}
			conflict, err = s.settle(ctx, task, cur, single, []state.Object{o})
		case batch != nil:
			inBatch = append(inBatch, o)
			continue
		default:
			conflict, err = s.putSingle(ctx, task, cur, run, o)
		}
		if err != nil || conflict {
			return nil, conflict, err
		}
	}
	if len(inBatch) > 0 {
		if conflict, err = s.settle(ctx, task, cur, batch, inBatch); err != nil || conflict {
			return nil, conflict, err
		}
	}
	if len(twice) > 0 {
		// The single's writer moves its key out of the batch after writing the single
		// (putSingle); when the response to that write was lost, the resend found the
		// single written and the writer came here instead.
		if err := s.removeKeys(ctx, task, run, batch.item.SK, twice); err != nil {
			return nil, false, err
		}
	}
	return rest, false, nil
}

// settle writes objs into their home j with the counter change of their transitions.
func (s *Store) settle(ctx context.Context, task, cur string, j *job, objs []state.Object) (conflict bool, err error) {
	now := state.UnixNanos(time.Now())
	changed := map[string]bool{}
	var delta state.Counters
	for _, o := range objs {
		i := j.find(o.Key)
		e := j.entries[i]
		p := state.Prior{Exists: true, Status: e.Status, RunID: j.run, Size: e.Size, Attempts: e.Attempts}
		w := p.Apply(cur, j.run, o.Status, o.Size, o.Attempts)
		if w.Skip {
			continue
		}
		delta.Add(w.Delta)
		ne := entryOf(o, w.Attempts, now)
		ne.Shadow = e.Shadow
		if ne.Status.Terminal() && sameRecord(ne, e) {
			continue // a duplicate delivery of an outcome: nothing to write (work in progress is rewritten: its time is its intent's)
		}
		j.entries[i] = ne
		changed[o.Key] = true
	}
	if len(changed) == 0 && delta.IsZero() && !pendingShadows(j, nil) {
		return false, nil
	}
	return s.commitJob(ctx, task, cur, j, delta, changed)
}

// sameRecord reports whether a and b are the same record but for the time written.
func sameRecord(a, b entry) bool {
	a.Updated = b.Updated
	return a == b
}

// putSingle writes o, which has no home in run, as an item of its own, then moves it out
// of an older item of the run that took it meanwhile (a batch the finder sent).
func (s *Store) putSingle(ctx context.Context, task, cur, run string, o state.Object) (conflict bool, err error) {
	j := &job{item: jobItem{PK: jobPK(task), SK: singleSK(run, o.Key)}, run: run}
	w := state.Prior{}.Apply(cur, run, o.Status, o.Size, o.Attempts)
	e := entryOf(o, w.Attempts, state.UnixNanos(time.Now()))
	if o.Status != state.ItemFailed {
		// A failure an earlier run recorded is superseded: its shadow goes with this write.
		older, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: shadowKey(task, o.Key),
			ConsistentRead: aws.Bool(true), ProjectionExpression: expr("#run"),
			ExpressionAttributeNames: map[string]string{"#run": "run"}})
		if err != nil {
			return false, fmt.Errorf("read failed record of %q: %w", o.Key, err)
		}
		if r, ok := older.Item["run"].(*types.AttributeValueMemberS); ok && r.Value < run {
			e.Shadow = true
		}
	}
	j.entries = []entry{e}
	conflict, err = s.commitJob(ctx, task, cur, j, w.Delta, map[string]bool{o.Key: true})
	if err != nil || conflict {
		return conflict, err
	}
	return false, s.yieldOlder(ctx, task, j)
}

// yieldOlder moves the key of the single j out of the batches of its run that hold it.
func (s *Store) yieldOlder(ctx context.Context, task string, j *job) error {
	key := j.entries[0].Key
	var stale []string
	err := s.walkDown(ctx, task, j.run, key, func(it jobItem, raw map[string]types.AttributeValue) (bool, error) {
		if it.Last < key {
			return true, nil
		}
		o, err := decodeJob(raw)
		if err != nil {
			return false, err
		}
		if o.find(key) >= 0 {
			stale = append(stale, it.SK)
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	for _, sk := range stale {
		if err := s.removeKeys(ctx, task, j.run, sk, []string{key}); err != nil {
			return err
		}
	}
	return nil
}

// commitJob writes j (its entries updated in memory, changed naming those written now)
// with delta on a counter shard of run cur and the shadow writes its entries need, in
// one transaction; shadows that did not fit are written by further writes of the item.
// conflict reports that the item changed since it was read, or that cur is no longer
// the current run: the caller reads again and redoes.
func (s *Store) commitJob(ctx context.Context, task, cur string, j *job, delta state.Counters, changed map[string]bool) (conflict bool, err error) {
	skip := map[int]bool{} // entries whose shadow is another item's (or a later run's)
	for attempt := 0; ; {
		saved := make([]bool, len(j.entries))
		for i, e := range j.entries {
			saved[i] = e.Shadow
		}
		ops, idx, err := s.shadowOps(task, j, changed, skip)
		if err != nil {
			return false, err
		}
		put, err := s.jobPut(task, j, j.item.Reach)
		if err != nil {
			return false, err
		}
		actions := []types.TransactWriteItem{{Put: put}}
		if !delta.IsZero() {
			actions = append(actions, s.counterAction(task, cur, delta))
		}
		opBase := len(actions)
		actions = append(actions, ops...)
		_, err = s.api.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: actions})
		if err == nil {
			j.item.Ver++
			j.exists = true
			j.item.Reach = max(j.item.Reach, j.entries[len(j.entries)-1].Key)
			delta, changed = state.Counters{}, nil
			if !pendingShadows(j, skip) {
				return false, nil
			}
			continue
		}
		for i, f := range saved {
			j.entries[i].Shadow = f
		}
		failed := failedConditions(err)
		if slices.Contains(failed, 0) || opBase == 2 && slices.Contains(failed, 1) {
			return true, nil
		}
		for _, a := range failed {
			if a >= opBase {
				i := idx[a-opBase]
				skip[i] = true
				j.entries[i].Shadow = false
			}
		}
		if !retryableTx(err) {
			return false, fmt.Errorf("write job %q: %w", j.item.SK, err)
		}
		if attempt == maxTxRetries {
			return false, fmt.Errorf("write job %q: lost to concurrent writers: %w", j.item.SK, err)
		}
		if len(failed) == 0 {
			if err := wait.Sleep(ctx, backoff(attempt)); err != nil {
				return false, err
			}
		}
		attempt++
	}
}
