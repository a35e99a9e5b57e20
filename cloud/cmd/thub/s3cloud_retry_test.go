package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"transferhub/cloud/internal/s3test"
	"transferhub/cloud/queue/sqsqueue"
	"transferhub/cloud/s3sync"
	"transferhub/cloud/state"
	"transferhub/cloud/taskrun"
)

// Retry failed (what the desktop does for a cloud task): the object that failed for good
// and was dead-lettered is copied once its cause is fixed, and the dead-letter messages
// the retry made redundant are gone; a message holding an object that is not retried stays.
func TestFleetS3RetryFailedClearsRedundantDeadLetters(t *testing.T) {
	f, a, b, srcB, dst := newFleetBuckets(t, 2, "retry")
	for i := 0; i < 5; i++ {
		a.Put(t, srcB, fmt.Sprintf("ok/%02d.txt", i), s3test.RandBytes(500+i), nil)
	}
	poison := s3test.RandBytes(700)
	a.Put(t, srcB, "poison.bin", poison, nil)
	var fixed atomic.Bool
	proxy := denyProxy(t, a.Endpoint, func(r *http.Request) bool {
		return !fixed.Load() && strings.HasSuffix(r.URL.Path, "/poison.bin") && (r.Method == http.MethodGet || r.Method == http.MethodHead)
	})
	f.sides(a, srcB, b, dst, proxy)
	// Failed objects come back by the retry delay and nothing is killed, so no job needs
	// its visibility to run out. One that did in its last delivery would reach the
	// dead-letter queue twice (SQS's redrive at maxReceiveCount 2, and the worker's own
	// dead letter). Ten minutes cannot run out while a waitTask below still waits.
	f.env = append(f.env, "THUB_ATTEMPTS=1", "THUB_VISIBILITY=10m")
	f.startWorker()
	r := f.run(nil, "s3", "find")
	require.Equal(t, 0, r.code, r.stderr)
	tk := f.waitTask(2*time.Minute, nil)
	require.Equal(t, state.TaskFailed, tk.Status)
	require.Equal(t, int64(1), tk.Counters.FailedObjects)
	require.Equal(t, int64(5), tk.Counters.DoneObjects)
	ctx := context.Background()
	waitDepth := func(want int64) {
		t.Helper()
		var v, i int64
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			if v, i = f.depth(f.dlqURL); v+i == want {
				return
			}
		}
		t.Fatalf("dead-letter queue holds %d visible and %d in flight, want %d", v, i, want)
	}
	waitDepth(1) // the failed job

	// More dead letters: of the run, one whose objects are all covered (the retried one,
	// one the run copied) and a part job of the retried object; of an earlier run, two
	// holding an object that is not retried (no record), alone and with the retried one.
	// (A dead letter of the run naming an object without a final record cannot outlive
	// the run's end: an idle worker records it FAILED, as it would the moment the retry
	// reopens the run, and the run would end FAILED.)
	run := tk.RunID
	job := func(run string, keys ...string) []byte {
		j := s3sync.Job{Run: run}
		for _, k := range keys {
			j.Objects = append(j.Objects, s3sync.JobObject{Key: k, Size: 700})
		}
		body, err := s3sync.EncodeJob(j)
		require.NoError(t, err)
		return body
	}
	part, err := s3sync.EncodePart(s3sync.PartJob{Run: run, Object: s3sync.JobObject{Key: "poison.bin", Size: 12 << 20},
		UploadID: "gone", Part: 2, Parts: 3, PartSize: 5 << 20})
	require.NoError(t, err)
	const earlier = "20200101T000000.000000000-0000000a"
	stays := [][]byte{job(earlier, "elsewhere.bin"), job(earlier, "poison.bin", "elsewhere.bin")}
	dlq := sqsqueue.New(f.sqs, f.dlqURL, "")
	require.NoError(t, dlq.Send(ctx, append([][]byte{job(run, "poison.bin", "ok/01.txt"), part}, stays...)...))
	waitDepth(5)

	// What the desktop's Retry failed does: the sweep while the run rests, the failed
	// objects pending again, the run reopened, the objects queued.
	fixed.Store(true)
	removed, err := s3sync.DropRetriedDeadLetters(ctx, f.store, dlq, tk)
	require.NoError(t, err)
	require.Equal(t, 3, removed, "the failed job, the covered job and the part job")
	objs, err := s3sync.PrepareRetry(ctx, f.store, tk)
	require.NoError(t, err)
	require.Len(t, objs, 1)
	begun, err := taskrun.Begin(ctx, f.store, f.taskID, taskrun.BeginOptions{Resume: taskrun.ResumeCurrent})
	require.NoError(t, err)
	require.Equal(t, run, begun.Task.RunID)
	// A worker with nothing to do checks the run before the objects are queued (as an
	// idle worker may at any moment): the run stays open, its retried object pending.
	_, ended, err := taskrun.Finish(ctx, f.store, f.taskID, taskrun.End{IfComplete: true})
	require.NoError(t, err)
	require.False(t, ended, "a reopened run is not complete while its retried objects are pending")
	time.Sleep(8 * time.Second) // TEMP: widen the gap
	require.NoError(t, s3sync.SendJobs(ctx, sqsqueue.New(f.sqs, f.queueURL, ""), begun.Task.RunID, objs))

	tk = f.waitTask(2*time.Minute, nil)
	require.Equal(t, state.TaskCompleted, tk.Status, tk.LastError)
	require.Equal(t, int64(0), tk.Counters.FailedObjects)
	require.Equal(t, int64(6), tk.Counters.DoneObjects)
	require.Equal(t, poison, b.Get(t, dst, "poison.bin"), "the retried object is copied")
	rec, err := f.store.GetObject(ctx, f.taskID, "poison.bin")
	require.NoError(t, err)
	require.Equal(t, state.ItemDone, rec.Status)

	// The kept messages were released: visible at once, for a person to look at or redrive.
	v, inFlight := f.depth(f.dlqURL)
	require.Equal(t, int64(2), v+inFlight, "only the messages with an object not retried stay")
	left := f.deadLetters()
	want := []string{string(stays[0]), string(stays[1])}
	require.Equal(t, slices.Sorted(slices.Values(want)), slices.Compact(slices.Sorted(slices.Values(left))))
}
