package dynamostore_test

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"transferhub/cloud/internal/benchtools/dynamofake"
	"transferhub/cloud/internal/benchtools/recordgen"
	"transferhub/cloud/state"
	"transferhub/cloud/state/dynamostore"
)

// BenchmarkListObjects reads the pages a cloud task page reads (the first, a far jump
// to the last, the last of the DONE filter, a failed-only page) from a task of
// TH_BENCH_RECORDS records (default 200,000) in the DynamoDB fake over HTTP, as the
// desktop does; "decoding" is the reference path that reads every skipped record (the
// ratio of the two is what skipping whole items by their stored counts saves). Profile
// with -cpuprofile.
func BenchmarkListObjects(b *testing.B) {
	n := 200_000
	if v, err := strconv.Atoi(os.Getenv("TH_BENCH_RECORDS")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	c := dynamofake.Client(b)
	require.NoError(b, dynamostore.CreateTable(ctx, c, "th-bench"))
	const task = "bench"
	_, err := recordgen.Write(ctx, dynamostore.New(c, "th-bench"), recordgen.Options{TaskID: task, Records: n, Failed: 100})
	require.NoError(b, err)
	counts, err := dynamostore.New(c, "th-bench").CountObjects(ctx, task)
	require.NoError(b, err)
	done := int(counts[state.ItemDone])
	for _, v := range []struct {
		name string
		opt  state.ListOptions
	}{
		{"first", state.ListOptions{Limit: 25}},
		{"last", state.ListOptions{Offset: n - 25, Limit: 25}},
		{"last-done", state.ListOptions{Offset: done - 25, Limit: 25, Status: state.ItemDone}},
		{"failed", state.ListOptions{Status: state.ItemFailed, Limit: 25}},
	} {
		for _, decoding := range []bool{false, true} {
			name := v.name
			if decoding {
				if v.name != "last" && v.name != "last-done" {
					continue
				}
				name += "/decoding"
			}
			b.Run(name, func(b *testing.B) {
				s := dynamostore.New(c, "th-bench") // one store, as the desktop keeps per task
				if decoding {
					dynamostore.DecodeSkipped(s)
				}
				for b.Loop() {
					p, err := s.ListObjects(ctx, task, v.opt)
					require.NoError(b, err)
					require.Len(b, p.Items, 25)
				}
			})
		}
	}
}
