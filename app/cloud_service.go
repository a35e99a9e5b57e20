package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"transferhub/backend/credentials"
	"transferhub/backend/tasks"
	"transferhub/cloud/cost"
	"transferhub/cloud/invalid"
)

// CloudTasks is what the cloud facade needs from backend/tasks (its Manager).
type CloudTasks interface {
	PreviewCreate(ctx context.Context, req tasks.CreateRequest) (tasks.PreviewCreate, error)
	Estimate(ctx context.Context, d tasks.Definition, p tasks.Plan) (cost.Estimate, error)
	MoveToCloud(ctx context.Context, req tasks.MoveRequest) (tasks.View, error)
	PreviewMove(ctx context.Context, req tasks.MoveRequest) (tasks.PreviewCreate, error)
	PlanEdit(ctx context.Context, id string, d tasks.Definition) (*tasks.EditPlan, error)
	ApplyEdit(ctx context.Context, planID string) error
	DiscardEdit(ctx context.Context, planID string) error
	Redeploy(ctx context.Context, id string, controlPlane bool) error
	DeleteWith(ctx context.Context, id string, opt tasks.DeleteOptions) error
	Operation(ctx context.Context, id string) (*tasks.Operation, error)
}

// CloudPanels is what the facade reads of a cloud task's live panels (backend/monitor).
type CloudPanels interface {
	CloudPanels(ctx context.Context, id string) (tasks.CloudPanels, error)
}

// CloudFormOptions are the wizard's cloud choices.
type CloudFormOptions struct {
	// InstanceTypes offered, Graviton first; DefaultInstanceTypes the fleet's default.
	InstanceTypes        []string `json:"instanceTypes"`
	DefaultInstanceTypes []string `json:"defaultInstanceTypes"`
	DefaultMaxWorkers    int      `json:"defaultMaxWorkers"`
	MaxWorkers           int      `json:"maxWorkers"`
	DefaultMaxCopiers    int      `json:"defaultMaxCopiers"`
	MaxCopiers           int      `json:"maxCopiers"`
	// Regions per partition; ScheduleKinds a cloud task takes (once at a time too);
	// EventModes of S3 event notifications.
	Regions       map[string][]string `json:"regions"`
	ScheduleKinds []string            `json:"scheduleKinds"`
	EventModes    []string            `json:"eventModes"`
	// DefaultControlPlane is the control plane's name unless one is chosen.
	DefaultControlPlane string `json:"defaultControlPlane"`
}

// CloudPreviewResult is a new cloud task's deploy preview, or the fields to fix.
type CloudPreviewResult struct {
	Preview     tasks.PreviewCreate  `json:"preview"`
	FieldErrors []invalid.FieldError `json:"fieldErrors"`
}

// EditResult is a cloud task edit's preview (apply it with ApplyEdit), or the fields
// to fix.
type EditResult struct {
	Plan        *tasks.EditPlan      `json:"plan,omitempty"`
	FieldErrors []invalid.FieldError `json:"fieldErrors"`
}

// CloudService exposes what is particular to cloud tasks: the wizard's cloud options,
// the deploy preview of a new cloud task (with the control plane when the account and
// Region have none: create it through TasksService.Create with deployControlPlane),
// the cost estimate of the review step, moving a local task to AWS, edits through a
// stack update's preview, deploying a failed creation again, deleting with the
// keep-data choice, and the task page's cloud panels (queue, fleet, log lines, stack
// events: read at the monitor's pace while MonitorService.Watch keeps the page
// watched). A cloud task's stack operations show in its view (task.cloud.operation),
// pushed with the monitor's task:update events.
type CloudService struct {
	mgr    CloudTasks
	panels CloudPanels
	logger *slog.Logger

	runtimeContext
}

// NewCloudService wraps the task model and the monitor.
func NewCloudService(mgr CloudTasks, panels CloudPanels, logger *slog.Logger) *CloudService {
	return &CloudService{mgr: mgr, panels: panels, logger: logger}
}

// FormOptions returns the wizard's cloud choices.
func (s *CloudService) FormOptions() CloudFormOptions {
	o := CloudFormOptions{InstanceTypes: tasks.InstanceTypeChoices(), DefaultInstanceTypes: tasks.DefaultInstanceTypes,
		DefaultMaxWorkers: 10, MaxWorkers: tasks.MaxCloudWorkers, DefaultMaxCopiers: 10, MaxCopiers: tasks.MaxCloudCopiers,
		Regions: map[string][]string{}, ScheduleKinds: []string{"none", "interval", "cron", "once"},
		EventModes: []string{"none", "create", "create-and-delete"}, DefaultControlPlane: "thub"}
	for _, p := range credentials.Partitions() {
		o.Regions[p] = credentials.Regions(p)
	}
	return o
}

