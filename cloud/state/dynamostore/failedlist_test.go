package dynamostore_test

import (
	"context"
	"fmt"
	"slices"
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

// queryCounter counts the Queries made, and those of them that only count.
type queryCounter struct {
	dynamostore.API
	queries, counts atomic.Int64
}

func (c *queryCounter) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	c.queries.Add(1)
	if in.Select == types.SelectCount {
		c.counts.Add(1)
	}
	return c.API.Query(ctx, in, o...)
}

// The failed list pages through the sparse index: an offset is counted by the index
// query itself (no item of the skipped part is returned), a page is one query of its
// items and one more, and "there is a next page" is said exactly when there is one:
// every offset, limit, prefix (with the key right past a prefix stored too) and cursor,
// against the failed keys in order. On the DynamoDB fake and on the AWS emulator.
func TestFailedListPagesExactly(t *testing.T) {
	onFakeAndEmulator(t, checkFailedPages, 1, 7)
}

func checkFailedPages(t *testing.T, c *dynamodb.Client, table string, step int) {
	ctx := context.Background()
	api := &queryCounter{API: c}
	s := dynamostore.New(api, table)
	const task = "failed"
	require.NoError(t, s.PutTask(ctx, state.Task{ID: task, Type: state.TaskS3}))
	_, err := s.StartRun(ctx, task)
	require.NoError(t, err)
	// Failed keys under f/ (and the keys right around it: "f/" itself, "f0" the least key
	// past the prefix, "f" below it), DONE ones among them.
	var failed []string
	var objs []state.Object
	add := func(k string, st state.ItemStatus) {
		o := state.Object{Key: k, Size: 1, Status: st}
		if st == state.ItemFailed {
			o.Error = "AccessDenied: no"
			failed = append(failed, k)
		}
		objs = append(objs, o)
	}
	for i := 0; i < 90; i++ {
		st := state.ItemFailed
		if i%4 == 3 {
			st = state.ItemDone
		}
		add(fmt.Sprintf("f/%03d", i), st)
	}
	for _, k := range []string{"e/9", "f", "f/", "f0", "f0/1", "g/1", "f/1\U0010FFFF", "f/1\U0010FFFFz"} {
		add(k, state.ItemFailed)
	}
	var job []state.Object
	for _, o := range objs {
		job = append(job, state.Object{Key: o.Key, Status: state.ItemPending})
	}
	require.NoError(t, s.PutJob(ctx, task, job))
	require.NoError(t, s.PutObjects(ctx, task, objs))
	slices.Sort(failed)

	for _, prefix := range []string{"", "f/", "f/0", "f/08", "f/1", "f/1\U0010FFFF", "f0", "g", "h"} {
		var in []string // the failed keys in prefix, in order
		for _, k := range failed {
			if strings.HasPrefix(k, prefix) {
				in = append(in, k)
			}
		}
		for _, after := range []string{"", "f/050", "f/1", "f0", "zz"} {
			var rest []string
			for _, k := range in {
				if k > after {
					rest = append(rest, k)
				}
			}
			for _, limit := range []int{1, 5, 25} {
				for off := 0; off <= len(rest)+1; off += step {
					opt := state.ListOptions{Status: state.ItemFailed, Prefix: prefix, After: after, Offset: off, Limit: limit}
					q0, c0 := api.queries.Load(), api.counts.Load()
					page, err := s.ListObjects(ctx, task, opt)
					require.NoError(t, err, "%+v", opt)
					queries, counts := api.queries.Load()-q0, api.counts.Load()-c0
					want := rest[min(off, len(rest)):min(off+limit, len(rest))]
					got := []string{}
					for _, o := range page.Items {
						require.Equal(t, state.ItemFailed, o.Status)
						got = append(got, o.Key)
					}
					require.Equal(t, append([]string{}, want...), got, "%+v", opt)
					if off+limit < len(rest) {
						require.Equal(t, want[len(want)-1], page.Next, "a next page: %+v", opt)
					} else {
						require.Empty(t, page.Next, "no next page: %+v", opt)
					}
					if off > 0 {
						assert.Equal(t, int64(1), counts, "the offset is counted in one query: %+v", opt)
					} else {
						assert.Zero(t, counts, "%+v", opt)
					}
					assert.LessOrEqual(t, queries, counts+1, "one query for the page: %+v", opt)
				}
			}
		}
	}
}
