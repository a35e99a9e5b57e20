package dynamostore_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/state"
	"transferhub/cloud/state/dynamostore"
	"transferhub/cloud/state/statetest"
	"transferhub/cloud/testenv"
)

func newStore(t *testing.T) (*dynamostore.Store, *dynamodb.Client) {
	t.Helper()
	env := testenv.Load(t)
	client := dynamodb.NewFromConfig(env.AWSConfig(t))
	return dynamostore.New(client, newTable(t, client, "th-state")), client
}

// newTable creates a store's table named after prefix, removed at the test's end.
func newTable(t *testing.T, client *dynamodb.Client, prefix string) string {
	t.Helper()
	table := testenv.Name(prefix)
	require.NoError(t, dynamostore.CreateTable(context.Background(), client, table))
	t.Cleanup(func() {
		client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	})
	return table
}

// The same contract suite as the embedded store, against DynamoDB semantics in the
// AWS emulator.
func TestStoreContract(t *testing.T) {
	statetest.Run(t, func(t *testing.T) state.Store {
		s, _ := newStore(t)
		return s
	})
}

// countingAPI counts the requests a store makes.
type countingAPI struct {
	dynamostore.API
	queries, gets atomic.Int64
}

func (c *countingAPI) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	c.queries.Add(1)
	return c.API.Query(ctx, in, o...)
}

func (c *countingAPI) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.gets.Add(1)
	return c.API.GetItem(ctx, in, o...)
}

// Objects recorded one by one (S3 events' copies) cost the same few reads however many
// the run already holds: a lookup reads a key's own item and walks batches only.
func TestSinglesStayCheap(t *testing.T) {
	ctx := context.Background()
	_, client := newStore(t)
	table := newTable(t, client, "th-state-singles")
	api := &countingAPI{API: client}
	s := dynamostore.New(api, table)
	require.NoError(t, s.PutTask(ctx, state.Task{ID: "events", Type: state.TaskS3}))
	_, err := s.StartRun(ctx, "events")
	require.NoError(t, err)
	require.NoError(t, s.PutJob(ctx, "events", []state.Object{{Key: "a/000", Size: 1, Status: state.ItemInProgress},
		{Key: "z/999", Size: 1, Status: state.ItemInProgress}}))
	cost := func(key string) int64 {
		q, g := api.queries.Load(), api.gets.Load()
		require.NoError(t, s.PutObjects(ctx, "events", []state.Object{{Key: key, Size: 1, Status: state.ItemDone}}))
		return api.queries.Load() - q + api.gets.Load() - g
	}
	first := cost("m/0000")
	for i := 1; i < 150; i++ {
		cost(fmt.Sprintf("m/%04d", i))
	}
	last := cost("m/9999")
	assert.LessOrEqual(t, last, first, "the 151st single reads no more than the first")
	assert.LessOrEqual(t, last, int64(8))
	tk, err := s.GetTask(ctx, "events")
	require.NoError(t, err)
	assert.EqualValues(t, 151, tk.Counters.DoneObjects)
}
