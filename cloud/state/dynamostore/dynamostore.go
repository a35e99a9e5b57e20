// Package dynamostore implements state.Store on one Amazon DynamoDB table for cloud runs.
//
// Layout (single table, string keys pk/sk, sparse GSI "byStatus" on gsi1pk/gsi1sk,
// projection ALL):
//
//	task      pk=TASKS                  sk=T#<task>#
//	counters  pk=TASKS                  sk=T#<task>#C#<00..07>  (shards the record transactions ADD to)
//	writers   pk=TASKS                  sk=T#<task>#W#<writer>  (AddCounters: each writer's totals, see counters.go)
//	meta      pk=T#<task>               sk=M#<name>
//	lease     pk=T#<task>               sk=L#<name>
//	job       pk=J#<task>               sk=<run>#<first key>   (a batch's object records, see jobs.go)
//	failed    pk=O#<task>#<shard>       sk=<key>               (16 shards by key hash: no hot partition)
//	part      pk=P#<task>               sk=<uploadId>#<part number, 5 digits>, and sk=<uploadId> its count
//	image     pk=I#<task>               sk=<source reference>
//
// Objects are recorded per job batch, in job items: writes are the bill, and one item per
// batch of 200 small objects costs a few write units where an item per object cost 200
// (jobs.go says how records, failures and objects in flight are kept and found). FAILED
// objects also have an item of their own ("failed", the shape images have) with
// gsi1pk=OS#<task>#FAILED and gsi1sk=<key>; job items holding objects in flight carry
// gsi1pk=OJ#<task>#<run> and gsi1sk=<first key>; images that are FAILED, IN_PROGRESS or
// PENDING carry gsi1pk=IS#<task>#<status>. DONE and SKIPPED records stay out of the
// index: it holds only what a user must act on, or what is in flight.
//
// Record transitions and the task's counters change in one TransactWriteItems call,
// conditioned on the version of the record that was read: a duplicate delivery, a
// concurrent writer, a retried request or a crash between two writes can never make the
// counters disagree with the records. Every conditional write survives a lost response
// that the SDK answers by sending it again: the resend fails the condition, and the
// writer recognises its own applied write (a record's version, a writer's sequence, the
// run id StartRun chose, the token setStatus and FinishFinder write). Transactions are used only where two items must
// change together: a record and the count that belongs to it, a giant object's part and
// its upload's part count, a run's start and its zeroed counters.
package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	mrand "math/rand/v2"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"transferhub/cloud/state"
)

// API is the part of the DynamoDB client the store uses.
type API interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	BatchWriteItem(context.Context, *dynamodb.BatchWriteItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// Store is a state.Store on one table.
type Store struct {
	api   API
	table string

	writer  string // names this Store's counter writer items (see counters.go)
	mu      sync.Mutex
	writers map[string]*writerState // per task
	runs    map[string]runList      // per task: the runs with job items (joblist.go)
	// decodeSkipped: ListObjects reads every record an offset skips (the reference its
	// tests compare the skipping by stored counts with).
	decodeSkipped bool
}

var _ state.Store = (*Store)(nil)

const (
	shards        = 16
	counterShards = 8
	statusIndex   = "byStatus"
	// One transaction holds at most 100 actions: 99 items and the counter update.
	txItems         = 99
	defaultPageSize = 100
	maxTxRetries    = 8
)

// New returns a store on table (see CreateTable for its schema).
func New(api API, table string) *Store {
	return &Store{api: aliased{api}, table: table, writer: newWriterID(), writers: map[string]*writerState{},
		runs: map[string]runList{}}
}

// aliased fills each request's ExpressionAttributeNames from the #placeholders of its
// expressions: every attribute is aliased, so DynamoDB's long list of reserved words
// (name, status, size, key, ...) never bites.
type aliased struct{ API }

func (a aliased) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	in.ExpressionAttributeNames = names(in.ExpressionAttributeNames, in.ConditionExpression)
	return a.API.PutItem(ctx, in, o...)
}

func (a aliased) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	in.ExpressionAttributeNames = names(in.ExpressionAttributeNames, in.UpdateExpression, in.ConditionExpression)
	return a.API.UpdateItem(ctx, in, o...)
}

func (a aliased) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	in.ExpressionAttributeNames = names(in.ExpressionAttributeNames, in.ConditionExpression)
	return a.API.DeleteItem(ctx, in, o...)
}

func (a aliased) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	in.ExpressionAttributeNames = names(in.ExpressionAttributeNames, in.KeyConditionExpression, in.ProjectionExpression, in.FilterExpression)
	return a.API.Query(ctx, in, o...)
}

func (a aliased) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	for t, ka := range in.RequestItems {
		ka.ExpressionAttributeNames = names(ka.ExpressionAttributeNames, ka.ProjectionExpression)
		in.RequestItems[t] = ka
	}
	return a.API.BatchGetItem(ctx, in, o...)
}

