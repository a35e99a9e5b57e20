package dynamofake_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/internal/benchtools/dynamofake"
	"transferhub/cloud/state"
	"transferhub/cloud/state/dynamostore"
	"transferhub/cloud/state/statetest"
)

func newTable(t *testing.T, c *dynamodb.Client) string {
	t.Helper()
	require.NoError(t, dynamostore.CreateTable(context.Background(), c, "th-state"))
	return "th-state"
}

// The store's whole contract suite (the one the embedded store and the AWS emulator
// pass) passes on the fake: it answers every call the store makes as DynamoDB does.
func TestStoreContractOnFake(t *testing.T) {
	statetest.Run(t, func(t *testing.T) state.Store {
		c := dynamofake.Client(t)
		return dynamostore.New(c, newTable(t, c))
	})
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func put(t *testing.T, c *dynamodb.Client, table, pk, sk string, extra map[string]types.AttributeValue) {
	t.Helper()
	item := map[string]types.AttributeValue{"pk": s(pk), "sk": s(sk)}
	for k, v := range extra {
		item[k] = v
	}
	_, err := c.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: item})
	require.NoError(t, err)
}

func sks(items []map[string]types.AttributeValue) []string {
	var out []string
	for _, it := range items {
		out = append(out, it["sk"].(*types.AttributeValueMemberS).Value)
	}
	return out
}

// Query pages with Limit and ExclusiveStartKey in both directions and honours the
// sort-key conditions the store uses.
func TestQueryPaging(t *testing.T) {
	ctx := context.Background()
	c := dynamofake.Client(t)
	table := newTable(t, c)
	for i := range 10 {
		put(t, c, table, "P", fmt.Sprintf("k%02d", i), nil)
	}
	put(t, c, table, "Q", "k00", nil)
	read := func(in dynamodb.QueryInput) ([]string, int) {
		var all []string
		calls := 0
		for {
			out, err := c.Query(ctx, &in)
			require.NoError(t, err)
			calls++
			all = append(all, sks(out.Items)...)
			if len(out.LastEvaluatedKey) == 0 {
				return all, calls
			}
			in.ExclusiveStartKey = out.LastEvaluatedKey
		}
	}
	vals := func(kv ...string) map[string]types.AttributeValue {
		m := map[string]types.AttributeValue{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = s(kv[i+1])
		}
		return m
	}
	got, calls := read(dynamodb.QueryInput{TableName: &table, KeyConditionExpression: aws.String("pk = :p"),
		ExpressionAttributeValues: vals(":p", "P"), Limit: aws.Int32(3)})
	assert.Equal(t, []string{"k00", "k01", "k02", "k03", "k04", "k05", "k06", "k07", "k08", "k09"}, got)
	assert.Equal(t, 4, calls, "3+3+3+1: a page cut by Limit carries LastEvaluatedKey")

	got, _ = read(dynamodb.QueryInput{TableName: &table, KeyConditionExpression: aws.String("#p = :p AND #s BETWEEN :a AND :b"),
		ExpressionAttributeNames: map[string]string{"#p": "pk", "#s": "sk"}, ExpressionAttributeValues: vals(":p", "P", ":a", "k03", ":b", "k06"),
		ScanIndexForward: aws.Bool(false), Limit: aws.Int32(2)})
	assert.Equal(t, []string{"k06", "k05", "k04", "k03"}, got)

	got, _ = read(dynamodb.QueryInput{TableName: &table, KeyConditionExpression: aws.String("pk = :p AND sk < :h"),
		ExpressionAttributeValues: vals(":p", "P", ":h", "k02"), ScanIndexForward: aws.Bool(false)})
	assert.Equal(t, []string{"k01", "k00"}, got)

	got, _ = read(dynamodb.QueryInput{TableName: &table, KeyConditionExpression: aws.String("pk = :p AND begins_with(sk, :b)"),
		ExpressionAttributeValues: vals(":p", "P", ":b", "k0"), Limit: aws.Int32(4)})
	assert.Len(t, got, 10)

	got, _ = read(dynamodb.QueryInput{TableName: &table, KeyConditionExpression: aws.String("pk = :p AND sk >= :l"),
		ExpressionAttributeValues: vals(":p", "P", ":l", "k08"), ProjectionExpression: aws.String("sk")})
	assert.Equal(t, []string{"k08", "k09"}, got)
}

