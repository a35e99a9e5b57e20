package dynamostore_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/state"
	"transferhub/cloud/state/dynamostore"
)

// tearingAPI answers one Query as DynamoDB may when a transaction commits while the
// Query reads (each item is read committed, the result is not one moment): the items
// read before meanwhile() ran, and the counter shards (sort keys with #C#) read after.
type tearingAPI struct {
	dynamostore.API
	meanwhile func()
	armed     atomic.Bool
	tore      atomic.Int64
}

func (a *tearingAPI) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	if !a.armed.CompareAndSwap(true, false) {
		return a.API.Query(ctx, in, o...)
	}
	before, err := a.API.Query(ctx, in, o...)
	if err != nil {
		return nil, err
	}
	a.meanwhile()
	after, err := a.API.Query(ctx, in, o...)
	if err != nil {
		return nil, err
	}
	var items []map[string]types.AttributeValue
	for _, it := range before.Items {
		if !isShard(it) {
			items = append(items, it)
		}
	}
	for _, it := range after.Items {
		if isShard(it) {
			items = append(items, it)
		}
	}
	a.tore.Add(1)
	out := *before
	out.Items, out.Count = items, int32(len(items))
	return &out, nil
}

func isShard(it map[string]types.AttributeValue) bool {
	sk, _ := it["sk"].(*types.AttributeValueMemberS)
	return sk != nil && strings.Contains(sk.Value, "#C#")
}

// A task read while its next run starts is the ended run with its counts or the new
// run, never the ended run's status with the new run's zeroed counters (a reader saw
// a COMPLETED run with nothing done, while the run had copied its objects).
func TestTaskReadAcrossARunStart(t *testing.T) {
	ctx := context.Background()
	_, client := newStore(t)
	table := newTable(t, client, "th-state-torn")
	w := dynamostore.New(client, table)
	const id = "torn"
	require.NoError(t, w.PutTask(ctx, state.Task{ID: id, Type: state.TaskS3}))
	r1, err := w.StartRun(ctx, id)
	require.NoError(t, err)
	var job, done []state.Object
	for _, k := range []string{"a", "b", "c"} {
		job = append(job, state.Object{Key: k, Size: 1, Status: state.ItemPending})
		done = append(done, state.Object{Key: k, Size: 1, Status: state.ItemDone})
	}
	require.NoError(t, w.PutJob(ctx, id, job))
	require.NoError(t, w.PutObjects(ctx, id, done))
	require.NoError(t, w.FinishRun(ctx, id, r1.RunID, []state.TaskStatus{state.TaskRunning}, state.TaskCompleted, ""))
	ended, err := w.GetTask(ctx, id)
	require.NoError(t, err)
	require.Equal(t, int64(3), ended.Counters.DoneObjects)

	var r2 state.Task
	api := &tearingAPI{API: client, meanwhile: func() {
		r2, err = w.StartRun(ctx, id) // another process starts the next run
		require.NoError(t, err)
	}}
	api.armed.Store(true)
	reader := dynamostore.New(api, table)
	got, err := reader.GetTask(ctx, id)
	require.NoError(t, err)
	require.Equal(t, int64(1), api.tore.Load(), "the reader's first Query met the run's start")
	switch got.RunID {
	case r1.RunID:
		assert.Equal(t, state.TaskCompleted, got.Status)
		assert.Equal(t, ended.Counters, got.Counters, "the ended run's counters")
	case r2.RunID:
		assert.Equal(t, state.TaskRunning, got.Status)
		assert.Zero(t, got.Counters, "the new run's counters")
	default:
		t.Fatalf("run %s is neither the ended %s nor the new %s", got.RunID, r1.RunID, r2.RunID)
	}
}
