package monitor

import (
	"context"
	"fmt"
	"sync"

	"github.com/dustin/go-humanize"

	"transferhub/cloud/state"
)

// Notice is a run that ended, for a desktop notification.
type Notice struct {
	TaskID  string           `json:"taskId"`
	Name    string           `json:"name"`
	Status  state.TaskStatus `json:"status"`
	Title   string           `json:"title"`
	Message string           `json:"message"`
}

// notifier notices runs that end: a task seen RUNNING that is now COMPLETED, FAILED or
// IDLE (a scheduled run ended). A task first seen at rest announces nothing.
type notifier struct {
	fn   func(Notice)
	done chan struct{}

	mu      sync.Mutex
	pending map[string]bool
	seen    map[string]state.TaskStatus
	wake    chan struct{}
}

func newNotifier(fn func(Notice)) *notifier {
	return &notifier{fn: fn, done: make(chan struct{}), pending: map[string]bool{}, seen: map[string]state.TaskStatus{}, wake: make(chan struct{}, 1)}
}

// changed notes a task to look at (TaskChanged is called often: the looks coalesce).
func (n *notifier) changed(id string) {
	if n.fn == nil {
		return
	}
	n.mu.Lock()
	n.pending[id] = true
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// notifyLoop looks at changed tasks until Close.
func (m *Monitor) notifyLoop() {
	n := m.notes
	defer close(n.done)
	for {
		select {
		case <-m.stop:
			return
		case <-n.wake:
		}
		n.mu.Lock()
		ids := make([]string, 0, len(n.pending))
		for id := range n.pending {
			ids = append(ids, id)
		}
		clear(n.pending)
		n.mu.Unlock()
		for _, id := range ids {
			if note, ok := m.look(id); ok {
				n.fn(note)
			}
		}
	}
}

// look compares a task's status with the one seen before and says whether a run ended.
func (m *Monitor) look(id string) (Notice, bool) {
	n := m.notes
	if n.fn == nil || m.tasks == nil {
		return Notice{}, false
	}
	v, err := m.tasks.Get(context.Background(), id)
	n.mu.Lock()
	prev, known := n.seen[id]
	if err != nil {
		delete(n.seen, id)
		n.mu.Unlock()
		return Notice{}, false
	}
	n.seen[id] = v.Status
	n.mu.Unlock()
	if !known || prev != state.TaskRunning {
		return Notice{}, false
	}
	c := v.Counters
	note := Notice{TaskID: id, Name: v.Name, Status: v.Status}
	switch v.Status {
	case state.TaskCompleted, state.TaskIdle:
		if v.LastError != "" {
			note.Title = fmt.Sprintf("%s: run finished with failures", v.Name)
			note.Message = v.LastError
			break
		}
		note.Title = fmt.Sprintf("%s: run completed", v.Name)
		note.Message = fmt.Sprintf("%d copied (%s), %d unchanged", c.DoneObjects, humanize.IBytes(uint64(c.DoneBytes)), c.SkippedObjects)
	case state.TaskFailed:
		note.Title = fmt.Sprintf("%s: run failed", v.Name)
		note.Message = v.LastError
		if note.Message == "" {
			note.Message = fmt.Sprintf("%d of %d failed", c.FailedObjects, c.FoundObjects)
		}
	default:
		return Notice{}, false
	}
	return note, true
}
