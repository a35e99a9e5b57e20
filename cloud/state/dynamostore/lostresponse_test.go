package dynamostore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/state"
	"transferhub/cloud/state/dynamostore"
	"transferhub/cloud/testenv"
)

// dropProxy stands between the SDK and the emulator. The first time it sees a write
// request (by its body) it forwards it, lets the emulator apply it, and then closes the
// connection instead of answering: the response is lost after the write, and the SDK's
// standard retryer sends the same request again. Later copies are answered normally.
type dropProxy struct {
	target  string
	seen    sync.Map
	dropped atomic.Int64
	// meanwhile, when set, runs once after the next write was applied and before its
	// response is dropped: another writer's change between a lost attempt and its resend.
	meanwhile atomic.Pointer[func()]
	// before, when set, runs once before the next write reaches the emulator.
	before atomic.Pointer[func()]
}

var writeActions = []string{"CreateTable", "PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}

func (p *dropProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req, err := http.NewRequestWithContext(r.Context(), r.Method, p.target+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	action := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	if isWrite(action) {
		if f := p.before.Swap(nil); f != nil {
			(*f)()
		}
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	sum := sha256.Sum256(body)
	if isWrite(action) && resp.StatusCode == http.StatusOK {
		if _, again := p.seen.LoadOrStore(sum, true); !again {
			p.dropped.Add(1)
			if f := p.meanwhile.Swap(nil); f != nil {
				(*f)()
			}
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close() // applied, never answered
				return
			}
		}
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(out)
}

func isWrite(action string) bool {
	for _, a := range writeActions {
		if a == action {
			return true
		}
	}
	return false
}

// lossyStore returns a store whose every write loses its first response, and a store on
// the same table that reads straight from the emulator.
func lossyStore(t *testing.T) (lossy func() *dynamostore.Store, direct *dynamostore.Store, proxy *dropProxy) {
	t.Helper()
	env := testenv.Load(t)
	cfg := env.AWSConfig(t)
	client := dynamodb.NewFromConfig(cfg)
	table := testenv.Name("th-state-lossy")
	proxy = &dropProxy{target: aws.ToString(cfg.BaseEndpoint)}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	lcfg := cfg.Copy()
	lcfg.BaseEndpoint = aws.String(srv.URL)
	// The SDK's standard retryer, without its client-wide retry budget (every write here
	// is retried once, which would drain it within seconds).
	lcfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 5; o.RateLimiter = ratelimit.None })
	}
	lossyClient := dynamodb.NewFromConfig(lcfg)
	// The table too: its creation's response is lost, the retry finds the name taken.
	require.NoError(t, dynamostore.CreateTable(context.Background(), lossyClient, table))
	t.Cleanup(func() {
		client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	})
	return func() *dynamostore.Store { return dynamostore.New(lossyClient, table) }, dynamostore.New(client, table), proxy
}

// Every write's first response is lost after the emulator applied it and the SDK sends
// it again: the counters still come out exact, adds (found counts) and transitions
// (records) alike, and a run started by a lost attempt is the caller's own run.
func TestLostResponsesCountOnce(t *testing.T) {
	ctx := context.Background()
	lossy, direct, proxy := lossyStore(t)
	s := lossy()
	task := state.Task{ID: fmt.Sprintf("t-lossy-%d", proxy.dropped.Load()), Type: state.TaskS3, Name: "lossy", Engine: state.EngineCloud}
	require.NoError(t, s.PutTask(ctx, task))
	run, err := s.StartRun(ctx, task.ID)
	require.NoError(t, err, "a run started by an attempt whose response was lost is ours")
	require.NotEmpty(t, run.RunID)

	// Found counts from two processes (two Store values), concurrently.
	writers := []*dynamostore.Store{s, lossy()}
	var wg sync.WaitGroup
	for _, w := range writers {
		for g := 0; g < 3; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 10; i++ {
					assert.NoError(t, w.AddCounters(ctx, task.ID, run.RunID, state.Counters{FoundObjects: 100, FoundBytes: 1000}))
				}
			}()
		}
	}
	wg.Wait()

	// Records: a job sent, then settled; one object failed in between.
	var objs []state.Object
	for i := 0; i < 150; i++ {
		objs = append(objs, state.Object{Key: fmt.Sprintf("d/%04d", i), Size: 10, Status: state.ItemInProgress})
	}
	require.NoError(t, s.PutJob(ctx, task.ID, objs))
	failed := objs[7]
	failed.Status, failed.Error = state.ItemFailed, "SlowDown"
	require.NoError(t, s.PutObjects(ctx, task.ID, []state.Object{failed}))
	for i := range objs {
		objs[i].Status = state.ItemDone
	}
	require.NoError(t, s.PutObjects(ctx, task.ID, objs[:100]))
	require.NoError(t, s.PutObjects(ctx, task.ID, objs[100:]))
	// Parts of a giant object.
	for n := 1; n <= 3; n++ {
		done, err := s.PutPart(ctx, task.ID, "giant", state.Part{UploadID: "u", Number: n, Size: 1, ETag: "e"})
		require.NoError(t, err)
		assert.Equal(t, n, done, "a part counted once")
	}

	got, err := direct.GetTask(ctx, task.ID)
	require.NoError(t, err)
	assert.Equal(t, state.Counters{FoundObjects: 6000, FoundBytes: 60000, DoneObjects: 150, DoneBytes: 1500}, got.Counters)
	counts, err := direct.CountObjects(ctx, task.ID)
	require.NoError(t, err)
	assert.Equal(t, map[state.ItemStatus]int64{state.ItemDone: 150}, counts)
	p, err := direct.ListObjects(ctx, task.ID, state.ListOptions{Status: state.ItemFailed})
	require.NoError(t, err)
	assert.Empty(t, p.Items, "the failure was settled DONE afterwards")
	assert.GreaterOrEqual(t, proxy.dropped.Load(), int64(60), "responses were lost")
	t.Logf("%d responses lost after their write", proxy.dropped.Load())
}

