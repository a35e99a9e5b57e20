// The Deployments page's calls into the Go side (backend/deployments via
// app.DeploymentsService), as plain aliases of the generated bindings.
import type { deploy, deployments, stack, stackop } from '../../wailsjs/go/models';
import type { Narrowed, Plain } from '../api/models';

/** RFC 3339 times arrive as strings; durations as nanoseconds. */
export type ResourceEvent = Narrowed<deploy.ResourceEvent, { time: string }>;
export type Failure = Narrowed<deploy.Failure, { time: string }>;
export type Progress = Narrowed<
  deploy.Progress,
  { started: string; resource?: ResourceEvent; firstFailure?: Failure; inProgress?: string[] }
>;
export type DeleteItem = Plain<deploy.Item>;
export type DeleteResult = Narrowed<deploy.DeleteResult, { removes: DeleteItem[]; survives: DeleteItem[]; outcome: Outcome }>;
export type Outcome = Narrowed<deploy.Outcome, { firstFailure?: Failure; resources?: ResourceEvent[] }>;
/** The Deployments page's kinds, then a cloud task's (backend/stackop). */
export type OperationKind = 'deploy' | 'delete-failed' | 'remove' | 'control-plane' | 'create' | 'update' | 'delete';
export type Operation = Narrowed<
  stackop.Operation,
  {
    kind: OperationKind;
    started: string;
    ended?: string;
    progress?: Progress;
    resources: ResourceEvent[];
    firstFailure?: Failure;
    removed?: DeleteResult;
  }
>;
export type DeploymentKind = 'control-plane' | 's3-task' | 'image-task';
export type Deployment = Narrowed<deploy.Deployment, { kind: DeploymentKind; created: string; updated?: string }>;
export type Listing = Narrowed<deployments.Listing, { deployments: Deployment[]; operations: Operation[]; readAt: string }>;
export type Account = Plain<deployments.Account>;
export type DeployInfo = Plain<deployments.Info>;
export type CheckStatus = 'ok' | 'warning' | 'problem' | 'unknown';
export type PreflightCheck = Narrowed<deploy.Check, { status: CheckStatus }>;
export type PreflightReport = Narrowed<deploy.PreflightReport, { checks: PreflightCheck[]; missing: string[] }>;
export type StackNetwork = Plain<stack.Network>;
export type Subnet = Plain<deployments.Subnet>;
export type Network = Narrowed<deployments.Network, { subnets: Subnet[] }>;
export type ResourceChange = Plain<deploy.ResourceChange>;
export type Preview = Narrowed<deploy.Preview, { changes: ResourceChange[] }>;
export type Plan = Narrowed<deployments.Plan, { preview: Preview; firstFailure?: Failure }>;
export type ControlPlaneRequest = Plain<deployments.ControlPlaneRequest>;
export type PreflightRequest = Plain<deployments.PreflightRequest>;
export type RemoveRequest = Plain<deployments.RemoveRequest>;

export interface DeploymentsBackend {
  deploymentsInfo(): Promise<DeployInfo>;
  deploymentAccounts(): Promise<Account[]>;
  /** Every account and Region the page shows; a place that cannot be read says why in problem. */
  deploymentsOverview(): Promise<Listing[]>;
  listDeployments(profileId: string, region: string): Promise<Listing>;
  preflight(req: PreflightRequest): Promise<PreflightReport>;
  networks(profileId: string, region: string): Promise<Network[]>;
  planControlPlane(req: ControlPlaneRequest): Promise<Plan>;
  planUpgrade(profileId: string, region: string, controlPlane: string, taskId: string): Promise<Plan>;
  executePlan(planId: string): Promise<Operation>;
  discardPlan(planId: string): Promise<void>;
  deleteFailed(profileId: string, region: string, controlPlane: string, taskId: string): Promise<Operation>;
  removePreview(req: RemoveRequest): Promise<DeleteResult>;
  removeDeployment(req: RemoveRequest): Promise<Operation>;
  deploymentOperations(): Promise<Operation[]>;
  /** Calls listener with each operation's progress (the "deployments:operation" event); returns the unsubscribe. */
  onDeploymentOperation(listener: (op: Operation) => void): () => void;
}
