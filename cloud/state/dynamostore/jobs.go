package dynamostore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"transferhub/cloud/internal/wait"
	"transferhub/cloud/state"
)

// Object records live in job items: one item per job batch the finder sends (PutJob),
// holding the batch's objects (jobcodec.go), in partition J#<task> under the sort key
// <run>#<first key>. A run's items are its layer of records; within a layer every key
// has one home, the item of greatest sort key that holds it:
//
//   - PutJob writes the batch (PENDING: queued) when it is sent, leaving out keys that already
//     have a home in the run (a batch sent again keeps its settled objects); the worker's
//     PutObjects rewrites the item once with the outcomes, in one transaction with the
//     counter change that belongs to it (the item's version is the condition: a retry of
//     an applied write fails it and is recognised, so nothing counts twice).
//   - An object written without a home in its run (an S3 event's copy, an archived object
//     the finder records) gets an item of its own, a single (sort key <run>$<key>, above
//     every batch of the run: a single is its key's home); the writer then looks for a
//     batch of the run holding the key (sent meanwhile) and moves the key out of it,
//     undoing its count if it had one. PutJob looks the other way after writing, so
//     whichever of the two comes second sees the other.
//   - FAILED objects also get a shadow item in the sparse status index (partition
//     O#<task>#<shard>, gsi1pk OS#<task>#FAILED): the failed list is one index query. An
//     entry's shadow flag says a shadow exists; shadows are written and deleted in the
//     transaction that changes the entry (more than fit in one are finished by further
//     writes of the item), so the flags are never wrong for long.
//   - Items holding objects in flight (PENDING or IN_PROGRESS) are in the index under
//     OJ#<task>#<run> (their first key as gsi1sk): the current run's in-flight objects are
//     one index query. Objects an earlier run left PENDING are no records: reads skip them
//     (and show the key's last record, if any), as the old per-object store never
//     recorded queued objects; and a PENDING record gives way to an earlier run's
//     IN_PROGRESS one (an upload under way, whose id the worker needs), as that record was
//     the key's until the object was worked on (joblist.go, visible).
//
// Reads merge the layers, newest run first: the all-objects list, DONE and SKIPPED
// lists and counts read every layer (one query per layer and page); GetObject walks the
// layers from the newest until one holds the key. Keys keep their global byte order.
//
// Each batch keeps its last key (l) and its reach (r: the greatest last key of the run's
// batches up to it), so the batches that span a key are found with a short descending
// query from it; a single is read by its key.

// jobItem is a job item as stored.
type jobItem struct {
	PK     string `dynamodbav:"pk"`
	SK     string `dynamodbav:"sk"`
	Last   string `dynamodbav:"l"`
	Reach  string `dynamodbav:"r"`
	N      int    `dynamodbav:"n"`
	Open   int    `dynamodbav:"o"` // entries not yet settled
	Ver    int64  `dynamodbav:"v"`
	Upd    int64  `dynamodbav:"u"`
	Blob   []byte `dynamodbav:"b"`
	GSI1PK string `dynamodbav:"gsi1pk,omitempty"`
	GSI1SK string `dynamodbav:"gsi1sk,omitempty"`

	// Counts is the number of entries per status, so that a status-filtered offset skips
	// the item unread; items written before it was stored have none (they are read).
	Counts map[string]int `dynamodbav:"sc,omitempty"`
}

// job is a decoded job item.
type job struct {
	item    jobItem
	run     string
	entries []entry // in key order
	exists  bool    // stored (ver is the stored version)
}

func (j *job) find(key string) int {
	i, ok := slices.BinarySearchFunc(j.entries, key, func(e entry, k string) int { return strings.Compare(e.Key, k) })
	if !ok {
		return -1
	}
	return i
}

func jobPK(task string) string { return "J#" + task }

// maxSKKey bounds the key part of a job's sort key: run ids take 34 bytes, DynamoDB sort
// keys 1,024 and S3 keys 1,024. A longer first key is cut (at a character boundary)
// and tagged with its hash; order among such items is by hash, which reads allow for.
const maxSKKey = 960

