// Package monitor is the live status of the desktop app's tasks for the UI: progress
// pushed as events (throttled, and only for what a page is watching), throughput over
// time and ETA, the object/image tables paged from the store, the task log and the
// per-object report export. It reads tasks through backend/tasks and never writes
// engine state (it keeps only its own throughput samples in the task's meta).
package monitor

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"transferhub/backend/tasks"
	"transferhub/cloud/state"
)

// Tasks is what the monitor reads from backend/tasks (its Manager).
type Tasks interface {
	List(ctx context.Context) ([]tasks.View, error)
	Get(ctx context.Context, id string) (tasks.View, error)
	Store(id string) (state.Store, error)
	Log(id string) (*tasks.Log, error)
}

// Source is where the monitor hears what happens to tasks (tasks.Events).
type Source interface {
	Listen(o tasks.Observer)
}

// Emitter sends an event to the UI (Wails runtime.EventsEmit in app/).
type Emitter func(name string, data any)

// Event names and what they carry.
const (
	// EventList carries []Row: every task, when the list is watched and something changed.
	EventList = "tasks:list"
	// EventTask carries an Update for a watched task that changed.
	EventTask = "task:update"
)

// Defaults of the push loop.
const (
	DefaultInterval = 400 * time.Millisecond // at most 2.5 pushes a second per task
	DefaultWatchTTL = 20 * time.Second       // a watch not renewed within this lapses
	// quietPush spaces the pushes of a running task whose figures do not move.
	quietPush = 3 * time.Second
)

// Options build a Monitor.
type Options struct {
	Tasks Tasks
	// Events, when set, tell the monitor about task changes and progress as they happen.
	Events Source
	Logger *slog.Logger
	// Interval between pushes and how long a watch lasts without renewal (0: defaults).
	Interval time.Duration
	WatchTTL time.Duration
	Now      func() time.Time
	// Cloud reads cloud tasks' figures when the monitor asks (nil: the app has none).
	Cloud Cloud
	// Notify, when set, is told when a run ends (a desktop notification).
	Notify func(Notice)
}

// Monitor tracks live progress and pushes it to the UI.
type Monitor struct {
	tasks    Tasks
	log      *slog.Logger
	interval time.Duration
	ttl      time.Duration
	now      func() time.Time

	mu        sync.Mutex
	watch     map[string]time.Time // task id -> watch expiry
	listUntil time.Time            // list watch expiry
	dirty     map[string]bool      // tasks with news since their last push
	listDirty bool
	series    map[string]*series
	lastSent  map[string]time.Time // newest chart point sent per task
	pushed    map[string]time.Time // last push per task
	live      map[string]tasks.Progress
	counts    map[string]countsEntry
	indexes   *indexCache
	wake      chan struct{}
	stop      chan struct{}
	done      chan struct{}
	started   bool

	cloud     Cloud
	cloudSt   *cloudState
	cloudDone chan struct{}
	notes     *notifier
}

