// Cloud tasks (app.CloudService): the wizard's cloud options, a new cloud task's deploy
// preview, the review step's cost estimate, edits through a stack update's preview,
// delete with the keep-data choice, Move to AWS and the task page's cloud panels; as
// aliases of the generated bindings.
import type { app, cost, deploy, deployments, tasks } from '../../wailsjs/go/models';
import type { FieldError, Narrowed, Plain } from './models';
import type { TaskDefinition, TaskPlan, TaskView } from './tasks';

export type CloudFormOptions = Plain<app.CloudFormOptions>;

export type CloudOptionsDef = Plain<tasks.CloudOptions>;

export type CostEstimate = Plain<cost.Estimate>;
export type CostLine = Plain<cost.Line>;

/** A CloudFormation change set's preview, as the wizard and the edit show it. */
export type StackPreview = Plain<deploy.Preview>;
export type ResourceChange = Plain<deploy.ResourceChange>;

export type PreviewCreate = Plain<tasks.PreviewCreate>;

export type PreviewResult = { ok: true; preview: PreviewCreate } | { ok: false; fieldErrors: FieldError[] };

export type EditPlan = Plain<tasks.EditPlan>;
export type EditResult = { ok: true; plan: EditPlan } | { ok: false; fieldErrors: FieldError[] };

/** RFC 3339 times. */
export type ResourceEvent = Narrowed<deploy.ResourceEvent, { time: string }>;
export type LogLine = Narrowed<deploy.LogLine, { time: string }>;
/** An image task's state machine execution; stop is absent while it runs. */
export type Execution = Narrowed<deploy.Execution, { start: string; stop?: string }>;
/** A cloud task's stack operation: the same as the Deployments page's. */
export type { Operation as StackOperation } from '../deployments/api';

/** A cloud task's panels as the monitor last read them; problems by panel (queue, fleet, logs, events, executions). */
export type CloudPanels = Narrowed<
  tasks.CloudPanels,
  {
    queueAt: string;
    fleetAt: string;
    logsAt: string;
    eventsAt: string;
    executionsAt?: string;
    logs: LogLine[];
    events: ResourceEvent[];
    executions: Execution[];
  }
>;

export type VpcNetwork = Plain<deployments.Network>;

export type MoveResult = { ok: true; task: TaskView } | { ok: false; fieldErrors: FieldError[] };

/** The cloud calls of the Backend. */
export interface CloudBackend {
  cloudFormOptions(): Promise<CloudFormOptions>;
  /** The VPCs and subnets of an account's Region (the default VPC marked). */
  cloudNetworks(profileId: string, region: string): Promise<VpcNetwork[]>;
  /** Validates a new cloud task and previews its deploy (with the control plane's when it is missing). */
  previewCloudTask(name: string, definition: TaskDefinition): Promise<PreviewResult>;
  /** What a run would cost in AWS, from the dry run's counts. */
  estimateCost(definition: TaskDefinition, plan: TaskPlan): Promise<CostEstimate>;
  /** Creates a cloud task, deploying the control plane first when asked. */
  createCloudTask(name: string, definition: TaskDefinition, start: boolean, deployControlPlane: boolean): Promise<MoveResult>;
  /** Validates moving a local task to AWS and previews its deploy, as previewCloudTask does; nothing moves yet. */
  previewMove(taskId: string, cloud: CloudOptionsDef): Promise<PreviewResult>;
  moveToAWS(taskId: string, cloud: CloudOptionsDef, deployControlPlane: boolean, start: boolean): Promise<MoveResult>;
  planEdit(taskId: string, definition: TaskDefinition): Promise<EditResult>;
  applyEdit(planId: string): Promise<void>;
  discardEdit(planId: string): Promise<void>;
  redeploy(taskId: string, deployControlPlane: boolean): Promise<void>;
  deleteCloudTask(taskId: string, keepData: boolean): Promise<void>;
  cloudPanels(taskId: string): Promise<CloudPanels>;
}
