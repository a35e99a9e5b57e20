// "Deploy control plane": the account (an AWS profile of the app) and Region, the name
// and network; then the permission pre-check; then the change set's preview; Deploy
// executes it and the page follows its progress (DeployProgress).
import { useEffect, useMemo, useState } from 'react';
import Alert from '@cloudscape-design/components/alert';
import Button from '@cloudscape-design/components/button';
import Container from '@cloudscape-design/components/container';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import Multiselect from '@cloudscape-design/components/multiselect';
import Select from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Spinner from '@cloudscape-design/components/spinner';
import Wizard from '@cloudscape-design/components/wizard';
import { errorMessage, whenSettled } from '../api/backend';
import { useBackend } from '../api/BackendContext';
import type { Account, Network, Operation, Plan, PreflightReport, StackNetwork } from './api';
import { ChangesPreview } from './ChangesPreview';
import { PreflightPanel, preflightBlocks } from './PreflightPanel';

/** Where and what to deploy, as the first step edits it. */
export interface DeployTarget {
  profileId: string;
  region: string;
  name: string;
  vpcId: string;
  subnetIds: string[];
}

export const defaultControlPlane = 'thub';

/** The network to send: the chosen VPC and subnets, or none (the backend's default VPC). */
export function networkOf(t: DeployTarget, networks: Network[] | null): StackNetwork | undefined {
  if (t.vpcId === '' || t.subnetIds.length === 0) return undefined;
  const vpc = networks?.find((n) => n.vpcId === t.vpcId);
  const subnets = vpc?.subnets.filter((s) => t.subnetIds.includes(s.subnetId)) ?? [];
  const publicIP = vpc ? subnets.length > 0 && subnets.every((s) => s.public) : true;
  return { VPCID: t.vpcId, SubnetIDs: t.subnetIds, PublicIP: publicIP, Endpoints: false, RouteTableIDs: [], NAT: false, NATSubnetID: '' };
}

/** What stops the first step: '' when it is complete. */
export function targetProblem(t: DeployTarget): string {
  if (t.profileId === '') return 'Choose the AWS account (credentials) to deploy into.';
  if (t.region === '') return 'Choose the Region.';
  if (t.name.trim() === '') return 'Name the control plane.';
  if (t.vpcId !== '' && t.subnetIds.length === 0) return 'Choose at least one subnet of the VPC.';
  return '';
}

interface Props {
  accounts: Account[];
  regions: Record<string, string[]>;
  initial?: Partial<DeployTarget>;
  onStarted: (op: Operation, t: DeployTarget) => void;
  onDeleteAndRetry: (t: DeployTarget) => void;
  onCancel: () => void;
}

