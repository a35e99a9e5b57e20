// The review step's cloud parts: the deploy preview (the task stack's, and the control
// plane's when the account and Region have none, offered to deploy as part of creating)
// and the cost estimate of a run from the dry run's counts.
import { useState } from 'react';
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Checkbox from '@cloudscape-design/components/checkbox';
import Container from '@cloudscape-design/components/container';
import ExpandableSection from '@cloudscape-design/components/expandable-section';
import Header from '@cloudscape-design/components/header';
import KeyValuePairs from '@cloudscape-design/components/key-value-pairs';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Table from '@cloudscape-design/components/table';
import type { CloudBackend, CostEstimate, PreviewCreate } from '../../api/cloud';
import type { TaskDefinition, TaskPlan } from '../../api/tasks';
import { changeSummary, formatMoney, formatQuantity, formatTotals, formatUnitPrice, serviceLabels } from '../cloud/cloudFormat';
import { StackPreviewTable } from '../cloud/StackPreviewTable';
import { useLoaded, type Loaded } from '../cloud/useLoaded';
import type { PlanState } from './ReviewStep';


export interface CloudReviewState {
  preview: Loaded<PreviewCreate>;
  estimate: Loaded<CostEstimate>;
  /** Deploy the control plane as part of creating (when it is missing). */
  deployControlPlane: boolean;
  setDeployControlPlane: (v: boolean) => void;
}

/**
 * Loads the deploy preview while the review step shows a cloud task (again when its
 * definition changes), and the cost estimate once the dry run's plan is there.
 */
export function useCloudReview(backend: CloudBackend, name: string, def: TaskDefinition | null, shown: boolean, plan: PlanState): CloudReviewState {
  const [deployControlPlane, setDeployControlPlane] = useState(true);
  const defKey = def?.cloud ? JSON.stringify(def) : '';
  const preview = useLoaded<PreviewCreate>(shown && defKey ? defKey : null, async (k) => {
    const res = await backend.previewCloudTask(name, JSON.parse(k) as TaskDefinition);
    if (!res.ok) throw new Error(res.fieldErrors.map((f) => f.message).join(' '));
    return res.preview;
  });
  const planned = plan.state === 'done' ? plan.plan : null;
  const estimate = useLoaded<CostEstimate>(defKey && planned ? JSON.stringify([defKey, planned]) : null, (k) => {
    const [d, p] = JSON.parse(k) as [string, TaskPlan];
    return backend.estimateCost(JSON.parse(d) as TaskDefinition, p);
  });
  return { preview, estimate, deployControlPlane, setDeployControlPlane };
}

/** What DeployPreview reads of the review (Move to AWS has no cost estimate). */
export type DeployPreviewState = Pick<CloudReviewState, 'preview' | 'deployControlPlane' | 'setDeployControlPlane'>;

