package tasks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"transferhub/cloud/state"
	"transferhub/cloud/state/sqlite"
)

// Errors for actions that do not apply to a task in its current state; the message says
// why, for the UI.
var (
	ErrNotFound = errors.New("task not found")
	ErrBusy     = errors.New("task is busy")
)

// Progress is a live snapshot of a running task.
type Progress struct {
	At       time.Time      `json:"at"`
	RunID    string         `json:"runId"`
	Counters state.Counters `json:"counters"`
	// BytesMoved is what the run has sent so far (images: also bytes of images still in
	// flight), the basis of throughput.
	BytesMoved int64 `json:"bytesMoved"`
	FinderDone bool  `json:"finderDone"`
}

// Observer hears about task changes; the monitor pushes them to the UI.
type Observer interface {
	// TaskChanged: the task's status, definition or existence changed.
	TaskChanged(id string)
	// TaskProgress: every second while a run is active in this app.
	TaskProgress(id string, p Progress)
}

// Options build a Manager.
type Options struct {
	// Dir holds one state file (and log) per task.
	Dir         string
	Credentials Credentials
	Logger      *slog.Logger
	// DefaultConcurrency is used by tasks that set none (the user's setting).
	DefaultConcurrency func() int
	Observer           Observer
	// Now is the clock (tests); nil: time.Now.
	Now func() time.Time
}

// Manager owns the local tasks of this app: their state files, runs and schedules.
type Manager struct {
	dir      string
	creds    Credentials
	log      *slog.Logger
	defConc  func() int
	observer Observer
	now      func() time.Time
	owner    string // lease owner: this app instance

	base     context.Context // parent of every run; canceled with errShutdown by Close
	shutdown context.CancelCauseFunc

	mu       sync.Mutex
	tasks    map[string]*entry
	profiles map[string]profileInfo // display names and hosts, briefly cached
	cron     *cron.Cron
	opened   bool
	closed   bool
	runs     sync.WaitGroup
}

// entry is one task known to the manager.
type entry struct {
	id      string
	path    string
	db      *sqlite.DB // nil when the file could not be opened (problem says why)
	log     *Log
	problem string
	run     *run // the active run in this app, nil when none
	sched   cron.EntryID
	created time.Time
}

