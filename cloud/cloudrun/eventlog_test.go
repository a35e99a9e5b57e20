package cloudrun_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/cloudrun"
	"transferhub/cloud/s3sync"
	"transferhub/cloud/state"
	"transferhub/cloud/state/dynamostore"
	"transferhub/cloud/testenv"
)

// The event order per key, against DynamoDB semantics in the AWS emulator.
func TestEventLogClaims(t *testing.T) {
	env := testenv.Load(t)
	client := dynamodb.NewFromConfig(env.AWSConfig(t))
	ctx := context.Background()
	table := testenv.Name("th-events")
	require.NoError(t, dynamostore.CreateTable(ctx, client, table))
	t.Cleanup(func() {
		client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	})
	l := &cloudrun.EventLog{API: client, Table: table, TaskID: "t1"}
	key := "dir/a b.txt"

	cur, err := l.LatestEvent(ctx, key)
	require.NoError(t, err)
	require.Zero(t, cur)
	ok, _, err := l.ClaimEvent(ctx, key, s3sync.KeyEvent{Sequencer: "0055AED6DCD9028113"})
	require.NoError(t, err)
	require.True(t, ok, "first event claims")
	ok, cur, err = l.ClaimEvent(ctx, key, s3sync.KeyEvent{Sequencer: "55AED6DCD90281", Removed: true})
	require.NoError(t, err)
	require.False(t, ok, "an older event (shorter hex) is stale")
	require.Equal(t, 0, s3sync.CompareSequencers(cur.Sequencer, "0055AED6DCD9028113"))
	ok, _, err = l.ClaimEvent(ctx, key, s3sync.KeyEvent{Sequencer: "0055AED6DCD9028113"})
	require.NoError(t, err)
	require.True(t, ok, "a redelivery of an unfinished claim applies again")
	require.NoError(t, l.MarkApplied(ctx, key, s3sync.KeyEvent{Sequencer: "0055AED6DCD9028113"}))
	ok, _, err = l.ClaimEvent(ctx, key, s3sync.KeyEvent{Sequencer: "0055AED6DCD9028113"})
	require.NoError(t, err)
	require.False(t, ok, "a duplicate of an applied event is ignored")
	ok, _, err = l.ClaimEvent(ctx, key, s3sync.KeyEvent{Sequencer: "0055AED6DCD9028200", Removed: true})
	require.NoError(t, err)
	require.True(t, ok)
	// An older event finishing late cannot mark the newer claim applied.
	require.NoError(t, l.MarkApplied(ctx, key, s3sync.KeyEvent{Sequencer: "0055AED6DCD9028113"}))
	cur, err = l.LatestEvent(ctx, key)
	require.NoError(t, err)
	require.True(t, cur.Removed)
	require.False(t, cur.Applied)
	// Keys as long as S3 allows still fit a sort key.
	long := strings.Repeat("k", 1024)
	ok, _, err = l.ClaimEvent(ctx, long, s3sync.KeyEvent{Sequencer: "01"})
	require.NoError(t, err)
	require.True(t, ok)
	// The items live in the task's partition: deleting the task removes them.
	st := dynamostore.New(client, table)
	require.NoError(t, st.PutTask(ctx, state.Task{ID: "t1", Type: state.TaskS3}))
	require.NoError(t, st.DeleteTask(ctx, "t1"))
	cur, err = l.LatestEvent(ctx, key)
	require.NoError(t, err)
	require.Zero(t, cur)
}
