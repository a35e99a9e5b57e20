package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"transferhub/cloud/state"
)

const defaultPageSize = 100

// currentRun reads the task's run id inside tx (ErrNotFound when there is no task).
func currentRun(ctx context.Context, tx *sql.Tx, taskID string) (string, error) {
	var run string
	err := tx.QueryRowContext(ctx, `SELECT run_id FROM tasks WHERE id = ?`, taskID).Scan(&run)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("task %s: %w", taskID, state.ErrNotFound)
	}
	return run, err
}

// recordWriter writes item records (objects or images) in one transaction: it reads
// each item's prior record, drops a late write of an older run, counts the transitions
// of the task's current run and adds them to the task's counters at the end.
type recordWriter struct {
	tx     *sql.Tx
	taskID string
	run    string // the task's current run
	kind   string // "object" or "image", for errors
	prior  *sql.Stmt
	total  state.Counters
}

// putRecords runs write in one transaction. priorSQL selects an item's status, run_id,
// size and attempts by task id and key.
func (db *DB) putRecords(ctx context.Context, taskID, kind, priorSQL string, write func(*recordWriter) error) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		run, err := currentRun(ctx, tx, taskID)
		if err != nil {
			return fmt.Errorf("put %ss: %w", kind, err)
		}
		prior, err := tx.PrepareContext(ctx, priorSQL)
		if err != nil {
			return fmt.Errorf("put %ss of task %s: %w", kind, taskID, err)
		}
		defer prior.Close()
		rw := &recordWriter{tx: tx, taskID: taskID, run: run, kind: kind, prior: prior}
		if err := write(rw); err != nil {
			return err
		}
		if rw.total.IsZero() {
			return nil
		}
		return addCounters(ctx, tx, taskID, run, rw.total)
	})
}

// admit decides one record write: the run it belongs to (runID, or the current run when
// empty) and the attempts to keep (the prior record's when attempts is 0 in the same
// run); ok is false for a late write from an older run, which never overwrites a newer
// run's record.
func (rw *recordWriter) admit(ctx context.Context, key string, status state.ItemStatus, runID string, size int64, attempts int) (run string, tries int, ok bool, err error) {
	if status == "" {
		return "", 0, false, fmt.Errorf("put %s %q of task %s: empty status", rw.kind, key, rw.taskID)
	}
	run = runID
	if run == "" {
		run = rw.run
	}
	var p state.Prior
	err = rw.prior.QueryRowContext(ctx, rw.taskID, key).Scan(&p.Status, &p.RunID, &p.Size, &p.Attempts)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return "", 0, false, fmt.Errorf("read %s %q of task %s: %w", rw.kind, key, rw.taskID, err)
	default:
		p.Exists = true
	}
	w := p.Apply(rw.run, run, status, size, attempts)
	if w.Skip {
		return "", 0, false, nil
	}
	rw.total.Add(w.Delta)
	attempts = w.Attempts
	return run, attempts, true, nil
}

// PutObjects implements state.Store.
func (db *DB) PutObjects(ctx context.Context, taskID string, objs []state.Object) error {
	if len(objs) == 0 {
		return nil
	}
	return db.putRecords(ctx, taskID, "object", `SELECT status, run_id, size, attempts FROM objects WHERE task_id = ? AND key = ?`,
		func(rw *recordWriter) error {
			put, err := rw.tx.PrepareContext(ctx, upsertObject)
			if err != nil {
				return fmt.Errorf("put objects of task %s: %w", taskID, err)
			}
			defer put.Close()
			now := state.UnixNanos(time.Now())
			for _, o := range objs {
				run, attempts, ok, err := rw.admit(ctx, o.Key, o.Status, o.RunID, o.Size, o.Attempts)
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
				if _, err := put.ExecContext(ctx, objectRow(taskID, o, attempts, run, now)...); err != nil {
					return fmt.Errorf("write object %q of task %s: %w", o.Key, taskID, err)
				}
			}
			return nil
		})
}

