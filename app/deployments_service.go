package app

import (
	"context"
	"log/slog"
	"time"

	wruntime "github.com/wailsapp/wails/v2/pkg/runtime"

	"transferhub/backend/deployments"
	"transferhub/cloud/deploy"
)

// Deployments is what the Deployments facade needs from backend/deployments.
type Deployments interface {
	Start(emit deployments.Emitter)
	Close(ctx context.Context)
	Info() deployments.Info
	Accounts(ctx context.Context) ([]deployments.Account, error)
	List(ctx context.Context, profileID, region string) (deployments.Listing, error)
	Overview(ctx context.Context) ([]deployments.Listing, error)
	Preflight(ctx context.Context, req deployments.PreflightRequest) (deploy.PreflightReport, error)
	Networks(ctx context.Context, profileID, region string) ([]deployments.Network, error)
	PlanControlPlane(ctx context.Context, req deployments.ControlPlaneRequest) (deployments.Plan, error)
	PlanUpgrade(ctx context.Context, profileID, region, controlPlane, taskID string) (deployments.Plan, error)
	Execute(ctx context.Context, planID string) (deployments.Operation, error)
	Discard(ctx context.Context, planID string) error
	DeleteFailed(ctx context.Context, profileID, region, controlPlane, taskID string) (deployments.Operation, error)
	RemovePreview(ctx context.Context, req deployments.RemoveRequest) (deploy.DeleteResult, error)
	Remove(ctx context.Context, req deployments.RemoveRequest) (deployments.Operation, error)
	Operations() []deployments.Operation
	DiscoverKnown(ctx context.Context) error
}

// DeploymentsService is the Deployments page: Transfer Hub's control planes and task
// stacks in the accounts of the AWS profiles (per account and Region, with status,
// version and last update), a control plane deployed through the preview of its
// change set with live progress, delete-and-retry after a failed creation, upgrades to
// the agent this app carries, removal with the keep-data choice and the permission
// pre-check. Operations run in the background: their progress is pushed as the event
// "deployments:operation" (a deployments.Operation) and Operations lists them for a
// page opened meanwhile.
type DeploymentsService struct {
	dep    Deployments
	logger *slog.Logger

	runtimeContext
}

// NewDeploymentsService wraps the deployments backend.
func NewDeploymentsService(dep Deployments, logger *slog.Logger) *DeploymentsService {
	return &DeploymentsService{dep: dep, logger: logger}
}

// Info says this build's version and whether it carries the agents (without them it
// cannot deploy: Problem says so).
func (s *DeploymentsService) Info() deployments.Info { return s.dep.Info() }

// Accounts lists the AWS profiles and the Regions the page shows for each.
func (s *DeploymentsService) Accounts() ([]deployments.Account, error) {
	return s.dep.Accounts(s.context())
}

// List reads the control planes and task stacks of one account and Region ("" Region:
// the profile's).
func (s *DeploymentsService) List(profileID, region string) (deployments.Listing, error) {
	ctx, cancel := context.WithTimeout(s.context(), time.Minute)
	defer cancel()
	return s.dep.List(ctx, profileID, region)
}

// Overview reads every account and Region the page shows (a place that cannot be read
// says why in its problem), and adds the cloud tasks of their control planes to the
// task list.
func (s *DeploymentsService) Overview() ([]deployments.Listing, error) {
	ctx, cancel := context.WithTimeout(s.context(), 2*time.Minute)
	defer cancel()
	return s.dep.Overview(ctx)
}

// Preflight checks, before a deploy, who deploys, what permissions the identity lacks,
// quotas and what the subnets reach.
func (s *DeploymentsService) Preflight(req deployments.PreflightRequest) (deploy.PreflightReport, error) {
	ctx, cancel := context.WithTimeout(s.context(), 2*time.Minute)
	defer cancel()
	return s.dep.Preflight(ctx, req)
}

// Networks lists the VPCs and subnets of an account and Region, the default VPC first
// with its default subnets marked (preselected).
func (s *DeploymentsService) Networks(profileID, region string) ([]deployments.Network, error) {
	return s.dep.Networks(s.context(), profileID, region)
}

// PlanControlPlane previews a control plane's change set (Execute runs it, Discard
// drops it); a creation that rolled back comes back with deleteAndRetry.
func (s *DeploymentsService) PlanControlPlane(req deployments.ControlPlaneRequest) (deployments.Plan, error) {
	ctx, cancel := context.WithTimeout(s.context(), 10*time.Minute)
	defer cancel()
	return s.dep.PlanControlPlane(ctx, req)
}

// PlanUpgrade previews the upgrade of a control plane (taskID "") or a task's stack to
// this app's agent and templates.
func (s *DeploymentsService) PlanUpgrade(profileID, region, controlPlane, taskID string) (deployments.Plan, error) {
	ctx, cancel := context.WithTimeout(s.context(), 10*time.Minute)
	defer cancel()
	return s.dep.PlanUpgrade(ctx, profileID, region, controlPlane, taskID)
}

// Execute runs a previewed change set; its progress is pushed as events.
func (s *DeploymentsService) Execute(planID string) (deployments.Operation, error) {
	return s.dep.Execute(s.context(), planID)
}

// Discard drops a previewed change set.
func (s *DeploymentsService) Discard(planID string) error {
	return s.dep.Discard(s.context(), planID)
}

// DeleteFailed deletes a control plane (taskID "") or task stack whose creation
// failed, so that it can be deployed again.
func (s *DeploymentsService) DeleteFailed(profileID, region, controlPlane, taskID string) (deployments.Operation, error) {
	return s.dep.DeleteFailed(s.context(), profileID, region, controlPlane, taskID)
}

// RemovePreview says what removing a deployment would delete and what it would keep.
func (s *DeploymentsService) RemovePreview(req deployments.RemoveRequest) (deploy.DeleteResult, error) {
	return s.dep.RemovePreview(s.context(), req)
}

// Remove removes a deployment (keeping the data when asked); its progress is pushed.
func (s *DeploymentsService) Remove(req deployments.RemoveRequest) (deployments.Operation, error) {
	return s.dep.Remove(s.context(), req)
}

// Operations lists this session's operations, newest first.
func (s *DeploymentsService) Operations() []deployments.Operation { return s.dep.Operations() }

func (s *DeploymentsService) name() string { return "deployments" }

// start sends operations' progress to the UI.
func (s *DeploymentsService) start(ctx context.Context) error {
	s.setContext(ctx)
	s.dep.Start(func(name string, data any) { wruntime.EventsEmit(ctx, name, data) })
	// Cloud tasks made on another computer (or with thub deploy) join the task list.
	go func() {
		dctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		if err := s.dep.DiscoverKnown(dctx); err != nil {
			s.logger.Warn("look for cloud tasks made elsewhere", "err", err)
		}
	}()
	return nil
}

func (s *DeploymentsService) stop(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	s.dep.Close(ctx)
}
