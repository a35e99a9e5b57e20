// An in-memory cloud side of the Backend (app.CloudService): answers shaped like Go's.
import { vi } from 'vitest';
import type {
  CloudFormOptions,
  CloudOptionsDef,
  CloudPanels,
  CostEstimate,
  EditResult,
  MoveResult,
  PreviewCreate,
  PreviewResult,
  StackPreview,
  VpcNetwork,
} from '../api/cloud';
import type { FieldError } from '../api/models';
import type { TaskDefinition, TaskPlan } from '../api/tasks';

export const testCloudOptions: CloudFormOptions = {
  instanceTypes: ['c7g.large', 'c6g.large', 'm7g.large', 'c7i.large'],
  defaultInstanceTypes: ['c7g.large', 'c6g.large', 'm7g.large'],
  defaultMaxWorkers: 10,
  maxWorkers: 1000,
  defaultMaxCopiers: 10,
  maxCopiers: 40,
  regions: { aws: ['us-east-1', 'eu-west-1'] },
  scheduleKinds: ['none', 'interval', 'cron', 'once'],
  eventModes: ['none', 'create', 'create-and-delete'],
  defaultControlPlane: 'thub',
};

export const testNetworks: VpcNetwork[] = [
  {
    vpcId: 'vpc-0default0000000a',
    cidr: '172.31.0.0/16',
    default: true,
    subnets: [{ subnetId: 'subnet-0aaaaaaaaaaaaaaa1', zone: 'eu-west-1a', cidr: '172.31.0.0/20', default: true, public: true }],
  },
  {
    vpcId: 'vpc-0private000000b',
    name: 'private',
    cidr: '10.0.0.0/16',
    default: false,
    subnets: [
      { subnetId: 'subnet-0bbbbbbbbbbbbbbb1', name: 'priv-a', zone: 'eu-west-1a', cidr: '10.0.1.0/24', default: false, public: false },
      { subnetId: 'subnet-0bbbbbbbbbbbbbbb2', name: 'priv-b', zone: 'eu-west-1b', cidr: '10.0.2.0/24', default: false, public: false },
    ],
  },
];

export const testEstimate: CostEstimate = {
  lines: [
    { service: 's3', item: 'PUT, COPY, POST, LIST requests', quantity: 24, unit: 'requests', unitPrice: 0.000005, cost: 0.00012, currency: 'USD', partition: 'aws' },
    { service: 'ec2', item: 'c7g.large instance hours', quantity: 0.5, unit: 'hours', unitPrice: 0.0725, cost: 0.03625, currency: 'USD', partition: 'aws' },
  ],
  totals: { USD: 0.03637 },
  assumptions: ['A worker copies 100 MiB/s.', 'Data stays in one Region: no transfer charge.'],
  notIncluded: ['Free tiers and discounts.'],
  prices: [{ partition: 'aws', currency: 'USD', date: '2026-11-01', region: 'eu-west-1', sources: [] }],
};

export function testPreview(stack: string, adds: number): StackPreview {
  return {
    stack,
    operation: 'create',
    changes: Array.from({ length: adds }, (_, i) => ({ action: 'Add', logicalId: `Resource${String(i)}`, type: 'AWS::SQS::Queue' })),
  };
}

export interface FakeCloudOptions {
  /** The account and Region have no control plane yet. */
  controlPlaneMissing?: boolean;
  /** previewCloudTask/createCloudTask answer these. */
  fieldErrors?: FieldError[];
  panels?: CloudPanels;
  edit?: EditResult;
}

export const emptyPanels: CloudPanels = {
  queue: { visible: 3, inFlight: 2, delayed: 0, deadLetters: 1 },
  queueAt: '2026-01-02T10:01:00Z',
  fleet: { desired: 2, running: 1, starting: 1, stopping: 0, max: 10 },
  fleetAt: '2026-01-02T10:01:00Z',
  logs: [{ time: '2026-01-02T10:00:30Z', stream: 'c-1/worker/i-0abc', message: '{"level":"INFO","msg":"object copied","key":"photos/a.jpg"}' }],
  logsAt: '2026-01-02T10:01:00Z',
  events: [{ logicalId: 'Workers', type: 'AWS::AutoScaling::AutoScalingGroup', status: 'CREATE_COMPLETE', time: '2026-01-02T09:59:00Z', elapsed: 40 }],
  eventsAt: '2026-01-02T10:01:00Z',
  executions: [],
};

export function fakeCloud(opts: FakeCloudOptions = {}) {
  const created: { name: string; definition: TaskDefinition; start: boolean; deployControlPlane: boolean }[] = [];
  const preview = (cloud: CloudOptionsDef | undefined): PreviewCreate => ({
    placement: { profileId: cloud?.profileId ?? '', region: cloud?.region ?? 'eu-west-1', controlPlane: 'thub' },
    controlPlaneMissing: opts.controlPlaneMissing ?? false,
    controlPlane: opts.controlPlaneMissing ? testPreview('thub', 14) : undefined,
    task: opts.controlPlaneMissing ? undefined : testPreview('thub-task-x', 6),
  });
  const api = {
    cloudFormOptions: vi.fn(() => Promise.resolve(testCloudOptions)),
    cloudNetworks: vi.fn((_p: string, _r: string) => Promise.resolve(testNetworks)),
    previewCloudTask: vi.fn((_name: string, def: TaskDefinition): Promise<PreviewResult> =>
      Promise.resolve(opts.fieldErrors ? { ok: false, fieldErrors: opts.fieldErrors } : { ok: true, preview: preview(def.cloud) }),
    ),
    estimateCost: vi.fn((_def: TaskDefinition, _plan: TaskPlan) => Promise.resolve(testEstimate)),
    createCloudTask: vi.fn((_name: string, _def: TaskDefinition, _start: boolean, _cp: boolean): Promise<MoveResult> =>
      Promise.reject(new Error('wire createCloudTask through fakeBackend')),
    ),
    previewMove: vi.fn((_id: string, cloud: CloudOptionsDef): Promise<PreviewResult> =>
      Promise.resolve(opts.fieldErrors ? { ok: false, fieldErrors: opts.fieldErrors } : { ok: true, preview: preview(cloud) }),
    ),
    moveToAWS: vi.fn((_id: string, _cloud: CloudOptionsDef, _cp: boolean, _start: boolean): Promise<MoveResult> =>
      Promise.reject(new Error('wire moveToAWS through fakeBackend')),
    ),
    planEdit: vi.fn(
      (id: string, _def: TaskDefinition): Promise<EditResult> =>
        Promise.resolve(opts.edit ?? { ok: true, plan: { id: 'edit-1', taskId: id, preview: { ...testPreview('thub-task-x', 0), operation: 'update', changes: [{ action: 'Modify', logicalId: 'Workers', type: 'AWS::AutoScaling::AutoScalingGroup' }] }, noChanges: false, sidesChanged: false } }),
    ),
    applyEdit: vi.fn((_planId: string) => Promise.resolve()),
    discardEdit: vi.fn((_planId: string) => Promise.resolve()),
    redeploy: vi.fn((_id: string, _cp: boolean) => Promise.resolve()),
    deleteCloudTask: vi.fn((_id: string, _keepData: boolean) => Promise.resolve()),
    cloudPanels: vi.fn((_id: string) => Promise.resolve(opts.panels ?? emptyPanels)),
  };
  return { api, created };
}
