package monitor

import (
	"context"
	"sync"
	"time"

	"transferhub/backend/tasks"
	"transferhub/cloud/deploy"
	"transferhub/cloud/state"
)

// Cloud is what the monitor asks of backend/tasks about cloud tasks (its Manager): their
// figures read from their stacks when the monitor says, and as last read.
type Cloud interface {
	Refresh(ctx context.Context, id string, parts tasks.Parts, limit int) error
	Panels(ctx context.Context, id string) (tasks.CloudPanels, error)
}

// A cloud task's figures are not pushed by a process in this app: they are read from
// its stack in the user's account, which bills and throttles every call. The monitor
// asks for them at rates it chooses by what shows them, and the runner holds each task
// to limit calls a minute (its call budget: what does not fit waits):
//
//   - its page is open (Watch): the record every 6 s (1 call), the queues (2 calls) and
//     the fleet (1) every 20 s, the agents' log lines every 30 s (2), the stack's events
//     every minute (1): 24 calls a minute of the 30 a page may cost; the object table's
//     pages spend from the rest. An image task has no queue and no fleet: its state
//     machine's executions every 30 s instead (at most 3: the list, and two failed ones
//     described), 21 calls a minute at most;
//   - the task list is open: each cloud task's record every 15 s (4 calls a minute);
//   - nothing shows it (the window is hidden): a running or deploying task's record
//     every 20 s (3 a minute, at most 4), an idle one's every 5 minutes, so that a
//     finished run is noticed (notifications).
type plan struct {
	limit int
	every map[tasks.Parts]time.Duration
}

// Call budgets a minute.
const (
	PageCallsPerMinute   = 30
	HiddenCallsPerMinute = 4
)

var (
	pagePlan = plan{limit: PageCallsPerMinute, every: map[tasks.Parts]time.Duration{
		tasks.PartRecord: 6 * time.Second, tasks.PartQueue: 20 * time.Second, tasks.PartFleet: 20 * time.Second,
		tasks.PartLogs: 30 * time.Second, tasks.PartEvents: time.Minute, tasks.PartExecutions: 30 * time.Second}}
	listPlan   = plan{limit: PageCallsPerMinute, every: map[tasks.Parts]time.Duration{tasks.PartRecord: 15 * time.Second}}
	hiddenPlan = plan{limit: HiddenCallsPerMinute, every: map[tasks.Parts]time.Duration{tasks.PartRecord: 20 * time.Second}}
	idlePlan   = plan{limit: HiddenCallsPerMinute, every: map[tasks.Parts]time.Duration{tasks.PartRecord: 5 * time.Minute}}
)

// cloudTick is how often the monitor looks whether a cloud task's figures are due.
const cloudTick = time.Second

// cloudState is what the monitor keeps to pace its asks.
type cloudState struct {
	mu       sync.Mutex
	read     map[string]map[tasks.Parts]time.Time // task → part → last asked
	inflight map[string]bool
	wg       sync.WaitGroup
}

func newCloudState() *cloudState {
	return &cloudState{read: map[string]map[tasks.Parts]time.Time{}, inflight: map[string]bool{}}
}

// planFor picks the plan of a cloud task by what shows it.
func (m *Monitor) planFor(v tasks.View, now time.Time) plan {
	m.mu.Lock()
	until, watched := m.watch[v.ID]
	list := now.Before(m.listUntil)
	m.mu.Unlock()
	switch {
	case watched && now.Before(until):
		return pagePlan
	case list:
		return listPlan
	case v.Status == state.TaskRunning || v.Status == state.TaskStopping || v.Status == state.TaskDeploying:
		return hiddenPlan
	}
	return idlePlan
}

// askCloud asks for the figures of every cloud task that are due by its plan at now.
// Each task has at most one ask under way; the asks run in the background.
func (m *Monitor) askCloud(ctx context.Context, now time.Time) {
	if m.cloud == nil || m.tasks == nil {
		return
	}
	views, err := m.tasks.List(ctx)
	if err != nil {
		return
	}
	cs := m.cloudSt
	for _, v := range views {
		if v.Engine != state.EngineCloud || v.Problem != "" {
			continue
		}
		p := m.planFor(v, now)
		cs.mu.Lock()
		if cs.inflight[v.ID] {
			cs.mu.Unlock()
			continue
		}
		last := cs.read[v.ID]
		if last == nil {
			last = map[tasks.Parts]time.Time{}
			cs.read[v.ID] = last
		}
		var due tasks.Parts
		for part, every := range p.every {
			if !partOf(v.Type, part) {
				continue
			}
			if t, ok := last[part]; !ok || now.Sub(t) >= every {
				due |= part
				last[part] = now
			}
		}
		if due == 0 {
			cs.mu.Unlock()
			continue
		}
		cs.inflight[v.ID] = true
		cs.wg.Add(1)
		cs.mu.Unlock()
		go func(id string, due tasks.Parts, limit int) {
			defer cs.wg.Done()
			if err := m.cloud.Refresh(ctx, id, due, limit); err != nil {
				m.log.Debug("read a cloud task's figures", "task", id, "err", err)
			}
			cs.mu.Lock()
			delete(cs.inflight, id)
			cs.mu.Unlock()
		}(v.ID, due, p.limit)
	}
}

// partOf says whether a task of this type has the part: queues and fleet are an S3
// task's, executions an image task's.
func partOf(typ state.TaskType, part tasks.Parts) bool {
	switch part {
	case tasks.PartQueue, tasks.PartFleet:
		return typ != state.TaskImage
	case tasks.PartExecutions:
		return typ == state.TaskImage
	}
	return true
}

// cloudLoop asks for cloud figures every cloudTick until Close.
func (m *Monitor) cloudLoop() {
	defer close(m.cloudDone)
	tk := time.NewTicker(cloudTick)
	defer tk.Stop()
	for {
		select {
		case <-m.stop:
			m.cloudSt.wg.Wait()
			return
		case <-tk.C:
			m.askCloud(context.Background(), m.now())
		}
	}
}

// CloudPanels returns a cloud task's queue, fleet, log lines and stack events as last
// read (no call to AWS: the page's Watch keeps them coming).
func (m *Monitor) CloudPanels(ctx context.Context, id string) (tasks.CloudPanels, error) {
	if m.cloud == nil {
		return tasks.CloudPanels{Logs: []deploy.LogLine{}, Events: []deploy.ResourceEvent{}}, nil
	}
	return m.cloud.Panels(ctx, id)
}

// Tick looks once whether cloud tasks' figures are due at now and waits for the asks
// it made. The monitor's loop looks every second by itself; tests step a fake clock
// with Tick to count what a minute costs.
func (m *Monitor) Tick(ctx context.Context, now time.Time) {
	m.askCloud(ctx, now)
	m.cloudSt.wg.Wait()
}