// lost runs write, which must succeed, and checks that a response of it was lost (the
// SDK sent it again).
func lost(t *testing.T, proxy *dropProxy, what string, write func() error) {
	t.Helper()
	before := proxy.dropped.Load()
	require.NoError(t, write(), what)
	require.Greater(t, proxy.dropped.Load(), before, "%s: no response was lost", what)
}

// Status transitions, finder-done, leases and deletes lose their first response after
// the emulator applied them: each is still the caller's success, and the state is the
// one written. Genuine conflicts stay conflicts.
func TestLostResponsesTransitionOnce(t *testing.T) {
	ctx := context.Background()
	lossy, direct, proxy := lossyStore(t)
	s := lossy()
	task := state.Task{ID: "t-lossy-status", Type: state.TaskS3, Name: "lossy", Engine: state.EngineCloud}
	lost(t, proxy, "put task", func() error { return s.PutTask(ctx, task) })
	lost(t, proxy, "set status", func() error {
		return s.SetTaskStatus(ctx, task.ID, []state.TaskStatus{state.TaskDraft}, state.TaskIdle, "")
	})
	got, err := direct.GetTask(ctx, task.ID)
	require.NoError(t, err)
	assert.Equal(t, state.TaskIdle, got.Status)

	run, err := s.StartRun(ctx, task.ID)
	require.NoError(t, err)
	lost(t, proxy, "finish finder", func() error { return s.FinishFinder(ctx, task.ID, run.RunID) })
	lost(t, proxy, "stop request", func() error {
		return s.SetTaskStatus(ctx, task.ID, []state.TaskStatus{state.TaskRunning}, state.TaskStopping, "")
	})
	lost(t, proxy, "run end", func() error {
		return s.FinishRun(ctx, task.ID, run.RunID, []state.TaskStatus{state.TaskStopping}, state.TaskStopped, "stopped by the user")
	})
	got, err = direct.GetTask(ctx, task.ID)
	require.NoError(t, err)
	assert.Equal(t, state.TaskStopped, got.Status)
	assert.Equal(t, "stopped by the user", got.LastError)
	assert.True(t, got.FinderDone)
	assert.False(t, got.FinishedAt.IsZero())
	// Genuine conflicts: the run has ended; then a later run is current.
	err = s.FinishRun(ctx, task.ID, run.RunID, []state.TaskStatus{state.TaskStopping}, state.TaskStopped, "")
	require.ErrorIs(t, err, state.ErrConflict, "the run ended already")
	run2, err := s.StartRun(ctx, task.ID)
	require.NoError(t, err)
	err = s.FinishRun(ctx, task.ID, run.RunID, []state.TaskStatus{state.TaskRunning}, state.TaskCompleted, "")
	require.ErrorIs(t, err, state.ErrConflict, "an earlier run")
	assert.Contains(t, err.Error(), "is current")

	// Another transition lands between the stop request's lost attempt and its resend:
	// the run ends at once. The request was still ours, and applied.
	end := func() {
		assert.NoError(t, direct.FinishRun(ctx, task.ID, run2.RunID, []state.TaskStatus{state.TaskStopping}, state.TaskStopped, ""))
	}
	proxy.meanwhile.Store(&end)
	lost(t, proxy, "stop request, then the run's end", func() error {
		return s.SetTaskStatus(ctx, task.ID, []state.TaskStatus{state.TaskRunning}, state.TaskStopping, "")
	})
	require.Nil(t, proxy.meanwhile.Load(), "the other transition ran")
	got, err = direct.GetTask(ctx, task.ID)
	require.NoError(t, err)
	assert.Equal(t, state.TaskStopped, got.Status)
	// A run end lost its response, a new run started before the resend: still ours.
	run3, err := s.StartRun(ctx, task.ID)
	require.NoError(t, err)
	var run4 state.Task
	restart := func() {
		var err error
		run4, err = direct.StartRun(ctx, task.ID)
		assert.NoError(t, err)
	}
	proxy.meanwhile.Store(&restart)
	lost(t, proxy, "run end, then a new run", func() error {
		return s.FinishRun(ctx, task.ID, run3.RunID, []state.TaskStatus{state.TaskRunning}, state.TaskCompleted, "")
	})
	got, err = direct.GetTask(ctx, task.ID)
	require.NoError(t, err)
	assert.Equal(t, state.TaskRunning, got.Status)
	assert.Equal(t, run4.RunID, got.RunID)
	// The same for a finder's end: its run ends and the next starts before the resend.
	var run5 state.Task
	next := func() {
		assert.NoError(t, direct.FinishRun(ctx, task.ID, run4.RunID, nil, state.TaskStopped, ""))
		var err error
		run5, err = direct.StartRun(ctx, task.ID)
		assert.NoError(t, err)
	}
	proxy.meanwhile.Store(&next)
	lost(t, proxy, "finder done, then a new run", func() error { return s.FinishFinder(ctx, task.ID, run4.RunID) })
	got, err = direct.GetTask(ctx, task.ID)
	require.NoError(t, err)
	assert.Equal(t, run5.RunID, got.RunID)
	assert.False(t, got.FinderDone, "the new run's finder is not done")
	require.ErrorIs(t, s.FinishFinder(ctx, task.ID, run4.RunID), state.ErrConflict, "an earlier run")

	// Leases: taken, renewed, released.
	lost(t, proxy, "lease", func() error { return s.Lease(ctx, task.ID, "finder", "me", time.Minute) })
	lost(t, proxy, "lease renewal", func() error { return s.Lease(ctx, task.ID, "finder", "me", time.Minute) })
	var held *state.LeaseHeldError
	require.ErrorAs(t, direct.Lease(ctx, task.ID, "finder", "other", time.Minute), &held)
	lost(t, proxy, "lease release", func() error { return s.ReleaseLease(ctx, task.ID, "finder", "me") })
	require.NoError(t, direct.Lease(ctx, task.ID, "finder", "other", time.Minute), "released")

	lost(t, proxy, "delete", func() error { return s.DeleteTask(ctx, task.ID) })
	_, err = direct.GetTask(ctx, task.ID)
	require.ErrorIs(t, err, state.ErrNotFound)
	require.ErrorIs(t, s.DeleteTask(ctx, task.ID), state.ErrNotFound, "deleted already")
	require.ErrorIs(t, s.SetTaskStatus(ctx, task.ID, nil, state.TaskDraft, ""), state.ErrNotFound)
}