// skKey is the key part of the sort key of a job whose first key is k.
func skKey(k string) string {
	if len(k) <= maxSKKey {
		return k
	}
	cut := truncKey(k)
	sum := sha256.Sum256([]byte(k))
	return cut + "\x00" + hex.EncodeToString(sum[:8])
}

// truncKey is k cut to maxSKKey bytes at a character boundary.
func truncKey(k string) string {
	if len(k) <= maxSKKey {
		return k
	}
	cut := maxSKKey
	for cut > 0 && !utf8.RuneStart(k[cut]) {
		cut--
	}
	return k[:cut]
}

// Within a run, batches sort under <run>#<first key> and items of one object written
// without a batch ("singles") under <run>$<key>: a lookup reads a single by its key and
// walks only the batches, and every single sorts above every batch of its run, which
// makes a single the home of its key when a batch holds it too.
const (
	batchSep  = "#"
	singleSep = "$"
)

func batchSK(run, first string) string { return run + batchSep + skKey(first) }
func singleSK(run, key string) string  { return run + singleSep + skKey(key) }

// skBound is the greatest sort key of run's items (of the namespace sep) whose first
// key can be <= k.
func skBound(run, k string) string { return bound(run, batchSep, k) }

func bound(run, sep, k string) string {
	if len(k) <= maxSKKey {
		return run + sep + k
	}
	return run + sep + truncKey(k) + "\x01"
}

// firstBound is a lower bound of the first key of the item with sort key sk.
func firstBound(sk string) string {
	_, k := splitSK(sk)
	k, _, _ = strings.Cut(k, "\x00")
	return k
}

// splitSK splits a job sort key into its run and key part (run ids hold no # or $).
func splitSK(sk string) (run, key string) {
	i := strings.IndexAny(sk, batchSep+singleSep)
	if i < 0 {
		return sk, ""
	}
	return sk[:i], sk[i+1:]
}

func runOfSK(sk string) string { r, _ := splitSK(sk); return r }

func openIndexPK(task, run string) string { return "OJ#" + task + "#" + run }

func decodeJob(item map[string]types.AttributeValue) (*job, error) {
	var it jobItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return nil, fmt.Errorf("decode job item: %w", err)
	}
	es, err := decodeEntries(it.Blob)
	if err != nil {
		return nil, fmt.Errorf("job item %q: %w", it.SK, err)
	}
	return &job{item: it, run: runOfSK(it.SK), entries: es, exists: true}, nil
}

// records returns how many of the item's entries a list filtered to status ("": every
// status) shows when each is its key's only record: in the current run (current) every
// entry, in an earlier run all but the PENDING ones (no records there, see visible).
// ok is false when the item cannot tell without being read: it was written before items
// stored their per-status counts, and a filter or an earlier run's object in flight
// needs them.
func (it jobItem) records(status state.ItemStatus, current bool) (n int, ok bool) {
	if it.Counts == nil {
		if status == "" && (current || it.Open == 0) {
			return it.N, true
		}
		return 0, false
	}
	switch {
	case status == "" && current:
		return it.N, true
	case status == "":
		return it.N - it.Counts[string(state.ItemPending)], true
	case status == state.ItemPending && !current:
		return 0, true
	}
	return it.Counts[string(status)], true
}

// jobItemOf reads only the item's attributes (not its entries).
func jobItemOf(item map[string]types.AttributeValue) (jobItem, error) {
	var it jobItem
	err := attributevalue.UnmarshalMap(item, &it)
	return it, err
}