// Preview validates a new cloud task and previews its deploy: the control plane's
// change set when its account and Region have none yet, else the task stack's.
func (s *CloudService) Preview(req tasks.CreateRequest) (CloudPreviewResult, error) {
	return s.preview("deploy", func(ctx context.Context) (tasks.PreviewCreate, error) { return s.mgr.PreviewCreate(ctx, req) })
}

// Estimate is what a run of the definition would cost in AWS, from the review step's
// dry run (TasksService.Plan): each line with its quantity and unit price, totals per
// currency, the assumptions made and the price tables' dates and sources.
func (s *CloudService) Estimate(d tasks.Definition, p tasks.Plan) (cost.Estimate, error) {
	e, err := s.mgr.Estimate(s.context(), d, p)
	if err != nil {
		return cost.Estimate{}, fmt.Errorf("no cost estimate: %w", err)
	}
	return e, nil
}

// PreviewMove validates moving a local task to AWS and previews its deploy, as Preview
// does for a new cloud task (the move itself is MoveToAWS, after the user confirms).
func (s *CloudService) PreviewMove(req tasks.MoveRequest) (CloudPreviewResult, error) {
	return s.preview("move", func(ctx context.Context) (tasks.PreviewCreate, error) { return s.mgr.PreviewMove(ctx, req) })
}

// preview runs one of the manager's previews (of what: "deploy" or "move") within five
// minutes: a preview, the fields to fix, or an error.
func (s *CloudService) preview(what string, run func(context.Context) (tasks.PreviewCreate, error)) (CloudPreviewResult, error) {
	ctx, cancel := context.WithTimeout(s.context(), 5*time.Minute)
	defer cancel()
	p, err := run(ctx)
	fe, err := invalid.Fields(err)
	if err != nil {
		return CloudPreviewResult{}, fmt.Errorf("the %s could not be previewed: %w", what, err)
	}
	return CloudPreviewResult{Preview: p, FieldErrors: fe}, nil
}

// MoveToAWS makes a local task a cloud task with the same definition and name (its
// local file goes); the cloud run skips what the local runs copied.
func (s *CloudService) MoveToAWS(req tasks.MoveRequest) (TaskResult, error) {
	v, err := s.mgr.MoveToCloud(s.context(), req)
	fe, err := invalid.Fields(err)
	if err != nil {
		return TaskResult{}, actionError("move", err)
	}
	if len(fe) > 0 {
		return TaskResult{FieldErrors: fe}, nil
	}
	s.logger.Info("task moved to AWS", "from", req.TaskID, "task", v.ID)
	return TaskResult{Task: v, FieldErrors: []invalid.FieldError{}}, nil
}

// PlanEdit previews a cloud task's new definition as an update of its stack.
func (s *CloudService) PlanEdit(id string, d tasks.Definition) (EditResult, error) {
	ctx, cancel := context.WithTimeout(s.context(), 10*time.Minute)
	defer cancel()
	p, err := s.mgr.PlanEdit(ctx, id, d)
	fe, err := invalid.Fields(err)
	if err != nil {
		return EditResult{}, actionError("edit", err)
	}
	if len(fe) > 0 {
		return EditResult{FieldErrors: fe}, nil
	}
	return EditResult{Plan: p, FieldErrors: []invalid.FieldError{}}, nil
}

// ApplyEdit updates the task's stack as previewed; the task's view follows it.
func (s *CloudService) ApplyEdit(planID string) error {
	return actionError("edit", s.mgr.ApplyEdit(s.context(), planID))
}

// DiscardEdit drops a previewed edit.
func (s *CloudService) DiscardEdit(planID string) error {
	return actionError("discard the edit of", s.mgr.DiscardEdit(s.context(), planID))
}

// Redeploy deploys a cloud task whose creation failed again (deploying the control
// plane first when asked and missing).
func (s *CloudService) Redeploy(id string, deployControlPlane bool) error {
	return actionError("deploy", s.mgr.Redeploy(s.context(), id, deployControlPlane))
}

// Delete deletes a task; a cloud task's stack goes (in the background: the task shows
// DELETING), its table too unless keepData.
func (s *CloudService) Delete(id string, keepData bool) error {
	ctx, cancel := context.WithTimeout(s.context(), 30*time.Second)
	defer cancel()
	return actionError("delete", s.mgr.DeleteWith(ctx, id, tasks.DeleteOptions{KeepData: keepData}))
}

// Operation returns the operation on a cloud task's stack, under way or last ended.
func (s *CloudService) Operation(id string) (*tasks.Operation, error) {
	return s.mgr.Operation(s.context(), id)
}

// Panels returns a cloud task's queue depth and messages in flight, dead-letter queue
// size, fleet size, recent log lines and stack events, as last read.
func (s *CloudService) Panels(id string) (tasks.CloudPanels, error) {
	return s.panels.CloudPanels(s.context(), id)
}

func (s *CloudService) name() string { return "cloud" }

func (s *CloudService) start(ctx context.Context) error {
	s.setContext(ctx)
	return nil
}

func (s *CloudService) stop(context.Context) {}
