package tasks

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"transferhub/backend/callbudget"
	"transferhub/backend/cloudaccess"
	"transferhub/backend/stackop"
	"transferhub/cloud/deploy"
	"transferhub/cloud/state"
	"transferhub/cloud/state/dynamostore"
)

// CloudRunnerOptions build a CloudRunner.
type CloudRunnerOptions struct {
	// Access reaches the AWS accounts of the app's profiles (and carries the agents).
	Access *cloudaccess.Access
	// Credentials resolve the profiles of a task's far sides when it is deployed.
	Credentials Credentials
	// Observer hears about deploys, runs and the figures read from the stacks.
	Observer Observer
	Logger   *slog.Logger
	// Now is the clock of budgets and snapshots (tests); nil: time.Now.
	Now func() time.Time
	// CallsPerMinute caps the AWS calls made for one task's live figures (default 30);
	// the monitor asks for less when nothing shows them (Refresh's limit).
	CallsPerMinute int
}

// DefaultCallsPerMinute is what a task page may cost: at most 30 AWS calls a minute.
const DefaultCallsPerMinute = 30

// CloudRunner runs cloud tasks (state.EngineCloud): each has a stack in an AWS account
// (cloud/deploy), made when the task is created, which runs it on EC2 workers and
// Fargate (S3) or a state machine (images) and keeps its records in the stack's
// DynamoDB table. The runner deploys, updates and deletes the stack, starts and stops
// runs through it, re-enqueues failed objects, and reads the task's record, queues,
// fleet, logs and stack events when the monitor asks (Refresh), within a call budget.
// Nothing it does needs the app to stay open: the stack runs on its own.
type CloudRunner struct {
	access   *cloudaccess.Access
	creds    Credentials
	observer Observer
	log      *slog.Logger
	now      func() time.Time
	limit    int

	base     context.Context // parent of background operations; Close cancels it
	shutdown context.CancelFunc
	wg       sync.WaitGroup

	mu     sync.Mutex
	tasks  map[string]*cloudTask
	closed bool
}

// cloudTask is what the runner knows of one cloud task.
type cloudTask struct {
	id     string
	budget *callbudget.Budget

	mu sync.Mutex
	// ts is the task's stack (outputs, parameters), read when needed and kept.
	ts   *deploy.TaskStack
	tsAt time.Time
	// rec is the task's record in its stack's table as last read.
	rec    *state.Task
	recAt  time.Time
	recErr string
	panels CloudPanels
	// op is the operation under way on the task's stack (deploy, update, delete),
	// or the last one.
	op       *stackop.Tracker
	busy     bool // an operation is under way
	readOnce bool // the record was read at least once since the app started
	// runAsks counts the runs asked for from this app; recAsks is the count when the
	// record as last read was asked for (fewer: its run may be another now).
	runAsks, recAsks int
	// store reads the task's table (kept: it remembers the task's runs, which every
	// list would read again); built for storeKey.
	store    *dynamostore.Store
	storeKey storeKey
}

// storeKey is what a task's dynamostore is built for: the account's client (rebuilt
// when its credentials are) and the stack's table.
type storeKey struct {
	api   dynamostore.API
	table string
	stack string
}

