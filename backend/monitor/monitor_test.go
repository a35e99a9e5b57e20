package monitor

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/backend/tasks"
	"transferhub/cloud/state"
	"transferhub/cloud/state/sqlite"
)

// fakeTasks serves one or more real state files the way backend/tasks does (views from
// the stored task), so the monitor's logic runs against the real store.
type fakeTasks struct {
	mu  sync.Mutex
	dbs map[string]*sqlite.DB
	// wrap, when set, wraps every store handed out (tests that watch the queries).
	wrap   func(state.Store) state.Store
	logs   map[string]*tasks.Log
	active map[string]bool
}

func newFakeTasks() *fakeTasks {
	return &fakeTasks{dbs: map[string]*sqlite.DB{}, logs: map[string]*tasks.Log{}, active: map[string]bool{}}
}

// add creates a task with n object records (every 10th FAILED, every 7th under "b/").
func (f *fakeTasks) add(t *testing.T, id string, typ state.TaskType, n int) *sqlite.DB {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, id+".db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	now := time.Now().UTC()
	require.NoError(t, db.PutTask(ctx, state.Task{ID: id, Type: typ, Name: "task " + id, Engine: state.EngineLocal, Status: state.TaskDraft, CreatedAt: now}))
	run, err := db.StartRun(ctx, id)
	require.NoError(t, err)
	var objs []state.Object
	var imgs []state.Image
	for i := 0; i < n; i++ {
		key := fmt.Sprintf("a/%05d", i)
		if i%7 == 0 {
			key = fmt.Sprintf("b/%05d", i)
		}
		status, errMsg := state.ItemDone, ""
		if i%10 == 3 {
			status, errMsg = state.ItemFailed, "AccessDenied: no write permission"
		}
		if typ == state.TaskImage {
			imgs = append(imgs, state.Image{Source: "reg.example.com/" + key + ":v1", Destination: "mirror.example.com/" + key + ":v1",
				Repository: key, Tag: "v1", Bytes: int64(i), Status: status, Error: errMsg, Attempts: 1, RunID: run.RunID})
		} else {
			objs = append(objs, state.Object{Key: key, Size: int64(i), Status: status, Error: errMsg, Attempts: 1, RunID: run.RunID, ETag: "e"})
		}
	}
	if len(objs) > 0 {
		require.NoError(t, db.PutObjects(ctx, id, objs))
	}
	if len(imgs) > 0 {
		require.NoError(t, db.PutImages(ctx, id, imgs))
	}
	f.mu.Lock()
	f.dbs[id] = db
	f.logs[id] = tasks.OpenLog(filepath.Join(dir, id+".log"))
	f.mu.Unlock()
	return db
}

func (f *fakeTasks) Get(ctx context.Context, id string) (tasks.View, error) {
	f.mu.Lock()
	db, err := lookup(f.dbs, id)
	active := f.active[id]
	f.mu.Unlock()
	if err != nil {
		return tasks.View{}, err
	}
	t, err := db.GetTask(ctx, id)
	if err != nil {
		return tasks.View{}, err
	}
	return tasks.View{ID: t.ID, Type: t.Type, Name: t.Name, Status: t.Status, Counters: t.Counters, RunID: t.RunID,
		FinderDone: t.FinderDone, StartedAt: t.StartedAt, FinishedAt: t.FinishedAt, Active: active}, nil
}

