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
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	action := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	sum := sha256.Sum256(body)
	if isWrite(action) && resp.StatusCode == http.StatusOK {
		if _, again := p.seen.LoadOrStore(sum, true); !again {
			p.dropped.Add(1)
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
