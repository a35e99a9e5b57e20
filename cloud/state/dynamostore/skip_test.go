package dynamostore_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/internal/benchtools/dynamofake"
	"transferhub/cloud/state"
	"transferhub/cloud/state/dynamostore"
	"transferhub/cloud/testenv"
)

// blobCounter counts the job items (their entries: attribute b) Queries return: what a
// list decodes.
type blobCounter struct {
	dynamostore.API
	blobs atomic.Int64
}

func (c *blobCounter) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	out, err := c.API.Query(ctx, in, o...)
	if err == nil {
		for _, it := range out.Items {
			if _, ok := it["b"]; ok {
				c.blobs.Add(1)
			}
		}
	}
	return out, err
}

// An offset skips whole job items by their stored counts (no decoding) where that is
// exact, and lists the same rows as reading every skipped record (the reference, as
// ListObjects did before): every status filter, prefixes, cursors, offsets inside a
// batch, the last page, batches that overlap, singles, and a second run's layer.
// On the DynamoDB fake and on the AWS emulator.
func TestOffsetSkipsWholeItemsExactly(t *testing.T) {
	onFakeAndEmulator(t, checkOffsetSkips, 3, 29)
}

// onFakeAndEmulator runs check on a new table of the in-process DynamoDB fake, then of
// the AWS emulator, with pages step records apart (the emulator is slow: fewer pages).
func onFakeAndEmulator(t *testing.T, check func(*testing.T, *dynamodb.Client, string, int), fakeStep, emulatorStep int) {
	t.Run("fake", func(t *testing.T) {
		c := dynamofake.Client(t)
		require.NoError(t, dynamostore.CreateTable(context.Background(), c, "th-state"))
		check(t, c, "th-state", fakeStep)
	})
	t.Run("emulator", func(t *testing.T) {
		_, c := newStore(t)
		table := testenv.Name("th-state-pages")
		require.NoError(t, dynamostore.CreateTable(context.Background(), c, table))
		t.Cleanup(func() {
			c.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)})
		})
		check(t, c, table, emulatorStep)
	})
}