// walkDown calls fn with run's batches whose sort key is <= skBound(run, key), greatest
// first, while fn returns true and until a batch's reach is below key (no earlier batch
// of the run then holds a key at or after key).
func (s *Store) walkDown(ctx context.Context, task, run, key string, fn func(it jobItem, raw map[string]types.AttributeValue) (bool, error)) error {
	in := &dynamodb.QueryInput{TableName: &s.table, ConsistentRead: aws.Bool(true), ScanIndexForward: aws.Bool(false),
		KeyConditionExpression: expr("#pk = :pk AND #sk BETWEEN :lo AND :hi"), Limit: aws.Int32(4),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(jobPK(task)), ":lo": str(run + batchSep),
			":hi": str(skBound(run, key))}}
	for {
		out, err := s.api.Query(ctx, in)
		if err != nil {
			return fmt.Errorf("read jobs of run %s: %w", run, err)
		}
		for _, raw := range out.Items {
			it, err := jobItemOf(raw)
			if err != nil {
				return fmt.Errorf("decode job item: %w", err)
			}
			more, err := fn(it, raw)
			if err != nil || !more || it.Reach < key {
				return err
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
		in.Limit = aws.Int32(16)
	}
}

// home finds the item of run holding key (nil when none): its single, else its batch.
func (s *Store) home(ctx context.Context, task, run, key string) (*job, error) {
	single, err := s.single(ctx, task, run, key)
	if err != nil || single != nil {
		return single, err
	}
	return s.batchHome(ctx, task, run, key)
}

// single reads the item of run holding key alone (nil when none).
func (s *Store) single(ctx context.Context, task, run, key string) (*job, error) {
	out, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: keyOf(jobPK(task), singleSK(run, key)),
		ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("read record of %q: %w", key, err)
	}
	if out.Item == nil {
		return nil, nil
	}
	j, err := decodeJob(out.Item)
	if err != nil || j.find(key) < 0 {
		return nil, err
	}
	return j, nil
}

// singlesIn reads the singles of run whose keys lie in [lo, hi], by key.
func (s *Store) singlesIn(ctx context.Context, task, run, lo, hi string) (map[string]*job, error) {
	p := dynamodb.NewQueryPaginator(s.api, &dynamodb.QueryInput{TableName: &s.table, ConsistentRead: aws.Bool(true),
		KeyConditionExpression: expr("#pk = :pk AND #sk BETWEEN :lo AND :hi"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(jobPK(task)),
			":lo": str(run + singleSep + truncKey(lo)), ":hi": str(bound(run, singleSep, hi))}})
	out := map[string]*job{}
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("read records of run %s: %w", run, err)
		}
		for _, raw := range page.Items {
			j, err := decodeJob(raw)
			if err != nil {
				return nil, err
			}
			for _, e := range j.entries {
				if e.Key >= lo && e.Key <= hi {
					out[e.Key] = j
				}
			}
		}
	}
	return out, nil
}

// batchHome finds the batch of run holding key (nil when none).
func (s *Store) batchHome(ctx context.Context, task, run, key string) (home *job, err error) {
	err = s.walkDown(ctx, task, run, key, func(it jobItem, raw map[string]types.AttributeValue) (bool, error) {
		if it.Last < key {
			return true, nil
		}
		j, err := decodeJob(raw)
		if err != nil {
			return false, err
		}
		if j.find(key) >= 0 {
			home = j
			return false, nil
		}
		return true, nil
	})
	return home, err
}

