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

	"transferhub/cloud/state"
	"transferhub/cloud/state/sqlite"
)

// Folder keeps the files of this app's tasks: one SQLite state file (the task's record
// and its runs' items) and one log per task. It knows the tasks' definitions but needs
// no credentials and runs nothing, so the credentials manager can ask it which tasks use
// a profile (InUse) although the Manager is built with the credentials.
type Folder struct {
	dir string
	log *slog.Logger

	mu      sync.Mutex
	entries map[string]*entry
	closed  bool
}

// entry is one task file of the folder.
type entry struct {
	id      string
	path    string
	db      *sqlite.DB // nil when the file could not be opened (problem says why)
	log     *Log
	problem string
	created time.Time
}

const dbExt = ".db"

// NewFolder keeps the tasks of dir; nothing is read before the Manager opens.
func NewFolder(dir string, log *slog.Logger) *Folder {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Folder{dir: dir, log: log, entries: map[string]*entry{}}
}

// Dir is the folder of the task state files.
func (f *Folder) Dir() string { return f.dir }

// open loads every task file in the folder; a file that cannot be used becomes an entry
// with a problem.
func (f *Folder) open(ctx context.Context) ([]*entry, error) {
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return nil, fmt.Errorf("create the task folder %s: %w", f.dir, err)
	}
	files, err := filepath.Glob(filepath.Join(f.dir, "*"+dbExt))
	if err != nil {
		return nil, fmt.Errorf("list task files in %s: %w", f.dir, err)
	}
	var out []*entry
	for _, path := range files {
		e := f.openEntry(ctx, path)
		f.mu.Lock()
		f.entries[e.id] = e
		f.mu.Unlock()
		out = append(out, e)
	}
	return out, nil
}

func (f *Folder) openEntry(ctx context.Context, path string) *entry {
	id := strings.TrimSuffix(filepath.Base(path), dbExt)
	e := &entry{id: id, path: path, log: OpenLog(strings.TrimSuffix(path, dbExt) + ".log")}
	if fi, err := os.Stat(path); err == nil {
		e.created = fi.ModTime()
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		e.problem = fmt.Sprintf("the task file %s cannot be opened: %v", path, err)
		f.log.Warn("task file unusable", "file", path, "err", err)
		return e
	}
	t, err := db.GetTask(ctx, id)
	if err != nil {
		db.Close()
		e.problem = fmt.Sprintf("the task file %s holds no task %s: %v", path, id, err)
		f.log.Warn("task file unusable", "file", path, "err", err)
		return e
	}
	e.db, e.created = db, t.CreatedAt
	return e
}

// create writes a new task file holding t (its ID names the file).
func (f *Folder) create(ctx context.Context, t state.Task) (*entry, error) {
	path := filepath.Join(f.dir, t.ID+dbExt)
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return nil, fmt.Errorf("create the task folder %s: %w", f.dir, err)
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("create the task file: %w", err)
	}
	if err := db.PutTask(ctx, t); err != nil {
		db.Close()
		removeStateFiles(path)
		return nil, fmt.Errorf("store the task: %w", err)
	}
	e := &entry{id: t.ID, path: path, db: db, log: OpenLog(strings.TrimSuffix(path, dbExt) + ".log"), created: t.CreatedAt}
	e.log.Logger(slog.LevelInfo, nil, t.ID).Info("task created", "type", string(t.Type), "name", t.Name)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		e.close()
		return nil, errors.New("the app is closing")
	}
	f.entries[t.ID] = e
	return e, nil
}

// get returns the entry of id.
func (f *Folder) get(id string) (*entry, error) {
	f.mu.Lock()
	e := f.entries[id]
	f.mu.Unlock()
	if e == nil {
		return nil, fmt.Errorf("%w: %s (it may have been deleted)", ErrNotFound, id)
	}
	return e, nil
}

// all returns every entry, in no order.
func (f *Folder) all() []*entry {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]*entry, 0, len(f.entries))
	for _, e := range f.entries {
		out = append(out, e)
	}
	return out
}

// remove forgets the task and deletes its files.
func (f *Folder) remove(e *entry) error {
	f.mu.Lock()
	delete(f.entries, e.id)
	f.mu.Unlock()
	e.close()
	_ = e.log.Remove()
	if err := removeStateFiles(e.path); err != nil {
		return fmt.Errorf("delete the task file: %w", err)
	}
	return nil
}

// close takes no new tasks and returns the entries, for the Manager to close.
func (f *Folder) close() []*entry {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	return f.all()
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

// tasks reads the records of the usable tasks, except the one of skip, newest first.
func (f *Folder) tasks(ctx context.Context, skip string) []state.Task {
	var out []state.Task
	for _, e := range f.all() {
		if e.id == skip || e.db == nil {
			continue
		}
		if t, err := e.db.GetTask(ctx, e.id); err == nil {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b state.Task) int { return newestFirst(a.CreatedAt, b.CreatedAt, a.ID, b.ID) })
	return out
}

// newestFirst orders tasks by creation, newest first, then by id.
func newestFirst(a, b time.Time, idA, idB string) int {
	if c := b.Compare(a); c != 0 {
		return c
	}
	return strings.Compare(idA, idB)
}

// names returns the tasks' names (for uniqueness), except the one of skip.
func (f *Folder) names(ctx context.Context, skip string) []string {
	var out []string
	for _, t := range f.tasks(ctx, skip) {
		out = append(out, t.Name)
	}
	return out
}

// InUse returns the names of the tasks whose definition uses the credential profile
// (credentials.UsageChecker).
func (f *Folder) InUse(ctx context.Context, profileID string) ([]string, error) {
	var out []string
	for _, t := range f.tasks(ctx, "") {
		if d, err := DecodeDefinition(t.Definition); err == nil && slices.Contains(d.Profiles(), profileID) {
			out = append(out, t.Name)
		}
	}
	return out, nil
}

func (e *entry) close() {
	if e.db != nil {
		_ = e.db.Close()
	}
	_ = e.log.Close()
}

// record reads the task's record from its file.
func (e *entry) record(ctx context.Context) (state.Task, error) {
	if err := e.usable(); err != nil {
		return state.Task{}, err
	}
	t, err := e.db.GetTask(ctx, e.id)
	if err != nil {
		return state.Task{}, fmt.Errorf("read task %s: %w", e.id, err)
	}
	return t, nil
}

// task is what a runner gets of the task t of e.
func (e *entry) task(t state.Task) Task {
	return Task{ID: e.id, Name: t.Name, Store: e.db, Log: e.log}
}

func (e *entry) usable() error {
	if e.db == nil {
		return fmt.Errorf("%w: %s", ErrBusy, e.problem)
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
