package dynamostore

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"transferhub/cloud/internal/wait"
	"transferhub/cloud/state"
)

// Tasks, their runs and their counter shards (partition TASKS), see the layout in
// dynamostore.go.

type taskItem struct {
	ID           string            `dynamodbav:"id"`
	Type         string            `dynamodbav:"type"`
	Name         string            `dynamodbav:"name"`
	Engine       string            `dynamodbav:"engine"`
	Definition   string            `dynamodbav:"definition,omitempty"`
	Status       string            `dynamodbav:"status"`
	RunID        string            `dynamodbav:"runId,omitempty"`
	FinderDone   bool              `dynamodbav:"finderDone"`
	LastError    string            `dynamodbav:"lastError,omitempty"`
	StackID      string            `dynamodbav:"stackId,omitempty"`
	StackOutputs map[string]string `dynamodbav:"stackOutputs,omitempty"`
	CreatedAt    int64             `dynamodbav:"createdAt"`
	UpdatedAt    int64             `dynamodbav:"updatedAt"`
	StartedAt    int64             `dynamodbav:"startedAt"`
	FinishedAt   int64             `dynamodbav:"finishedAt"`
}

func (it taskItem) task() state.Task {
	t := state.Task{ID: it.ID, Type: state.TaskType(it.Type), Name: it.Name, Engine: state.Engine(it.Engine),
		Status: state.TaskStatus(it.Status), RunID: it.RunID, FinderDone: it.FinderDone, LastError: it.LastError,
		StackID: it.StackID, StackOutputs: it.StackOutputs, CreatedAt: state.FromUnixNanos(it.CreatedAt),
		UpdatedAt: state.FromUnixNanos(it.UpdatedAt), StartedAt: state.FromUnixNanos(it.StartedAt), FinishedAt: state.FromUnixNanos(it.FinishedAt)}
	if it.Definition != "" {
		t.Definition = []byte(it.Definition)
	}
	return t
}

// PutTask implements state.Store: an insert writes the whole task; an update touches only
// the descriptive fields, never status, run or counters.
func (s *Store) PutTask(ctx context.Context, t state.Task) error {
	if t.ID == "" || strings.Contains(t.ID, "#") {
		return fmt.Errorf("put task: invalid task id %q (empty or with '#')", t.ID)
	}
	now := time.Now()
	if t.CreatedAt.IsZero() {
		t.CreatedAt = now
	}
	if t.Status == "" {
		t.Status = state.TaskDraft
	}
	outputs, err := attributevalue.Marshal(t.StackOutputs)
	if err != nil {
		return fmt.Errorf("put task %s: encode stack outputs: %w", t.ID, err)
	}
	update := expr(`SET #id = :id, #type = :type, #name = :name, #engine = :engine,
			#definition = :def, #stackId = :stack, #stackOutputs = :outputs, #updatedAt = :now,
			#createdAt = if_not_exists(#createdAt, :created), #status = if_not_exists(#status, :status),
			#finderDone = if_not_exists(#finderDone, :false), #lastError = if_not_exists(#lastError, :lastError),
			#startedAt = if_not_exists(#startedAt, :zero), #finishedAt = if_not_exists(#finishedAt, :zero)`)
	_, err = s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        &s.table,
		Key:              taskKey(t.ID),
		UpdateExpression: update,
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":id": str(t.ID), ":type": str(string(t.Type)), ":name": str(t.Name), ":engine": str(string(t.Engine)),
			":def": str(string(t.Definition)), ":stack": str(t.StackID), ":outputs": outputs, ":now": num(state.UnixNanos(now)),
			":created": num(state.UnixNanos(t.CreatedAt)), ":status": str(string(t.Status)), ":false": &types.AttributeValueMemberBOOL{},
			":lastError": str(t.LastError), ":zero": num(0)},
	})
	if err != nil {
		return fmt.Errorf("put task %s: %w", t.ID, err)
	}
	return nil
}

// GetTask implements state.Store (strongly consistent): the task item and its counter
// shards in one Query.
func (s *Store) GetTask(ctx context.Context, id string) (state.Task, error) {
	tasks, err := s.queryTasks(ctx, taskPrefix(id))
	if err != nil {
		return state.Task{}, fmt.Errorf("get task %s: %w", id, err)
	}
	if len(tasks) == 0 {
		return state.Task{}, fmt.Errorf("get task %s: %w", id, state.ErrNotFound)
	}
	return tasks[0], nil
}

