package tasks

import (
	"context"
	"errors"
	"log/slog"
)

// arm registers the task's schedule with the cron runner, replacing the one it had
// (m.mu held). Scheduled runs only happen while the app is open; a run still going when
// the next one is due is not doubled, the due run is skipped. A cloud task's schedule
// is its stack's: nothing is armed here.
func (m *Manager) arm(e *entry, d Definition) {
	if id, ok := m.sched[e.id]; ok {
		m.cron.Remove(id)
		delete(m.sched, e.id)
	}
	if d.Cloud != nil {
		return
	}
	spec := d.Schedule.CronSpec()
	if spec == "" {
		return
	}
	id, err := m.cron.AddFunc(spec, func() { m.scheduled(e.id) })
	if err != nil {
		// Validated on create; an old file with a bad schedule just has none.
		e.log.Logger(slog.LevelInfo, m.log, e.id).Warn("the schedule is not valid and was ignored", "schedule", spec, "err", err)
		return
	}
	m.sched[e.id] = id
}

func (m *Manager) scheduled(id string) {
	err := m.begin(context.Background(), id, ModeScheduled)
	if err == nil {
		return
	}
	if e, gerr := m.folder.get(id); gerr == nil {
		lg := e.log.Logger(slog.LevelInfo, m.log, id)
		if errors.Is(err, ErrBusy) {
			lg.Info("scheduled run skipped: the previous run is still going")
		} else {
			lg.Warn("scheduled run did not start", "err", err)
		}
	}
}
