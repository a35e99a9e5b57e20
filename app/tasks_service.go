package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"transferhub/backend/tasks"
	"transferhub/cloud/image"
	"transferhub/cloud/invalid"
)

// TaskManager is what the tasks facade needs from backend/tasks.
type TaskManager interface {
	Open(ctx context.Context) error
	Close(ctx context.Context)
	Dir() string
	Get(ctx context.Context, id string) (tasks.View, error)
	Validate(ctx context.Context, name string, d tasks.Definition) error
	Create(ctx context.Context, req tasks.CreateRequest) (tasks.View, error)
	Plan(ctx context.Context, d tasks.Definition) (tasks.Plan, error)
	Start(ctx context.Context, id string) error
	Stop(ctx context.Context, id string) error
	Resume(ctx context.Context, id string) error
	RetryFailed(ctx context.Context, id string) error
	Clone(ctx context.Context, id, name string) (tasks.View, error)
	Delete(ctx context.Context, id string) error
}

// TaskFormOptions are the wizard's choices and bounds.
type TaskFormOptions struct {
	CompareModes            []string `json:"compareModes"`
	ServerSides             []string `json:"serverSides"`
	StorageClasses          []string `json:"storageClasses"`
	CannedACLs              []string `json:"cannedAcls"`
	SSEModes                []string `json:"sseModes"`
	MinConcurrency          int      `json:"minConcurrency"`
	MaxConcurrency          int      `json:"maxConcurrency"`
	DefaultConcurrency      int      `json:"defaultConcurrency"`      // S3 tasks (the user's setting)
	DefaultImageConcurrency int      `json:"defaultImageConcurrency"` // image tasks
	MinIntervalMinutes      int      `json:"minIntervalMinutes"`
	MaxNameLength           int      `json:"maxNameLength"`
	TaskFolder              string   `json:"taskFolder"`
}

// TaskResult is either a task or the fields to fix (nothing was stored); other failures
// are errors.
type TaskResult struct {
	Task        tasks.View           `json:"task"`
	FieldErrors []invalid.FieldError `json:"fieldErrors"`
}

// PlanResult is a dry run, or the fields to fix before one can run.
type PlanResult struct {
	Plan        tasks.Plan           `json:"plan"`
	FieldErrors []invalid.FieldError `json:"fieldErrors"`
}

// PlanTimeout bounds a dry run from the wizard; a longer listing gives a partial plan.
const PlanTimeout = 90 * time.Second

// TasksService exposes local tasks to the UI: create (with validation and a dry-run
// plan), start, stop, resume, retry failed, clone and delete. Live status is the
// MonitorService's.
type TasksService struct {
	mgr     TaskManager
	defConc func() int
	logger  *slog.Logger

	runtimeContext
	mu      sync.Mutex
	problem string // why the task folder could not be opened
}

// NewTasksService wraps the task manager; defaultConcurrency is the user's setting.
func NewTasksService(mgr TaskManager, defaultConcurrency func() int, logger *slog.Logger) *TasksService {
	return &TasksService{mgr: mgr, defConc: defaultConcurrency, logger: logger}
}

// FormOptions returns the wizard's choices.
func (s *TasksService) FormOptions() TaskFormOptions {
	return TaskFormOptions{
		CompareModes: tasks.CompareModes, ServerSides: tasks.ServerSides, StorageClasses: tasks.StorageClasses,
		CannedACLs: tasks.CannedACLs, SSEModes: tasks.SSEModes,
		MinConcurrency: tasks.MinConcurrency, MaxConcurrency: tasks.MaxConcurrency,
		DefaultConcurrency: s.defConc(), DefaultImageConcurrency: image.DefaultImageConcurrency,
		MinIntervalMinutes: int(tasks.MinInterval / time.Minute), MaxNameLength: tasks.MaxNameLength,
		TaskFolder: s.mgr.Dir(),
	}
}

