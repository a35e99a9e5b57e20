// The cloud calls of the Backend on the generated Wails bindings.
import * as CloudService from '../../wailsjs/go/app/CloudService';
import * as DeploymentsService from '../../wailsjs/go/app/DeploymentsService';
import * as TasksService from '../../wailsjs/go/app/TasksService';
import { tasks } from '../../wailsjs/go/models';
import type { CloudBackend, CloudFormOptions, CloudPanels, CostEstimate, EditPlan, PreviewCreate, VpcNetwork } from './cloud';
import { fieldErrorsOf, plain } from './models';
import type { TaskView } from './tasks';

export const wailsCloudBackend: CloudBackend = {
  async cloudFormOptions() {
    return plain(await CloudService.FormOptions()) as CloudFormOptions;
  },
  async cloudNetworks(profileId, region) {
    return (plain(await DeploymentsService.Networks(profileId, region)) as VpcNetwork[] | undefined) ?? [];
  },
  async previewCloudTask(name, definition) {
    const res = await CloudService.Preview(tasks.CreateRequest.createFrom({ name, definition, start: false, deployControlPlane: false }));
    const fe = fieldErrorsOf(res.fieldErrors);
    if (fe.length > 0) return { ok: false, fieldErrors: fe };
    return { ok: true, preview: plain(res.preview) as PreviewCreate };
  },
  async estimateCost(definition, plan) {
    const e = plain(await CloudService.Estimate(tasks.Definition.createFrom(definition), tasks.Plan.createFrom(plan))) as Partial<CostEstimate>;
    return { lines: e.lines ?? [], totals: e.totals ?? {}, assumptions: e.assumptions ?? [], notIncluded: e.notIncluded ?? [], prices: e.prices ?? [] };
  },
  async createCloudTask(name, definition, start, deployControlPlane) {
    const res = await TasksService.Create(tasks.CreateRequest.createFrom({ name, definition, start, deployControlPlane }));
    const fe = fieldErrorsOf(res.fieldErrors);
    if (fe.length > 0) return { ok: false, fieldErrors: fe };
    return { ok: true, task: plain(res.task) as TaskView };
  },
  async previewMove(taskId, cloud) {
    const res = await CloudService.PreviewMove(tasks.MoveRequest.createFrom({ taskId, cloud, deployControlPlane: false, start: false }));
    const fe = fieldErrorsOf(res.fieldErrors);
    if (fe.length > 0) return { ok: false, fieldErrors: fe };
    return { ok: true, preview: plain(res.preview) as PreviewCreate };
  },
  async moveToAWS(taskId, cloud, deployControlPlane, start) {
    const res = await CloudService.MoveToAWS(tasks.MoveRequest.createFrom({ taskId, cloud, deployControlPlane, start }));
    const fe = fieldErrorsOf(res.fieldErrors);
    if (fe.length > 0) return { ok: false, fieldErrors: fe };
    return { ok: true, task: plain(res.task) as TaskView };
  },
  async planEdit(taskId, definition) {
    const res = await CloudService.PlanEdit(taskId, tasks.Definition.createFrom(definition));
    const fe = fieldErrorsOf(res.fieldErrors);
    if (fe.length > 0 || !res.plan) return { ok: false, fieldErrors: fe };
    return { ok: true, plan: plain(res.plan) as EditPlan };
  },
  applyEdit: (planId) => CloudService.ApplyEdit(planId),
  discardEdit: (planId) => CloudService.DiscardEdit(planId),
  redeploy: (taskId, deployControlPlane) => CloudService.Redeploy(taskId, deployControlPlane),
  deleteCloudTask: (taskId, keepData) => CloudService.Delete(taskId, keepData),
  async cloudPanels(taskId) {
    const p = plain(await CloudService.Panels(taskId)) as Partial<CloudPanels> & Pick<CloudPanels, 'queueAt' | 'fleetAt' | 'logsAt' | 'eventsAt'>;
    return { ...p, logs: p.logs ?? [], events: p.events ?? [], executions: p.executions ?? [] };
  },
};