// PutJob implements state.Store: a row per object, unless the object has a record in
// the run already (then it keeps it), in a later run, or an earlier run's record of work
// in progress (an upload's id or intent, which the run's worker resumes or aborts).
func (db *DB) PutJob(ctx context.Context, taskID string, objs []state.Object) error {
	if len(objs) == 0 {
		return nil
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		cur, err := currentRun(ctx, tx, taskID)
		if err != nil {
			return fmt.Errorf("put job: %w", err)
		}
		put, err := tx.PrepareContext(ctx, upsertObject+`
			WHERE objects.run_id < excluded.run_id AND objects.status <> 'IN_PROGRESS'`)
		if err != nil {
			return fmt.Errorf("put job of task %s: %w", taskID, err)
		}
		defer put.Close()
		now := state.UnixNanos(time.Now())
		for _, o := range objs {
			if o.Status != state.ItemInProgress && o.Status != state.ItemPending {
				return fmt.Errorf("put job of task %s: %q has status %q; a job's objects are IN_PROGRESS or PENDING", taskID, o.Key, o.Status)
			}
			run := o.RunID
			if run == "" {
				run = cur
			}
			if _, err := put.ExecContext(ctx, objectRow(taskID, o, o.Attempts, run, now)...); err != nil {
				return fmt.Errorf("write object %q of task %s: %w", o.Key, taskID, err)
			}
		}
		return nil
	})
}

// upsertObject writes an object's row (the arguments: objectRow).
const upsertObject = `INSERT INTO objects (task_id, key, size, etag, checksum,
	last_modified, status, attempts, error, dest_etag, upload_id, parts_total, parts_done, run_id, updated_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (task_id, key) DO UPDATE SET size = excluded.size, etag = excluded.etag,
		checksum = excluded.checksum, last_modified = excluded.last_modified, status = excluded.status,
		attempts = excluded.attempts, error = excluded.error, dest_etag = excluded.dest_etag,
		upload_id = excluded.upload_id, parts_total = excluded.parts_total,
		parts_done = excluded.parts_done, run_id = excluded.run_id, updated_at = excluded.updated_at`

// objectRow is upsertObject's arguments: o with the attempts and run it is written with.
func objectRow(taskID string, o state.Object, attempts int, run string, now int64) []any {
	return []any{taskID, o.Key, o.Size, o.ETag, o.Checksum, state.UnixNanos(o.LastModified),
		o.Status, attempts, o.Error, o.DestETag, o.UploadID, o.PartsTotal, o.PartsDone, run, now}
}

const objectColumns = `key, size, etag, checksum, last_modified, status, attempts, error, dest_etag,
	upload_id, parts_total, parts_done, run_id, updated_at`

func scanObject(s scanner) (state.Object, error) {
	var o state.Object
	var lm, upd int64
	err := s.Scan(&o.Key, &o.Size, &o.ETag, &o.Checksum, &lm, &o.Status, &o.Attempts, &o.Error, &o.DestETag,
		&o.UploadID, &o.PartsTotal, &o.PartsDone, &o.RunID, &upd)
	o.LastModified, o.UpdatedAt = state.FromUnixNanos(lm), state.FromUnixNanos(upd)
	return o, err
}

// GetObject implements state.Store.
func (db *DB) GetObject(ctx context.Context, taskID, key string) (state.Object, error) {
	return getRow(ctx, db, "object", "objects", "key", objectColumns, taskID, key, scanObject)
}

// getRow reads the row of table (objects or images, keyed by keyCol) with key: a
// state.ErrNotFound when there is none. what names the item in errors.
func getRow[T any](ctx context.Context, db *DB, what, table, keyCol, columns, taskID, key string, scan func(scanner) (T, error)) (T, error) {
	v, err := scan(db.r.QueryRowContext(ctx, `SELECT `+columns+` FROM `+table+` WHERE task_id = ? AND `+keyCol+` = ?`, taskID, key))
	if errors.Is(err, sql.ErrNoRows) {
		return v, fmt.Errorf("get %s %q of task %s: %w", what, key, taskID, state.ErrNotFound)
	}
	if err != nil {
		return v, fmt.Errorf("get %s %q of task %s: %w", what, key, taskID, err)
	}
	return v, nil
}

