package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"transferhub/cloud/state"
)

const taskColumns = `id, type, name, engine, definition, status, run_id, finder_done, last_error,
	stack_id, stack_outputs, created_at, updated_at, started_at, finished_at,
	found_objects, found_bytes, done_objects, done_bytes, skipped_objects, skipped_bytes,
	failed_objects, failed_bytes`

type scanner interface{ Scan(dest ...any) error }

func scanTask(s scanner) (state.Task, error) {
	var (
		t                                   state.Task
		finderDone                          int
		outputs                             string
		created, updated, started, finished int64
		definition                          []byte
	)
	c := &t.Counters
	err := s.Scan(&t.ID, &t.Type, &t.Name, &t.Engine, &definition, &t.Status, &t.RunID, &finderDone,
		&t.LastError, &t.StackID, &outputs, &created, &updated, &started, &finished,
		&c.FoundObjects, &c.FoundBytes, &c.DoneObjects, &c.DoneBytes, &c.SkippedObjects,
		&c.SkippedBytes, &c.FailedObjects, &c.FailedBytes)
	if err != nil {
		return t, err
	}
	if len(definition) > 0 {
		t.Definition = json.RawMessage(definition)
	}
	t.FinderDone = finderDone != 0
	if outputs != "" {
		if err := json.Unmarshal([]byte(outputs), &t.StackOutputs); err != nil {
			return t, fmt.Errorf("decode stack outputs of task %s: %w", t.ID, err)
		}
	}
	t.CreatedAt, t.UpdatedAt = state.FromUnixNanos(created), state.FromUnixNanos(updated)
	t.StartedAt, t.FinishedAt = state.FromUnixNanos(started), state.FromUnixNanos(finished)
	return t, nil
}

// PutTask implements state.Store.
func (db *DB) PutTask(ctx context.Context, t state.Task) error {
	if t.ID == "" {
		return errors.New("put task: empty task id")
	}
	now := time.Now()
	if t.CreatedAt.IsZero() {
		t.CreatedAt = now
	}
	if t.Status == "" {
		t.Status = state.TaskDraft
	}
	var outputs string
	if len(t.StackOutputs) > 0 {
		b, err := json.Marshal(t.StackOutputs)
		if err != nil {
			return fmt.Errorf("encode stack outputs of task %s: %w", t.ID, err)
		}
		outputs = string(b)
	}
	_, err := db.w.ExecContext(ctx, `INSERT INTO tasks (id, type, name, engine, definition, status,
		stack_id, stack_outputs, created_at, updated_at, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET type = excluded.type, name = excluded.name,
			engine = excluded.engine, definition = excluded.definition, stack_id = excluded.stack_id,
			stack_outputs = excluded.stack_outputs, updated_at = excluded.updated_at`,
		t.ID, t.Type, t.Name, t.Engine, []byte(t.Definition), t.Status, t.StackID, outputs,
		state.UnixNanos(t.CreatedAt), state.UnixNanos(now), t.LastError)
	if err != nil {
		return fmt.Errorf("put task %s: %w", t.ID, err)
	}
	return nil
}

