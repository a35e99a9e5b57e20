package dynamostore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"transferhub/cloud/state"
)

// A run's counters are the sum of two kinds of items in partition TASKS, each naming the
// run it counts for (items of another run count nothing):
//
//   - shards T#<task>#C#<00..07>, which the transitions of item records ADD to inside the
//     transaction that writes the records. Those adds cannot apply twice: the transaction
//     is conditioned on the records' versions, so a retried request whose first attempt
//     was applied fails on them, and the retry reads the records again and finds nothing
//     left to count.
//   - writer items T#<task>#W#<writer>, one per Store value (a process) that calls
//     AddCounters. The writer SETs its own absolute totals for the run with a sequence
//     number, on the condition that the stored sequence is lower: the SDK's retry of an
//     update whose response was lost fails that condition and is recognised as already
//     applied (the stored sequence is the request's own), so no add is ever counted
//     twice. Adds of one writer to one task are serialised, so a later total never
//     overtakes an earlier one.
//
// StartRun resets the shards and drops the writer items of earlier runs.

// counterItem is one counter shard or writer item; it counts only for the run it names.
type counterItem struct {
	SK             string `dynamodbav:"sk"`
	Run            string `dynamodbav:"run"`
	Seq            int64  `dynamodbav:"seq,omitempty"`
	FoundObjects   int64  `dynamodbav:"foundObjects"`
	FoundBytes     int64  `dynamodbav:"foundBytes"`
	DoneObjects    int64  `dynamodbav:"doneObjects"`
	DoneBytes      int64  `dynamodbav:"doneBytes"`
	SkippedObjects int64  `dynamodbav:"skippedObjects"`
	SkippedBytes   int64  `dynamodbav:"skippedBytes"`
	FailedObjects  int64  `dynamodbav:"failedObjects"`
	FailedBytes    int64  `dynamodbav:"failedBytes"`
}

func (c counterItem) counters() state.Counters {
	return state.Counters{FoundObjects: c.FoundObjects, FoundBytes: c.FoundBytes, DoneObjects: c.DoneObjects,
		DoneBytes: c.DoneBytes, SkippedObjects: c.SkippedObjects, SkippedBytes: c.SkippedBytes,
		FailedObjects: c.FailedObjects, FailedBytes: c.FailedBytes}
}

// counterFields names the counters' attributes with their values in d.
func counterFields(d state.Counters) []struct {
	name string
	v    int64
} {
	return []struct {
		name string
		v    int64
	}{{"foundObjects", d.FoundObjects}, {"foundBytes", d.FoundBytes}, {"doneObjects", d.DoneObjects},
		{"doneBytes", d.DoneBytes}, {"skippedObjects", d.SkippedObjects}, {"skippedBytes", d.SkippedBytes},
		{"failedObjects", d.FailedObjects}, {"failedBytes", d.FailedBytes}}
}

// counterUpdate is the ADD expression of a counter delta (for a shard, in a transaction).
func counterUpdate(d state.Counters) (string, map[string]types.AttributeValue) {
	var parts []string
	values := map[string]types.AttributeValue{}
	for _, f := range counterFields(d) {
		if f.v != 0 {
			parts = append(parts, "#"+f.name+" :"+f.name)
			values[":"+f.name] = num(f.v)
		}
	}
	return "ADD " + strings.Join(parts, ", "), values
}

// writerKey names this Store's writer item of task id.
func (s *Store) writerKey(id string) map[string]types.AttributeValue {
	return keyOf("TASKS", taskPrefix(id)+"W#"+s.writer)
}

func newWriterID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// writerState is what this writer has SET on one task's writer item.
type writerState struct {
	mu    sync.Mutex // held for a whole AddCounters: one write at a time per task
	run   string
	seq   int64
	total state.Counters // of run, as last stored
}

func (s *Store) writerOf(id string) *writerState {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.writers[id]
	if !ok {
		w = &writerState{}
		s.writers[id] = w
	}
	return w
}

// AddCounters implements state.Store: the delta is added to this writer's totals of the
// run and the totals are SET (see the layout above), so a response lost on the way back
// and the SDK's retry of the request count once. An error means the delta was not added
// (a write that landed all the same is overwritten by the next total, which leaves it out).
func (s *Store) AddCounters(ctx context.Context, id, runID string, d state.Counters) error {
	if d.IsZero() {
		return nil
	}
	cur, err := s.currentRun(ctx, id)
	if err != nil {
		return fmt.Errorf("add counters of task %s: %w", id, err)
	}
	if cur != runID {
		return fmt.Errorf("add counters of task %s run %s: not the current run: %w", id, runID, state.ErrConflict)
	}
	w := s.writerOf(id)
	w.mu.Lock()
	defer w.mu.Unlock()
	total := d
	if w.run == runID {
		total.Add(w.total)
	}
	w.seq++
	seq := w.seq
	update := "SET #run = :run, #seq = :seq"
	values := map[string]types.AttributeValue{":run": str(runID), ":seq": num(seq)}
	for _, f := range counterFields(total) {
		update += ", #" + f.name + " = :" + f.name
		values[":"+f.name] = num(f.v)
	}
	_, err = s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table, Key: s.writerKey(id),
		UpdateExpression: aws.String(update), ConditionExpression: expr("attribute_not_exists(#pk) OR #seq < :seq"),
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		var old counterItem
		if uerr := attributevalue.UnmarshalMap(ccf.Item, &old); uerr == nil && old.Seq == seq && old.Run == runID {
			err = nil // our own write, applied by an attempt whose response was lost
		} else {
			err = fmt.Errorf("writer item %s holds sequence %d, this write is %d: %w", s.writer, old.Seq, seq, err)
		}
	}
	if err != nil {
		return fmt.Errorf("add counters of task %s: %w", id, err)
	}
	w.run, w.total = runID, total
	return nil
}

// currentRun reads the task's run id (strongly consistent).
func (s *Store) currentRun(ctx context.Context, id string) (string, error) {
	out, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: taskKey(id), ConsistentRead: aws.Bool(true),
		ProjectionExpression: expr("#runId"), ExpressionAttributeNames: map[string]string{"#runId": "runId"}})
	if err != nil {
		return "", err
	}
	if out.Item == nil {
		return "", state.ErrNotFound
	}
	v, _ := out.Item["runId"].(*types.AttributeValueMemberS)
	if v == nil {
		return "", nil
	}
	return v.Value, nil
}

// dropOldWriters deletes the writer items of task id that count for another run than
// run (they count nothing any more; without this they would pile up, one per process
// and run, in every read of the task).
func (s *Store) dropOldWriters(ctx context.Context, id, run string) error {
	p := dynamodb.NewQueryPaginator(s.api, &dynamodb.QueryInput{TableName: &s.table, ConsistentRead: aws.Bool(true),
		KeyConditionExpression: expr("#pk = :pk AND begins_with(#sk, :p)"), ProjectionExpression: expr("#pk, #sk, #run"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str("TASKS"), ":p": str(taskPrefix(id) + "W#")}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, item := range page.Items {
			if v, _ := item["run"].(*types.AttributeValueMemberS); v != nil && v.Value == run {
				continue
			}
			// One by one (one or two per run): the finder, which starts runs, is not
			// allowed BatchWriteItem.
			if _, err := s.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table,
				Key: map[string]types.AttributeValue{"pk": item["pk"], "sk": item["sk"]}}); err != nil {
				return err
			}
		}
	}
	return nil
}