func (a aliased) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	for _, it := range in.TransactItems {
		switch {
		case it.Put != nil:
			it.Put.ExpressionAttributeNames = names(it.Put.ExpressionAttributeNames, it.Put.ConditionExpression)
		case it.Update != nil:
			it.Update.ExpressionAttributeNames = names(it.Update.ExpressionAttributeNames, it.Update.UpdateExpression, it.Update.ConditionExpression)
		case it.Delete != nil:
			it.Delete.ExpressionAttributeNames = names(it.Delete.ExpressionAttributeNames, it.Delete.ConditionExpression)
		case it.ConditionCheck != nil:
			it.ConditionCheck.ExpressionAttributeNames = names(it.ConditionCheck.ExpressionAttributeNames, it.ConditionCheck.ConditionExpression)
		}
	}
	return a.API.TransactWriteItems(ctx, in, o...)
}

// CreateTable creates the table with the schema the store needs (tests and tooling; the
// task's CloudFormation stack creates it in the cloud) and waits until it is active.
func CreateTable(ctx context.Context, api interface {
	CreateTable(context.Context, *dynamodb.CreateTableInput, ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
}, table string) error {
	s := func(name string) types.AttributeDefinition {
		return types.AttributeDefinition{AttributeName: aws.String(name), AttributeType: types.ScalarAttributeTypeS}
	}
	key := func(name string, kt types.KeyType) types.KeySchemaElement {
		return types.KeySchemaElement{AttributeName: aws.String(name), KeyType: kt}
	}
	_, err := api.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{s("pk"), s("sk"), s("gsi1pk"), s("gsi1sk")},
		KeySchema:            []types.KeySchemaElement{key("pk", types.KeyTypeHash), key("sk", types.KeyTypeRange)},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName:  aws.String(statusIndex),
			KeySchema:  []types.KeySchemaElement{key("gsi1pk", types.KeyTypeHash), key("gsi1sk", types.KeyTypeRange)},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}},
	})
	var inUse *types.ResourceInUseException
	if errors.As(err, &inUse) {
		// The name is taken: by this request when a retry follows an attempt whose response
		// was lost, which the emulator's server does now and then. Taken as is when it has
		// the store's keys and index.
		out, derr := api.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
		if derr != nil || !sameSchema(out.Table) {
			return fmt.Errorf("create table %s: a table of that name exists with another schema: %w", table, err)
		}
		err = nil
	}
	if err != nil {
		return fmt.Errorf("create table %s: %w", table, err)
	}
	w := dynamodb.NewTableExistsWaiter(api)
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, 2*time.Minute); err != nil {
		return fmt.Errorf("wait for table %s: %w", table, err)
	}
	return nil
}

// sameSchema reports whether t has the store's keys and status index.
func sameSchema(t *types.TableDescription) bool {
	if t == nil || len(t.KeySchema) != 2 || aws.ToString(t.KeySchema[0].AttributeName) != "pk" ||
		aws.ToString(t.KeySchema[1].AttributeName) != "sk" {
		return false
	}
	for _, g := range t.GlobalSecondaryIndexes {
		if aws.ToString(g.IndexName) == statusIndex {
			return true
		}
	}
	return false
}

// expr folds a multi-line expression onto one line: whitespace other than single
// spaces is not accepted everywhere.
func expr(s string) *string { return aws.String(strings.Join(strings.Fields(s), " ")) }

var placeholder = regexp.MustCompile(`#[A-Za-z0-9_]+`)

// names adds to m an entry for every #name placeholder in the expressions.
func names(m map[string]string, exprs ...*string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	for _, e := range exprs {
		if e == nil {
			continue
		}
		for _, p := range placeholder.FindAllString(*e, -1) {
			if _, set := m[p]; !set { // a caller's explicit alias wins
				m[p] = p[1:]
			}
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func num(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: fmt.Sprint(v)}
}

func keyOf(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": str(pk), "sk": str(sk)}
}

func shardOf(key string) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % shards)
}

func objectPK(task string, shard int) string { return fmt.Sprintf("O#%s#%x", task, shard) }

// A task's item and its counter shards share the prefix T#<id># in partition TASKS, so
// one Query reads the whole task.
func taskPrefix(id string) string { return "T#" + id + "#" }

func taskKey(id string) map[string]types.AttributeValue { return keyOf("TASKS", taskPrefix(id)) }

// counterKey names one of a task's counter shards. Counters live apart from the task item
// and are spread over shards because every worker's batch adds to them: on one item,
// concurrent transactions would keep cancelling each other (TransactionConflict).
func counterKey(id string, shard int) map[string]types.AttributeValue {
	return keyOf("TASKS", fmt.Sprintf("%sC#%02d", taskPrefix(id), shard))
}

func anyCounterKey(id string) map[string]types.AttributeValue {
	return counterKey(id, mrand.IntN(counterShards))
}

// sparse reports whether items of status s belong in the status index.
func sparse(s state.ItemStatus) bool {
	return s == state.ItemFailed || s == state.ItemInProgress || s == state.ItemPending
}

// isConditionFailed reports a failed ConditionExpression (single-item writes).
func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// Close implements state.Store (nothing to close: the client is the caller's).
func (s *Store) Close() error { return nil }

func backoff(attempt int) time.Duration {
	d := 20 * time.Millisecond << min(attempt, 6)
	return d/2 + mrand.N(d/2+1)
}
