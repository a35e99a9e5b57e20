package monitor

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/backend/tasks"
	"transferhub/cloud/deploy"
	"transferhub/cloud/state"
)

// cloudTasks lists cloud task views (the monitor's Tasks) and records the refreshes
// it is asked for (its Cloud), counting each part's calls as the runner would.
type cloudTasks struct {
	mu     sync.Mutex
	views  map[string]tasks.View
	asks   map[string][]tasks.Parts
	limits map[string][]int
	// storeErr: what Store answers (default: "no store").
	storeErr error
}

func newCloudTasks(views ...tasks.View) *cloudTasks {
	c := &cloudTasks{views: map[string]tasks.View{}, asks: map[string][]tasks.Parts{}, limits: map[string][]int{}}
	for _, v := range views {
		c.views[v.ID] = v
	}
	return c
}

func (c *cloudTasks) List(context.Context) ([]tasks.View, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []tasks.View
	for _, v := range c.views {
		out = append(out, v)
	}
	return out, nil
}

func (c *cloudTasks) Get(_ context.Context, id string) (tasks.View, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return lookup(c.views, id)
}

func (c *cloudTasks) set(id string, st state.TaskStatus, lastError string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := c.views[id]
	v.Status, v.LastError = st, lastError
	c.views[id] = v
}

func (c *cloudTasks) Store(string) (state.Store, error) {
	if c.storeErr != nil {
		return nil, c.storeErr
	}
	return nil, fmt.Errorf("no store")
}
func (c *cloudTasks) Log(string) (*tasks.Log, error) { return nil, fmt.Errorf("no log") }
func (c *cloudTasks) Panels(context.Context, string) (tasks.CloudPanels, error) {
	return tasks.CloudPanels{}, nil
}

func (c *cloudTasks) Refresh(_ context.Context, id string, parts tasks.Parts, limit int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.asks[id] = append(c.asks[id], parts)
	c.limits[id] = append(c.limits[id], limit)
	return nil
}

// calls sums what the asks for a task cost, and forgets them.
func (c *cloudTasks) calls(id string) (int, []int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, p := range c.asks[id] {
		n += p.Calls()
	}
	limits := c.limits[id]
	delete(c.asks, id)
	delete(c.limits, id)
	return n, limits
}

// minute asks for a minute of figures, one look a second, on a fake clock.
func minute(m *Monitor, clock *time.Time) {
	for range 60 {
		m.askCloud(context.Background(), *clock)
		m.cloudSt.wg.Wait()
		*clock = clock.Add(time.Second)
	}
}

// threeMinutes steps three minutes and checks each: c1 (running) is asked want times,
// within budget, and told that budget; c2 (idle, not shown) at most once.
func threeMinutes(t *testing.T, m *Monitor, clock *time.Time, ct *cloudTasks, budget, want int, why string) {
	t.Helper()
	for i := range 3 {
		minute(m, clock)
		n, limits := ct.calls("c1")
		assert.LessOrEqual(t, n, budget, "minute %d", i)
		assert.Equal(t, want, n, "%s (minute %d)", why, i)
		for _, l := range limits {
			assert.Equal(t, budget, l)
		}
		n2, _ := ct.calls("c2")
		assert.LessOrEqual(t, n2, 1, "an idle task nobody shows: its record every 5 minutes")
	}
}

// The monitor asks for a cloud task's figures at rates it chooses: an open page costs
// at most 30 AWS calls a minute, a hidden window at most 4, an idle task less; the
// budget it hands the runner says the same. No timing: a fake clock steps the minutes.
func TestCloudAsksStayWithinTheirBudget(t *testing.T) {
	clock := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	running := tasks.View{ID: "c1", Engine: state.EngineCloud, Status: state.TaskRunning}
	idle := tasks.View{ID: "c2", Engine: state.EngineCloud, Status: state.TaskIdle}
	local := tasks.View{ID: "l1", Engine: state.EngineLocal, Status: state.TaskRunning}
	ct := newCloudTasks(running, idle, local)
	m := New(Options{Tasks: ct, Cloud: ct, Now: func() time.Time { return clock }, WatchTTL: time.Hour})

	// The page of c1 is open.
	m.Watch("c1")
	threeMinutes(t, m, &clock, ct, PageCallsPerMinute, 24, "record 10×1, queues 3×2, fleet 3×1, logs 2×2, events 1×1")
	n, _ := ct.calls("l1")
	assert.Zero(t, n, "a local task's figures are pushed by its run, never asked for")

	// The window is hidden: the page unwatches.
	m.Unwatch("c1")
	threeMinutes(t, m, &clock, ct, HiddenCallsPerMinute, 3, "the running task's record every 20 s")

	// The task list is open: each cloud task's record every 15 s.
	m.WatchList()
	minute(m, &clock)
	n, _ = ct.calls("c1")
	assert.Equal(t, 4, n)
	n, _ = ct.calls("c2")
	assert.Equal(t, 4, n)
}