// New builds a manager; Open loads the tasks.
func New(opt Options) *Manager {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.DefaultConcurrency == nil {
		opt.DefaultConcurrency = func() int { return 16 }
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	base, cancel := context.WithCancelCause(context.Background())
	return &Manager{
		dir: opt.Dir, creds: opt.Credentials, log: opt.Logger, defConc: opt.DefaultConcurrency,
		observer: opt.Observer, now: opt.Now, owner: fmt.Sprintf("app-%d-%s", os.Getpid(), randomHex(4)),
		base: base, shutdown: cancel, tasks: map[string]*entry{}, profiles: map[string]profileInfo{},
		cron: cron.New(cron.WithLocation(time.Local)),
	}
}

// SetObserver sets the observer (before Open).
func (m *Manager) SetObserver(o Observer) { m.observer = o }

// Dir is the folder of the task state files.
func (m *Manager) Dir() string { return m.dir }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

const dbExt = ".db"

// Open loads every task file in the folder, resumes the runs an earlier app left RUNNING
// (it was closed or killed mid-run) and arms the schedules.
func (m *Manager) Open(ctx context.Context) error {
	m.mu.Lock()
	if m.opened {
		m.mu.Unlock()
		return nil
	}
	m.opened = true
	m.mu.Unlock()
	if err := os.MkdirAll(m.dir, 0o700); err != nil {
		return fmt.Errorf("create the task folder %s: %w", m.dir, err)
	}
	files, err := filepath.Glob(filepath.Join(m.dir, "*"+dbExt))
	if err != nil {
		return fmt.Errorf("list task files in %s: %w", m.dir, err)
	}
	var resume []string
	for _, path := range files {
		e := m.openEntry(ctx, path)
		m.mu.Lock()
		m.tasks[e.id] = e
		m.mu.Unlock()
		if e.db == nil {
			continue
		}
		t, err := e.db.GetTask(ctx, e.id)
		if err != nil {
			continue
		}
		switch t.Status {
		case state.TaskRunning:
			resume = append(resume, e.id)
		case state.TaskStopping:
			// The app closed while the run was stopping: it is stopped.
			_ = e.db.SetTaskStatus(ctx, e.id, []state.TaskStatus{state.TaskStopping}, state.TaskStopped, "")
		}
		if d, err := DecodeDefinition(t.Definition); err == nil {
			m.arm(e, d.Schedule)
		}
	}
	m.cron.Start()
	for _, id := range resume {
		m.mu.Lock()
		e := m.tasks[id]
		e.log.Logger(slog.LevelInfo, nil, id).Info("the app was closed during a run: resuming it")
		m.launch(e, modeAuto)
		m.mu.Unlock()
	}
	return nil
}

// openEntry opens one task file; a file that cannot be used becomes an entry with a problem.
func (m *Manager) openEntry(ctx context.Context, path string) *entry {
	id := strings.TrimSuffix(filepath.Base(path), dbExt)
	e := &entry{id: id, path: path, log: OpenLog(strings.TrimSuffix(path, dbExt) + ".log")}
	if fi, err := os.Stat(path); err == nil {
		e.created = fi.ModTime()
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		e.problem = fmt.Sprintf("the task file %s cannot be opened: %v", path, err)
		m.log.Warn("task file unusable", "file", path, "err", err)
		return e
	}
	t, err := db.GetTask(ctx, id)
	if err != nil {
		db.Close()
		e.problem = fmt.Sprintf("the task file %s holds no task %s: %v", path, id, err)
		m.log.Warn("task file unusable", "file", path, "err", err)
		return e
	}
	e.db, e.created = db, t.CreatedAt
	return e
}

// Close stops the schedules and every run (runs stay RUNNING in their files, so the next
// start resumes them), then closes the files. It waits for the runs until ctx ends.
func (m *Manager) Close(ctx context.Context) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	m.mu.Unlock()
	<-m.cron.Stop().Done()
	m.shutdown(errShutdown)
	done := make(chan struct{})
	go func() { m.runs.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		m.log.Warn("closing while task runs are still stopping")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.tasks {
		if e.run == nil {
			e.close()
		}
	}
}

func (e *entry) close() {
	if e.db != nil {
		_ = e.db.Close()
	}
	_ = e.log.Close()
}

// get returns the entry of id.
func (m *Manager) get(id string) (*entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.tasks[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s (it may have been deleted)", ErrNotFound, id)
	}
	return e, nil
}

func (e *entry) usable() error {
	if e.db == nil {
		return fmt.Errorf("%w: %s", ErrBusy, e.problem)
	}
	return nil
}

// CreateRequest is what the wizard submits.
type CreateRequest struct {
	Name       string     `json:"name"`
	Definition Definition `json:"definition"`
	// Start the first run right away.
	Start bool `json:"start"`
}

// names returns the other tasks' names (for uniqueness), except the one of skip.
func (m *Manager) names(ctx context.Context, skip string) []string {
	m.mu.Lock()
	es := make([]*entry, 0, len(m.tasks))
	for _, e := range m.tasks {
		if e.id != skip && e.db != nil {
			es = append(es, e)
		}
	}
	m.mu.Unlock()
	var out []string
	for _, e := range es {
		if t, err := e.db.GetTask(ctx, e.id); err == nil {
			out = append(out, t.Name)
		}
	}
	return out
}

func (m *Manager) profileLookup() ProfileLookup {
	if m.creds == nil {
		return nil
	}
	return m.creds.Get
}

// Validate checks a task before it is created (see the package function Validate).
func (m *Manager) Validate(ctx context.Context, name string, d Definition) error {
	return Validate(ctx, name, d.normalized(), m.profileLookup(), m.names(ctx, ""))
}

// Create validates and stores a new task (status DRAFT), arms its schedule and, when
// asked, starts its first run.
func (m *Manager) Create(ctx context.Context, req CreateRequest) (View, error) {
	d := req.Definition.normalized()
	name := strings.TrimSpace(req.Name)
	if err := Validate(ctx, name, d, m.profileLookup(), m.names(ctx, "")); err != nil {
		return View{}, err
	}
	return m.create(ctx, name, d, req.Start)
}

func (m *Manager) create(ctx context.Context, name string, d Definition, start bool) (View, error) {
	raw, err := d.Encode()
	if err != nil {
		return View{}, fmt.Errorf("encode the task definition: %w", err)
	}
	prefix := "s3"
	if d.Type() == state.TaskImage {
		prefix = "img"
	}
	id := prefix + "-" + randomHex(6)
	path := filepath.Join(m.dir, id+dbExt)
	if err := os.MkdirAll(m.dir, 0o700); err != nil {
		return View{}, fmt.Errorf("create the task folder %s: %w", m.dir, err)
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return View{}, fmt.Errorf("create the task file: %w", err)
	}
	now := m.now().UTC()
	t := state.Task{ID: id, Type: d.Type(), Name: name, Engine: state.EngineLocal, Definition: raw,
		Status: state.TaskDraft, CreatedAt: now, UpdatedAt: now}
	if err := db.PutTask(ctx, t); err != nil {
		db.Close()
		removeStateFiles(path)
		return View{}, fmt.Errorf("store the task: %w", err)
	}
	e := &entry{id: id, path: path, db: db, log: OpenLog(strings.TrimSuffix(path, dbExt) + ".log"), created: now}
	e.log.Logger(slog.LevelInfo, nil, id).Info("task created", "type", string(t.Type), "name", name)
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		e.close()
		return View{}, errors.New("the app is closing")
	}
	m.tasks[id] = e
	m.arm(e, d.Schedule)
	m.mu.Unlock()
	m.changed(id)
	if start {
		if err := m.Start(ctx, id); err != nil {
			return m.Get(ctx, id)
		}
	}
	return m.Get(ctx, id)
}