// listPage reads one keyset page of table (objects or images, keyed by keyCol) in key
// order. An Offset is resolved first by walking keys only (the primary key, or the status
// index when filtering), then the page is read from that key on: SQLite would otherwise
// fetch every skipped row's columns.
func listPage[T any](ctx context.Context, db *DB, table, keyCol, columns, taskID string, opt state.ListOptions,
	scan func(scanner) (T, error), keyOf func(T) string) (state.Page[T], error) {
	var page state.Page[T]
	from := " FROM " + table
	if opt.Status != "" {
		// With every column selected SQLite would rather walk the primary key and filter
		// (the whole table to find 100 failed objects among a million).
		from += " INDEXED BY " + table + "_by_status"
	}
	where := []string{"task_id = ?"}
	args := []any{taskID}
	if opt.Status != "" {
		where = append(where, "status = ?")
		args = append(args, opt.Status)
	}
	if opt.Prefix != "" {
		where = append(where, keyCol+" >= ?")
		args = append(args, opt.Prefix)
		if end, ok := prefixEnd(opt.Prefix); ok {
			where = append(where, keyCol+" < ?")
			args = append(args, end)
		}
	}
	if opt.After != "" {
		where = append(where, keyCol+" > ?")
		args = append(args, opt.After)
	}
	if opt.Offset > 0 {
		var first string
		err := db.r.QueryRowContext(ctx, `SELECT `+keyCol+from+` WHERE `+strings.Join(where, " AND ")+
			` ORDER BY `+keyCol+` LIMIT 1 OFFSET ?`, append(slices.Clone(args), opt.Offset)...).Scan(&first)
		if errors.Is(err, sql.ErrNoRows) {
			return page, nil // past the end
		}
		if err != nil {
			return page, fmt.Errorf("list %s of task %s: %w", table, taskID, err)
		}
		where = append(where, keyCol+" >= ?")
		args = append(args, first)
	}
	limit := opt.Limit
	if limit <= 0 {
		limit = defaultPageSize
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+columns+from+` WHERE `+strings.Join(where, " AND ")+
		` ORDER BY `+keyCol+` LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return page, fmt.Errorf("list %s of task %s: %w", table, taskID, err)
	}
	defer rows.Close()
	for rows.Next() {
		it, err := scan(rows)
		if err != nil {
			return page, fmt.Errorf("list %s of task %s: %w", table, taskID, err)
		}
		page.Items = append(page.Items, it)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("list %s of task %s: %w", table, taskID, err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.Next = keyOf(page.Items[limit-1])
	}
	return page, nil
}

// prefixEnd is the smallest string greater than every string with prefix p (byte order),
// false when there is none (p is all 0xff bytes).
func prefixEnd(p string) (string, bool) {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// ListObjects implements state.Store (keyset paging: fast at any depth of a large table).
func (db *DB) ListObjects(ctx context.Context, taskID string, opt state.ListOptions) (state.Page[state.Object], error) {
	return listPage(ctx, db, "objects", "key", objectColumns, taskID, opt, scanObject,
		func(o state.Object) string { return o.Key })
}

// CountObjects implements state.Store.
func (db *DB) CountObjects(ctx context.Context, taskID string) (map[state.ItemStatus]int64, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT status, count(*) FROM objects WHERE task_id = ? GROUP BY status`, taskID)
	if err != nil {
		return nil, fmt.Errorf("count objects of task %s: %w", taskID, err)
	}
	defer rows.Close()
	out := map[state.ItemStatus]int64{}
	for rows.Next() {
		var s state.ItemStatus
		var n int64
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("count objects of task %s: %w", taskID, err)
		}
		out[s] = n
	}
	return out, rows.Err()
}

// PutPart implements state.Store.
func (db *DB) PutPart(ctx context.Context, taskID, key string, p state.Part) (int, error) {
	var done int
	err := db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO parts (task_id, key, upload_id, number, size, etag, checksum)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (task_id, key, upload_id, number) DO UPDATE SET
			size = excluded.size, etag = excluded.etag, checksum = excluded.checksum`,
			taskID, key, p.UploadID, p.Number, p.Size, p.ETag, p.Checksum)
		if err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM parts WHERE task_id = ? AND key = ? AND upload_id = ?`,
			taskID, key, p.UploadID).Scan(&done)
	})
	if err != nil {
		return 0, fmt.Errorf("put part %d of %q: %w", p.Number, key, err)
	}
	return done, nil
}