// An image task's open page asks for its state machine's executions instead of queues
// and a fleet it does not have, within the same budget; a hidden window asks for its
// record only.
func TestImageTaskPageAsksForItsExecutions(t *testing.T) {
	clock := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	img := tasks.View{ID: "c1", Type: state.TaskImage, Engine: state.EngineCloud, Status: state.TaskRunning}
	ct := newCloudTasks(img)
	m := New(Options{Tasks: ct, Cloud: ct, Now: func() time.Time { return clock }, WatchTTL: time.Hour})
	m.Watch("c1")
	for i := range 3 {
		minute(m, &clock)
		ct.mu.Lock()
		asks := append([]tasks.Parts(nil), ct.asks["c1"]...)
		ct.mu.Unlock()
		var executions int
		for _, p := range asks {
			assert.Zero(t, p&(tasks.PartQueue|tasks.PartFleet), "no queue or fleet for an image task (minute %d)", i)
			if p&tasks.PartExecutions != 0 {
				executions++
			}
		}
		assert.Equal(t, 2, executions, "executions every 30 s (minute %d)", i)
		n, limits := ct.calls("c1")
		assert.Equal(t, 21, n, "record 10×1, logs 2×2, events 1×1, executions 2×3 (minute %d)", i)
		assert.LessOrEqual(t, n, PageCallsPerMinute)
		for _, l := range limits {
			assert.Equal(t, PageCallsPerMinute, l)
		}
	}
	m.Unwatch("c1")
	minute(m, &clock) // the page's last asks
	ct.calls("c1")
	for i := range 3 {
		minute(m, &clock)
		n, _ := ct.calls("c1")
		assert.Equal(t, 3, n, "hidden: the running task's record every 20 s (minute %d)", i)
	}
}

// A run that ends is a desktop notification, once; a task first seen at rest is not.
func TestNotificationsWhenARunEnds(t *testing.T) {
	ct := newCloudTasks(tasks.View{ID: "c1", Name: "photos", Engine: state.EngineCloud, Status: state.TaskIdle,
		Counters: state.Counters{DoneObjects: 3, DoneBytes: 3 << 20, SkippedObjects: 2}},
		tasks.View{ID: "c2", Name: "logs", Engine: state.EngineCloud, Status: state.TaskRunning})
	var got []Notice
	m := New(Options{Tasks: ct, Notify: func(n Notice) { got = append(got, n) }})
	look := func(id string) {
		if n, ok := m.look(id); ok {
			got = append(got, n)
		}
	}
	look("c1") // first seen at rest
	look("c2") // first seen running
	require.Empty(t, got)
	ct.set("c1", state.TaskRunning, "")
	look("c1")
	ct.set("c1", state.TaskCompleted, "")
	look("c1")
	look("c1") // seen again: nothing new
	ct.set("c2", state.TaskFailed, "2 of 9 objects failed")
	look("c2")
	require.Len(t, got, 2)
	assert.Equal(t, "photos: run completed", got[0].Title)
	assert.Equal(t, "3 copied (3.0 MiB), 2 unchanged", got[0].Message)
	assert.Equal(t, "logs: run failed", got[1].Title)
	assert.Equal(t, "2 of 9 objects failed", got[1].Message)
}

// A cloud task being deployed for the first time has no table yet: its tables show no
// records, not the deployer's "no stack" error; once deployed, a missing stack is an error.
func TestItemsOfACloudTaskWithoutItsStackYetAreNone(t *testing.T) {
	deploying := tasks.View{ID: "c1", Type: state.TaskImage, Engine: state.EngineCloud, Status: state.TaskDeploying, Cloud: &tasks.CloudView{}}
	deployed := tasks.View{ID: "c2", Type: state.TaskImage, Engine: state.EngineCloud, Status: state.TaskIdle, Cloud: &tasks.CloudView{Deployed: true}}
	ct := newCloudTasks(deploying, deployed)
	ct.storeErr = fmt.Errorf("task c1 has no stack in control plane cp (us-east-1): %w", deploy.ErrNoTaskStack)
	m := New(Options{Tasks: ct, Cloud: ct})
	ctx := context.Background()

	p, err := m.Items(ctx, ItemsQuery{TaskID: "c1", Status: "FAILED"})
	require.NoError(t, err)
	assert.Equal(t, ItemsPage{Items: []Item{}, Page: 1, PageSize: DefaultPageSize, PagesCount: 1}, p)

	_, err = m.Items(ctx, ItemsQuery{TaskID: "c2"})
	require.ErrorIs(t, err, deploy.ErrNoTaskStack, "a deployed task's stack gone is an error to show")
	ct.storeErr = fmt.Errorf("the account: %w", context.DeadlineExceeded)
	_, err = m.Items(ctx, ItemsQuery{TaskID: "c1"})
	require.ErrorIs(t, err, context.DeadlineExceeded, "other errors stay errors")
}

// A cloud task's filter counts are its record's counters as the view has them now: the
// same read as the page's progress figures, never a copy kept from an earlier one (it
// lagged them by up to 5 s while a run went on).
func TestCloudCountsFollowTheRecordRead(t *testing.T) {
	ctx := context.Background()
	v := tasks.View{ID: "c1", Engine: state.EngineCloud, Status: state.TaskRunning, Active: true,
		Counters: state.Counters{FoundObjects: 10, DoneObjects: 2, FailedObjects: 1}}
	ct := newCloudTasks(v)
	clock := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	m := New(Options{Tasks: ct, Cloud: ct, Now: func() time.Time { return clock }})
	c, err := m.Counts(ctx, "c1")
	require.NoError(t, err)
	assert.Equal(t, Counts{Total: 10, ByStatus: map[state.ItemStatus]int64{state.ItemDone: 2, state.ItemSkipped: 0,
		state.ItemFailed: 1, state.ItemPending: 7}}, c)
	// The next read of the record: its progress and its view move together.
	v.Counters = state.Counters{FoundObjects: 12, DoneObjects: 9, SkippedObjects: 1, FailedObjects: 1}
	ct.mu.Lock()
	ct.views["c1"] = v
	ct.mu.Unlock()
	m.TaskProgress("c1", tasks.Progress{At: clock, Counters: v.Counters})
	c, err = m.Counts(ctx, "c1")
	require.NoError(t, err)
	assert.Equal(t, Counts{Total: 12, ByStatus: map[state.ItemStatus]int64{state.ItemDone: 9, state.ItemSkipped: 1,
		state.ItemFailed: 1, state.ItemPending: 1}}, c)
}