// Problem says why local tasks are unavailable ("" when they are fine).
func (s *TasksService) Problem() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.problem
}

// Validate checks a wizard's content; no field errors means it can be created.
func (s *TasksService) Validate(req tasks.CreateRequest) ([]invalid.FieldError, error) {
	fe, err := invalid.Fields(s.mgr.Validate(s.context(), req.Name, req.Definition))
	if err != nil {
		return nil, fmt.Errorf("the task could not be checked: %w", err)
	}
	return fe, nil
}

// Plan runs a dry run of the definition (the wizard's review step): counts and bytes to
// copy, nothing written.
func (s *TasksService) Plan(d tasks.Definition) (PlanResult, error) {
	ctx, cancel := context.WithTimeout(s.context(), PlanTimeout)
	defer cancel()
	p, err := s.mgr.Plan(ctx, d)
	fe, err := invalid.Fields(err)
	if err != nil {
		return PlanResult{}, fmt.Errorf("the dry run failed: %w", err)
	}
	return PlanResult{Plan: p, FieldErrors: fe}, nil
}

// Create stores a new task (and starts it when asked).
func (s *TasksService) Create(req tasks.CreateRequest) (TaskResult, error) {
	v, err := s.mgr.Create(s.context(), req)
	fe, err := invalid.Fields(err)
	if err != nil {
		return TaskResult{}, fmt.Errorf("the task was not created: %w", err)
	}
	if len(fe) > 0 {
		return TaskResult{FieldErrors: fe}, nil
	}
	s.logger.Info("task created", "task", v.ID, "type", v.Type)
	return TaskResult{Task: v, FieldErrors: fe}, nil
}

// Get returns one task.
func (s *TasksService) Get(id string) (tasks.View, error) {
	return s.mgr.Get(s.context(), id)
}

// Start begins a new run.
func (s *TasksService) Start(id string) error {
	return actionError("start", s.mgr.Start(s.context(), id))
}

// Stop stops the running run (it can be resumed).
func (s *TasksService) Stop(id string) error {
	return actionError("stop", s.mgr.Stop(s.context(), id))
}

// Resume continues the stopped or interrupted run.
func (s *TasksService) Resume(id string) error {
	return actionError("resume", s.mgr.Resume(s.context(), id))
}

// RetryFailed copies the current run's failed items again.
func (s *TasksService) RetryFailed(id string) error {
	return actionError("retry", s.mgr.RetryFailed(s.context(), id))
}

// Clone creates a copy of a task (not started); name "" picks "Copy of ...".
func (s *TasksService) Clone(id, name string) (TaskResult, error) {
	v, err := s.mgr.Clone(s.context(), id, name)
	fe, err := invalid.Fields(err)
	if err != nil {
		return TaskResult{}, actionError("clone", err)
	}
	if len(fe) > 0 {
		return TaskResult{FieldErrors: fe}, nil
	}
	return TaskResult{Task: v, FieldErrors: fe}, nil
}

// Delete stops a task and removes it with its records and log.
func (s *TasksService) Delete(id string) error {
	ctx, cancel := context.WithTimeout(s.context(), 30*time.Second)
	defer cancel()
	return actionError("delete", s.mgr.Delete(ctx, id))
}

// actionError keeps the manager's wording (it says what is wrong) and names the action.
func actionError(action string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, invalid.ErrInvalid) {
		return err
	}
	return fmt.Errorf("could not %s the task: %w", action, err)
}

func (s *TasksService) name() string { return "tasks" }

// start opens the task folder: tasks a closed or killed app left running resume.
func (s *TasksService) start(ctx context.Context) error {
	s.setContext(ctx)
	if err := s.mgr.Open(ctx); err != nil {
		s.mu.Lock()
		s.problem = err.Error()
		s.mu.Unlock()
		return err
	}
	return nil
}

// stop pauses running tasks (they resume at the next start).
func (s *TasksService) stop(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	s.mgr.Close(ctx)
}