// checkOffsetSkips compares the two on a task's pages, one starting every step records
// among others.
func checkOffsetSkips(t *testing.T, c *dynamodb.Client, table string, step int) {
	ctx := context.Background()
	api := &blobCounter{API: c}
	s := dynamostore.New(api, table)
	ref := dynamostore.New(api, table)
	dynamostore.DecodeSkipped(ref)
	const task = "skip"
	require.NoError(t, s.PutTask(ctx, state.Task{ID: task, Type: state.TaskS3}))
	run1, err := s.StartRun(ctx, task)
	require.NoError(t, err)
	key := func(i int) string { return fmt.Sprintf("d/%04d", i) }
	// 24 batches of 20 keys, the first 12 settled (every 7th key FAILED, every 5th
	// SKIPPED), the rest left queued or in progress.
	const batches, per = 24, 20
	for b := 0; b < batches; b++ {
		var job, done []state.Object
		for i := b * per; i < (b+1)*per; i++ {
			job = append(job, state.Object{Key: key(i), Size: int64(i), Status: state.ItemPending})
			o := state.Object{Key: key(i), Size: int64(i), Status: state.ItemDone, ETag: "e"}
			switch {
			case i%7 == 0:
				o.Status, o.Error = state.ItemFailed, "AccessDenied: no"
			case i%5 == 0:
				o.Status = state.ItemSkipped
			}
			done = append(done, o)
		}
		require.NoError(t, s.PutJob(ctx, task, job))
		switch {
		case b < 12:
			require.NoError(t, s.PutObjects(ctx, task, done))
		case b%2 == 0:
			require.NoError(t, s.PutObjects(ctx, task, []state.Object{{Key: key(b * per), Size: 1, Status: state.ItemInProgress}}))
		}
	}
	// A batch whose keys fall between other batches' (a finder's later listing), and
	// objects written without a batch (singles), one inside a batch's range.
	require.NoError(t, s.PutJob(ctx, task, []state.Object{{Key: key(45) + "a", Status: state.ItemPending},
		{Key: key(130) + "a", Status: state.ItemPending}}))
	require.NoError(t, s.PutObjects(ctx, task, []state.Object{{Key: key(101) + "x", Size: 3, Status: state.ItemDone},
		{Key: key(170) + "x", Size: 3, Status: state.ItemDone},
		{Key: "e/single", Size: 3, Status: state.ItemDone}}))

	// Items as written before job items stored their per-status counts: a settled batch,
	// an in-flight one and the interleaved one are read where a count is needed.
	oldFormat(t, c, table, task, key(60), key(260), key(45)+"a")

	total := batches*per + 4 + 1
	compare := func(t *testing.T, total int) {
		t.Helper()
		opts := []state.ListOptions{}
		for off := 0; off <= total; off += step { // a page starting anywhere
			opts = append(opts, state.ListOptions{Offset: off, Limit: 25})
		}
		for _, off := range []int{0, 1, 19, 20, 21, 39, 40, 45, 46, 60, 99, 100, 101, 131, 200, 239, 240, 241, 300,
			total - 26, total - 25, total - 1, total, total + 5} {
			opts = append(opts, state.ListOptions{Offset: off, Limit: 25})
			opts = append(opts, state.ListOptions{Offset: off, Limit: 7, After: key(33)})
			opts = append(opts, state.ListOptions{Offset: off, Limit: 25, Prefix: "d/01"})
			opts = append(opts, state.ListOptions{Offset: off % 50, Limit: 10, Prefix: "d/02", After: key(211)})
			for _, st := range []state.ItemStatus{state.ItemFailed, state.ItemDone, state.ItemSkipped, state.ItemPending,
				state.ItemInProgress} {
				opts = append(opts, state.ListOptions{Offset: off % 120, Limit: 25, Status: st})
				if step <= 3 { // the fake: more filtered pages (the emulator takes a second a page)
					opts = append(opts, state.ListOptions{Offset: off % 200, Limit: 9, Status: st, Prefix: "d/0"})
					opts = append(opts, state.ListOptions{Offset: off / 3, Limit: 25, Status: st})
				}
			}
		}
		for _, opt := range opts {
			want, err := ref.ListObjects(ctx, task, opt)
			require.NoError(t, err)
			got, err := s.ListObjects(ctx, task, opt)
			require.NoError(t, err)
			require.Equal(t, keysOf(want.Items), keysOf(got.Items), "%+v", opt)
			require.Equal(t, want, got, "%+v", opt)
		}
	}
	t.Run("one run", func(t *testing.T) {
		compare(t, total)
	})
	t.Run("decodes only what it lists", func(t *testing.T) {
		// listBoth lists a page of a task through the reference and through the store,
		// with the job items each decoded.
		listBoth := func(task string, opt state.ListOptions) (want, got state.Page[state.Object], slow, fast int64) {
			t.Helper()
			var err error
			b0 := api.blobs.Load()
			want, err = ref.ListObjects(ctx, task, opt)
			require.NoError(t, err)
			slow = api.blobs.Load() - b0
			b0 = api.blobs.Load()
			got, err = s.ListObjects(ctx, task, opt)
			require.NoError(t, err)
			return want, got, slow, api.blobs.Load() - b0
		}
		// A run of settled batches only: the last page decodes the items around it.
		const clean = "clean"
		require.NoError(t, s.PutTask(ctx, state.Task{ID: clean, Type: state.TaskS3}))
		_, err := s.StartRun(ctx, clean)
		require.NoError(t, err)
		for b := 0; b < batches; b++ {
			var job, done []state.Object
			for i := b * per; i < (b+1)*per; i++ {
				job = append(job, state.Object{Key: key(i), Size: int64(i), Status: state.ItemPending})
				done = append(done, state.Object{Key: key(i), Size: int64(i), Status: state.ItemDone})
			}
			require.NoError(t, s.PutJob(ctx, clean, job))
			require.NoError(t, s.PutObjects(ctx, clean, done))
		}
		last := state.ListOptions{Offset: batches*per - 25, Limit: 25}
		want, got, slow, fast := listBoth(clean, last)
		assert.Equal(t, want, got)
		assert.Len(t, got.Items, 25)
		assert.GreaterOrEqual(t, slow, int64(batches), "the reference reads every job item")
		assert.Equal(t, key(batches*per-25), got.Items[0].Key)
		assert.LessOrEqual(t, fast, int64(2), "the skipping reads the items of the last page only")

		// Filtered: the last page of the DONE records (a third of each batch is SKIPPED),
		// then the same after the items lost their per-status counts (as written before).
		var mixed []state.Object
		for i := 0; i < batches*per; i++ {
			if i%3 == 0 {
				mixed = append(mixed, state.Object{Key: key(i), Size: int64(i), Status: state.ItemSkipped})
			}
		}
		require.NoError(t, s.PutObjects(ctx, clean, mixed))
		nDone := batches*per - len(mixed)
		var withCounts int64 // items the DONE last page reads
		for _, st := range []struct {
			status state.ItemStatus
			n      int
		}{{state.ItemDone, nDone}, {state.ItemSkipped, len(mixed)}} {
			last := state.ListOptions{Offset: st.n - 25, Limit: 25, Status: st.status}
			want, got, slow, fast := listBoth(clean, last)
			assert.Equal(t, want, got, st.status)
			assert.Len(t, got.Items, 25, st.status)
			assert.Empty(t, got.Next, st.status)
			assert.GreaterOrEqual(t, slow, int64(batches), "the reference reads every job item")
			var firstIdx int
			_, err = fmt.Sscanf(got.Items[0].Key, "d/%d", &firstIdx)
			require.NoError(t, err)
			spanned := int64(batches - firstIdx/per) // the batches the page's records are in
			assert.LessOrEqual(t, fast, spanned, "%s: the skipping reads the items of the last page only", st.status)
			if st.status == state.ItemDone {
				withCounts = fast
			}
		}
		oldFormat(t, c, table, clean, key(0), key(per*batches/2), key(per*(batches-2)))
		last = state.ListOptions{Offset: nDone - 25, Limit: 25, Status: state.ItemDone}
		want, got, slow, old := listBoth(clean, last)
		assert.Equal(t, want, got)
		assert.Greater(t, old, withCounts+1, "the two items without counts before the page are read")
		assert.Less(t, old, slow, "the items with counts are skipped unread")

		// In flight: the last page of a run's queued objects (the open index).
		const queued = "queued"
		require.NoError(t, s.PutTask(ctx, state.Task{ID: queued, Type: state.TaskS3}))
		_, err = s.StartRun(ctx, queued)
		require.NoError(t, err)
		for b := 0; b < batches; b++ {
			var job []state.Object
			for i := b * per; i < (b+1)*per; i++ {
				job = append(job, state.Object{Key: key(i), Size: int64(i), Status: state.ItemPending})
			}
			require.NoError(t, s.PutJob(ctx, queued, job))
		}
		require.NoError(t, s.PutObjects(ctx, queued, []state.Object{{Key: key(3), Size: 3, Status: state.ItemInProgress},
			{Key: key(per*batches - 1), Size: 1, Status: state.ItemInProgress}}))
		last = state.ListOptions{Offset: batches*per - 2 - 25, Limit: 25, Status: state.ItemPending}
		want, got, _, fast = listBoth(queued, last)
		assert.Equal(t, want, got)
		assert.Len(t, got.Items, 25)
		assert.LessOrEqual(t, fast, int64(2), "the skipping reads the items of the last page only")
	})
	t.Run("two runs", func(t *testing.T) {
		// A second run re-queues the failed objects of the first and settles a few: its
		// layer interleaves with the first's.
		require.NoError(t, s.FinishRun(ctx, task, run1.RunID, []state.TaskStatus{state.TaskRunning}, state.TaskCompleted, ""))
		_, err := s.StartRun(ctx, task)
		require.NoError(t, err)
		var job []state.Object
		for i := 0; i < 12*per; i += 7 {
			job = append(job, state.Object{Key: key(i), Status: state.ItemPending})
		}
		require.NoError(t, s.PutJob(ctx, task, job))
		require.NoError(t, s.PutObjects(ctx, task, []state.Object{{Key: key(7), Size: 7, Status: state.ItemDone},
			{Key: key(400) + "z", Size: 1, Status: state.ItemDone}}))
		compare(t, total+1)
	})
}

// oldFormat removes the per-status counts from the task's job items that hold the keys
// (as items were written before they had them).
func oldFormat(t *testing.T, c *dynamodb.Client, table, task string, keys ...string) {
	t.Helper()
	ctx := context.Background()
	p := dynamodb.NewQueryPaginator(c, &dynamodb.QueryInput{TableName: aws.String(table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "J#" + task}}})
	stripped := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		require.NoError(t, err)
		for _, it := range page.Items {
			first := it["sk"].(*types.AttributeValueMemberS).Value
			_, first, _ = strings.Cut(first, "#")
			last := it["l"].(*types.AttributeValueMemberS).Value
			if !slices.ContainsFunc(keys, func(k string) bool { return k >= first && k <= last }) {
				continue
			}
			require.Contains(t, it, "sc", "items written today store their per-status counts")
			_, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table),
				Key: map[string]types.AttributeValue{"pk": it["pk"], "sk": it["sk"]}, UpdateExpression: aws.String("REMOVE sc")})
			require.NoError(t, err)
			stripped++
		}
	}
	require.Positive(t, stripped)
}

func keysOf(os []state.Object) []string {
	var out []string
	for _, o := range os {
		out = append(out, o.Key+" "+string(o.Status))
	}
	return out
}
