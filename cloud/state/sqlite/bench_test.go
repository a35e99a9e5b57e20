package sqlite_test

import (
	"context"
	"testing"

	"transferhub/cloud/state/sqlite"
)

// BenchmarkIdleReceive is an idle worker's ask of an empty queue.
func BenchmarkIdleReceive(b *testing.B) {
	db, err := sqlite.Open(context.Background(), b.TempDir()+"/q.db")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	q := db.Queue("jobs", sqlite.QueueOptions{})
	for b.Loop() {
		if _, err := q.Receive(context.Background(), 10, 0, 0); err != nil {
			b.Fatal(err)
		}
	}
}