func (f *fakeTasks) List(ctx context.Context) ([]tasks.View, error) {
	f.mu.Lock()
	var ids []string
	for id := range f.dbs {
		ids = append(ids, id)
	}
	f.mu.Unlock()
	var out []tasks.View
	for _, id := range ids {
		v, err := f.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (f *fakeTasks) Store(id string) (state.Store, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	db, err := lookup(f.dbs, id)
	if err != nil {
		return nil, err
	}
	if f.wrap != nil {
		return f.wrap(db), nil
	}
	return db, nil
}

func (f *fakeTasks) Log(id string) (*tasks.Log, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return lookup(f.logs, id)
}

// lookup is a fake's find by task id: the value, or tasks.ErrNotFound as backend/tasks
// says it.
func lookup[V any](m map[string]V, id string) (V, error) {
	v, ok := m[id]
	if !ok {
		return v, fmt.Errorf("%w: %s", tasks.ErrNotFound, id)
	}
	return v, nil
}

// events records what the monitor emits.
type events struct {
	mu   sync.Mutex
	list []struct {
		name string
		data any
	}
}

func (e *events) emit(name string, data any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, struct {
		name string
		data any
	}{name, data})
}

func (e *events) take() (out []string, data []any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, x := range e.list {
		out = append(out, x.name)
		data = append(data, x.data)
	}
	e.list = nil
	return out, data
}

func TestItemsKeysetPagesWithJumps(t *testing.T) {
	ctx := context.Background()
	ft := newFakeTasks()
	ft.add(t, "t1", state.TaskS3, 2500)
	m := New(Options{Tasks: ft})

	// Walking page by page gives every record once, in key order.
	var all []string
	for p := 1; ; p++ {
		pg, err := m.Items(ctx, ItemsQuery{TaskID: "t1", Page: p, PageSize: 100})
		require.NoError(t, err)
		require.Equal(t, p, pg.Page)
		for _, it := range pg.Items {
			all = append(all, it.Key)
		}
		if !pg.OpenEnd && pg.Page == pg.PagesCount {
			break
		}
		require.True(t, pg.OpenEnd || p < pg.PagesCount)
	}
	require.Len(t, all, 2500)
	assert.IsIncreasing(t, all)

	// A fresh index jumps straight to a far page; a page past the end is the last page.
	m2 := New(Options{Tasks: ft})
	pg, err := m2.Items(ctx, ItemsQuery{TaskID: "t1", Page: 25, PageSize: 100})
	require.NoError(t, err)
	assert.Equal(t, all[2400:2500], keys(pg.Items))
	assert.False(t, pg.OpenEnd)
	assert.Equal(t, 25, pg.PagesCount)
	pg, err = m2.Items(ctx, ItemsQuery{TaskID: "t1", Page: 99, PageSize: 100})
	require.NoError(t, err)
	assert.Equal(t, 25, pg.Page)

	// Middle pages by jumps in any order, and neighbours of a jump, are exact.
	m3 := New(Options{Tasks: ft})
	for _, p := range []int{13, 12, 14, 3, 24} {
		pg, err := m3.Items(ctx, ItemsQuery{TaskID: "t1", Page: p, PageSize: 100})
		require.NoError(t, err)
		assert.Equal(t, p, pg.Page)
		assert.Equal(t, all[(p-1)*100:p*100], keys(pg.Items), "page %d", p)
	}
	pg, err = m3.Items(ctx, ItemsQuery{TaskID: "t1", Status: "failed", Page: 3, PageSize: 100})
	require.NoError(t, err)
	assert.Len(t, pg.Items, 50, "the last page of a filter")
	assert.False(t, pg.OpenEnd)

	pg, err = m2.Items(ctx, ItemsQuery{TaskID: "t1", Page: 1, PageSize: 100})
	require.NoError(t, err)
	assert.True(t, pg.PagesCount >= 2)
	assert.Equal(t, all[:100], keys(pg.Items))

	// Filters.
	pg, err = m2.Items(ctx, ItemsQuery{TaskID: "t1", Status: "failed", Page: 1, PageSize: 1000})
	require.NoError(t, err)
	assert.Len(t, pg.Items, 250)
	for _, it := range pg.Items {
		assert.Equal(t, state.ItemFailed, it.Status)
		assert.Equal(t, "AccessDenied: no write permission", it.Error)
	}
	pg, err = m2.Items(ctx, ItemsQuery{TaskID: "t1", Prefix: "b/", Page: 1, PageSize: 5000})
	require.NoError(t, err)
	assert.Len(t, pg.Items, 358)
	assert.Equal(t, 1000, pg.PageSize, "page sizes are bounded")

	_, err = m2.Items(ctx, ItemsQuery{TaskID: "t1", Status: "LOST"})
	assert.ErrorContains(t, err, "not a status")
	_, err = m2.Items(ctx, ItemsQuery{TaskID: "nope"})
	assert.ErrorIs(t, err, tasks.ErrNotFound)
}

// listSpy records the list queries a store answers.
type listSpy struct {
	state.Store
	mu   sync.Mutex
	opts []state.ListOptions
}

func (s *listSpy) ListObjects(ctx context.Context, id string, opt state.ListOptions) (state.Page[state.Object], error) {
	s.mu.Lock()
	s.opts = append(s.opts, opt)
	s.mu.Unlock()
	return s.Store.ListObjects(ctx, id, opt)
}

func (s *listSpy) take() []state.ListOptions {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.opts
	s.opts = nil
	return out
}

// After a jump to the last page, the pages before it are keyset queries: no second skip
// over the whole table.
func TestItemsPagingBackFromAJumpSkipsNothing(t *testing.T) {
	ctx := context.Background()
	ft := newFakeTasks()
	ft.add(t, "t1", state.TaskS3, 2500)
	spy := &listSpy{}
	ft.wrap = func(st state.Store) state.Store { spy.Store = st; return spy }
	m := New(Options{Tasks: ft})
	var all []string
	for p := 1; p <= 3; p++ {
		pg, err := m.Items(ctx, ItemsQuery{TaskID: "t1", Page: p, PageSize: 1000})
		require.NoError(t, err)
		all = append(all, keys(pg.Items)...)
	}
	require.Len(t, all, 2500)
	spy.take()

	pg, err := m.Items(ctx, ItemsQuery{TaskID: "t1", Page: 250, PageSize: 10})
	require.NoError(t, err)
	assert.Equal(t, all[2490:], keys(pg.Items))
	q := spy.take()
	require.Len(t, q, 1, "one query for the jump")
	assert.Greater(t, q[0].Offset, 2000, "the jump skips")
	for p := 249; p >= 240; p-- {
		pg, err = m.Items(ctx, ItemsQuery{TaskID: "t1", Page: p, PageSize: 10})
		require.NoError(t, err)
		assert.Equal(t, all[(p-1)*10:p*10], keys(pg.Items), "page %d", p)
		for _, o := range spy.take() {
			assert.Zero(t, o.Offset, "page %d: a keyset query", p)
		}
	}
	// Further back than what the jump read: one more skip, with its own pages before it.
	pg, err = m.Items(ctx, ItemsQuery{TaskID: "t1", Page: 120, PageSize: 10})
	require.NoError(t, err)
	assert.Equal(t, all[1190:1200], keys(pg.Items))
	spy.take()
	pg, err = m.Items(ctx, ItemsQuery{TaskID: "t1", Page: 119, PageSize: 10})
	require.NoError(t, err)
	assert.Equal(t, all[1180:1190], keys(pg.Items))
	for _, o := range spy.take() {
		assert.Zero(t, o.Offset)
	}
}

func keys(items []Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Key
	}
	return out
}