// New builds a monitor; Start runs its push loop.
func New(opt Options) *Monitor {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Interval <= 0 {
		opt.Interval = DefaultInterval
	}
	if opt.WatchTTL <= 0 {
		opt.WatchTTL = DefaultWatchTTL
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	m := &Monitor{
		tasks: opt.Tasks, log: opt.Logger, interval: opt.Interval, ttl: opt.WatchTTL, now: opt.Now,
		watch: map[string]time.Time{}, dirty: map[string]bool{}, series: map[string]*series{},
		lastSent: map[string]time.Time{}, pushed: map[string]time.Time{}, live: map[string]tasks.Progress{}, counts: map[string]countsEntry{},
		indexes: newIndexCache(16), wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
		cloud: opt.Cloud, cloudSt: newCloudState(), cloudDone: make(chan struct{}), notes: newNotifier(opt.Notify),
	}
	if opt.Events != nil {
		opt.Events.Listen(m)
	}
	return m
}

// Start runs the push loop until Close, sending the events through emit (the UI's
// runtime exists only once the app has started). It sleeps while nothing is watched.
func (m *Monitor) Start(emit Emitter) {
	m.mu.Lock()
	if m.started {
		m.mu.Unlock()
		return
	}
	m.started = true
	m.mu.Unlock()
	go m.loop(emit)
	go m.cloudLoop()
	go m.notifyLoop()
}

// Close stops the push loop.
func (m *Monitor) Close() {
	m.mu.Lock()
	started := m.started
	m.mu.Unlock()
	select {
	case <-m.stop:
		return
	default:
		close(m.stop)
	}
	if started {
		<-m.done
		<-m.cloudDone
		<-m.notes.done
	}
}

// --- watching ----------------------------------------------------------------------------

// Watch asks for pushes about a task (the detail page while visible); call it again
// within the watch TTL to keep them coming. The first call pushes at once.
func (m *Monitor) Watch(id string) {
	m.mu.Lock()
	now := m.now()
	if until, ok := m.watch[id]; !ok || now.After(until) {
		m.dirty[id] = true // a new watcher gets the current state; renewals get news only
	}
	m.watch[id] = now.Add(m.ttl)
	m.mu.Unlock()
	m.poke()
}

// Unwatch stops pushes about a task (the page closed or was hidden).
func (m *Monitor) Unwatch(id string) {
	m.mu.Lock()
	delete(m.watch, id)
	m.mu.Unlock()
}

// WatchList asks for pushes of the task list (the Tasks page while visible).
func (m *Monitor) WatchList() {
	m.mu.Lock()
	now := m.now()
	if now.After(m.listUntil) {
		m.listDirty = true
	}
	m.listUntil = now.Add(m.ttl)
	m.mu.Unlock()
	m.poke()
}

// UnwatchList stops pushes of the task list.
func (m *Monitor) UnwatchList() {
	m.mu.Lock()
	m.listUntil = time.Time{}
	m.mu.Unlock()
}

func (m *Monitor) poke() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// --- what backend/tasks reports (tasks.Observer) ----------------------------------------

// TaskChanged implements tasks.Observer.
func (m *Monitor) TaskChanged(id string) {
	m.mu.Lock()
	m.dirty[id] = true
	m.listDirty = true
	delete(m.counts, id)
	m.indexes.drop(id)
	m.mu.Unlock()
	m.poke()
	m.saveSeries(id)
	m.notes.changed(id)
}

// TaskProgress implements tasks.Observer: it samples the run for the chart.
func (m *Monitor) TaskProgress(id string, p tasks.Progress) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.series[id]
	if s == nil || s.run != p.RunID {
		s = newSeries(p.RunID)
		m.series[id] = s
		delete(m.lastSent, id)
	}
	added := s.add(Sample{At: p.At, Bytes: p.BytesMoved, Settled: p.Counters.Settled()})
	prev, had := m.live[id]
	m.live[id] = p
	// A run that is waiting (a slow link, a large object in flight) reports the same
	// figures twice a second: push news at once, and otherwise only a chart point now and
	// then, so a visible page costs next to nothing while nothing moves.
	changed := !had || prev.RunID != p.RunID || prev.Counters != p.Counters || prev.BytesMoved != p.BytesMoved || prev.FinderDone != p.FinderDone
	if changed || (added && m.now().Sub(m.pushed[id]) >= quietPush) {
		m.dirty[id] = true // the detail page's chart moves on
	}
	if changed {
		m.listDirty = true // the list has no chart: news only
	}
	if e, ok := m.counts[id]; ok && m.now().Sub(e.at) > countsTTLRunning {
		delete(m.counts, id)
	}
}

// saveSeries keeps a finished run's chart in the task's meta, so it survives restarts.
func (m *Monitor) saveSeries(id string) {
	if m.tasks == nil {
		return
	}
	m.mu.Lock()
	s := m.series[id]
	var raw string
	if s != nil && len(s.samples) > s.saved {
		raw = s.encode()
		s.saved = len(s.samples)
	}
	m.mu.Unlock()
	if raw == "" {
		return
	}
	st, err := m.tasks.Store(id)
	if err != nil {
		return // deleted
	}
	if err := st.SetMeta(context.Background(), id, metaSeries, raw); err != nil {
		m.log.Warn("save throughput samples", "task", id, "err", err)
	}
}

// --- pushing -------------------------------------------------------------------------------

func (m *Monitor) loop(emit Emitter) {
	defer close(m.done)
	for {
		select {
		case <-m.stop:
			return
		case <-m.wake:
		}
		// Something is watched: push on a ticker until nothing is.
		m.push(emit)
		tk := time.NewTicker(m.interval)
		for active := true; active; {
			select {
			case <-m.stop:
				tk.Stop()
				return
			case <-tk.C:
				active = m.push(emit)
			}
		}
		tk.Stop()
	}
}

// push sends what changed to the watchers; false when nothing is watched any more.
func (m *Monitor) push(emit Emitter) bool {
	now := m.now()
	m.mu.Lock()
	for id, until := range m.watch {
		if now.After(until) {
			delete(m.watch, id)
		}
	}
	listWatched := now.Before(m.listUntil)
	if len(m.watch) == 0 && !listWatched {
		m.mu.Unlock()
		return false
	}
	var ids []string
	for id := range m.watch {
		if m.dirty[id] {
			ids = append(ids, id)
			delete(m.dirty, id)
			m.pushed[id] = now
		}
	}
	sendList := listWatched && m.listDirty
	if sendList {
		m.listDirty = false
	}
	m.mu.Unlock()

	ctx := context.Background()
	for _, id := range ids {
		u, err := m.update(ctx, id, true)
		if errors.Is(err, tasks.ErrNotFound) {
			m.Unwatch(id)
			emit(EventTask, Update{Task: tasks.View{ID: id}, Deleted: true})
			continue
		}
		if err != nil {
			m.log.Warn("task update", "task", id, "err", err)
			continue
		}
		emit(EventTask, u)
	}
	if sendList {
		rows, err := m.Rows(ctx)
		if err != nil {
			m.log.Warn("task list", "err", err)
		} else {
			emit(EventList, rows)
		}
	}
	return true
}