// Clone creates a new task (DRAFT) with the definition of id under name ("" = "copy of ...").
func (m *Manager) Clone(ctx context.Context, id, name string) (View, error) {
	e, err := m.get(id)
	if err != nil {
		return View{}, err
	}
	if err := e.usable(); err != nil {
		return View{}, err
	}
	t, err := e.db.GetTask(ctx, id)
	if err != nil {
		return View{}, fmt.Errorf("read task %s: %w", id, err)
	}
	d, err := DecodeDefinition(t.Definition)
	if err != nil {
		return View{}, err
	}
	names := m.names(ctx, "")
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
	return m.create(ctx, name, d, false)
}

// Delete stops the task's run and schedule and removes its files.
func (m *Manager) Delete(ctx context.Context, id string) error {
	e, err := m.get(id)
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.cron.Remove(e.sched)
	r := e.run
	if r != nil {
		r.stopping.Store(true)
		r.cancel(errDeleted)
	}
	m.mu.Unlock()
	if r != nil {
		select {
		case <-r.done:
		case <-ctx.Done():
			return fmt.Errorf("delete %s: the run did not stop in time; try again", id)
		}
	}
	m.mu.Lock()
	delete(m.tasks, id)
	m.mu.Unlock()
	e.close()
	_ = e.log.Remove()
	if err := removeStateFiles(e.path); err != nil {
		return fmt.Errorf("delete the task file: %w", err)
	}
	m.changed(id)
	return nil
}

func removeStateFiles(path string) error {
	var first error
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) && first == nil {
			first = err
		}
	}
	return first
}

// Store returns the state store of a task (monitor reads: records, counters).
func (m *Manager) Store(id string) (state.Store, error) {
	e, err := m.get(id)
	if err != nil {
		return nil, err
	}
	if err := e.usable(); err != nil {
		return nil, err
	}
	return e.db, nil
}

// Log returns a task's log.
func (m *Manager) Log(id string) (*Log, error) {
	e, err := m.get(id)
	if err != nil {
		return nil, err
	}
	return e.log, nil
}

// InUse returns the names of the tasks whose definition uses the credential profile.
func (m *Manager) InUse(ctx context.Context, profileID string) ([]string, error) {
	views, err := m.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, v := range views {
		if slices.Contains(v.Spec.Profiles(), profileID) {
			out = append(out, v.Name)
		}
	}
	return out, nil
}

func (m *Manager) changed(id string) {
	if m.observer != nil {
		m.observer.TaskChanged(id)
	}
}
