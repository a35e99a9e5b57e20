package dynamostore_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
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
	table := testenv.Name("th-state")
	require.NoError(t, dynamostore.CreateTable(context.Background(), client, table))
	t.Cleanup(func() {
		client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	})
	return dynamostore.New(client, table), client
}

// The same contract suite as the embedded store, against DynamoDB semantics in the
// AWS emulator.
func TestStoreContract(t *testing.T) {
	statetest.Run(t, func(t *testing.T) state.Store {
		s, _ := newStore(t)
		return s
	})
}