/** The task stack's deploy preview, with the control plane offered when missing. */
export function DeployPreview({ review, account, action = 'Creating the task' }: { review: DeployPreviewState; account: string; action?: string }) {
  const p = review.preview;
  return (
    <Container header={<Header variant="h3" description={`${action} deploys its stack in ${account}.`}>Deploy</Header>}>
      {p.state === 'idle' && <Box color="text-body-secondary">The deploy is previewed once the task is complete.</Box>}
      {p.state === 'loading' && <StatusIndicator type="loading">Previewing the deploy (a change set, nothing is deployed)…</StatusIndicator>}
      {p.state === 'error' && (
        <Alert type="error" header="The deploy could not be previewed">
          {p.message}
        </Alert>
      )}
      {p.state === 'done' && (
        <SpaceBetween size="m">
          {p.value.controlPlaneMissing && (
            <Alert type="info" header={`No control plane "${p.value.placement.controlPlane}" in ${account} yet`}>
              <SpaceBetween size="s">
                <Box>The control plane (shared tables, queues and roles of the account's tasks) is deployed first, then the task's stack.</Box>
                <Checkbox
                  checked={review.deployControlPlane}
                  onChange={(e) => {
                    review.setDeployControlPlane(e.detail.checked);
                  }}
                >
                  Deploy the control plane as part of {action === 'Creating the task' ? 'creating this task' : 'moving this task'}
                </Checkbox>
              </SpaceBetween>
            </Alert>
          )}
          {p.value.controlPlane && (
            <ExpandableSection headerText={`Control plane "${p.value.controlPlane.stack}": ${changeSummary(p.value.controlPlane)}`}>
              <StackPreviewTable preview={p.value.controlPlane} />
            </ExpandableSection>
          )}
          {p.value.task && (
            <ExpandableSection headerText={`Task stack "${p.value.task.stack}": ${changeSummary(p.value.task)}`}>
              <StackPreviewTable preview={p.value.task} />
            </ExpandableSection>
          )}
          {(p.value.notes ?? []).map((n) => (
            <Box key={n} color="text-body-secondary">
              {n}
            </Box>
          ))}
        </SpaceBetween>
      )}
    </Container>
  );
}

/** What a run would cost, with its price tables and assumptions. */
export function CostEstimateView({ estimate }: { estimate: CloudReviewState['estimate'] }) {
  return (
    <Container header={<Header variant="h3" description="List prices for one run as the dry run counted it; your bill can differ (free tiers, discounts).">Cost estimate</Header>}>
      {estimate.state === 'idle' && <Box color="text-body-secondary">Estimated from the dry run.</Box>}
      {estimate.state === 'loading' && <StatusIndicator type="loading">Estimating…</StatusIndicator>}
      {estimate.state === 'error' && <StatusIndicator type="warning">No estimate: {estimate.message}</StatusIndicator>}
      {estimate.state === 'done' && <EstimateDetail e={estimate.value} />}
    </Container>
  );
}

export function EstimateDetail({ e }: { e: CostEstimate }) {
  return (
    <SpaceBetween size="m">
      <KeyValuePairs
        columns={3}
        items={[
          { id: 'total', label: 'Estimated cost of a run', value: <Box variant="awsui-value-large">{formatTotals(e)}</Box> },
          ...e.prices.map((p) => ({
            id: `prices-${p.partition}`,
            label: `Price table (${p.partition})`,
            value: `${p.currency}, ${p.region}, as of ${p.date}${p.unverified ? ` (unverified: ${p.unverified})` : ''}`,
          })),
        ]}
      />
      <Table
        variant="embedded"
        items={e.lines}
        wrapLines
        empty={<Box color="text-body-secondary">Nothing billable.</Box>}
        columnDefinitions={[
          { id: 'service', header: 'Service', cell: (l) => serviceLabels[l.service] ?? l.service, width: 130 },
          { id: 'item', header: 'What', cell: (l) => l.item, width: 280 },
          { id: 'quantity', header: 'Quantity', cell: (l) => `${formatQuantity(l.quantity)} ${l.unit}`, width: 170 },
          { id: 'unitPrice', header: 'Unit price', cell: (l) => formatUnitPrice(l.unitPrice, l.currency), width: 120 },
          { id: 'cost', header: 'Cost', cell: (l) => formatMoney(l.cost, l.currency), width: 110 },
        ]}
      />
      <ExpandableSection headerText="Assumptions and what is not included">
        <SpaceBetween size="s">
          <ul>
            {e.assumptions.map((a) => (
              <li key={a}>{a}</li>
            ))}
          </ul>
          {e.notIncluded.length > 0 && (
            <>
              <Box variant="h5">Not included</Box>
              <ul>
                {e.notIncluded.map((a) => (
                  <li key={a}>{a}</li>
                ))}
              </ul>
            </>
          )}
          {e.prices.flatMap((p) =>
            p.sources.map((s) => (
              <Box key={`${p.partition}-${s.url}`} color="text-body-secondary" fontSize="body-s">
                {s.what}: {s.url} (checked {s.checked})
              </Box>
            )),
          )}
        </SpaceBetween>
      </ExpandableSection>
    </SpaceBetween>
  );
}
