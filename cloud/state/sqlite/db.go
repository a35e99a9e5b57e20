// Package sqlite is the embedded state store and job queue of local runs: one SQLite
// file (WAL mode) per task holds the task, its object/part/image records and its durable
// queue, so a killed run resumes from the file. The driver is modernc.org/sqlite (pure
// Go), which keeps thub a static binary.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"transferhub/cloud/state"
)

// DB is an open state file. It implements state.Store; Queue returns its queues.
// It is safe for concurrent use by many goroutines, and by several processes (SQLite
// file locking, busy timeout).
type DB struct {
	w    *sql.DB // the single writer connection: SQLite allows one writer at a time
	r    *sql.DB // readers (WAL lets them run beside the writer)
	path string

	mu      sync.Mutex
	waiters map[string]chan struct{} // per queue: closed on Send, wakes local receivers
}

var _ state.Store = (*DB)(nil)

const schemaVersion = 1

const schema = `
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (
	id TEXT PRIMARY KEY,
	type TEXT NOT NULL,
	name TEXT NOT NULL,
	engine TEXT NOT NULL,
	definition BLOB,
	status TEXT NOT NULL,
	run_id TEXT NOT NULL DEFAULT '',
	finder_done INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	stack_id TEXT NOT NULL DEFAULT '',
	stack_outputs TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	started_at INTEGER NOT NULL DEFAULT 0,
	finished_at INTEGER NOT NULL DEFAULT 0,
	found_objects INTEGER NOT NULL DEFAULT 0,
	found_bytes INTEGER NOT NULL DEFAULT 0,
	done_objects INTEGER NOT NULL DEFAULT 0,
	done_bytes INTEGER NOT NULL DEFAULT 0,
	skipped_objects INTEGER NOT NULL DEFAULT 0,
	skipped_bytes INTEGER NOT NULL DEFAULT 0,
	failed_objects INTEGER NOT NULL DEFAULT 0,
	failed_bytes INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS meta (
	task_id TEXT NOT NULL,
	name TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (task_id, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS leases (
	task_id TEXT NOT NULL,
	name TEXT NOT NULL,
	owner TEXT NOT NULL,
	expires_at INTEGER NOT NULL,
	PRIMARY KEY (task_id, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS objects (
	task_id TEXT NOT NULL,
	key TEXT NOT NULL,
	size INTEGER NOT NULL,
	etag TEXT NOT NULL DEFAULT '',
	checksum TEXT NOT NULL DEFAULT '',
	last_modified INTEGER NOT NULL DEFAULT 0,
	status TEXT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	error TEXT NOT NULL DEFAULT '',
	dest_etag TEXT NOT NULL DEFAULT '',
	upload_id TEXT NOT NULL DEFAULT '',
	parts_total INTEGER NOT NULL DEFAULT 0,
	parts_done INTEGER NOT NULL DEFAULT 0,
	run_id TEXT NOT NULL DEFAULT '',
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (task_id, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS objects_by_status ON objects (task_id, status, key);
CREATE TABLE IF NOT EXISTS parts (
	task_id TEXT NOT NULL,
	key TEXT NOT NULL,
	upload_id TEXT NOT NULL,
	number INTEGER NOT NULL,
	size INTEGER NOT NULL,
	etag TEXT NOT NULL,
	checksum TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (task_id, key, upload_id, number)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS images (
	task_id TEXT NOT NULL,
	source TEXT NOT NULL,
	destination TEXT NOT NULL DEFAULT '',
	repository TEXT NOT NULL DEFAULT '',
	tag TEXT NOT NULL DEFAULT '',
	digest TEXT NOT NULL DEFAULT '',
	platforms TEXT NOT NULL DEFAULT '',
	bytes INTEGER NOT NULL DEFAULT 0,
	status TEXT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	error TEXT NOT NULL DEFAULT '',
	duration INTEGER NOT NULL DEFAULT 0,
	run_id TEXT NOT NULL DEFAULT '',
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (task_id, source)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS images_by_status ON images (task_id, status, source);
CREATE TABLE IF NOT EXISTS queue (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	queue TEXT NOT NULL,
	body BLOB NOT NULL,
	visible_at INTEGER NOT NULL,
	receives INTEGER NOT NULL DEFAULT 0,
	receipt TEXT NOT NULL DEFAULT '',
	dead INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS queue_ready ON queue (queue, dead, visible_at, id);
`

// Open opens (creating if needed) the state file at path.
func Open(ctx context.Context, path string) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create state directory %s: %w", dir, err)
		}
	}
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "busy_timeout(30000)")
	q.Set("_txlock", "immediate") // take the write lock at BEGIN: no upgrade deadlocks
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()

	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open state file %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	r, err := sql.Open("sqlite", dsn)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open state file %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	db := &DB{w: w, r: r, path: path, waiters: map[string]chan struct{}{}}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func (db *DB) migrate(ctx context.Context) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, schema); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
		var v int
		err := tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (?)`, schemaVersion)
			return err
		case err != nil:
			return fmt.Errorf("read schema version: %w", err)
		case v > schemaVersion:
			return fmt.Errorf("state file was written by a newer Transfer Hub (schema %d, this build knows %d): upgrade thub", v, schemaVersion)
		}
		return nil
	})
}

// Path returns the file the DB was opened from.
func (db *DB) Path() string { return db.path }

// Close closes the file.
func (db *DB) Close() error {
	return errors.Join(db.r.Close(), db.w.Close())
}

// tx runs fn in a write transaction, committing when it returns nil.
func (db *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction on %s: %w", db.path, err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit on %s: %w", db.path, err)
	}
	return nil
}