// GetTask implements state.Store.
func (db *DB) GetTask(ctx context.Context, id string) (state.Task, error) {
	t, err := scanTask(db.r.QueryRowContext(ctx, `SELECT `+taskColumns+` FROM tasks WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("get task %s: %w", id, state.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("get task %s: %w", id, err)
	}
	return t, nil
}

// ListTasks implements state.Store: newest first.
func (db *DB) ListTasks(ctx context.Context) ([]state.Task, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+taskColumns+` FROM tasks ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	defer rows.Close()
	var out []state.Task
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, fmt.Errorf("list tasks: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	return out, nil
}

// DeleteTask implements state.Store: the task and every record and message of it.
func (db *DB) DeleteTask(ctx context.Context, id string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM tasks WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("delete task %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("delete task %s: %w", id, state.ErrNotFound)
		}
		for _, table := range []string{"meta", "leases", "objects", "parts", "images"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE task_id = ?`, id); err != nil {
				return fmt.Errorf("delete %s of task %s: %w", table, id, err)
			}
		}
		return nil
	})
}

// SetTaskStatus implements state.Store.
func (db *DB) SetTaskStatus(ctx context.Context, id string, from []state.TaskStatus, to state.TaskStatus, lastError string) error {
	return db.setStatus(ctx, id, "", from, to, lastError)
}

// FinishRun implements state.Store.
func (db *DB) FinishRun(ctx context.Context, id, runID string, from []state.TaskStatus, to state.TaskStatus, lastError string) error {
	return db.setStatus(ctx, id, runID, from, to, lastError)
}

// setStatus sets the status when it is one of from (any when empty) and, unless runID is
// empty, runID is the current run.
func (db *DB) setStatus(ctx context.Context, id, runID string, from []state.TaskStatus, to state.TaskStatus, lastError string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		var cur state.TaskStatus
		var curRun string
		err := tx.QueryRowContext(ctx, `SELECT status, run_id FROM tasks WHERE id = ?`, id).Scan(&cur, &curRun)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("set status of task %s: %w", id, state.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("set status of task %s: %w", id, err)
		}
		if len(from) > 0 && !slices.Contains(from, cur) {
			return fmt.Errorf("set status of task %s to %s: it is %s: %w", id, to, cur, state.ErrConflict)
		}
		if runID != "" && curRun != runID {
			return fmt.Errorf("set status of task %s to %s: run %s ended, %s is current: %w", id, to, runID, curRun, state.ErrConflict)
		}
		now := time.Now()
		finished := int64(0)
		if to.EndsRun() {
			finished = state.UnixNanos(now)
		}
		_, err = tx.ExecContext(ctx, `UPDATE tasks SET status = ?, last_error = ?, updated_at = ?,
			finished_at = CASE WHEN ? > 0 THEN ? ELSE finished_at END WHERE id = ?`,
			to, lastError, state.UnixNanos(now), finished, finished, id)
		if err != nil {
			return fmt.Errorf("set status of task %s: %w", id, err)
		}
		return nil
	})
}

// StartRun implements state.Store.
func (db *DB) StartRun(ctx context.Context, id string, opts ...state.StartOption) (state.Task, error) {
	var t state.Task
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var cur state.TaskStatus
		err := tx.QueryRowContext(ctx, `SELECT status FROM tasks WHERE id = ?`, id).Scan(&cur)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("start run of task %s: %w", id, state.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("start run of task %s: %w", id, err)
		}
		if cur == state.TaskRunning || cur == state.TaskStopping {
			return fmt.Errorf("start run of task %s: it is %s: %w", id, cur, state.ErrConflict)
		}
		if cur == state.TaskStopped && slices.Contains(opts, state.RefuseStopped) {
			return fmt.Errorf("start run of task %s: %w", id, state.ErrStopped)
		}
		now := state.UnixNanos(time.Now())
		_, err = tx.ExecContext(ctx, `UPDATE tasks SET status = ?, run_id = ?, finder_done = 0,
			last_error = '', started_at = ?, finished_at = 0, updated_at = ?,
			found_objects = 0, found_bytes = 0, done_objects = 0, done_bytes = 0,
			skipped_objects = 0, skipped_bytes = 0, failed_objects = 0, failed_bytes = 0
			WHERE id = ?`, state.TaskRunning, newRunID(), now, now, id)
		if err != nil {
			return fmt.Errorf("start run of task %s: %w", id, err)
		}
		t, err = scanTask(tx.QueryRowContext(ctx, `SELECT `+taskColumns+` FROM tasks WHERE id = ?`, id))
		return err
	})
	return t, err
}

// newRunID is sortable by time (so the newest run is the greatest) and unique.
func newRunID() string {
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s-%s", time.Now().UTC().Format("20060102T150405.000000000"), hex.EncodeToString(b[:]))
}

// FinishFinder implements state.Store.
func (db *DB) FinishFinder(ctx context.Context, id, runID string) error {
	res, err := db.w.ExecContext(ctx, `UPDATE tasks SET finder_done = 1, updated_at = ? WHERE id = ? AND run_id = ?`,
		state.UnixNanos(time.Now()), id, runID)
	if err != nil {
		return fmt.Errorf("finish finder of task %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("finish finder of task %s run %s: not the current run: %w", id, runID, state.ErrConflict)
	}
	return nil
}

// AddCounters implements state.Store. It counts once: the add commits in a local
// transaction, with no response to lose on the way back, and database/sql retries a
// statement only on driver.ErrBadConn, which the driver returns before running it.
func (db *DB) AddCounters(ctx context.Context, id, runID string, d state.Counters) error {
	if d.IsZero() {
		return nil
	}
	return db.tx(ctx, func(tx *sql.Tx) error { return addCounters(ctx, tx, id, runID, d) })
}

func addCounters(ctx context.Context, tx *sql.Tx, id, runID string, d state.Counters) error {
	res, err := tx.ExecContext(ctx, `UPDATE tasks SET
		found_objects = found_objects + ?, found_bytes = found_bytes + ?,
		done_objects = done_objects + ?, done_bytes = done_bytes + ?,
		skipped_objects = skipped_objects + ?, skipped_bytes = skipped_bytes + ?,
		failed_objects = failed_objects + ?, failed_bytes = failed_bytes + ?,
		updated_at = ? WHERE id = ? AND run_id = ?`,
		d.FoundObjects, d.FoundBytes, d.DoneObjects, d.DoneBytes, d.SkippedObjects, d.SkippedBytes,
		d.FailedObjects, d.FailedBytes, state.UnixNanos(time.Now()), id, runID)
	if err != nil {
		return fmt.Errorf("add counters of task %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("add counters of task %s run %s: not the current run: %w", id, runID, state.ErrConflict)
	}
	return nil
}

// SetMeta implements state.Store.
func (db *DB) SetMeta(ctx context.Context, taskID, name, value string) error {
	_, err := db.w.ExecContext(ctx, `INSERT INTO meta (task_id, name, value) VALUES (?, ?, ?)
		ON CONFLICT (task_id, name) DO UPDATE SET value = excluded.value`, taskID, name, value)
	if err != nil {
		return fmt.Errorf("set %s of task %s: %w", name, taskID, err)
	}
	return nil
}

// GetMeta implements state.Store.
func (db *DB) GetMeta(ctx context.Context, taskID, name string) (string, error) {
	var v string
	err := db.r.QueryRowContext(ctx, `SELECT value FROM meta WHERE task_id = ? AND name = ?`, taskID, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("get %s of task %s: %w", name, taskID, err)
	}
	return v, nil
}

// Lease implements state.Store.
func (db *DB) Lease(ctx context.Context, taskID, name, owner string, ttl time.Duration) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		now := time.Now()
		var holder string
		var expires int64
		err := tx.QueryRowContext(ctx, `SELECT owner, expires_at FROM leases WHERE task_id = ? AND name = ?`,
			taskID, name).Scan(&holder, &expires)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("lease %s of task %s: %w", name, taskID, err)
		case holder != owner && expires > state.UnixNanos(now):
			return &state.LeaseHeldError{TaskID: taskID, Name: name, Holder: holder, Until: state.FromUnixNanos(expires)}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO leases (task_id, name, owner, expires_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (task_id, name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at`,
			taskID, name, owner, state.UnixNanos(now.Add(ttl)))
		if err != nil {
			return fmt.Errorf("lease %s of task %s: %w", name, taskID, err)
		}
		return nil
	})
}

// ReleaseLease implements state.Store.
func (db *DB) ReleaseLease(ctx context.Context, taskID, name, owner string) error {
	_, err := db.w.ExecContext(ctx, `DELETE FROM leases WHERE task_id = ? AND name = ? AND owner = ?`, taskID, name, owner)
	if err != nil {
		return fmt.Errorf("release lease %s of task %s: %w", name, taskID, err)
	}
	return nil
}