// Two writers race to end the same run, with and without lost responses: exactly one
// succeeds, the other gets state.ErrConflict, and the task holds the winner's end.
func TestTransitionRaceHasOneWinner(t *testing.T) {
	ctx := context.Background()
	lossy, direct, _ := lossyStore(t)
	for _, c := range []struct {
		name    string
		writers [2]*dynamostore.Store
	}{
		{"direct", [2]*dynamostore.Store{direct, direct}},
		{"lossy", [2]*dynamostore.Store{lossy(), lossy()}},
	} {
		t.Run(c.name, func(t *testing.T) {
			id := "t-race-" + c.name
			require.NoError(t, direct.PutTask(ctx, state.Task{ID: id, Type: state.TaskS3, Name: "race", Engine: state.EngineCloud}))
			ends := [2]state.TaskStatus{state.TaskCompleted, state.TaskFailed}
			for round := 0; round < 10; round++ {
				run, err := direct.StartRun(ctx, id)
				require.NoError(t, err)
				var errs [2]error
				var wg sync.WaitGroup
				start := make(chan struct{})
				for i, w := range c.writers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						msg := fmt.Sprintf("writer %d", i)
						if round%2 == 0 {
							errs[i] = w.FinishRun(ctx, id, run.RunID, []state.TaskStatus{state.TaskRunning}, ends[i], msg)
						} else {
							errs[i] = w.SetTaskStatus(ctx, id, []state.TaskStatus{state.TaskRunning}, ends[i], msg)
						}
					}()
				}
				close(start)
				wg.Wait()
				won := -1
				for i, err := range errs {
					if err == nil {
						require.Equal(t, -1, won, "round %d: both writers succeeded", round)
						won = i
						continue
					}
					require.ErrorIs(t, err, state.ErrConflict, "round %d writer %d", round, i)
				}
				require.NotEqual(t, -1, won, "round %d: no writer succeeded: %v", round, errs)
				got, err := direct.GetTask(ctx, id)
				require.NoError(t, err)
				assert.Equal(t, ends[won], got.Status, "round %d", round)
				assert.Equal(t, fmt.Sprintf("writer %d", won), got.LastError, "round %d", round)
			}
		})
	}
}

