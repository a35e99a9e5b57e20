package dynamofake_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/internal/benchtools/dynamofake"
	"transferhub/cloud/internal/benchtools/recordgen"
	"transferhub/cloud/state"
	"transferhub/cloud/state/dynamostore"
	"transferhub/cloud/testenv"
)

// reads is what the desktop's task page reads of a cloud task, through the store.
type reads struct {
	task    state.Task
	all     []string // every record, paged 100 at a time with After
	pages   int
	failed  []state.Object
	done    []string // a prefix's DONE records
	objects []state.Object
	counts  map[state.ItemStatus]int64
	jobSKs  []string // the job items' sort keys (the store's layout)
}

func readAll(t *testing.T, ctx context.Context, c *dynamodb.Client, table, task string) reads {
	t.Helper()
	s := dynamostore.New(c, table)
	var r reads
	var err error
	r.task, err = s.GetTask(ctx, task)
	require.NoError(t, err)
	for after := ""; ; {
		p, err := s.ListObjects(ctx, task, state.ListOptions{After: after, Limit: 100})
		require.NoError(t, err)
		r.pages++
		for _, o := range p.Items {
			r.all = append(r.all, o.Key+" "+string(o.Status))
		}
		if p.Next == "" {
			break
		}
		after = p.Next
	}
	p, err := s.ListObjects(ctx, task, state.ListOptions{Status: state.ItemFailed, Limit: 1000})
	require.NoError(t, err)
	for _, o := range p.Items {
		r.failed = append(r.failed, strip(o))
	}
	p, err = s.ListObjects(ctx, task, state.ListOptions{Status: state.ItemDone, Prefix: "photos/2003/", Limit: 50, Offset: 10})
	require.NoError(t, err)
	for _, o := range p.Items {
		r.done = append(r.done, o.Key)
	}
	for _, j := range []int{0, 7, 1234, 2999} {
		o, err := s.GetObject(ctx, task, recordgen.Key(j))
		require.NoError(t, err)
		r.objects = append(r.objects, strip(o))
	}
	r.counts, err = s.CountObjects(ctx, task)
	require.NoError(t, err)
	q := dynamodb.NewQueryPaginator(c, &dynamodb.QueryInput{TableName: &table, KeyConditionExpression: aws.String("pk = :p"),
		ProjectionExpression: aws.String("sk"), ExpressionAttributeValues: map[string]types.AttributeValue{":p": s2("J#" + task)}})
	for q.HasMorePages() {
		out, err := q.NextPage(ctx)
		require.NoError(t, err)
		for _, it := range out.Items {
			sk := it["sk"].(*types.AttributeValueMemberS).Value
			r.jobSKs = append(r.jobSKs, sk[strings.IndexAny(sk, "#$"):]) // without the run id
		}
	}
	return r
}

func s2(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

// strip drops what differs between two writes of the same records (times, the run id).
func strip(o state.Object) state.Object {
	o.UpdatedAt, o.RunID = time.Time{}, ""
	return o
}

// The same records written and read through dynamostore give the same answers on the
// fake as on the AWS emulator: the fake can stand in for DynamoDB in the UI bench.
func TestSameReadsAsTheEmulator(t *testing.T) {
	ctx := context.Background()
	env := testenv.Load(t)
	moto := dynamodb.NewFromConfig(env.AWSConfig(t))
	fake := dynamofake.Client(t)
	opt := recordgen.Options{TaskID: "s3-contract", Records: 3000, Failed: 30}
	var got []reads
	for _, c := range []*dynamodb.Client{moto, fake} {
		table := testenv.Name("th-fake-contract")
		require.NoError(t, dynamostore.CreateTable(ctx, c, table))
		t.Cleanup(func() { c.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)}) })
		_, err := recordgen.Write(ctx, dynamostore.New(c, table), opt)
		require.NoError(t, err)
		got = append(got, readAll(t, ctx, c, table, opt.TaskID))
	}
	m, f := got[0], got[1]
	require.Len(t, m.all, 3000)
	assert.Equal(t, m.all, f.all)
	assert.Equal(t, m.pages, f.pages)
	require.Len(t, m.failed, 30)
	assert.Equal(t, m.failed, f.failed)
	assert.NotEmpty(t, m.done)
	assert.Equal(t, m.done, f.done)
	assert.Equal(t, m.objects, f.objects)
	assert.Equal(t, map[state.ItemStatus]int64{state.ItemDone: 2970, state.ItemFailed: 30}, m.counts)
	assert.Equal(t, m.counts, f.counts)
	assert.Len(t, m.jobSKs, 15)
	assert.Equal(t, m.jobSKs, f.jobSKs)
	assert.Equal(t, m.task.Counters, f.task.Counters)
	assert.Equal(t, state.TaskFailed, f.task.Status)
	assert.Equal(t, m.task.Status, f.task.Status)
}