// ListParts implements state.Store, in part-number order.
func (db *DB) ListParts(ctx context.Context, taskID, key, uploadID string) ([]state.Part, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT upload_id, number, size, etag, checksum FROM parts
		WHERE task_id = ? AND key = ? AND upload_id = ? ORDER BY number`, taskID, key, uploadID)
	if err != nil {
		return nil, fmt.Errorf("list parts of %q: %w", key, err)
	}
	defer rows.Close()
	var out []state.Part
	for rows.Next() {
		var p state.Part
		if err := rows.Scan(&p.UploadID, &p.Number, &p.Size, &p.ETag, &p.Checksum); err != nil {
			return nil, fmt.Errorf("list parts of %q: %w", key, err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// DeleteParts implements state.Store.
func (db *DB) DeleteParts(ctx context.Context, taskID, key, uploadID string) error {
	_, err := db.w.ExecContext(ctx, `DELETE FROM parts WHERE task_id = ? AND key = ? AND upload_id = ?`, taskID, key, uploadID)
	if err != nil {
		return fmt.Errorf("delete parts of %q: %w", key, err)
	}
	return nil
}

// PutImages implements state.Store.
func (db *DB) PutImages(ctx context.Context, taskID string, imgs []state.Image) error {
	if len(imgs) == 0 {
		return nil
	}
	return db.putRecords(ctx, taskID, "image", `SELECT status, run_id, bytes, attempts FROM images WHERE task_id = ? AND source = ?`,
		func(rw *recordWriter) error {
			now := state.UnixNanos(time.Now())
			for _, im := range imgs {
				run, attempts, ok, err := rw.admit(ctx, im.Source, im.Status, im.RunID, im.Bytes, im.Attempts)
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
				_, err = rw.tx.ExecContext(ctx, `INSERT INTO images (task_id, source, destination, repository, tag,
				digest, platforms, bytes, status, attempts, error, duration, run_id, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (task_id, source) DO UPDATE SET destination = excluded.destination,
					repository = excluded.repository, tag = excluded.tag, digest = excluded.digest,
					platforms = excluded.platforms, bytes = excluded.bytes, status = excluded.status,
					attempts = excluded.attempts, error = excluded.error, duration = excluded.duration,
					run_id = excluded.run_id, updated_at = excluded.updated_at`,
					taskID, im.Source, im.Destination, im.Repository, im.Tag, im.Digest, strings.Join(im.Platforms, ","),
					im.Bytes, im.Status, attempts, im.Error, int64(im.Duration), run, now)
				if err != nil {
					return fmt.Errorf("write image %q of task %s: %w", im.Source, taskID, err)
				}
			}
			return nil
		})
}

const imageColumns = `source, destination, repository, tag, digest, platforms, bytes, status, attempts,
	error, duration, run_id, updated_at`

func scanImage(s scanner) (state.Image, error) {
	var im state.Image
	var platforms string
	var dur, upd int64
	err := s.Scan(&im.Source, &im.Destination, &im.Repository, &im.Tag, &im.Digest, &platforms, &im.Bytes,
		&im.Status, &im.Attempts, &im.Error, &dur, &im.RunID, &upd)
	if platforms != "" {
		im.Platforms = strings.Split(platforms, ",")
	}
	im.Duration, im.UpdatedAt = time.Duration(dur), state.FromUnixNanos(upd)
	return im, err
}

// GetImage implements state.Store.
func (db *DB) GetImage(ctx context.Context, taskID, source string) (state.Image, error) {
	return getRow(ctx, db, "image", "images", "source", imageColumns, taskID, source, scanImage)
}

// ListImages implements state.Store.
func (db *DB) ListImages(ctx context.Context, taskID string, opt state.ListOptions) (state.Page[state.Image], error) {
	return listPage(ctx, db, "images", "source", imageColumns, taskID, opt, scanImage,
		func(im state.Image) string { return im.Source })
}
