package tasks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"transferhub/cloud/state"
)

// Errors for actions that do not apply to a task in its current state; the message says
// why, for the UI.
var (
	ErrNotFound = errors.New("task not found")
	ErrBusy     = errors.New("task is busy")
)

// Options build a Manager.
type Options struct {
	// Folder holds the tasks' files (required).
	Folder *Folder
	// Runners run the tasks, one for each engine (Runner.Engine); a task of an engine
	// without one is listed but cannot run. Close closes them.
	Runners     []Runner
	Credentials Credentials
	Logger      *slog.Logger
	// DefaultConcurrency is used by dry runs of tasks that set none (the user's setting).
	DefaultConcurrency func() int
	// Observer hears when a task is created, deleted or changed by the Manager (the
	// runners tell it about runs).
	Observer Observer
	// Now is the clock (tests); nil: time.Now.
	Now func() time.Time
}

// Manager is the task model of this app: it creates, validates, lists, clones and
// deletes tasks, keeps their schedules, and hands runs to the runner of each task's
// engine.
type Manager struct {
	engines  // dry runs (Plan) and credential lookups
	folder   *Folder
	runners  map[state.Engine]Runner
	cloud    *CloudRunner // the runner of cloud tasks, when the app has one
	observer Observer
	now      func() time.Time
	bg       sync.WaitGroup // cloud deletes under way

	mu       sync.Mutex
	sched    map[string]cron.EntryID // armed schedules by task id
	profiles map[string]profileInfo  // display names and hosts, briefly cached
	cron     *cron.Cron
	edits    map[string]*EditPlan // previewed edits of cloud tasks, by plan id
	opened   bool
	closed   bool
}

// New builds a manager; Open loads the tasks.
func New(opt Options) *Manager {
	if opt.Folder == nil {
		panic("tasks.New: Options.Folder is required") // a wiring mistake, not a user's
	}
	if opt.Observer == nil {
		opt.Observer = nobody{}
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	runners := map[state.Engine]Runner{}
	for _, r := range opt.Runners {
		runners[r.Engine()] = r
	}
	cloud, _ := runners[state.EngineCloud].(*CloudRunner)
	return &Manager{
		engines: newEngines(opt.Credentials, opt.DefaultConcurrency, opt.Logger),
		folder:  opt.Folder, runners: runners, cloud: cloud, observer: opt.Observer, now: opt.Now,
		sched: map[string]cron.EntryID{}, profiles: map[string]profileInfo{},
		cron: cron.New(cron.WithLocation(time.Local)), edits: map[string]*EditPlan{},
	}
}

// Dir is the folder of the task state files.
func (m *Manager) Dir() string { return m.folder.Dir() }

// once sets flag under m.mu and says whether this call set it.
func (m *Manager) once(flag *bool) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	first := !*flag
	*flag = true
	return first
}

// Open loads every task file in the folder, arms the schedules and lets each task's
// runner pick up what the previous app left (a local run left RUNNING resumes).
func (m *Manager) Open(ctx context.Context) error {
	if !m.once(&m.opened) {
		return nil
	}
	entries, err := m.folder.open(ctx)
	if err != nil {
		return err
	}
	for _, e := range entries {
		t, err := e.record(ctx)
		if err != nil {
			continue // the task's problem shows in its view
		}
		if d, err := DecodeDefinition(t.Definition); err == nil {
			m.mu.Lock()
			m.arm(e, d)
			m.mu.Unlock()
		}
	}
	m.cron.Start()
	for _, e := range entries {
		if e.usable() != nil {
			continue
		}
		r, t, err := m.handle(ctx, e)
		if err == nil {
			err = r.Reopen(ctx, t)
		}
		if err != nil {
			m.log.Warn("reopen task", "task", e.id, "err", err)
		}
	}
	return nil
}

// Close stops the schedules and the runners (a local run stays RUNNING in its file, so
// the next start resumes it), then closes the files. It waits for the runs until ctx ends.
func (m *Manager) Close(ctx context.Context) {
	if !m.once(&m.closed) {
		return
	}
	<-m.cron.Stop().Done()
	for _, r := range m.runners {
		r.Close(ctx)
	}
	done := make(chan struct{})
	go func() { m.bg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	for _, e := range m.folder.close() {
		if t, err := e.record(ctx); err == nil && t.Engine != state.EngineCloud && m.active(e.id) {
			continue // a run that outlasted ctx still uses the file; the process ends it
		}
		e.close()
	}
}

// closing is an error once Close has begun: no new work starts then.
func (m *Manager) closing() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return errors.New("the app is closing")
	}
	return nil
}

// runner returns the runner of an engine (tasks written before engines were recorded
// ran locally).
func (m *Manager) runner(engine state.Engine) (Runner, error) {
	if engine == "" {
		engine = state.EngineLocal
	}
	r, ok := m.runners[engine]
	if !ok {
		return nil, fmt.Errorf("this app cannot run %s tasks", engine)
	}
	return r, nil
}