export function DeployWizard({ accounts, regions, initial, onStarted, onDeleteAndRetry, onCancel }: Props) {
  const backend = useBackend();
  const first = accounts[0];
  const [t, setT] = useState<DeployTarget>({
    profileId: initial?.profileId ?? first?.profileId ?? '',
    region: initial?.region ?? first?.region ?? '',
    name: initial?.name ?? defaultControlPlane,
    vpcId: initial?.vpcId ?? '',
    subnetIds: initial?.subnetIds ?? [],
  });
  // The subnet ids as typed (commas and all) when the VPCs cannot be listed.
  const [subnetsTyped, setSubnetsTyped] = useState(() => (initial?.subnetIds ?? []).join(','));
  const [step, setStep] = useState(0);
  // The VPCs (or why they could not be listed) of the place they were read for.
  const [nets, setNets] = useState<{ place: string; ns: Network[] | null; err: string } | null>(null);
  const place = `${t.profileId}|${t.region}`;
  const networks = nets?.place === place ? nets.ns : null;
  const networksError = nets?.place === place ? nets.err : '';
  const [preflight, setPreflight] = useState<PreflightReport | null>(null);
  const [preflightError, setPreflightError] = useState('');
  const [plan, setPlan] = useState<Plan | null>(null);
  const [planError, setPlanError] = useState('');
  const [busy, setBusy] = useState(false);
  const [stepError, setStepError] = useState('');

  const account = accounts.find((a) => a.profileId === t.profileId);
  const regionList = useMemo(() => {
    const all = regions[account?.partition ?? 'aws'] ?? [];
    return [...new Set([...(account?.regions ?? []), ...all])];
  }, [account, regions]);

  // The VPCs of the chosen account and Region; the default VPC's default subnets preselected.
  useEffect(() => {
    if (t.profileId === '' || t.region === '') return;
    const at = `${t.profileId}|${t.region}`;
    return whenSettled(
      backend.networks(t.profileId, t.region),
      (ns) => {
        setNets({ place: at, ns, err: '' });
        const d = ns.find((n) => n.default);
        if (d) setT((x) => (x.vpcId === '' ? { ...x, vpcId: d.vpcId, subnetIds: d.subnets.filter((s) => s.default).map((s) => s.subnetId) } : x));
      },
      (err) => { setNets({ place: at, ns: null, err }); },
    );
  }, [backend, t.profileId, t.region]);

  const network = networkOf(t, networks);
  const vpc = networks?.find((n) => n.vpcId === t.vpcId);

  const discard = () => {
    if (plan?.planId) void backend.discardPlan(plan.planId).catch(() => undefined);
  };

  const runPreflight = () => {
    setPreflight(null);
    setPreflightError('');
    whenSettled(
      backend.preflight({ profileId: t.profileId, region: t.region, controlPlane: t.name.trim(), network, s3Tasks: 0, imageTasks: 0 }),
      setPreflight,
      setPreflightError,
    );
  };
  const runPlan = () => {
    discard();
    setPlan(null);
    setPlanError('');
    whenSettled(backend.planControlPlane({ profileId: t.profileId, region: t.region, name: t.name.trim(), network }), setPlan, setPlanError);
  };

  const edit = (x: Partial<DeployTarget>) => {
    setT((old) => ({ ...old, ...x }));
    setStepError('');
  };

  const navigate = (to: number) => {
    if (to > step && step === 0) {
      const p = targetProblem(t);
      if (p) {
        setStepError(p);
        return;
      }
    }
    if (to === 1 && step === 0) runPreflight();
    if (to === 2) runPlan();
    setStep(to);
  };

  const submit = async () => {
    if (!plan?.planId) return;
    setBusy(true);
    try {
      const op = await backend.executePlan(plan.planId);
      onStarted(op, t);
    } catch (e) {
      setPlanError(errorMessage(e));
      setBusy(false);
    }
  };

  return (
    <Wizard
      i18nStrings={{
        stepNumberLabel: (n) => `Step ${String(n)}`,
        navigationAriaLabel: 'Steps',
        cancelButton: 'Cancel',
        previousButton: 'Previous',
        nextButton: 'Next',
        optional: 'optional',
      }}
      submitButtonText="Deploy"
      activeStepIndex={step}
      isLoadingNextStep={busy}
      onNavigate={({ detail }) => { navigate(detail.requestedStepIndex); }}
      onCancel={() => {
        discard();
        onCancel();
      }}
      onSubmit={() => void submit()}
      steps={[
        {
          title: 'Account and Region',
          description: 'One control plane per account and Region serves every cloud task there.',
          errorText: stepError || undefined,
          content: (
            <Container header={<Header variant="h2">Where to deploy</Header>}>
              <SpaceBetween size="l">
                {accounts.length === 0 && (
                  <Alert type="warning" header="No AWS credentials">
                    Add AWS credentials on the Credentials page: the account comes from them.
                  </Alert>
                )}
                <FormField label="Account" description="The AWS credentials (from the keychain) that deploy and reach the account.">
                  <Select
                    selectedOption={account ? { value: account.profileId, label: account.name } : null}
                    options={accounts.map((a) => ({ value: a.profileId, label: a.name, description: a.partition }))}
                    placeholder="Choose credentials"
                    onChange={({ detail }) => {
                      const a = accounts.find((x) => x.profileId === detail.selectedOption.value);
                      if (!a || a.profileId === t.profileId) return; // the same account keeps its network
                      edit({ profileId: a.profileId, region: a.region, vpcId: '', subnetIds: [] });
                    }}
                  />
                </FormField>
                <FormField label="Region">
                  <Select
                    selectedOption={t.region ? { value: t.region, label: t.region } : null}
                    options={regionList.map((r) => ({ value: r, label: r }))}
                    filteringType="auto"
                    placeholder="Choose a Region"
                    onChange={({ detail }) => {
                      if (detail.selectedOption.value !== t.region) edit({ region: detail.selectedOption.value ?? '', vpcId: '', subnetIds: [] });
                    }}
                  />
                </FormField>
                <FormField label="Control plane name" description="Stacks are named after it; keep the default unless you run several.">
                  <Input value={t.name} onChange={({ detail }) => { edit({ name: detail.value }); }} />
                </FormField>
                {networks === null && networksError === '' && t.region !== '' && <Spinner />}
                {networksError !== '' && (
                  <Alert type="warning" header="The VPCs could not be listed">
                    {networksError}. Type the VPC and subnets instead, or leave them empty for the default VPC.
                  </Alert>
                )}
                {networks !== null ? (
                  <>
                    <FormField label="VPC" description="The agents run in its subnets; the default VPC is preselected.">
                      <Select
                        selectedOption={vpc ? { value: vpc.vpcId, label: vpc.name ? `${vpc.name} (${vpc.vpcId})` : vpc.vpcId } : null}
                        options={networks.map((n) => ({
                          value: n.vpcId,
                          label: n.name ? `${n.name} (${n.vpcId})` : n.vpcId,
                          description: `${n.cidr}${n.default ? ' · default VPC' : ''}`,
                        }))}
                        placeholder="The default VPC"
                        onChange={({ detail }) => {
                          const n = networks.find((x) => x.vpcId === detail.selectedOption.value);
                          edit({ vpcId: n?.vpcId ?? '', subnetIds: n?.subnets.filter((s) => s.default).map((s) => s.subnetId) ?? [] });
                        }}
                      />
                    </FormField>
                    {vpc && (
                      <FormField label="Subnets">
                        <Multiselect
                          selectedOptions={vpc.subnets.filter((s) => t.subnetIds.includes(s.subnetId)).map((s) => ({ value: s.subnetId, label: s.subnetId }))}
                          options={vpc.subnets.map((s) => ({
                            value: s.subnetId,
                            label: s.subnetId,
                            description: `${s.zone} · ${s.cidr}${s.public ? ' · public' : ' · private'}`,
                          }))}
                          placeholder="Choose subnets"
                          onChange={({ detail }) => { edit({ subnetIds: detail.selectedOptions.map((o) => o.value ?? '') }); }}
                        />
                      </FormField>
                    )}
                  </>
                ) : (
                  networksError !== '' && (
                    <>
                      <FormField label="VPC id">
                        <Input value={t.vpcId} placeholder="vpc-0123456789abcdef0" onChange={({ detail }) => { edit({ vpcId: detail.value.trim() }); }} />
                      </FormField>
                      <FormField label="Subnet ids" description="Comma-separated.">
                        <Input
                          value={subnetsTyped}
                          placeholder="subnet-0123,subnet-4567"
                          onChange={({ detail }) => {
                            setSubnetsTyped(detail.value);
                            edit({ subnetIds: detail.value.split(',').map((x) => x.trim()).filter((x) => x !== '') });
                          }}
                        />
                      </FormField>
                    </>
                  )
                )}
              </SpaceBetween>
            </Container>
          ),
        },
        {
          title: 'Permissions',
          description: 'What the chosen identity may do, checked before anything is deployed.',
          content: (
            <Container header={<Header variant="h2" actions={<Button onClick={runPreflight}>Check again</Button>}>Permission pre-check</Header>}>
              {preflightError !== '' ? (
                <Alert type="error" header="The pre-check could not run">
                  {preflightError}
                </Alert>
              ) : preflight === null ? (
                <Spinner size="large" />
              ) : (
                <SpaceBetween size="l">
                  {preflightBlocks(preflight) && (
                    <Alert type="warning">The deploy will likely fail until what is listed is fixed; you may still preview it.</Alert>
                  )}
                  <PreflightPanel report={preflight} />
                </SpaceBetween>
              )}
            </Container>
          ),
        },
        {
          title: 'Review changes',
          description: 'The change set CloudFormation prepared; nothing changes until you deploy.',
          errorText: planError || undefined,
          content: (
            <Container header={<Header variant="h2">Change set preview</Header>}>
              {plan === null ? (
                planError === '' && <Spinner size="large" />
              ) : plan.deleteAndRetry ? (
                <Alert
                  type="error"
                  header={`${plan.stack} failed to be created and rolled back`}
                  action={<Button onClick={() => { onDeleteAndRetry(t); }}>Delete and retry</Button>}
                >
                  {plan.firstFailure
                    ? `First failure: ${plan.firstFailure.logicalId} (${plan.firstFailure.type}): ${plan.firstFailure.reason}. `
                    : ''}
                  Delete the failed stack, then deploy again.
                </Alert>
              ) : (
                <ChangesPreview plan={plan} />
              )}
            </Container>
          ),
        },
      ]}
    />
  );
}