func TestItemsAndCountsOfImages(t *testing.T) {
	ctx := context.Background()
	ft := newFakeTasks()
	ft.add(t, "img", state.TaskImage, 40)
	m := New(Options{Tasks: ft})
	pg, err := m.Items(ctx, ItemsQuery{TaskID: "img", Status: "FAILED"})
	require.NoError(t, err)
	require.Len(t, pg.Items, 4)
	assert.Contains(t, pg.Items[0].Key, "reg.example.com/")
	assert.Contains(t, pg.Items[0].Destination, "mirror.example.com/")
	c, err := m.Counts(ctx, "img")
	require.NoError(t, err)
	assert.Equal(t, Counts{Total: 40, ByStatus: map[state.ItemStatus]int64{state.ItemDone: 36, state.ItemFailed: 4}}, c)
}

func TestCountsAreCachedUntilTheTaskChanges(t *testing.T) {
	ctx := context.Background()
	ft := newFakeTasks()
	db := ft.add(t, "t1", state.TaskS3, 100)
	m := New(Options{Tasks: ft})
	c, err := m.Counts(ctx, "t1")
	require.NoError(t, err)
	assert.Equal(t, int64(100), c.Total)
	assert.Equal(t, int64(10), c.ByStatus[state.ItemFailed])
	require.NoError(t, db.PutObjects(ctx, "t1", []state.Object{{Key: "z", Status: state.ItemDone}}))
	c, _ = m.Counts(ctx, "t1")
	assert.Equal(t, int64(100), c.Total, "cached")
	m.TaskChanged("t1")
	c, _ = m.Counts(ctx, "t1")
	assert.Equal(t, int64(101), c.Total)
}

