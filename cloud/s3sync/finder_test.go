package s3sync

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"transferhub/cloud/objstore"
	"transferhub/cloud/queue"
	"transferhub/cloud/state"
	"transferhub/cloud/state/sqlite"
	"transferhub/cloud/state/statetest"
)

// memLocation is a listing-only location for finder logic tests; the finder lists and
// compares, it never reads or writes objects in these tests.
type memLocation struct {
	objstore.Location // nil: any other call panics, which a test would notice
	memLister
	objs map[string]objstore.Object
}

func newMemLocation(objs ...objstore.Object) *memLocation {
	m := &memLocation{objs: map[string]objstore.Object{}}
	for _, o := range objs {
		m.objs[o.Key] = o
		m.keys = append(m.keys, o.Key)
	}
	sortStrings(m.keys)
	return m
}

func (m *memLocation) List(ctx context.Context, prefix, startAfter string, fn func(objstore.Page) error) error {
	return m.memLister.List(ctx, prefix, startAfter, func(p objstore.Page) error {
		for i := range p.Objects {
			p.Objects[i] = m.objs[p.Objects[i].Key]
		}
		return fn(p)
	})
}

func (m *memLocation) ListDir(ctx context.Context, prefix string, limit int) (objstore.Page, bool, error) {
	p, more, err := m.memLister.ListDir(ctx, prefix, limit)
	for i := range p.Objects {
		p.Objects[i] = m.objs[p.Objects[i].Key]
	}
	return p, more, err
}

func (m *memLocation) URL() string { return "mem://" }

// startedTask opens a fresh SQLite store (closed when the test ends) holding an S3 task
// id whose run has started.
func startedTask(t *testing.T, ctx context.Context, id string) (*sqlite.DB, state.Task) {
	t.Helper()
	db := statetest.SQLite(t, "")
	require.NoError(t, db.PutTask(ctx, state.Task{ID: id, Type: state.TaskS3, Name: id, Engine: state.EngineLocal, Status: state.TaskDraft}))
	task, err := db.StartRun(ctx, id)
	require.NoError(t, err)
	return db, task
}

// failingQueue fails every Send after the first `ok` ones (a finder killed mid-run).
type failingQueue struct {
	queue.Queue
	ok, sent int
	bodies   [][]byte
}

func (q *failingQueue) Send(ctx context.Context, bodies ...[]byte) error {
	if q.ok >= 0 && q.sent >= q.ok {
		return errors.New("killed")
	}
	q.sent++
	q.bodies = append(q.bodies, bodies...)
	return nil
}

func TestFinderArchivedAndCheckpointResume(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var src []objstore.Object
	for i := 0; i < 2500; i++ {
		src = append(src, objstore.Object{Key: fmt.Sprintf("d%d/k%04d", i%7, i), Size: int64(i), ETag: fmt.Sprintf("%032x", i), LastModified: t0})
	}
	src = append(src,
		objstore.Object{Key: "cold/archived", Size: 5, ETag: "a", StorageClass: "GLACIER"},
		objstore.Object{Key: "cold/restored", Size: 6, ETag: "b", StorageClass: "DEEP_ARCHIVE", Restored: true})
	// The destination holds every third object already.
	var dst []objstore.Object
	for i, o := range src[:2500] {
		if i%3 == 0 {
			dst = append(dst, o)
		}
	}
	ctx := context.Background()
	db, task := startedTask(t, ctx, "t")

	opt := Options{BatchObjects: 50, ListWorkers: 3}
	q := &failingQueue{ok: 7}
	f := &Finder{Src: newMemLocation(src...), Dst: newMemLocation(dst...), Store: db, Queue: q, TaskID: "t", Opt: opt}
	_, err := f.Run(ctx, task.RunID)
	require.ErrorContains(t, err, "killed")

	// The restarted finder continues after its checkpoint.
	q.ok = -1
	f = &Finder{Src: newMemLocation(src...), Dst: newMemLocation(dst...), Store: db, Queue: q, TaskID: "t", Opt: opt}
	st, err := f.Run(ctx, task.RunID)
	require.NoError(t, err)
	require.Equal(t, int64(len(src)), st.Found)

	queued := map[string]int{}
	for _, b := range q.bodies {
		j, err := DecodeJob(b)
		require.NoError(t, err)
		for _, o := range j.Objects {
			queued[o.Key]++
		}
	}
	for i, o := range src[:2500] {
		if i%3 == 0 {
			require.Zero(t, queued[o.Key], "unchanged %s must not be queued", o.Key)
		} else {
			require.Positive(t, queued[o.Key], "lost %s", o.Key)
		}
	}
	require.Equal(t, 1, queued["cold/restored"], "restored objects are copied")
	twice := 0
	for _, n := range queued {
		if n > 1 {
			twice++
		}
	}
	require.LessOrEqual(t, twice, opt.BatchObjects, "resumed after the checkpoint, not from the start")
	require.Zero(t, queued["cold/archived"])

	task, err = db.GetTask(ctx, "t")
	require.NoError(t, err)
	require.True(t, task.FinderDone)
	require.Equal(t, int64(len(src)), task.Counters.FoundObjects, "found counted exactly once across the restart")
	require.Equal(t, int64(834+1), task.Counters.SkippedObjects, "834 unchanged + 1 archived")
	rec, err := db.GetObject(ctx, "t", "cold/archived")
	require.NoError(t, err)
	require.Equal(t, state.ItemSkipped, rec.Status)
	require.Contains(t, rec.Error, "GLACIER")

	// A finder run again for the same run changes nothing.
	st2, err := (&Finder{Src: newMemLocation(src...), Dst: newMemLocation(dst...), Store: db, Queue: q, TaskID: "t", Opt: opt}).Run(ctx, task.RunID)
	require.NoError(t, err)
	require.Equal(t, st.Found, st2.Found)
	task, err = db.GetTask(ctx, "t")
	require.NoError(t, err)
	require.Equal(t, int64(len(src)), task.Counters.FoundObjects)
}
