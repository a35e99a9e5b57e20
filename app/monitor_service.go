package app

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	wruntime "github.com/wailsapp/wails/v2/pkg/runtime"

	"transferhub/backend/monitor"
)

// TaskMonitor is what the monitor facade needs from backend/monitor.
type TaskMonitor interface {
	Start(emit monitor.Emitter)
	Close()
	Rows(ctx context.Context) ([]monitor.Row, error)
	Detail(ctx context.Context, id string) (monitor.Update, error)
	Items(ctx context.Context, q monitor.ItemsQuery) (monitor.ItemsPage, error)
	Counts(ctx context.Context, id string) (monitor.Counts, error)
	Logs(id string, after int64, limit int) (monitor.LogPage, error)
	Export(ctx context.Context, id, format, status, path string) (monitor.ExportResult, error)
	Watch(id string)
	Unwatch(id string)
	WatchList()
	UnwatchList()
}

// SaveFilePicker opens a native "save as" chooser; "" with a nil error means cancelled.
type SaveFilePicker func(ctx context.Context, title, defaultName string) (string, error)

// MonitorService gives the UI live task status: the list with progress, a task's detail
// with its throughput chart, its object/image table (paged from the store), its log and
// the report export. Progress is pushed as events (monitor.EventList, monitor.EventTask)
// only while a page watches: the page calls Watch/WatchList every few seconds while
// visible and Unwatch when hidden or closed.
type MonitorService struct {
	runtimeContext
	mon    TaskMonitor
	save   SaveFilePicker
	logger *slog.Logger
}

// NewMonitorService wraps the monitor; a nil picker uses the native Wails dialog.
func NewMonitorService(mon TaskMonitor, save SaveFilePicker, logger *slog.Logger) *MonitorService {
	if save == nil {
		save = wailsSaveFilePicker
	}
	return &MonitorService{mon: mon, save: save, logger: logger}
}

// List returns every task with its live progress.
func (s *MonitorService) List() ([]monitor.Row, error) {
	rows, err := s.mon.Rows(s.context())
	if err != nil {
		return nil, fmt.Errorf("the tasks could not be listed: %w", err)
	}
	if rows == nil {
		rows = []monitor.Row{}
	}
	return rows, nil
}

// Detail returns a task with its live figures and its whole throughput chart.
func (s *MonitorService) Detail(id string) (monitor.Update, error) {
	return s.mon.Detail(s.context(), id)
}

// Items returns one page of a task's objects or images.
func (s *MonitorService) Items(q monitor.ItemsQuery) (monitor.ItemsPage, error) {
	return s.mon.Items(s.context(), q)
}

// Counts returns how many records a task's table holds per status.
func (s *MonitorService) Counts(id string) (monitor.Counts, error) {
	return s.mon.Counts(s.context(), id)
}

// Logs returns a task's log records after seq (0: the newest ones).
func (s *MonitorService) Logs(id string, after int64, limit int) (monitor.LogPage, error) {
	return s.mon.Logs(id, after, limit)
}

// Watch keeps pushes about a task coming (renew every few seconds while visible).
func (s *MonitorService) Watch(id string) { s.mon.Watch(id) }

// Unwatch stops pushes about a task.
func (s *MonitorService) Unwatch(id string) { s.mon.Unwatch(id) }

// WatchList keeps pushes of the task list coming.
func (s *MonitorService) WatchList() { s.mon.WatchList() }

// UnwatchList stops pushes of the task list.
func (s *MonitorService) UnwatchList() { s.mon.UnwatchList() }

// Export asks where to save the report (native dialog) and writes it; an empty path in
// the result means the user cancelled.
func (s *MonitorService) Export(id, format, status string) (monitor.ExportResult, error) {
	format = strings.ToLower(format)
	name := fmt.Sprintf("%s-report-%s.%s", id, time.Now().Format("20060102-150405"), format)
	path, err := s.save(s.context(), "Export the task report", name)
	if err != nil {
		return monitor.ExportResult{}, fmt.Errorf("open the save dialog: %w", err)
	}
	if path == "" {
		return monitor.ExportResult{}, nil
	}
	return s.ExportTo(id, format, status, path)
}

// ExportTo writes the report to a given file (no dialog).
func (s *MonitorService) ExportTo(id, format, status, path string) (monitor.ExportResult, error) {
	res, err := s.mon.Export(s.context(), id, format, status, filepath.Clean(path))
	if err != nil {
		return monitor.ExportResult{}, fmt.Errorf("the report was not exported: %w", err)
	}
	s.logger.Info("report exported", "task", id, "file", res.Path, "rows", res.Rows)
	return res, nil
}

func (s *MonitorService) name() string { return "monitor" }

// start wires the monitor's events to the Wails runtime and runs its push loop.
func (s *MonitorService) start(ctx context.Context) error {
	s.setContext(ctx)
	s.mon.Start(func(name string, data any) { wruntime.EventsEmit(ctx, name, data) })
	return nil
}

func (s *MonitorService) stop(ctx context.Context) { s.mon.Close() }

func wailsSaveFilePicker(ctx context.Context, title, defaultName string) (string, error) {
	return wruntime.SaveFileDialog(ctx, wruntime.SaveDialogOptions{Title: title, DefaultFilename: defaultName,
		CanCreateDirectories: true,
		Filters:              []wruntime.FileFilter{{DisplayName: "Reports (*.csv, *.json)", Pattern: "*.csv;*.json"}}})
}