func TestExportCSVAndJSON(t *testing.T) {
	ctx := context.Background()
	ft := newFakeTasks()
	ft.add(t, "t1", state.TaskS3, 1200)
	m := New(Options{Tasks: ft})
	dir := t.TempDir()

	res, err := m.Export(ctx, "t1", "csv", "", filepath.Join(dir, "report.csv"))
	require.NoError(t, err)
	assert.Equal(t, int64(1200), res.Rows)
	f, err := os.ReadFile(res.Path)
	require.NoError(t, err)
	recs, err := csv.NewReader(bytes.NewReader(f)).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 1201)
	assert.Equal(t, []string{"key", "size", "status", "attempts", "error", "etag", "dest_etag", "checksum", "updated"}, recs[0])

	res, err = m.Export(ctx, "t1", "JSON", "FAILED", filepath.Join(dir, "failed.json"))
	require.NoError(t, err)
	assert.Equal(t, int64(120), res.Rows)
	var doc struct {
		Task     string         `json:"task"`
		Counters state.Counters `json:"counters"`
		Objects  []Item         `json:"objects"`
	}
	b, err := os.ReadFile(res.Path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &doc))
	assert.Equal(t, "t1", doc.Task)
	assert.Len(t, doc.Objects, 120)
	assert.Equal(t, int64(120), doc.Counters.FailedObjects)

	_, err = m.Export(ctx, "t1", "xml", "", filepath.Join(dir, "x.xml"))
	assert.ErrorContains(t, err, "csv or json")
	_, err = m.Export(ctx, "t1", "csv", "", "relative.csv")
	assert.ErrorContains(t, err, "full path")
	_, err = m.Export(ctx, "t1", "csv", "", filepath.Join(dir, "missing-dir", "r.csv"))
	assert.Error(t, err)
	files, _ := filepath.Glob(filepath.Join(dir, ".*part"))
	assert.Empty(t, files, "no partial files left behind")
}

func TestPushesOnlyWatchedTasksAndOnlyNews(t *testing.T) {
	ft := newFakeTasks()
	ft.add(t, "t1", state.TaskS3, 3)
	ft.add(t, "t2", state.TaskS3, 3)
	ev := &events{}
	now := time.Now()
	clock := func() time.Time { return now }
	m := New(Options{Tasks: ft, Now: clock, WatchTTL: time.Minute})

	// Nothing watched: progress is sampled but nothing is sent.
	m.TaskProgress("t1", tasks.Progress{At: now, RunID: "r"})
	assert.False(t, m.push(ev.emit))
	names, _ := ev.take()
	assert.Empty(t, names)

	m.Watch("t1")
	assert.True(t, m.push(ev.emit))
	names, data := ev.take()
	assert.Equal(t, []string{EventTask}, names)
	assert.Equal(t, "t1", data[0].(Update).Task.ID)

	// Ten progress reports between two pushes make one event; no news, no event; t2's
	// news are not sent (not watched).
	for i := 0; i < 10; i++ {
		c := state.Counters{DoneObjects: int64(i + 1)}
		m.TaskProgress("t1", tasks.Progress{At: now, RunID: "r", Counters: c})
		m.TaskProgress("t2", tasks.Progress{At: now, RunID: "r", Counters: c})
	}
	m.push(ev.emit)
	names, _ = ev.take()
	assert.Equal(t, []string{EventTask}, names)
	m.push(ev.emit)
	names, _ = ev.take()
	assert.Empty(t, names)

	// The list page gets the whole list once per change.
	m.WatchList()
	m.push(ev.emit)
	names, data = ev.take()
	assert.Equal(t, []string{EventList}, names)
	assert.Len(t, data[0].([]Row), 2)
	m.UnwatchList()

	// An unrenewed watch lapses; the loop then sleeps.
	now = now.Add(2 * time.Minute)
	m.TaskProgress("t1", tasks.Progress{At: now, RunID: "r", Counters: state.Counters{DoneObjects: 99}})
	assert.False(t, m.push(ev.emit))
	names, _ = ev.take()
	assert.Empty(t, names)

	// A watched task that disappears is reported deleted once.
	m.Watch("gone")
	m.push(ev.emit)
	_, data = ev.take()
	require.Len(t, data, 1)
	assert.True(t, data[0].(Update).Deleted)
}