// handle reads the task of e and returns its runner and what the runner gets of it.
func (m *Manager) handle(ctx context.Context, e *entry) (Runner, Task, error) {
	t, err := e.record(ctx)
	if err != nil {
		return nil, Task{}, err
	}
	r, err := m.runner(t.Engine)
	if err != nil {
		return nil, Task{}, fmt.Errorf("%w: %w", ErrBusy, err)
	}
	return r, e.task(t), nil
}

// active says whether a runner drives a run of the task now.
func (m *Manager) active(id string) bool {
	for _, r := range m.runners {
		if _, ok := r.Progress(id); ok {
			return true
		}
	}
	return false
}

// CreateRequest is what the wizard submits.
type CreateRequest struct {
	Name       string     `json:"name"`
	Definition Definition `json:"definition"`
	// Start the first run right away (a cloud task: once its stack is up).
	Start bool `json:"start"`
	// DeployControlPlane: a cloud task whose account and Region have no control plane
	// yet deploys it first (one click, after its preview).
	DeployControlPlane bool `json:"deployControlPlane"`
}

// Validate checks a task before it is created (see the package function Validate).
func (m *Manager) Validate(ctx context.Context, name string, d Definition) error {
	return Validate(ctx, name, d.normalized(), m.profileLookup(), m.folder.names(ctx, ""))
}

// Create validates and stores a new task (status DRAFT), arms its schedule and, when
// asked, starts its first run.
func (m *Manager) Create(ctx context.Context, req CreateRequest) (View, error) {
	d := req.Definition.normalized()
	name := strings.TrimSpace(req.Name)
	if err := Validate(ctx, name, d, m.profileLookup(), m.folder.names(ctx, "")); err != nil {
		return View{}, err
	}
	return m.create(ctx, name, d, req.Start, req.DeployControlPlane)
}

func (m *Manager) create(ctx context.Context, name string, d Definition, start, controlPlane bool) (View, error) {
	if d.Cloud != nil && m.cloud == nil {
		return View{}, errors.New("this app cannot run cloud tasks")
	}
	raw, err := d.Encode()
	if err != nil {
		return View{}, fmt.Errorf("encode the task definition: %w", err)
	}
	now := m.now().UTC()
	e, err := m.folder.create(ctx, state.Task{ID: newTaskID(d), Type: d.Type(), Name: name,
		Engine: d.Engine(), Definition: raw, Status: state.TaskDraft, CreatedAt: now, UpdatedAt: now})
	if err != nil {
		return View{}, err
	}
	m.mu.Lock()
	m.arm(e, d)
	m.mu.Unlock()
	m.observer.TaskChanged(e.id)
	if d.Cloud != nil {
		t, err := e.record(ctx)
		if err == nil {
			err = m.cloud.Deploy(ctx, e.task(t), DeployOptions{Start: start, ControlPlane: controlPlane})
		}
		if err != nil {
			// The task stays, FAILED with why: it can be deployed again.
			_ = e.db.SetTaskStatus(ctx, e.id, nil, state.TaskFailed, "deploy failed: "+err.Error())
			m.observer.TaskChanged(e.id)
		}
		return m.Get(ctx, e.id)
	}
	if start {
		_ = m.Start(ctx, e.id) // a run that cannot start shows in the task's view
	}
	return m.Get(ctx, e.id)
}

// newTaskID is a new task's id: its kind ("s3", "img") and random hex.
func newTaskID(d Definition) string {
	if d.Type() == state.TaskImage {
		return "img-" + randomHex(6)
	}
	return "s3-" + randomHex(6)
}

// Clone creates a new task (DRAFT) with the definition of id under name ("" = "copy of ...").
func (m *Manager) Clone(ctx context.Context, id, name string) (View, error) {
	e, err := m.folder.get(id)
	if err != nil {
		return View{}, err
	}
	t, err := e.record(ctx)
	if err != nil {
		return View{}, err
	}
	d, err := DecodeDefinition(t.Definition)
	if err != nil {
		return View{}, err
	}
	names := m.folder.names(ctx, "")
	name = strings.TrimSpace(name)
	if name == "" {
		name = "Copy of " + t.Name
		for i := 2; slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, name) }); i++ {
			name = fmt.Sprintf("Copy %d of %s", i, t.Name)
		}
	}
	if err := Validate(ctx, name, d, m.profileLookup(), names); err != nil {
		return View{}, err
	}
	return m.create(ctx, name, d, false, false)
}

// Delete stops the task's schedule, has its runner end its run and clean up, and
// removes its files (a cloud task's stack and table go: DeleteWith keeps its data).
func (m *Manager) Delete(ctx context.Context, id string) error {
	return m.DeleteWith(ctx, id, DeleteOptions{})
}

