package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/internal/benchtools/dynamofake"
)

// Requests for the fake's table are the fake's, every other one goes upstream, and both
// are counted.
func TestRouting(t *testing.T) {
	ctx := context.Background()
	var upstreamCalls atomic.Int64
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upstreamCalls.Add(1)
		dynamofake.New().ServeHTTP(w, r) // an empty DynamoDB: every table is missing
	}))
	defer up.Close()
	u, _ := url.Parse(up.URL)
	r := &router{fake: dynamofake.New(), fakeTable: "fake", proxy: httputil.NewSingleHostReverseProxy(u),
		stats: map[string]*timer{"fake": {}, "upstream": {}}}
	srv := httptest.NewServer(r)
	defer srv.Close()
	c := client(srv.URL)
	_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("fake"), BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}}})
	require.NoError(t, err)
	key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a"}}
	_, err = c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("fake"), Key: key})
	require.NoError(t, err)
	_, err = c.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"fake": {Keys: []map[string]types.AttributeValue{key}}}})
	require.NoError(t, err)
	_, err = c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("other"), Key: key})
	var rnf *types.ResourceNotFoundException
	assert.ErrorAs(t, err, &rnf, "the upstream answered")
	assert.EqualValues(t, 1, upstreamCalls.Load())

	res, err := http.Get(srv.URL + "/__stats")
	require.NoError(t, err)
	defer res.Body.Close()
	var st map[string]timer
	require.NoError(t, json.NewDecoder(res.Body).Decode(&st))
	assert.Equal(t, 3, st["fake"].Calls)
	assert.Equal(t, 1, st["upstream"].Calls)
	assert.Positive(t, st["upstream"].BusyMs)
}