func TestLoopSleepsWhenNothingIsWatched(t *testing.T) {
	ft := newFakeTasks()
	ft.add(t, "t1", state.TaskS3, 1)
	ev := &events{}
	m := New(Options{Tasks: ft, Interval: 5 * time.Millisecond})
	m.Start(ev.emit)
	defer m.Close()
	m.Watch("t1")
	require.Eventually(t, func() bool { ev.mu.Lock(); defer ev.mu.Unlock(); return len(ev.list) > 0 }, 10*time.Second, time.Millisecond)
	m.Unwatch("t1")
	// After the next tick the loop stops; progress makes no events.
	require.Eventually(t, func() bool { return !m.push(ev.emit) }, 10*time.Second, time.Millisecond)
	ev.take()
	m.TaskProgress("t1", tasks.Progress{At: time.Now(), RunID: "r"})
	time.Sleep(50 * time.Millisecond)
	names, _ := ev.take()
	assert.Empty(t, names)
}

func TestThroughputSeriesSurvivesARestart(t *testing.T) {
	ctx := context.Background()
	ft := newFakeTasks()
	ft.add(t, "t1", state.TaskS3, 1)
	v, err := ft.Get(ctx, "t1")
	require.NoError(t, err)
	m := New(Options{Tasks: ft})
	t0 := time.Now()
	for i := 0; i <= 20; i++ {
		m.TaskProgress("t1", tasks.Progress{At: t0.Add(time.Duration(i) * time.Second), RunID: v.RunID,
			BytesMoved: int64(i) * 1000, Counters: state.Counters{DoneObjects: int64(i)}})
	}
	d, err := m.Detail(ctx, "t1")
	require.NoError(t, err)
	require.Len(t, d.Points, 20)
	assert.InDelta(t, 1000, d.Points[5].BytesPerSec, 0.01)
	assert.InDelta(t, 1, d.Points[5].ObjectsPerSec, 0.01)
	m.TaskChanged("t1") // run over: saved

	m2 := New(Options{Tasks: ft})
	d2, err := m2.Detail(ctx, "t1")
	require.NoError(t, err)
	assert.Equal(t, d.Points, d2.Points)
}

func TestLogs(t *testing.T) {
	ft := newFakeTasks()
	ft.add(t, "t1", state.TaskS3, 1)
	lg, _ := ft.Log("t1")
	for i := 0; i < 30; i++ {
		lg.Append(tasks.LogRecord{Time: time.Now(), Level: "INFO", Message: fmt.Sprintf("line %d", i)})
	}
	m := New(Options{Tasks: ft})
	p, err := m.Logs("t1", 0, 10)
	require.NoError(t, err)
	require.Len(t, p.Records, 10)
	assert.Equal(t, "line 20", p.Records[0].Message)
	assert.Equal(t, int64(30), p.Seq)
	p, err = m.Logs("t1", 28, 10)
	require.NoError(t, err)
	require.Len(t, p.Records, 2)
	assert.Equal(t, "line 29", p.Records[1].Message)
}

func TestUnchangedProgressIsPushedOnlyNowAndThen(t *testing.T) {
	ft := newFakeTasks()
	ft.add(t, "t1", state.TaskS3, 1)
	ev := &events{}
	now := time.Now()
	m := New(Options{Tasks: ft, Now: func() time.Time { return now }, WatchTTL: time.Hour})
	m.Watch("t1")
	m.push(ev.emit)
	ev.take()
	p := tasks.Progress{RunID: "r", Counters: state.Counters{FoundObjects: 5}}
	for i := 1; i <= 10; i++ { // ten seconds of a run that does not move
		now = now.Add(time.Second)
		p.At = now
		m.TaskProgress("t1", p)
		m.push(ev.emit)
	}
	names, _ := ev.take()
	assert.LessOrEqual(t, len(names), 4, "about one push every quietPush")
	assert.GreaterOrEqual(t, len(names), 2, "the chart still moves")
	p.Counters.DoneObjects = 1
	p.At = now.Add(100 * time.Millisecond)
	m.TaskProgress("t1", p)
	m.push(ev.emit)
	names, _ = ev.take()
	assert.Equal(t, []string{EventTask}, names, "news are pushed at once")
}