// PutJob implements state.Store: one item for the batch (see above).
func (s *Store) PutJob(ctx context.Context, taskID string, objs []state.Object) error {
	if len(objs) == 0 {
		return nil
	}
	run := objs[0].RunID
	for _, o := range objs {
		if o.Status != state.ItemInProgress && o.Status != state.ItemPending {
			return fmt.Errorf("put job of task %s: %q has status %q; a job's objects are IN_PROGRESS or PENDING", taskID, o.Key, o.Status)
		}
		if o.RunID != run {
			return fmt.Errorf("put job of task %s: objects of runs %q and %q in one job", taskID, run, o.RunID)
		}
	}
	if run == "" {
		cur, err := s.currentRun(ctx, taskID)
		if errors.Is(err, state.ErrNotFound) {
			return fmt.Errorf("put job of task %s: %w", taskID, state.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("put job of task %s: %w", taskID, err)
		}
		run = cur
	}
	objs = sortedUnique(objs)
	var err error
	for attempt := 0; ; attempt++ {
		var retry bool
		retry, err = s.putJobOnce(ctx, taskID, run, objs)
		if !retry || attempt == maxTxRetries {
			break
		}
		if err := wait.Sleep(ctx, backoff(attempt)); err != nil {
			return err
		}
	}
	if err != nil {
		return fmt.Errorf("put job of task %s: %w", taskID, err)
	}
	return nil
}

// sortedUnique sorts objs by key, keeping the last of equal keys.
func sortedUnique(objs []state.Object) []state.Object {
	out := slices.Clone(objs)
	slices.SortStableFunc(out, func(a, b state.Object) int { return strings.Compare(a.Key, b.Key) })
	n := 0
	for i := range out {
		if n > 0 && out[n-1].Key == out[i].Key {
			out[n-1] = out[i]
			continue
		}
		out[n] = out[i]
		n++
	}
	return out[:n]
}

func (s *Store) putJobOnce(ctx context.Context, task, run string, objs []state.Object) (retry bool, err error) {
	first, last := objs[0].Key, objs[len(objs)-1].Key
	sk := batchSK(run, first)
	// Items of the run at or below this one: the batch's own item (sent before) and any
	// that already hold some of its keys (they keep them).
	var self, prev *job
	homed := map[string]bool{}
	err = s.walkDown(ctx, task, run, first, func(it jobItem, raw map[string]types.AttributeValue) (bool, error) {
		if prev == nil && it.SK < sk {
			prev = &job{item: it, run: run} // the batch below: its reach continues in this one
		}
		if it.Last < first && it.SK != sk {
			return true, nil
		}
		j, err := decodeJob(raw)
		if err != nil {
			return false, err
		}
		if it.SK == sk {
			self = j
			return true, nil
		}
		for _, o := range objs {
			if j.find(o.Key) >= 0 {
				homed[o.Key] = true
			}
		}
		return true, nil
	})
	if err != nil {
		return false, err
	}
	now := state.UnixNanos(time.Now())
	j := self
	if j == nil {
		j = &job{item: jobItem{PK: jobPK(task), SK: sk}, run: run}
	}
	// New keys are looked up among the entries as they were (sorted: find searches them)
	// and added after.
	var added []entry
	for _, o := range objs {
		if homed[o.Key] || j.find(o.Key) >= 0 {
			continue // recorded in this run already: it keeps its record
		}
		added = append(added, entryOf(o, o.Attempts, now))
	}
	j.entries = append(j.entries, added...)
	slices.SortFunc(j.entries, func(a, b entry) int { return strings.Compare(a.Key, b.Key) })
	if self != nil && len(added) == 0 {
		// Sent again, nothing new; or our write, whose response was lost, applied and
		// the SDK's resend failed its condition: what follows the write is still to do.
		return false, s.yieldToLater(ctx, task, self)
	}
	if len(j.entries) == 0 {
		return false, nil
	}
	// Failures of earlier runs leave the failed list: the objects are being copied again.
	if err := s.dropOlderShadows(ctx, task, run, first, last, j); err != nil {
		return false, err
	}
	reach := ""
	if prev != nil {
		reach = prev.item.Reach
	}
	put, err := s.jobPut(task, j, reach)
	if err != nil {
		return false, err
	}
	if _, err := s.api.PutItem(ctx, &dynamodb.PutItemInput{TableName: put.TableName, Item: put.Item,
		ConditionExpression: put.ConditionExpression, ExpressionAttributeValues: put.ExpressionAttributeValues}); err != nil {
		if isConditionFailed(err) {
			return true, fmt.Errorf("job item changed meanwhile: %w", err)
		}
		return false, err
	}
	j.item.Ver++
	j.exists = true
	// Items of the run above this one that hold some of its keys (an event's copy, a
	// batch of an earlier attempt of the finder) are their homes: the keys leave this one.
	return false, s.yieldToLater(ctx, task, j)
}

// dropOlderShadows deletes the failed-index shadows that earlier runs left for keys of j
// (their objects are in flight again in run).
func (s *Store) dropOlderShadows(ctx context.Context, task, run, first, last string, j *job) error {
	in := &dynamodb.QueryInput{TableName: &s.table, IndexName: aws.String(statusIndex),
		KeyConditionExpression: expr("#gsi1pk = :pk AND #gsi1sk BETWEEN :a AND :b"),
		ProjectionExpression:   expr("#pk, #sk, #run"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(failedIndexPK(task)), ":a": str(first),
			":b": str(last)}}
	p := dynamodb.NewQueryPaginator(s.api, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("read failed index: %w", err)
		}
		for _, item := range page.Items {
			key := skOf(item)
			r, _ := item["run"].(*types.AttributeValueMemberS)
			if j.find(key) < 0 || r == nil || r.Value >= run {
				continue
			}
			_, err := s.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: shadowKey(task, key),
				ConditionExpression:       expr("#run < :run"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":run": str(run)}})
			if err != nil && !isConditionFailed(err) {
				return fmt.Errorf("drop failed record of %q from an earlier run: %w", key, err)
			}
		}
	}
	return nil
}