// An object written on its own (an event's copy) and then sent in a batch whose write
// loses its response: the key keeps one home, the batch does not hold it in flight.
func TestLostResponsesKeepOneHome(t *testing.T) {
	ctx := context.Background()
	s, direct, proxy, task, batch := lossyBatch(t, "t-lossy-home")
	lost(t, proxy, "event copy", func() error {
		return s.PutObjects(ctx, task.ID, []state.Object{{Key: "e/1", Size: 10, Status: state.ItemDone, RunID: task.RunID}})
	})
	lost(t, proxy, "batch", func() error { return s.PutJob(ctx, task.ID, batch) })

	inFlight := func() []string { return inFlightKeys(t, direct, task.ID) }
	assert.Equal(t, []string{"e/0", "e/2"}, inFlight(), "e/1 is done, in its own item")
	counts, err := direct.CountObjects(ctx, task.ID)
	require.NoError(t, err)
	assert.Equal(t, map[state.ItemStatus]int64{state.ItemDone: 1, state.ItemInProgress: 2}, counts)

	for i := range batch {
		batch[i].Status = state.ItemDone
	}
	require.NoError(t, s.PutObjects(ctx, task.ID, batch))
	assert.Empty(t, inFlight())
	counts, err = direct.CountObjects(ctx, task.ID)
	require.NoError(t, err)
	assert.Equal(t, map[state.ItemStatus]int64{state.ItemDone: 3}, counts)
	got, err := direct.GetTask(ctx, task.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(3), got.Counters.DoneObjects)
	assert.Equal(t, int64(30), got.Counters.DoneBytes)
}

// A batch holding a key is sent between an event copy's check for the key's batch and
// its write, and the copy's write loses its response: the resend finds the copy
// written, and the key still leaves the batch.
func TestLostResponsesMoveTheKeyOut(t *testing.T) {
	ctx := context.Background()
	s, direct, proxy, task, batch := lossyBatch(t, "t-lossy-single")
	send := func() { assert.NoError(t, direct.PutJob(ctx, task.ID, batch)) }
	proxy.before.Store(&send)
	lost(t, proxy, "event copy", func() error {
		return s.PutObjects(ctx, task.ID, []state.Object{{Key: "e/1", Size: 10, Status: state.ItemDone, RunID: task.RunID}})
	})
	require.Nil(t, proxy.before.Load(), "the batch was sent")

	assert.Equal(t, []string{"e/0", "e/2"}, inFlightKeys(t, direct, task.ID), "e/1 is done, in its own item")
	counts, err := direct.CountObjects(ctx, task.ID)
	require.NoError(t, err)
	assert.Equal(t, map[state.ItemStatus]int64{state.ItemDone: 1, state.ItemInProgress: 2}, counts)
	got, err := direct.GetTask(ctx, task.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(1), got.Counters.DoneObjects)
}

// lossyBatch opens a lossy store (and a direct one), creates task id with a run, and
// returns the batch of keys e/0, e/1, e/2 in flight in that run, not yet sent.
func lossyBatch(t *testing.T, id string) (s, direct *dynamostore.Store, proxy *dropProxy, task state.Task, batch []state.Object) {
	t.Helper()
	ctx := context.Background()
	lossy, direct, proxy := lossyStore(t)
	s = lossy()
	require.NoError(t, s.PutTask(ctx, state.Task{ID: id, Type: state.TaskS3, Name: "lossy", Engine: state.EngineCloud}))
	task, err := s.StartRun(ctx, id)
	require.NoError(t, err)
	for _, k := range []string{"e/0", "e/1", "e/2"} {
		batch = append(batch, state.Object{Key: k, Size: 10, Status: state.ItemInProgress, RunID: task.RunID})
	}
	return s, direct, proxy, task, batch
}

// inFlightKeys lists the keys of task id in flight (IN_PROGRESS).
func inFlightKeys(t *testing.T, st *dynamostore.Store, id string) []string {
	t.Helper()
	p, err := st.ListObjects(context.Background(), id, state.ListOptions{Status: state.ItemInProgress})
	require.NoError(t, err)
	var keys []string
	for _, o := range p.Items {
		keys = append(keys, o.Key)
	}
	return keys
}
