package tasks

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/backend/cloudaccess"
	"transferhub/backend/credentials"
	"transferhub/cloud/deploy"
	"transferhub/cloud/spec"
	"transferhub/cloud/state"
	"transferhub/cloud/state/dynamostore"
	"transferhub/cloud/state/sqlite"
	"transferhub/cloud/testenv"
)

// cloudFixture is a deployed cloud task as the app keeps it (its file, its stack's table
// in the AWS emulator holding two finished runs) and a cloud runner reaching it.
type cloudFixture struct {
	db       *sqlite.DB
	id       string
	counter  *opCounter
	runner   *CloudRunner
	task     Task
	writer   *dynamostore.Store
	newTable func() string
	fill     func(table string)
	keep     func(table, stackID string)
}

func newCloudFixture(t *testing.T, obs Observer) *cloudFixture {
	ctx := context.Background()
	env := testenv.Load(t)
	env.Require(t, testenv.AWS)
	base := env.AWSConfig(t)
	client := dynamodb.NewFromConfig(base)
	newTable := func() string {
		table := testenv.Name("th-cloudstore")
		require.NoError(t, dynamostore.CreateTable(ctx, client, table))
		t.Cleanup(func() {
			client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)})
		})
		return table
	}
	const id = "s3-cloudstore"
	// The task's records: two runs (the layers a list merges), 3 batches in the last.
	fill := func(table string) {
		w := dynamostore.New(client, table)
		require.NoError(t, w.PutTask(ctx, state.Task{ID: id, Type: state.TaskS3}))
		for run := 0; run < 2; run++ {
			r, err := w.StartRun(ctx, id)
			require.NoError(t, err)
			for b := 0; b < 3; b++ {
				var job, done []state.Object
				for i := 0; i < 20; i++ {
					k := fmt.Sprintf("k/%d%02d", b, i)
					job = append(job, state.Object{Key: k, Size: 1, Status: state.ItemPending})
					done = append(done, state.Object{Key: k, Size: 1, Status: state.ItemDone})
				}
				require.NoError(t, w.PutJob(ctx, id, job))
				require.NoError(t, w.PutObjects(ctx, id, done))
			}
			require.NoError(t, w.FinishRun(ctx, id, r.RunID, []state.TaskStatus{state.TaskRunning}, state.TaskCompleted, ""))
		}
	}
	table := newTable()
	fill(table)

	// The task's file, as the app keeps a deployed cloud task (its stack in the meta).
	creds := newFakeCreds(credentials.Resolved{Profile: credentials.Profile{ID: "aws", Name: "emulator", Kind: credentials.KindAWS,
		Partition: "aws", Region: base.Region}})
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), id+".db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	side := func(bucket string) Location {
		return Location{Side: spec.Side{Kind: spec.KindS3, Bucket: bucket}, ProfileID: "aws"}
	}
	d := Definition{S3: &S3Spec{Source: side("src"), Destination: side("dst")}, Cloud: &CloudOptions{ProfileID: "aws", Region: base.Region}}
	enc, err := d.Encode()
	require.NoError(t, err)
	require.NoError(t, db.PutTask(ctx, state.Task{ID: id, Type: state.TaskS3, Engine: state.EngineCloud, Definition: enc, Status: state.TaskIdle}))
	keep := func(table, stackID string) {
		raw, err := json.Marshal(deploy.TaskStack{TaskID: id, StackID: stackID, Outputs: map[string]string{"TableName": table}})
		require.NoError(t, err)
		require.NoError(t, db.SetMeta(ctx, id, metaStack, string(raw)))
	}
	keep(table, "stack-1")

	counter := &opCounter{}
	access := cloudaccess.New(cloudaccess.Options{Credentials: creds, Config: func(context.Context, string, string) (aws.Config, error) {
		cfg := env.AWSConfig(t)
		counter.install(&cfg)
		return cfg, nil
	}})
	runner := NewCloudRunner(CloudRunnerOptions{Access: access, Credentials: creds, Observer: obs})
	return &cloudFixture{db: db, id: id, counter: counter, runner: runner, task: Task{ID: id, Store: db},
		writer: dynamostore.New(client, table), newTable: newTable, fill: fill, keep: keep}
}

