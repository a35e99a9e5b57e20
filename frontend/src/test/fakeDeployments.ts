import { vi } from 'vitest';
import type {
  Account,
  DeleteResult,
  Deployment,
  DeploymentsBackend,
  DeployInfo,
  Listing,
  Network,
  Operation,
  Plan,
  PreflightReport,
} from '../deployments/api';

export const testAccount: Account = { profileId: 'p1', name: 'prod', partition: 'aws', region: 'eu-west-1', regions: ['eu-west-1'] };

export function testDeployment(over: Partial<Deployment> = {}): Deployment {
  return {
    kind: 'control-plane',
    controlPlane: 'thub',
    region: 'eu-west-1',
    stack: 'thub-control-plane',
    stackId: 'arn:aws:cloudformation:eu-west-1:111122223333:stack/thub-control-plane/1',
    status: 'CREATE_COMPLETE',
    version: '1.2.3-test',
    templateSha: 'abc',
    created: '2026-03-01T09:00:00Z',
    updated: '2026-03-02T10:00:00Z',
    ...over,
  };
}

export function testListing(over: Partial<Listing> = {}): Listing {
  return { profileId: 'p1', region: 'eu-west-1', account: '111122223333', deployments: [], operations: [], readAt: '2026-03-02T10:00:00Z', ...over };
}

export const testNetworks: Network[] = [
  {
    vpcId: 'vpc-default',
    cidr: '172.31.0.0/16',
    default: true,
    subnets: [
      { subnetId: 'subnet-a', zone: 'eu-west-1a', cidr: '172.31.0.0/20', default: true, public: true },
      { subnetId: 'subnet-b', zone: 'eu-west-1b', cidr: '172.31.16.0/20', default: true, public: true },
    ],
  },
];

export const testPreflight: PreflightReport = {
  identity: { account: '111122223333', partition: 'aws', arn: 'arn:aws:iam::111122223333:user/deployer', userId: 'AIDA' },
  region: 'eu-west-1',
  checks: [
    { name: 'Permissions', status: 'problem', summary: '2 actions denied' },
    { name: 'Quotas', status: 'ok', summary: 'room for 2 more stacks' },
  ],
  missing: ['iam:CreateRole', 'kms:CreateKey'],
  policy: '{"Version":"2012-10-17"}',
};

export const testPlan: Plan = {
  planId: 'plan-1',
  profileId: 'p1',
  region: 'eu-west-1',
  stack: 'thub-control-plane',
  kind: 'control-plane',
  preview: {
    stack: 'thub-control-plane',
    operation: 'create',
    changes: [
      { action: 'Add', logicalId: 'Key', type: 'AWS::KMS::Key' },
      { action: 'Add', logicalId: 'AgentRole', type: 'AWS::IAM::Role', iam: true },
      { action: 'Add', logicalId: 'TasksTable', type: 'AWS::DynamoDB::Table' },
    ],
  },
  noChanges: false,
};

export function testOperation(over: Partial<Operation> = {}): Operation {
  return {
    id: 'op-1',
    kind: 'deploy',
    profileId: 'p1',
    region: 'eu-west-1',
    stack: 'thub-control-plane',
    started: '2026-03-02T10:00:00Z',
    resources: [],
    done: false,
    succeeded: false,
    ...over,
  };
}

export const testRemovePreview: DeleteResult = {
  stack: 'thub-control-plane',
  dryRun: true,
  removes: [{ what: 'stack', name: 'thub-control-plane' }],
  survives: [{ what: 'table', name: 'thub-tasks', why: 'data kept' }],
  outcome: { stack: 'thub-control-plane', operation: 'delete', succeeded: true, elapsed: 0 },
};

export interface FakeDeploymentsOptions {
  info?: DeployInfo;
  accounts?: Account[];
  listings?: Listing[];
  networks?: Network[] | string;
  preflight?: PreflightReport;
  plans?: Plan[];
}

/** An in-memory DeploymentsBackend; emit pushes an operation event as the Go side would. */
export function fakeDeployments(opts: FakeDeploymentsOptions = {}) {
  let listings = opts.listings ?? [];
  const plans = [...(opts.plans ?? [testPlan])];
  const listeners = new Set<(op: Operation) => void>();
  let n = 0;
  const newOp = (over: Partial<Operation>) => testOperation({ id: `op-${String(++n)}`, ...over });
  const api = {
    deploymentsInfo: vi.fn((): Promise<DeployInfo> => Promise.resolve(opts.info ?? { version: '1.2.3-test', hasAgents: true })),
    deploymentAccounts: vi.fn((): Promise<Account[]> => Promise.resolve(opts.accounts ?? [testAccount])),
    deploymentsOverview: vi.fn((): Promise<Listing[]> => Promise.resolve(listings)),
    listDeployments: vi.fn((profileId: string, region: string): Promise<Listing> =>
      Promise.resolve(listings.find((l) => l.profileId === profileId && l.region === region) ?? testListing({ profileId, region })),
    ),
    preflight: vi.fn((): Promise<PreflightReport> => Promise.resolve(opts.preflight ?? testPreflight)),
    networks: vi.fn((): Promise<Network[]> =>
      typeof opts.networks === 'string' ? Promise.reject(new Error(opts.networks)) : Promise.resolve(opts.networks ?? testNetworks),
    ),
    planControlPlane: vi.fn((): Promise<Plan> => Promise.resolve((plans.length > 1 ? plans.shift() : plans[0]) ?? testPlan)),
    planUpgrade: vi.fn((): Promise<Plan> => Promise.resolve({ ...testPlan, planId: 'plan-up' })),
    executePlan: vi.fn((planId: string): Promise<Operation> => Promise.resolve(newOp({ stack: planId === 'plan-up' ? 'thub-control-plane' : testPlan.stack }))),
    discardPlan: vi.fn((_planId: string): Promise<void> => Promise.resolve()),
    deleteFailed: vi.fn((_p: string, _r: string, cp: string, _t: string): Promise<Operation> => Promise.resolve(newOp({ kind: 'delete-failed', stack: `${cp}-control-plane` }))),
    removePreview: vi.fn((): Promise<DeleteResult> => Promise.resolve(testRemovePreview)),
    removeDeployment: vi.fn((): Promise<Operation> => Promise.resolve(newOp({ kind: 'remove' }))),
    deploymentOperations: vi.fn((): Promise<Operation[]> => Promise.resolve([])),
    onDeploymentOperation: vi.fn((listener: (op: Operation) => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    }),
  } satisfies DeploymentsBackend;
  return {
    api,
    emit: (op: Operation) => {
      for (const l of listeners) l(op);
    },
    setListings: (l: Listing[]) => {
      listings = l;
    },
  };
}
