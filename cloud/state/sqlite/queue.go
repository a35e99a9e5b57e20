package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"transferhub/cloud/queue"
	"transferhub/cloud/state"
)

// QueueOptions tune one named queue.
type QueueOptions struct {
	// MaxReceives is the number of deliveries after which an unacknowledged message moves
	// to the dead-letter queue instead of being delivered again (default 5, like DTH/SQS).
	MaxReceives int
	// Poll is how often a waiting Receive looks for messages sent by other processes
	// (Sends in this process wake it at once). Default 100ms.
	Poll time.Duration
}

// Queue is a durable queue inside the state file. It implements queue.Queue and
// queue.DeadLetter with SQS semantics: at-least-once delivery, visibility timeouts,
// receive counts and a dead-letter queue.
type Queue struct {
	db   *DB
	name string
	opt  QueueOptions
}

var (
	_ queue.Queue      = (*Queue)(nil)
	_ queue.DeadLetter = (*Queue)(nil)
)

// Queue returns the named queue of this state file.
func (db *DB) Queue(name string, opt QueueOptions) *Queue {
	if opt.MaxReceives <= 0 {
		opt.MaxReceives = 5
	}
	if opt.Poll <= 0 {
		opt.Poll = 100 * time.Millisecond
	}
	return &Queue{db: db, name: name, opt: opt}
}

// wake returns the channel closed by the next Send to the named queue.
func (db *DB) wake(name string) <-chan struct{} {
	db.mu.Lock()
	defer db.mu.Unlock()
	ch, ok := db.waiters[name]
	if !ok {
		ch = make(chan struct{})
		db.waiters[name] = ch
	}
	return ch
}

func (db *DB) notify(name string) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if ch, ok := db.waiters[name]; ok {
		close(ch)
		delete(db.waiters, name)
	}
}

