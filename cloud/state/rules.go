package state

import (
	"fmt"
	"time"
)

// The rules below are the Store contract's arithmetic, written once for every store.

// Prior is what the counter rules need of an item's stored record (Exists false: none).
type Prior struct {
	Exists   bool
	Status   ItemStatus
	RunID    string
	Size     int64
	Attempts int
}

// Write is how a store applies one item write, given the item's prior record.
type Write struct {
	// Skip: the write belongs to an older run than the stored record; a late write from
	// an older run never overwrites a newer run's record.
	Skip bool
	// Delta is the change to the task's counters (zero unless the write is in the
	// task's current run).
	Delta Counters
	// Attempts to store: the write's own, or the record's when the write carries none
	// and is in the record's run.
	Attempts int
}

// Apply decides a write of an item with status, size and attempts in run itemRun (an
// item without a run belongs to currentRun: resolve it first) while the task's current
// run is currentRun. An item counts in a terminal bucket once per run, whatever the
// number of deliveries: DONE twice counts once; FAILED then DONE moves one from failed
// to done.
func (p Prior) Apply(currentRun, itemRun string, status ItemStatus, size int64, attempts int) Write {
	if p.Exists && p.RunID > itemRun {
		return Write{Skip: true}
	}
	w := Write{Attempts: attempts}
	if itemRun == currentRun {
		w.Delta = p.transition(currentRun, status, size)
	}
	if attempts == 0 && p.Exists && p.RunID == itemRun {
		w.Attempts = p.Attempts
	}
	return w
}

func (p Prior) transition(run string, status ItemStatus, size int64) Counters {
	var d Counters
	if p.Exists && p.RunID == run && p.Status.Terminal() {
		if p.Status == status {
			return d // duplicate delivery: nothing changes
		}
		d.count(p.Status, -1, -p.Size)
	}
	if status.Terminal() {
		d.count(status, 1, size)
	}
	return d
}

// count adds n items of the given bytes to the bucket of terminal status s.
func (c *Counters) count(s ItemStatus, n, bytes int64) {
	switch s {
	case ItemDone:
		c.DoneObjects += n
		c.DoneBytes += bytes
	case ItemSkipped:
		c.SkippedObjects += n
		c.SkippedBytes += bytes
	case ItemFailed:
		c.FailedObjects += n
		c.FailedBytes += bytes
	}
}

// UnixNanos is how stores keep a time: nanoseconds since the Unix epoch, 0 for the zero
// time (so "not set" survives a round trip).
func UnixNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// FromUnixNanos reads a time kept by UnixNanos (in UTC; 0 is the zero time).
func FromUnixNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// LeaseHeldError is the ErrConflict of Store.Lease: who holds the lease, and until when
// unless that holder renews it.
type LeaseHeldError struct {
	TaskID string
	Name   string
	Holder string    // the holder's owner string ("" when the store could not read it)
	Until  time.Time // zero when unknown
}

func (e *LeaseHeldError) Error() string {
	who, until := e.Holder, ""
	if who == "" {
		who = "another owner"
	}
	if !e.Until.IsZero() {
		until = " until " + e.Until.Format(time.RFC3339)
	}
	return fmt.Sprintf("lease %s of task %s is held by %s%s: %v", e.Name, e.TaskID, who, until, ErrConflict)
}

// Unwrap makes errors.Is(err, ErrConflict) hold.
func (e *LeaseHeldError) Unwrap() error { return ErrConflict }