// tornReads is how many times queryTasks reads again a result that straddled a run's
// start before it gives up.
const tornReads = 4

// queryTasks reads the tasks (with their counters) whose sort keys start with prefix.
// A Query is not isolated from a transaction (DynamoDB reads each item committed, not
// the whole result at one moment): one that met StartRun's transaction half applied
// returned the ended run's record with the new run's zeroed shards, a COMPLETED run
// with nothing done. Every shard names the run that zeroed it, in the same transaction
// as the record's run, so such a result is recognised and read again.
func (s *Store) queryTasks(ctx context.Context, prefix string) ([]state.Task, error) {
	for attempt := 1; ; attempt++ {
		tasks, torn, err := s.queryTasksOnce(ctx, prefix)
		if err != nil || torn == "" {
			return tasks, err
		}
		if attempt == tornReads {
			return nil, fmt.Errorf("task %s: its run changed while it was read, %d times: read it again", torn, attempt)
		}
	}
}

// queryTasksOnce is one read of queryTasks; torn names a task whose record and counter
// shards came from two sides of a run's start.
func (s *Store) queryTasksOnce(ctx context.Context, prefix string) (tasks []state.Task, torn string, err error) {
	p := dynamodb.NewQueryPaginator(s.api, &dynamodb.QueryInput{TableName: &s.table, ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    expr("#pk = :pk AND begins_with(#sk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str("TASKS"), ":p": str(prefix)}})
	byID := map[string]int{}
	shardsOf := map[string][]counterItem{}
	shardRuns := map[string][]string{} // the runs the C# shards name, by task
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, "", err
		}
		for _, item := range page.Items {
			sk := skOf(item)
			id, _, isShard := strings.Cut(strings.TrimPrefix(sk, "T#"), "#C#")
			isCounter := isShard
			if !isCounter {
				id, _, isCounter = strings.Cut(strings.TrimPrefix(sk, "T#"), "#W#")
			}
			if isCounter {
				var c counterItem
				if err := attributevalue.UnmarshalMap(item, &c); err != nil {
					return nil, "", fmt.Errorf("decode counters %s: %w", sk, err)
				}
				shardsOf[id] = append(shardsOf[id], c)
				if isShard {
					shardRuns[id] = append(shardRuns[id], c.Run)
				}
				continue
			}
			var it taskItem
			if err := attributevalue.UnmarshalMap(item, &it); err != nil {
				return nil, "", fmt.Errorf("decode task %s: %w", sk, err)
			}
			byID[it.ID] = len(tasks)
			tasks = append(tasks, it.task())
		}
	}
	for id, cs := range shardsOf {
		i, ok := byID[id]
		if !ok {
			continue // counters of a task being deleted
		}
		if run := tasks[i].RunID; run != "" && slices.ContainsFunc(shardRuns[id], func(r string) bool { return r != run }) {
			return nil, id, nil
		}
		for _, c := range cs {
			if c.Run == tasks[i].RunID {
				tasks[i].Counters.Add(c.counters())
			}
		}
	}
	return tasks, "", nil
}

// ListTasks implements state.Store, newest first.
func (s *Store) ListTasks(ctx context.Context) ([]state.Task, error) {
	out, err := s.queryTasks(ctx, "T#")
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	slices.SortFunc(out, func(a, b state.Task) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// DeleteTask implements state.Store: the task item first (so the task is gone at once),
// then its records.
func (s *Store) DeleteTask(ctx context.Context, id string) error {
	// A missing task is read, not found by a condition on the delete: the SDK sends a
	// delete again when the response to one that applied was lost, and a condition would
	// then call the task we deleted missing.
	_, err := s.currentRun(ctx, id)
	if errors.Is(err, state.ErrNotFound) {
		return fmt.Errorf("delete task %s: %w", id, state.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("delete task %s: %w", id, err)
	}
	if _, err := s.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: taskKey(id)}); err != nil {
		return fmt.Errorf("delete task %s: %w", id, err)
	}
	if err := s.deletePartition(ctx, "TASKS", taskPrefix(id)); err != nil {
		return fmt.Errorf("delete counters of task %s: %w", id, err)
	}
	pks := []string{"T#" + id, "I#" + id, "P#" + id, jobPK(id)}
	for i := 0; i < shards; i++ {
		pks = append(pks, objectPK(id, i))
	}
	for _, pk := range pks {
		if err := s.deletePartition(ctx, pk, ""); err != nil {
			return fmt.Errorf("delete records of task %s: %w", id, err)
		}
	}
	return nil
}

// deletePartition deletes every item of partition pk (optionally only sk prefix).
func (s *Store) deletePartition(ctx context.Context, pk, skPrefix string) error {
	in := &dynamodb.QueryInput{TableName: &s.table, KeyConditionExpression: expr("#pk = :pk"),
		ProjectionExpression:      expr("#pk, #sk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk)}}
	if skPrefix != "" {
		in.KeyConditionExpression = expr("#pk = :pk AND begins_with(#sk, :p)")
		in.ExpressionAttributeValues[":p"] = str(skPrefix)
	}
	p := dynamodb.NewQueryPaginator(s.api, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list %s: %w", pk, err)
		}
		if err := s.batchDelete(ctx, page.Items); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) batchDelete(ctx context.Context, keys []map[string]types.AttributeValue) error {
	for start := 0; start < len(keys); start += 25 {
		var reqs []types.WriteRequest
		for _, k := range keys[start:min(start+25, len(keys))] {
			reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: map[string]types.AttributeValue{"pk": k["pk"], "sk": k["sk"]}}})
		}
		for attempt := 0; len(reqs) > 0; attempt++ {
			out, err := s.api.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{s.table: reqs}})
			if err != nil {
				return fmt.Errorf("delete items: %w", err)
			}
			reqs = out.UnprocessedItems[s.table]
			if len(reqs) > 0 {
				if err := wait.Sleep(ctx, backoff(attempt)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// SetTaskStatus implements state.Store.
func (s *Store) SetTaskStatus(ctx context.Context, id string, from []state.TaskStatus, to state.TaskStatus, lastError string) error {
	return s.setStatus(ctx, id, "", from, to, lastError)
}

// FinishRun implements state.Store.
func (s *Store) FinishRun(ctx context.Context, id, runID string, from []state.TaskStatus, to state.TaskStatus, lastError string) error {
	return s.setStatus(ctx, id, runID, from, to, lastError)
}

// setStatus sets the status when it is one of from (any when empty) and, unless runID is
// empty, runID is the current run.
//
// Each call writes a token of its own with the status (the token before it moves to
// prevToken): when the SDK sends the update again because the response to an attempt
// that applied it was lost, the resend fails the condition, and the item as the check
// saw it, holding our token, shows that the transition was ours. A writer that lost a
// race never finds its token, so a genuine conflict stays one. The previous token keeps
// the answer right when another transition lands between the lost attempt and its resend
// (a stop request, then the run's end); StartRun leaves both alone.
func (s *Store) setStatus(ctx context.Context, id, runID string, from []state.TaskStatus, to state.TaskStatus, lastError string) error {
	now := state.UnixNanos(time.Now())
	token := newToken()
	update := `SET #status = :to, #lastError = :err, #updatedAt = :now,
		#statusToken = :token, #prevStatusToken = if_not_exists(#statusToken, :none)`
	if to.EndsRun() {
		update += ", #finishedAt = :now"
	}
	values := map[string]types.AttributeValue{":to": str(string(to)), ":err": str(lastError), ":now": num(now),
		":token": str(token), ":none": str("")}
	cond := "attribute_exists(#pk)"
	if len(from) > 0 {
		var names []string
		for i, f := range from {
			n := fmt.Sprintf(":f%d", i)
			names = append(names, n)
			values[n] = str(string(f))
		}
		cond += " AND #status IN (" + strings.Join(names, ", ") + ")"
	}
	if runID != "" {
		cond += " AND #runId = :run"
		values[":run"] = str(runID)
	}
	_, err := s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table, Key: taskKey(id),
		UpdateExpression: expr(update), ConditionExpression: aws.String(cond),
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		if len(ccf.Item) == 0 {
			return fmt.Errorf("set status of task %s: %w", id, state.ErrNotFound)
		}
		var cur struct {
			taskItem
			Token     string `dynamodbav:"statusToken"`
			PrevToken string `dynamodbav:"prevStatusToken"`
		}
		if uerr := attributevalue.UnmarshalMap(ccf.Item, &cur); uerr != nil {
			return fmt.Errorf("set status of task %s: decode task: %w", id, uerr)
		}
		if cur.Token == token || cur.PrevToken == token {
			return nil // our own transition, applied by an attempt whose response was lost
		}
		if runID != "" && cur.RunID != runID {
			return fmt.Errorf("set status of task %s to %s: run %s ended, %s is current: %w", id, to, runID, cur.RunID, state.ErrConflict)
		}
		return fmt.Errorf("set status of task %s to %s: it is %s: %w", id, to, cur.Status, state.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("set status of task %s: %w", id, err)
	}
	return nil
}

// StartRun implements state.Store.
func (s *Store) StartRun(ctx context.Context, id string, opts ...state.StartOption) (state.Task, error) {
	now := state.UnixNanos(time.Now())
	run := newRunID()
	refuseStopped := slices.Contains(opts, state.RefuseStopped)
	cond := "attribute_exists(#pk) AND #status <> :running AND #status <> :stopping"
	values := map[string]types.AttributeValue{":running": str(string(state.TaskRunning)),
		":stopping": str(string(state.TaskStopping)), ":run": str(run), ":false": &types.AttributeValueMemberBOOL{},
		":empty": str(""), ":now": num(now), ":zero": num(0)}
	if refuseStopped {
		// In the run's own condition: a stop written after the caller read the task wins.
		cond += " AND #status <> :stopped"
		values[":stopped"] = str(string(state.TaskStopped))
	}
	// The run switch and zeroed counter shards commit together: a shard still naming the
	// old run would refuse the new run's adds.
	actions := []types.TransactWriteItem{{Update: &types.Update{TableName: &s.table, Key: taskKey(id),
		UpdateExpression: expr(`SET #status = :running, #runId = :run, #finderDone = :false, #lastError = :empty,
			#startedAt = :now, #finishedAt = :zero, #updatedAt = :now`),
		ConditionExpression: expr(cond), ExpressionAttributeValues: values}}}
	for i := 0; i < counterShards; i++ {
		item, err := attributevalue.MarshalMap(counterItem{Run: run})
		if err != nil {
			return state.Task{}, fmt.Errorf("start run of task %s: %w", id, err)
		}
		for k, v := range counterKey(id, i) {
			item[k] = v
		}
		actions = append(actions, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: item}})
	}
	_, err := s.api.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: actions})
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && len(tce.CancellationReasons) > 0 && aws.ToString(tce.CancellationReasons[0].Code) == "ConditionalCheckFailed" {
		cur, gerr := s.GetTask(ctx, id)
		if errors.Is(gerr, state.ErrNotFound) {
			return state.Task{}, fmt.Errorf("start run of task %s: %w", id, state.ErrNotFound)
		}
		if gerr != nil {
			return state.Task{}, fmt.Errorf("start run of task %s: %w", id, gerr)
		}
		if cur.RunID != run && refuseStopped && cur.Status == state.TaskStopped {
			return state.Task{}, fmt.Errorf("start run of task %s: %w", id, state.ErrStopped)
		}
		if cur.RunID != run {
			return state.Task{}, fmt.Errorf("start run of task %s: it is %s: %w", id, cur.Status, state.ErrConflict)
		}
		// Our own run: an attempt whose response was lost started it, and the SDK's retry
		// found the task running.
	} else if err != nil {
		return state.Task{}, fmt.Errorf("start run of task %s: %w", id, err)
	}
	// The run has started: an item of an earlier run that could not be dropped now counts
	// nothing and goes with the next run's start.
	_ = s.dropOldWriters(ctx, id, run)
	return s.GetTask(ctx, id)
}

// newToken names one write: random, so that no other call writes the same.
func newToken() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func newRunID() string {
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s-%s", time.Now().UTC().Format("20060102T150405.000000000"), hex.EncodeToString(b[:]))
}

// FinishFinder implements state.Store. Like setStatus it writes a token of its own and
// asks for the item on a failed condition: a resend of a write that applied fails the
// condition only when a new run started in between, and the token, which StartRun
// leaves alone, shows that the run's finder was marked done.
func (s *Store) FinishFinder(ctx context.Context, id, runID string) error {
	token := newToken()
	_, err := s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table, Key: taskKey(id),
		UpdateExpression:    expr("SET #finderDone = :true, #updatedAt = :now, #finderToken = :token"),
		ConditionExpression: expr("#runId = :run"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":true": &types.AttributeValueMemberBOOL{Value: true},
			":now": num(state.UnixNanos(time.Now())), ":run": str(runID), ":token": str(token)},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		if t, ok := ccf.Item["finderToken"].(*types.AttributeValueMemberS); ok && t.Value == token {
			return nil // ours, applied by an attempt whose response was lost
		}
		return fmt.Errorf("finish finder of task %s run %s: not the current run: %w", id, runID, state.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("finish finder of task %s: %w", id, err)
	}
	return nil
}