// yieldToLater removes from j the keys that a later item of the run holds (a batch with a
// greater sort key within j's range, written by an earlier attempt of the finder, or a
// single): that item is their home. It also extends the reach of those later batches
// over j, which now sits below them.
func (s *Store) yieldToLater(ctx context.Context, task string, j *job) error {
	first, last := j.entries[0].Key, j.entries[len(j.entries)-1].Key
	var later []string
	if j.item.SK+"\x00" <= skBound(j.run, last) { // a batch of one key has none above in range
		p := dynamodb.NewQueryPaginator(s.api, &dynamodb.QueryInput{TableName: &s.table, ConsistentRead: aws.Bool(true),
			KeyConditionExpression: expr("#pk = :pk AND #sk BETWEEN :lo AND :hi"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(jobPK(task)), ":lo": str(j.item.SK + "\x00"),
				":hi": str(skBound(j.run, last))}})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("read later jobs: %w", err)
			}
			for _, raw := range page.Items {
				o, err := decodeJob(raw)
				if err != nil {
					return err
				}
				for _, e := range o.entries {
					if j.find(e.Key) >= 0 {
						later = append(later, e.Key)
					}
				}
				if o.item.Reach < last {
					_, err := s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table, Key: keyOf(o.item.PK, o.item.SK),
						UpdateExpression: expr("SET #r = :r"), ConditionExpression: expr("attribute_exists(#pk) AND #r < :r"),
						ExpressionAttributeValues: map[string]types.AttributeValue{":r": str(last)}})
					if err != nil && !isConditionFailed(err) {
						return fmt.Errorf("extend reach of job %q: %w", o.item.SK, err)
					}
				}
			}
		}
	}
	singles, err := s.singlesIn(ctx, task, j.run, first, last)
	if err != nil {
		return err
	}
	for k := range singles {
		if j.find(k) >= 0 {
			later = append(later, k)
		}
	}
	if len(later) == 0 {
		return nil
	}
	return s.removeKeys(ctx, task, j.run, j.item.SK, later)
}