// Live is a task's progress now.
type Live struct {
	Counters      state.Counters `json:"counters"`
	FinderDone    bool           `json:"finderDone"`
	BytesPerSec   float64        `json:"bytesPerSec"`
	ObjectsPerSec float64        `json:"objectsPerSec"`
	// ETASeconds is the estimated time left (-1: unknown, e.g. still listing).
	ETASeconds float64 `json:"etaSeconds"`
	// ElapsedSeconds since the run started (up to its end when it is over).
	ElapsedSeconds float64 `json:"elapsedSeconds"`
}

// Row is one line of the tasks list.
type Row struct {
	Task tasks.View `json:"task"`
	Live Live       `json:"live"`
}

// Update is what a task's detail page receives.
type Update struct {
	Task tasks.View `json:"task"`
	Live Live       `json:"live"`
	// Points: the chart's points since the previous update (all of them from Detail).
	Points []Point `json:"points"`
	// LogSeq is the number of the newest log record (fetch the log when it grows).
	LogSeq  int64 `json:"logSeq"`
	Deleted bool  `json:"deleted,omitempty"`
}

// live computes a task's live figures from its view and the latest progress.
func (m *Monitor) liveOf(v tasks.View) Live {
	l := Live{Counters: v.Counters, FinderDone: v.FinderDone, ETASeconds: -1}
	end := v.FinishedAt
	m.mu.Lock()
	if p, ok := m.live[v.ID]; ok && v.Active && p.RunID == v.RunID {
		// The live snapshot runs ahead of the store's checkpoints.
		l.Counters, l.FinderDone = p.Counters, p.FinderDone
	}
	if s := m.series[v.ID]; s != nil && v.Active && s.run == v.RunID {
		l.BytesPerSec, l.ObjectsPerSec = s.rates()
	}
	m.mu.Unlock()
	if v.Active {
		l.ETASeconds = eta(l.Counters, l.FinderDone, l.BytesPerSec, l.ObjectsPerSec)
		end = m.now()
	}
	if !v.StartedAt.IsZero() && end.After(v.StartedAt) {
		l.ElapsedSeconds = end.Sub(v.StartedAt).Seconds()
	}
	return l
}

// Rows returns the task list with live figures.
func (m *Monitor) Rows(ctx context.Context) ([]Row, error) {
	views, err := m.tasks.List(ctx)
	if err != nil {
		return nil, err
	}
	rows := make([]Row, len(views))
	for i, v := range views {
		rows[i] = Row{Task: v, Live: m.liveOf(v)}
	}
	return rows, nil
}

// Detail returns everything a task's page shows at first, the whole chart included.
func (m *Monitor) Detail(ctx context.Context, id string) (Update, error) {
	return m.update(ctx, id, false)
}

// update builds a task's Update; incremental sends only the chart points not yet sent.
func (m *Monitor) update(ctx context.Context, id string, incremental bool) (Update, error) {
	v, err := m.tasks.Get(ctx, id)
	if err != nil {
		return Update{}, err
	}
	u := Update{Task: v, Live: m.liveOf(v)}
	if lg, err := m.tasks.Log(id); err == nil {
		u.LogSeq = lg.Seq()
	}
	m.mu.Lock()
	s := m.series[id]
	m.mu.Unlock()
	if s == nil && v.RunID != "" {
		// A run from before this app started: its chart was saved in the task's meta.
		if st, err := m.tasks.Store(id); err == nil {
			if raw, err := st.GetMeta(ctx, id, metaSeries); err == nil {
				if loaded, ok := decodeSeries(raw); ok && loaded.run == v.RunID {
					m.mu.Lock()
					if m.series[id] == nil {
						m.series[id] = loaded
					}
					s = m.series[id]
					m.mu.Unlock()
				}
			}
		}
	}
	if s != nil && s.run == v.RunID {
		m.mu.Lock()
		after := time.Time{}
		if incremental {
			after = m.lastSent[id]
		}
		u.Points = s.points(after)
		if n := len(s.samples); n > 0 {
			m.lastSent[id] = s.samples[n-1].At
		}
		m.mu.Unlock()
	}
	if u.Points == nil {
		u.Points = []Point{}
	}
	return u, nil
}

// --- log -----------------------------------------------------------------------------------

// LogPage is a slice of a task's log.
type LogPage struct {
	Records []tasks.LogRecord `json:"records"`
	Seq     int64             `json:"seq"` // newest record's number
}

// Logs returns log records after seq (0: the newest limit records).
func (m *Monitor) Logs(id string, after int64, limit int) (LogPage, error) {
	lg, err := m.tasks.Log(id)
	if err != nil {
		return LogPage{}, err
	}
	if limit <= 0 || limit > 2000 {
		limit = 500
	}
	var recs []tasks.LogRecord
	if after <= 0 {
		recs = lg.Last(limit)
	} else {
		recs = lg.Records(after, limit)
	}
	if recs == nil {
		recs = []tasks.LogRecord{}
	}
	return LogPage{Records: recs, Seq: lg.Seq()}, nil
}