// Send implements queue.Queue: all bodies in one transaction.
func (q *Queue) Send(ctx context.Context, bodies ...[]byte) error {
	if len(bodies) == 0 {
		return nil
	}
	err := q.db.tx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO queue (queue, body, visible_at, created_at) VALUES (?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer st.Close()
		now := state.UnixNanos(time.Now())
		for _, b := range bodies {
			if _, err := st.ExecContext(ctx, q.name, b, now, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("send %d messages to queue %s: %w", len(bodies), q.name, err)
	}
	q.db.notify(q.name)
	return nil
}

// Receive implements queue.Queue.
func (q *Queue) Receive(ctx context.Context, max int, visibility, wait time.Duration) ([]queue.Message, error) {
	if max <= 0 {
		max = 1
	}
	deadline := time.Now().Add(wait)
	for {
		woken := q.db.wake(q.name) // before looking, so a Send in between is not missed
		msgs, err := q.receiveOnce(ctx, max, visibility)
		if err != nil || len(msgs) > 0 {
			return msgs, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, nil
		}
		t := time.NewTimer(min(left, q.opt.Poll))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-woken:
			t.Stop()
		case <-t.C:
		}
	}
}

func (q *Queue) receiveOnce(ctx context.Context, max int, visibility time.Duration) ([]queue.Message, error) {
	// Look before taking the write lock: an idle worker's asks stay cheap reads that
	// never contend with the writers of a running task.
	var ready int
	err := q.db.r.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM queue
		WHERE queue = ? AND dead = 0 AND visible_at <= ? LIMIT 1)`, q.name, state.UnixNanos(time.Now())).Scan(&ready)
	if err != nil {
		return nil, fmt.Errorf("receive from queue %s: %w", q.name, err)
	}
	if ready == 0 {
		return nil, nil
	}
	var out []queue.Message
	err = q.db.tx(ctx, func(tx *sql.Tx) error {
		now := time.Now()
		rows, err := tx.QueryContext(ctx, `SELECT id, body, receives FROM queue
			WHERE queue = ? AND dead = 0 AND visible_at <= ? ORDER BY visible_at, id LIMIT ?`,
			q.name, state.UnixNanos(now), max)
		if err != nil {
			return err
		}
		type row struct {
			id       int64
			body     []byte
			receives int
		}
		var found []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.body, &r.receives); err != nil {
				rows.Close()
				return err
			}
			found = append(found, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range found {
			if r.receives >= q.opt.MaxReceives {
				if _, err := tx.ExecContext(ctx, `UPDATE queue SET dead = 1 WHERE id = ?`, r.id); err != nil {
					return err
				}
				continue
			}
			receipt := newReceipt()
			if _, err := tx.ExecContext(ctx, `UPDATE queue SET receives = receives + 1, visible_at = ?, receipt = ? WHERE id = ?`,
				state.UnixNanos(now.Add(visibility)), receipt, r.id); err != nil {
				return err
			}
			out = append(out, queue.Message{ID: strconv.FormatInt(r.id, 10), Body: r.body, Receipt: receipt, Receives: r.receives + 1})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("receive from queue %s: %w", q.name, err)
	}
	return out, nil
}

func newReceipt() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Delete implements queue.Queue. A message redelivered since (new receipt) is not deleted
// by a stale receipt: its new holder owns it.
func (q *Queue) Delete(ctx context.Context, msgs ...queue.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	err := q.db.tx(ctx, func(tx *sql.Tx) error {
		for _, m := range msgs {
			if _, err := tx.ExecContext(ctx, `DELETE FROM queue WHERE id = ? AND receipt = ?`, m.ID, m.Receipt); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete %d messages from queue %s: %w", len(msgs), q.name, err)
	}
	return nil
}

// Extend implements queue.Queue.
func (q *Queue) Extend(ctx context.Context, m queue.Message, visibility time.Duration) error {
	res, err := q.db.w.ExecContext(ctx, `UPDATE queue SET visible_at = ? WHERE id = ? AND receipt = ? AND dead = 0`,
		state.UnixNanos(time.Now().Add(visibility)), m.ID, m.Receipt)
	if err != nil {
		return fmt.Errorf("extend message %s of queue %s: %w", m.ID, q.name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("extend message %s of queue %s: receipt no longer valid (deleted or redelivered)", m.ID, q.name)
	}
	return nil
}

// Release implements queue.Queue. A released delivery does not count toward the
// dead-letter limit: releasing is a clean shutdown, not a failure.
func (q *Queue) Release(ctx context.Context, m queue.Message) error {
	_, err := q.db.w.ExecContext(ctx, `UPDATE queue SET visible_at = ?, receives = max(receives - 1, 0), receipt = ''
		WHERE id = ? AND receipt = ?`, state.UnixNanos(time.Now()), m.ID, m.Receipt)
	if err != nil {
		return fmt.Errorf("release message %s of queue %s: %w", m.ID, q.name, err)
	}
	q.db.notify(q.name)
	return nil
}

// ReleaseOrphans makes every in-flight message of this queue visible again at once and
// returns how many there were. Only for an owner that knows no other consumer is alive
// (a local run holding the task's lock after a crash): their receivers are gone, and
// waiting out the visibility timeout would only delay the resumed run. The interrupted
// deliveries keep counting toward the dead-letter limit, so a job that kills its
// process every time still ends in the dead-letter queue.
func (q *Queue) ReleaseOrphans(ctx context.Context) (int64, error) {
	now := state.UnixNanos(time.Now())
	res, err := q.db.w.ExecContext(ctx, `UPDATE queue SET visible_at = ?, receipt = ''
		WHERE queue = ? AND dead = 0 AND visible_at > ?`, now, q.name, now)
	if err != nil {
		return 0, fmt.Errorf("release in-flight messages of queue %s: %w", q.name, err)
	}
	n, _ := res.RowsAffected()
	if n > 0 {
		q.db.notify(q.name)
	}
	return n, nil
}

// Depth implements queue.Queue.
func (q *Queue) Depth(ctx context.Context) (visible, inFlight int64, err error) {
	err = q.db.r.QueryRowContext(ctx, `SELECT
		coalesce(sum(CASE WHEN visible_at <= ? THEN 1 ELSE 0 END), 0),
		coalesce(sum(CASE WHEN visible_at > ? THEN 1 ELSE 0 END), 0)
		FROM queue WHERE queue = ? AND dead = 0`, state.UnixNanos(time.Now()), state.UnixNanos(time.Now()), q.name).Scan(&visible, &inFlight)
	if err != nil {
		return 0, 0, fmt.Errorf("depth of queue %s: %w", q.name, err)
	}
	return visible, inFlight, nil
}

// DeadLetters implements queue.DeadLetter.
func (q *Queue) DeadLetters(ctx context.Context, max int) ([]queue.Message, error) {
	if max <= 0 {
		max = 100
	}
	rows, err := q.db.r.QueryContext(ctx, `SELECT id, body, receives FROM queue WHERE queue = ? AND dead = 1 ORDER BY id LIMIT ?`, q.name, max)
	if err != nil {
		return nil, fmt.Errorf("read dead letters of queue %s: %w", q.name, err)
	}
	defer rows.Close()
	var out []queue.Message
	for rows.Next() {
		var id int64
		var m queue.Message
		if err := rows.Scan(&id, &m.Body, &m.Receives); err != nil {
			return nil, fmt.Errorf("read dead letters of queue %s: %w", q.name, err)
		}
		m.ID = strconv.FormatInt(id, 10)
		out = append(out, m)
	}
	return out, rows.Err()
}

// Purge deletes every message of the queue, dead letters included.
func (q *Queue) Purge(ctx context.Context) error {
	if _, err := q.db.w.ExecContext(ctx, `DELETE FROM queue WHERE queue = ?`, q.name); err != nil {
		return fmt.Errorf("purge queue %s: %w", q.name, err)
	}
	return nil
}