// removeKeys takes keys out of the run's item sk (found at home elsewhere), undoing the
// counts its entries had; retried on conflicts.
func (s *Store) removeKeys(ctx context.Context, task, run, sk string, keys []string) error {
	notMine := map[string]bool{} // shadows that turned out to be the home's
	for attempt := 0; ; attempt++ {
		out, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: keyOf(jobPK(task), sk), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return fmt.Errorf("read job %q: %w", sk, err)
		}
		if out.Item == nil {
			return nil
		}
		j, err := decodeJob(out.Item)
		if err != nil {
			return err
		}
		cur, err := s.currentRun(ctx, task)
		if err != nil {
			return err
		}
		var delta state.Counters
		var shadows []types.TransactWriteItem
		var shadowKeys []string
		kept := j.entries[:0:0]
		for _, e := range j.entries {
			if !slices.Contains(keys, e.Key) {
				kept = append(kept, e)
				continue
			}
			if run == cur {
				// Its count, taken back (as a re-queued record's is).
				delta.Add(state.Prior{Exists: true, Status: e.Status, RunID: run, Size: e.Size}.Apply(run, run, state.ItemPending, 0, 0).Delta)
			}
			if e.Shadow && !notMine[e.Key] {
				// Only this item's own copy: the home's may be there now.
				shadows = append(shadows, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: shadowKey(task, e.Key),
					ConditionExpression:       expr("attribute_not_exists(#pk) OR #home = :home"),
					ExpressionAttributeValues: map[string]types.AttributeValue{":home": str(sk)}}})
				shadowKeys = append(shadowKeys, e.Key)
			}
		}
		if len(kept) == len(j.entries) {
			return nil
		}
		var actions []types.TransactWriteItem
		if len(kept) == 0 {
			actions = append(actions, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: keyOf(j.item.PK, j.item.SK),
				ConditionExpression: expr("#v = :v"), ExpressionAttributeValues: map[string]types.AttributeValue{":v": num(j.item.Ver)}}})
		} else {
			j.entries = kept
			put, err := s.jobPut(task, j, j.item.Reach)
			if err != nil {
				return err
			}
			actions = append(actions, types.TransactWriteItem{Put: put})
		}
		actions = append(actions, shadows...)
		if !delta.IsZero() {
			actions = append(actions, s.counterAction(task, cur, delta))
		}
		_, err = s.api.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: actions})
		if err == nil {
			return nil
		}
		for _, i := range failedConditions(err) {
			if i >= 1 && i <= len(shadowKeys) {
				notMine[shadowKeys[i-1]] = true
			}
		}
		if !retryableTx(err) || attempt == maxTxRetries {
			return fmt.Errorf("move keys out of job %q: %w", sk, err)
		}
		if err := wait.Sleep(ctx, backoff(attempt)); err != nil {
			return err
		}
	}
}

// failedConditions returns the indexes of a cancelled transaction's actions whose
// condition failed.
func failedConditions(err error) []int {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return nil
	}
	var out []int
	for i, r := range tce.CancellationReasons {
		if aws.ToString(r.Code) == "ConditionalCheckFailed" {
			out = append(out, i)
		}
	}
	return out
}

// jobPut is the conditional Put of j (new, or replacing the stored version).
func (s *Store) jobPut(task string, j *job, prevReach string) (*types.Put, error) {
	blob, err := encodeEntries(j.entries)
	if err != nil {
		return nil, err
	}
	last := j.entries[len(j.entries)-1].Key
	it := jobItem{PK: jobPK(task), SK: j.item.SK, Last: last, Reach: max(last, prevReach, j.item.Reach), N: len(j.entries),
		Ver: j.item.Ver + 1, Upd: state.UnixNanos(time.Now()), Blob: blob}
	it.Counts = map[string]int{}
	for _, e := range j.entries {
		if !e.Status.Terminal() {
			it.Open++
		}
		it.Counts[string(e.Status)]++
	}
	if it.Open > 0 {
		it.GSI1PK, it.GSI1SK = openIndexPK(task, j.run), firstBound(j.item.SK)
	}
	item, err := attributevalue.MarshalMap(it)
	if err != nil {
		return nil, err
	}
	put := &types.Put{TableName: &s.table, Item: item}
	if j.exists {
		put.ConditionExpression = expr("#v = :v")
		put.ExpressionAttributeValues = map[string]types.AttributeValue{":v": num(j.item.Ver)}
	} else {
		put.ConditionExpression = expr("attribute_not_exists(#pk)")
	}
	return put, nil
}

// counterAction adds delta to a counter shard of run inside a transaction.
func (s *Store) counterAction(task, run string, delta state.Counters) types.TransactWriteItem {
	update, values := counterUpdate(delta)
	values[":run"] = str(run)
	return types.TransactWriteItem{Update: &types.Update{TableName: &s.table, Key: anyCounterKey(task),
		UpdateExpression: aws.String(update), ConditionExpression: expr("#run = :run"), ExpressionAttributeValues: values}}
}

// retryableTx reports a transaction lost to a concurrent writer (or throttled).
func retryableTx(err error) bool {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return false
	}
	for _, reason := range tce.CancellationReasons {
		switch aws.ToString(reason.Code) {
		case "", "None", "ConditionalCheckFailed", "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded":
		default:
			return false
		}
	}
	return true
}
