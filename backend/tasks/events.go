package tasks

import "sync"

// Observer hears about task changes; the monitor pushes them to the UI.
type Observer interface {
	// TaskChanged: the task's status, definition or existence changed.
	TaskChanged(id string)
	// TaskProgress: every second while a run is active in this app.
	TaskProgress(id string, p Progress)
}

// Events passes what the Manager and the runners report on to the observers that listen
// (the monitor). It is built before them and given to each: the reporters are built
// before the monitor that reads the Manager, and no setter ties them afterwards.
type Events struct {
	mu        sync.RWMutex
	listeners []Observer
}

// NewEvents returns Events with no listener yet.
func NewEvents() *Events { return &Events{} }

// Listen adds an observer (the monitor, as it is built).
func (e *Events) Listen(o Observer) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.listeners = append(e.listeners, o)
}

// TaskChanged implements Observer.
func (e *Events) TaskChanged(id string) {
	for _, o := range e.observers() {
		o.TaskChanged(id)
	}
}

// TaskProgress implements Observer.
func (e *Events) TaskProgress(id string, p Progress) {
	for _, o := range e.observers() {
		o.TaskProgress(id, p)
	}
}

func (e *Events) observers() []Observer {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.listeners
}

// nobody is the Observer of a Manager or runner built without one.
type nobody struct{}

func (nobody) TaskChanged(string)            {}
func (nobody) TaskProgress(string, Progress) {}