// The sparse index holds only items with its keys, ordered by its sort key.
func TestQueryIndex(t *testing.T) {
	ctx := context.Background()
	c := dynamofake.Client(t)
	table := newTable(t, c)
	put(t, c, table, "A", "1", map[string]types.AttributeValue{"gsi1pk": s("F"), "gsi1sk": s("b")})
	put(t, c, table, "A", "2", map[string]types.AttributeValue{"gsi1pk": s("F"), "gsi1sk": s("a")})
	put(t, c, table, "A", "3", nil)
	out, err := c.Query(ctx, &dynamodb.QueryInput{TableName: &table, IndexName: aws.String("byStatus"),
		KeyConditionExpression: aws.String("gsi1pk = :p"), ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("F")},
		Limit: aws.Int32(1)})
	require.NoError(t, err)
	assert.Equal(t, []string{"2"}, sks(out.Items))
	assert.Len(t, out.LastEvaluatedKey, 4, "an index's LastEvaluatedKey holds the table's key and the index's")
	out, err = c.Query(ctx, &dynamodb.QueryInput{TableName: &table, IndexName: aws.String("byStatus"),
		KeyConditionExpression: aws.String("gsi1pk = :p"), ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("F")},
		ExclusiveStartKey: out.LastEvaluatedKey})
	require.NoError(t, err)
	assert.Equal(t, []string{"1"}, sks(out.Items))
	assert.Empty(t, out.LastEvaluatedKey)

	_, err = c.Query(ctx, &dynamodb.QueryInput{TableName: &table, IndexName: aws.String("byStatus"), ConsistentRead: aws.Bool(true),
		KeyConditionExpression: aws.String("gsi1pk = :p"), ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("F")}})
	assert.ErrorContains(t, err, "Consistent reads are not supported on global secondary indexes")
}

// GetItem, BatchGetItem, conditional writes, updates and transactions answer and fail
// as DynamoDB does.
func TestItemsAndErrors(t *testing.T) {
	ctx := context.Background()
	c := dynamofake.Client(t)
	table := newTable(t, c)
	put(t, c, table, "A", "1", map[string]types.AttributeValue{"n": &types.AttributeValueMemberN{Value: "5"}})

	got, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: map[string]types.AttributeValue{"pk": s("A"), "sk": s("1")},
		ProjectionExpression: aws.String("#n"), ExpressionAttributeNames: map[string]string{"#n": "n"}})
	require.NoError(t, err)
	assert.Equal(t, map[string]types.AttributeValue{"n": &types.AttributeValueMemberN{Value: "5"}}, got.Item)
	got, err = c.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: map[string]types.AttributeValue{"pk": s("A"), "sk": s("9")}})
	require.NoError(t, err)
	assert.Nil(t, got.Item)

	bg, err := c.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{table: {Keys: []map[string]types.AttributeValue{
		{"pk": s("A"), "sk": s("1")}, {"pk": s("A"), "sk": s("2")}}}}})
	require.NoError(t, err)
	assert.Len(t, bg.Responses[table], 1)

	_, err = c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &table, Key: map[string]types.AttributeValue{"pk": s("A"), "sk": s("1")},
		UpdateExpression: aws.String("ADD n :one SET m = if_not_exists(m, :z)"), ConditionExpression: aws.String("n < :ten"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}, ":z": s("z"),
			":ten": &types.AttributeValueMemberN{Value: "10"}}})
	require.NoError(t, err)
	got, err = c.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: map[string]types.AttributeValue{"pk": s("A"), "sk": s("1")}})
	require.NoError(t, err)
	assert.Equal(t, &types.AttributeValueMemberN{Value: "6"}, got.Item["n"])
	assert.Equal(t, s("z"), got.Item["m"])

	_, err = c.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: map[string]types.AttributeValue{"pk": s("A"), "sk": s("1")},
		ConditionExpression: aws.String("attribute_not_exists(pk)"), ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	var ccf *types.ConditionalCheckFailedException
	require.True(t, errors.As(err, &ccf), "got %v", err)
	assert.Equal(t, &types.AttributeValueMemberN{Value: "6"}, ccf.Item["n"], "the old item comes with the failure when asked")

	_, err = c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &table, Item: map[string]types.AttributeValue{"pk": s("B"), "sk": s("1")}}},
		{Delete: &types.Delete{TableName: &table, Key: map[string]types.AttributeValue{"pk": s("A"), "sk": s("1")},
			ConditionExpression: aws.String("n = :x"), ExpressionAttributeValues: map[string]types.AttributeValue{":x": &types.AttributeValueMemberN{Value: "7"}}}}}})
	var tce *types.TransactionCanceledException
	require.True(t, errors.As(err, &tce), "got %v", err)
	require.Len(t, tce.CancellationReasons, 2)
	assert.Equal(t, "None", aws.ToString(tce.CancellationReasons[0].Code))
	assert.Equal(t, "ConditionalCheckFailed", aws.ToString(tce.CancellationReasons[1].Code))
	got, err = c.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: map[string]types.AttributeValue{"pk": s("B"), "sk": s("1")}})
	require.NoError(t, err)
	assert.Nil(t, got.Item, "a cancelled transaction writes nothing")

	_, err = c.Query(ctx, &dynamodb.QueryInput{TableName: &table, KeyConditionExpression: aws.String("pk = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("A"), ":unused": s("x")}})
	assert.ErrorContains(t, err, "Value provided in ExpressionAttributeValues unused in expressions")
	_, err = c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("nope"), Key: map[string]types.AttributeValue{"pk": s("A"), "sk": s("1")}})
	var rnf *types.ResourceNotFoundException
	assert.True(t, errors.As(err, &rnf), "got %v", err)
}