// opCounter counts the AWS calls of the SDK clients it is installed on.
type opCounter struct {
	mu  sync.Mutex
	ops []string
}

// install counts each operation once: before the SDK's retry middleware, so an attempt
// the SDK sends again (a loaded emulator's 5xx or reset) is not a second operation of
// the store (a loaded run once counted one Query twice so).
func (c *opCounter) install(cfg *aws.Config) {
	cfg.APIOptions = append(cfg.APIOptions, func(s *middleware.Stack) error {
		return s.Finalize.Add(middleware.FinalizeMiddlewareFunc("test-count-ops",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				c.mu.Lock()
				c.ops = append(c.ops, awsmiddleware.GetOperationName(ctx))
				c.mu.Unlock()
				return next.HandleFinalize(ctx, in)
			}), middleware.Before)
	})
}

func (c *opCounter) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	ops := c.ops
	c.ops = nil
	return ops
}

// A cloud task's pages read its table through one dynamostore kept per task (it knows
// the task's runs): a page after the first costs the run lookup and the page's own
// queries, not a new listing of the runs; a new stack (table) gets a new store. Against
// the AWS emulator's DynamoDB.
func TestCloudPagesReuseTheTaskStore(t *testing.T) {
	ctx := context.Background()
	f := newCloudFixture(t, nil)
	id, counter, runner, task, newTable, fill, keep := f.id, f.counter, f.runner, f.task, f.newTable, f.fill, f.keep
	page := func(after string) (state.Page[state.Object], []string) {
		t.Helper()
		st, err := runner.Store(ctx, task)
		require.NoError(t, err)
		p, err := st.ListObjects(ctx, id, state.ListOptions{After: after, Limit: 25})
		require.NoError(t, err)
		return p, counter.take()
	}
	p1, first := page("")
	require.Len(t, p1.Items, 25)
	p2, second := page(p1.Next)
	require.Len(t, p2.Items, 25)
	p3, third := page(p2.Next)
	require.Len(t, p3.Items, 10)
	// Every page: the current run (GetItem) and per run its batches and singles (2
	// queries), after a cursor also the batches that span it (1); the first also lists
	// the runs (one query per run and one past the last).
	assert.Len(t, first, 1+3+2*2, "the first page: %v", first)
	assert.Len(t, second, 1+2*3, "a later page lists no runs again: %v", second)
	assert.Len(t, third, 1+2*3, "a later page lists no runs again: %v", third)

	// A new stack (another table): a new store, its first page lists that table's runs.
	other := newTable()
	fill(other)
	keep(other, "stack-2")
	runner.task(id).mu.Lock()
	runner.task(id).ts = nil // the runner's copy of the stack, as an update refreshes it
	runner.task(id).mu.Unlock()
	q1, again := page("")
	require.Len(t, q1.Items, 25)
	assert.Len(t, again, 1+3+4, "the new table's first page: %v", again)
}

// A cloud task's chart samples its runs while they are active and the read that sees
// one end; a finished run's record read again adds no sample (each read grew a flat tail
// and pushed the chart to an open page).
func TestCloudChartSamplesActiveRunsOnly(t *testing.T) {
	ctx := context.Background()
	obs := newRecorder()
	f := newCloudFixture(t, obs)
	refresh := func() {
		t.Helper()
		require.NoError(t, f.runner.Refresh(ctx, f.task, PartRecord, DefaultCallsPerMinute))
	}
	refresh()
	refresh()
	assert.Empty(t, obs.progressOf(f.id), "a finished run")
	r, err := f.writer.StartRun(ctx, f.id)
	require.NoError(t, err)
	refresh()
	refresh()
	require.Len(t, obs.progressOf(f.id), 2, "a running run, read twice")
	require.NoError(t, f.writer.FinishRun(ctx, f.id, r.RunID, []state.TaskStatus{state.TaskRunning}, state.TaskCompleted, ""))
	refresh()
	ps := obs.progressOf(f.id)
	require.Len(t, ps, 3, "the read that sees the run end")
	assert.Equal(t, r.RunID, ps[2].RunID)
	refresh()
	assert.Len(t, obs.progressOf(f.id), 3, "the finished run read again")
}