// NewCloudRunner builds the cloud runner.
func NewCloudRunner(opt CloudRunnerOptions) *CloudRunner {
	if opt.Observer == nil {
		opt.Observer = nobody{}
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	base, cancel := context.WithCancel(context.Background())
	return &CloudRunner{access: opt.Access, creds: opt.Credentials, observer: opt.Observer, log: opt.Logger, now: opt.Now,
		limit: cmp.Or(opt.CallsPerMinute, DefaultCallsPerMinute), base: base, shutdown: cancel, tasks: map[string]*cloudTask{}}
}

// Engine implements Runner.
func (r *CloudRunner) Engine() state.Engine { return state.EngineCloud }

// task returns the runner's state of a task, made on first use.
func (r *CloudRunner) task(id string) *cloudTask {
	r.mu.Lock()
	defer r.mu.Unlock()
	ct := r.tasks[id]
	if ct == nil {
		ct = &cloudTask{id: id, budget: callbudget.New(r.limit, r.now)}
		r.tasks[id] = ct
	}
	return ct
}

// Budget is the call budget of a task's live figures (tests count against it).
func (r *CloudRunner) Budget(id string) *callbudget.Budget { return r.task(id).budget }

// --- what a cloud task's file keeps --------------------------------------------------

// metaStack is the meta entry of a task's file holding its stack's outputs and
// parameters as the last deploy left them, so that reading its figures needs no
// look at the stack first.
const metaStack = "cloud-stack"

// placementOf reads a cloud task's definition and where its stack is.
func (r *CloudRunner) placementOf(ctx context.Context, t Task) (state.Task, Definition, Placement, error) {
	rec, err := t.Store.GetTask(ctx, t.ID)
	if err != nil {
		return rec, Definition{}, Placement{}, fmt.Errorf("read task %s: %w", t.ID, err)
	}
	d, err := DecodeDefinition(rec.Definition)
	if err != nil {
		return rec, d, Placement{}, err
	}
	if d.Cloud == nil {
		return rec, d, Placement{}, fmt.Errorf("task %s is not a cloud task", t.ID)
	}
	region := d.Cloud.Region
	if region == "" && r.creds != nil {
		if p, err := r.creds.Get(ctx, d.Cloud.ProfileID); err == nil {
			region = p.Region
		}
	}
	return rec, d, d.Cloud.placement(region), nil
}

// account reaches a placement's account.
func (r *CloudRunner) account(ctx context.Context, p Placement) (*cloudaccess.Account, error) {
	if r.access == nil {
		return nil, errors.New("this app cannot reach AWS accounts")
	}
	return r.access.Account(ctx, p.ProfileID, p.Region)
}

// stackOf returns the task's stack: the runner's copy while fresh (10 minutes), else
// the one the task's file keeps when it names a table (fresh enough to read the
// record), else read from CloudFormation (three calls).
func (r *CloudRunner) stackOf(ctx context.Context, t Task, p Placement, fresh bool) (deploy.TaskStack, error) {
	ct := r.task(t.ID)
	ct.mu.Lock()
	if ct.ts != nil && (!fresh || r.now().Sub(ct.tsAt) < 10*time.Minute) {
		ts := *ct.ts
		ct.mu.Unlock()
		return ts, nil
	}
	ct.mu.Unlock()
	if !fresh {
		if raw, err := t.Store.GetMeta(ctx, t.ID, metaStack); err == nil && raw != "" {
			var ts deploy.TaskStack
			if json.Unmarshal([]byte(raw), &ts) == nil && ts.Table() != "" {
				return ts, nil
			}
		}
	}
	acct, err := r.account(ctx, p)
	if err != nil {
		return deploy.TaskStack{}, err
	}
	ts, err := acct.Deployer.TaskStack(ctx, p.ControlPlane, t.ID)
	if err != nil {
		return ts, err
	}
	r.keepStack(ctx, t, ts)
	return ts, nil
}

// keepStack remembers a task's stack, in the runner and in the task's file.
func (r *CloudRunner) keepStack(ctx context.Context, t Task, ts deploy.TaskStack) {
	ct := r.task(t.ID)
	ct.mu.Lock()
	ct.ts, ct.tsAt = &ts, r.now()
	ct.mu.Unlock()
	if b, err := json.Marshal(ts); err == nil {
		if err := t.Store.SetMeta(ctx, t.ID, metaStack, string(b)); err != nil {
			r.log.Warn("keep the task's stack in its file", "task", t.ID, "err", err)
		}
	}
}

// remoteStore is the task's table (dynamostore), its calls counted against the task's
// budget.
func (r *CloudRunner) remoteStore(ctx context.Context, t Task, p Placement) (state.Store, error) {
	ts, err := r.stackOf(ctx, t, p, false)
	if err != nil {
		return nil, err
	}
	acct, err := r.account(ctx, p)
	if err != nil {
		return nil, err
	}
	ct := r.task(t.ID)
	k := storeKey{api: acct.DynamoDB, table: ts.Table(), stack: ts.StackID}
	ct.mu.Lock()
	if ct.store == nil || ct.storeKey != k {
		ct.store, ct.storeKey = dynamostore.New(acct.DynamoDB, ts.Table()), k
	}
	st := ct.store
	ct.mu.Unlock()
	return budgeted{Store: st, b: ct.budget, known: func() (string, bool) { return ct.finishedRun(r.now()) }}, nil
}

// knownRunFresh is how old a read of a task's record may be for its finished run to
// stand in for reading it again (an open page reads it every 6 s).
const knownRunFresh = 30 * time.Second

// finishedRun returns the task's run when its record, read at most knownRunFresh ago,
// says the run has finished and no run was asked for since: a page's reads then need not
// read the record again for the run (a GetItem each). Only the run is taken from it,
// never a count or a status; a run started elsewhere meanwhile (a schedule, another
// computer) is seen by the next read of the record, which signals the change.
func (ct *cloudTask) finishedRun(now time.Time) (string, bool) {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	rec := ct.rec
	if rec == nil || rec.RunID == "" || ct.recAsks != ct.runAsks || now.Sub(ct.recAt) > knownRunFresh {
		return "", false
	}
	switch rec.Status {
	case state.TaskCompleted, state.TaskFailed, state.TaskStopped, state.TaskIdle:
		return rec.RunID, true
	}
	return "", false
}

// budgeted counts a store's calls against a budget (calls a person asked for: never
// refused); known gives the task's finished run, which its reads need not look up.
type budgeted struct {
	state.Store
	b     *callbudget.Budget
	known func() (string, bool)
}

func (s budgeted) ctx(ctx context.Context) context.Context { return callbudget.With(ctx, s.b) }

// readCtx is ctx for a read of the task's object records.
func (s budgeted) readCtx(ctx context.Context, id string) context.Context {
	ctx = s.ctx(ctx)
	if s.known != nil {
		if run, ok := s.known(); ok {
			ctx = dynamostore.KnownRun(ctx, id, run)
		}
	}
	return ctx
}

func (s budgeted) GetTask(ctx context.Context, id string) (state.Task, error) {
	return s.Store.GetTask(s.ctx(ctx), id)
}
func (s budgeted) ListObjects(ctx context.Context, id string, o state.ListOptions) (state.Page[state.Object], error) {
	return s.Store.ListObjects(s.readCtx(ctx, id), id, o)
}
func (s budgeted) ListImages(ctx context.Context, id string, o state.ListOptions) (state.Page[state.Image], error) {
	return s.Store.ListImages(s.ctx(ctx), id, o)
}
func (s budgeted) GetObject(ctx context.Context, id, key string) (state.Object, error) {
	return s.Store.GetObject(s.readCtx(ctx, id), id, key)
}
func (s budgeted) CountObjects(ctx context.Context, id string) (map[state.ItemStatus]int64, error) {
	return s.Store.CountObjects(s.readCtx(ctx, id), id)
}

// Store is what the monitor reads a cloud task's items from: its table (each call
// counted against the task's budget), with the monitor's own notes (throughput
// samples) kept in the task's file on this computer.
func (r *CloudRunner) Store(ctx context.Context, t Task) (state.Store, error) {
	_, _, p, err := r.placementOf(ctx, t)
	if err != nil {
		return nil, err
	}
	remote, err := r.remoteStore(ctx, t, p)
	if err != nil {
		return nil, err
	}
	return splitStore{Store: remote, local: t.Store}, nil
}

// splitStore reads items from a cloud task's table and keeps meta in its file.
type splitStore struct {
	state.Store
	local state.Store
}

func (s splitStore) SetMeta(ctx context.Context, id, name, value string) error {
	return s.local.SetMeta(ctx, id, name, value)
}
func (s splitStore) GetMeta(ctx context.Context, id, name string) (string, error) {
	return s.local.GetMeta(ctx, id, name)
}
func (s splitStore) Close() error { return nil }

// --- Runner --------------------------------------------------------------------------

// Reopen implements Runner: a deploy or delete the previous app was following goes on
// in CloudFormation; its end is picked up again.
func (r *CloudRunner) Reopen(ctx context.Context, t Task) error {
	rec, err := t.Store.GetTask(ctx, t.ID)
	if err != nil {
		return fmt.Errorf("read task %s: %w", t.ID, err)
	}
	switch rec.Status {
	case state.TaskDeploying:
		return r.watchDeploy(t)
	case state.TaskDeleting:
		return t.Store.SetTaskStatus(ctx, t.ID, []state.TaskStatus{state.TaskDeleting}, state.TaskFailed,
			"the app was closed while the task was being deleted: delete it again")
	}
	return nil
}

// Progress implements Runner: a cloud task's run is active while its record says
// RUNNING (as last read).
func (r *CloudRunner) Progress(id string) (Progress, bool) {
	ct := r.task(id)
	ct.mu.Lock()
	defer ct.mu.Unlock()
	if ct.rec == nil || ct.rec.Status != state.TaskRunning {
		return Progress{}, false
	}
	return progressOf(*ct.rec, ct.recAt), true
}

func progressOf(rec state.Task, at time.Time) Progress {
	return Progress{At: at, RunID: rec.RunID, Counters: rec.Counters, BytesMoved: rec.Counters.DoneBytes, FinderDone: rec.FinderDone}
}

// Close implements Runner: background operations stop following their stacks (the
// stacks go on; the next start picks them up) and Close waits for them until ctx ends.
func (r *CloudRunner) Close(ctx context.Context) {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.shutdown()
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		r.log.Warn("closing while cloud operations are still stopping")
	}
}

// background runs fn for the task as its operation; false when one is under way or
// the app is closing.
func (r *CloudRunner) background(id string, fn func(ctx context.Context)) bool {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return false
	}
	r.mu.Unlock()
	ct := r.task(id)
	ct.mu.Lock()
	if ct.busy {
		ct.mu.Unlock()
		return false
	}
	ct.busy = true
	ct.mu.Unlock()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer func() {
			ct.mu.Lock()
			ct.busy = false
			ct.mu.Unlock()
			r.observer.TaskChanged(id)
		}()
		fn(r.base)
	}()
	return true
}

// Busy tells whether an operation (deploy, update, delete) is under way on the task.
func (r *CloudRunner) Busy(id string) bool {
	ct := r.task(id)
	ct.mu.Lock()
	defer ct.mu.Unlock()
	return ct.busy
}
