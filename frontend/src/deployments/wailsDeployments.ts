// DeploymentsBackend on the generated Wails bindings and the runtime's events.
import * as DeploymentsService from '../../wailsjs/go/app/DeploymentsService';
import { deployments as models } from '../../wailsjs/go/models';
import { EventsOn } from '../../wailsjs/runtime/runtime';
import { plain } from '../api/models';
import type {
  Account,
  DeleteResult,
  DeploymentsBackend,
  DeployInfo,
  Listing,
  Network,
  Operation,
  Plan,
  PreflightReport,
} from './api';

/** The event backend/deployments pushes each time an operation moves (deployments.EventOperation). */
export const operationEvent = 'deployments:operation';

function operation(v: unknown): Operation {
  const o = plain(v) as Omit<Operation, 'resources' | 'removed'> & { resources?: Operation['resources']; removed?: unknown };
  return { ...o, resources: o.resources ?? [], removed: o.removed === undefined ? undefined : deleteResult(o.removed) };
}

function deleteResult(v: unknown): DeleteResult {
  const r = plain(v) as Omit<DeleteResult, 'removes' | 'survives'> & { removes?: DeleteResult['removes']; survives?: DeleteResult['survives'] };
  return { ...r, removes: r.removes ?? [], survives: r.survives ?? [] };
}

function listing(v: unknown): Listing {
  const l = plain(v) as Omit<Listing, 'deployments' | 'operations'> & { deployments?: Listing['deployments']; operations?: unknown[] };
  return { ...l, deployments: l.deployments ?? [], operations: (l.operations ?? []).map(operation) };
}

function preview(v: unknown): Plan {
  const p = plain(v) as Omit<Plan, 'preview'> & { preview: Omit<Plan['preview'], 'changes'> & { changes?: Plan['preview']['changes'] } };
  return { ...p, preview: { ...p.preview, changes: p.preview.changes ?? [] } };
}

export const wailsDeploymentsBackend: DeploymentsBackend = {
  async deploymentsInfo() {
    return plain(await DeploymentsService.Info()) as DeployInfo;
  },
  async deploymentAccounts() {
    const a = (plain(await DeploymentsService.Accounts()) as (Omit<Account, 'regions'> & { regions?: string[] })[] | undefined) ?? [];
    return a.map((x) => ({ ...x, regions: x.regions ?? [] }));
  },
  async deploymentsOverview() {
    return ((plain(await DeploymentsService.Overview()) as unknown[] | undefined) ?? []).map(listing);
  },
  async listDeployments(profileId, region) {
    return listing(await DeploymentsService.List(profileId, region));
  },
  async preflight(req) {
    const r = plain(await DeploymentsService.Preflight(models.PreflightRequest.createFrom(req))) as Partial<PreflightReport> &
      Omit<PreflightReport, 'checks' | 'missing'>;
    return { ...r, checks: r.checks ?? [], missing: r.missing ?? [] };
  },
  async networks(profileId, region) {
    const n = (plain(await DeploymentsService.Networks(profileId, region)) as (Omit<Network, 'subnets'> & { subnets?: Network['subnets'] })[] | undefined) ?? [];
    return n.map((x) => ({ ...x, subnets: x.subnets ?? [] }));
  },
  async planControlPlane(req) {
    return preview(await DeploymentsService.PlanControlPlane(models.ControlPlaneRequest.createFrom(req)));
  },
  async planUpgrade(profileId, region, controlPlane, taskId) {
    return preview(await DeploymentsService.PlanUpgrade(profileId, region, controlPlane, taskId));
  },
  async executePlan(planId) {
    return operation(await DeploymentsService.Execute(planId));
  },
  discardPlan: (planId) => DeploymentsService.Discard(planId),
  async deleteFailed(profileId, region, controlPlane, taskId) {
    return operation(await DeploymentsService.DeleteFailed(profileId, region, controlPlane, taskId));
  },
  async removePreview(req) {
    return deleteResult(await DeploymentsService.RemovePreview(models.RemoveRequest.createFrom(req)));
  },
  async removeDeployment(req) {
    return operation(await DeploymentsService.Remove(models.RemoveRequest.createFrom(req)));
  },
  async deploymentOperations() {
    return ((plain(await DeploymentsService.Operations()) as unknown[] | undefined) ?? []).map(operation);
  },
  onDeploymentOperation(listener) {
    return EventsOn(operationEvent, (op: unknown) => { listener(operation(op)); });
  },
};
