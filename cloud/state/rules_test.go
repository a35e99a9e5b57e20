package state

import (
	"testing"
	"time"
)

func TestPriorApply(t *testing.T) {
	done := Prior{Exists: true, Status: ItemDone, RunID: "r2", Size: 10, Attempts: 2}
	for _, c := range []struct {
		name    string
		p       Prior
		itemRun string
		status  ItemStatus
		tries   int
		want    Write
	}{
		{"new item settles", Prior{}, "r2", ItemDone, 1, Write{Delta: Counters{DoneObjects: 1, DoneBytes: 10}, Attempts: 1}},
		{"duplicate delivery", done, "r2", ItemDone, 0, Write{Attempts: 2}},
		{"failed then done", Prior{Exists: true, Status: ItemFailed, RunID: "r2", Size: 10}, "r2", ItemDone, 3,
			Write{Delta: Counters{FailedObjects: -1, FailedBytes: -10, DoneObjects: 1, DoneBytes: 10}, Attempts: 3}},
		{"done then re-queued", done, "r2", ItemPending, 0, Write{Delta: Counters{DoneObjects: -1, DoneBytes: -10}, Attempts: 2}},
		{"an older run's record counts anew", Prior{Exists: true, Status: ItemDone, RunID: "r1", Size: 10, Attempts: 4}, "r2", ItemSkipped, 0,
			Write{Delta: Counters{SkippedObjects: 1, SkippedBytes: 10}}},
		{"late write of an older run", done, "r1", ItemFailed, 1, Write{Skip: true}},
		{"write of a run that is not current", Prior{}, "r3", ItemDone, 1, Write{Attempts: 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.p.Apply("r2", c.itemRun, c.status, 10, c.tries); got != c.want {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestUnixNanos(t *testing.T) {
	if UnixNanos(time.Time{}) != 0 || !FromUnixNanos(0).IsZero() {
		t.Fatal("the zero time must survive a round trip")
	}
	now := time.Now()
	if got := FromUnixNanos(UnixNanos(now)); !got.Equal(now) || got.Location() != time.UTC {
		t.Fatalf("round trip: %v", got)
	}
}