// DeleteWith deletes a task, keeping what opt says. A cloud task's stack takes minutes
// to go: the task shows DELETING meanwhile and leaves the list when it is gone (FAILED
// with why when it could not be deleted, to be deleted again).
func (m *Manager) DeleteWith(ctx context.Context, id string, opt DeleteOptions) error {
	e, err := m.folder.get(id)
	if err != nil {
		return err
	}
	// A task whose file or record cannot be read has no run to end.
	t, rerr := e.record(ctx)
	if rerr == nil && t.Engine == state.EngineCloud {
		return m.deleteCloud(ctx, e, t, opt)
	}
	m.mu.Lock()
	m.arm(e, Definition{})
	m.mu.Unlock()
	if rerr == nil {
		r, err := m.runner(t.Engine)
		if err != nil {
			return fmt.Errorf("delete %s: %w", id, err)
		}
		if err := r.Delete(ctx, e.task(t), opt); err != nil {
			return err
		}
	}
	if err := m.folder.remove(e); err != nil {
		return err
	}
	m.observer.TaskChanged(id)
	return nil
}

// deleteCloud deletes a cloud task's stack in the background, then its file.
func (m *Manager) deleteCloud(ctx context.Context, e *entry, t state.Task, opt DeleteOptions) error {
	if m.cloud == nil {
		return errors.New("delete: this app cannot run cloud tasks")
	}
	if m.cloud.Busy(e.id) {
		return fmt.Errorf("%w: an operation on the stack of %q is under way; wait for it", ErrBusy, t.Name)
	}
	if err := m.closing(); err != nil {
		return err
	}
	if err := e.db.SetTaskStatus(ctx, e.id, nil, state.TaskDeleting, ""); err != nil {
		return fmt.Errorf("delete %s: %w", e.id, err)
	}
	m.observer.TaskChanged(e.id)
	lg := e.log.Logger(slog.LevelInfo, m.log, e.id)
	lg.Info("deleting the task's stack", "keep_data", opt.KeepData)
	m.bg.Add(1)
	go func() {
		defer m.bg.Done()
		bctx := context.WithoutCancel(ctx)
		if err := m.cloud.Delete(bctx, e.task(t), opt); err != nil {
			lg.Error("the task's stack was not deleted", "err", err.Error())
			_ = e.db.SetTaskStatus(bctx, e.id, nil, state.TaskFailed, "delete failed: "+err.Error()+"; delete it again")
			m.observer.TaskChanged(e.id)
			return
		}
		if err := m.folder.remove(e); err != nil {
			m.log.Warn("remove the task's file", "task", e.id, "err", err)
		}
		m.observer.TaskChanged(e.id)
	}()
	return nil
}

// Start begins a new run of the task.
func (m *Manager) Start(ctx context.Context, id string) error {
	return m.begin(ctx, id, ModeStart)
}

// Resume continues the task's current run where it stopped.
func (m *Manager) Resume(ctx context.Context, id string) error {
	return m.begin(ctx, id, ModeResume)
}

// RetryFailed copies the failed items of the current run again, in the same run: their
// records move from FAILED to DONE (or FAILED with the new error) and so do the counters.
func (m *Manager) RetryFailed(ctx context.Context, id string) error {
	return m.begin(ctx, id, ModeRetry)
}

// begin checks that the run mode applies to the task now and hands it to the runner.
func (m *Manager) begin(ctx context.Context, id string, mode Mode) error {
	e, err := m.folder.get(id)
	if err != nil {
		return err
	}
	if err := e.usable(); err != nil {
		return err
	}
	v := m.view(ctx, e)
	if v.Problem != "" {
		return fmt.Errorf("%w: %s", ErrBusy, v.Problem)
	}
	switch mode {
	case ModeStart, ModeScheduled:
		if !v.CanStart {
			return fmt.Errorf("%w: %q is already running", ErrBusy, v.Name)
		}
	case ModeResume:
		if !v.CanResume {
			return fmt.Errorf("%w: %q has no unfinished run to resume; start a new run instead", ErrBusy, v.Name)
		}
	case ModeRetry:
		if !v.CanRetry {
			return fmt.Errorf("%w: %q has no failed items to retry", ErrBusy, v.Name)
		}
	}
	if err := m.closing(); err != nil {
		return err
	}
	r, t, err := m.handle(ctx, e)
	if err != nil {
		return err
	}
	return r.Run(ctx, t, mode)
}

// Stop asks the task's run to stop; it ends STOPPED and can be resumed.
func (m *Manager) Stop(ctx context.Context, id string) error {
	e, err := m.folder.get(id)
	if err != nil {
		return err
	}
	r, t, err := m.handle(ctx, e)
	if err != nil {
		return err
	}
	return r.Stop(ctx, t)
}

// Store returns the state store of a task (monitor reads: records, counters). A cloud
// task's items are read from its stack's table (each call counted against its call
// budget); what the monitor keeps of its own stays in the task's file.
func (m *Manager) Store(id string) (state.Store, error) {
	e, err := m.folder.get(id)
	if err != nil {
		return nil, err
	}
	if err := e.usable(); err != nil {
		return nil, err
	}
	ctx := context.Background()
	if t, err := e.record(ctx); err == nil && t.Engine == state.EngineCloud && m.cloud != nil {
		return m.cloud.Store(ctx, e.task(t))
	}
	return e.db, nil
}

// Log returns a task's log.
func (m *Manager) Log(id string) (*Log, error) {
	e, err := m.folder.get(id)
	if err != nil {
		return nil, err
	}
	return e.log, nil
}
