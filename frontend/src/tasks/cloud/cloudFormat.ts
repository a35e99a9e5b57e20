// Wording of cloud things: money, a change set's counts, stack and resource statuses.
import type { StatusIndicatorProps } from '@cloudscape-design/components/status-indicator';
import type { CostEstimate, StackPreview } from '../../api/cloud';

/** "2.11 USD"; amounts under a cent keep their first digits, the tiniest read "< 0.0001 USD". */
export function formatMoney(amount: number, currency: string): string {
  if (amount !== 0 && Math.abs(amount) < 0.0001) return `< 0.0001 ${currency}`;
  const digits = amount !== 0 && Math.abs(amount) < 0.01 ? 4 : 2;
  return `${amount.toFixed(digits)} ${currency}`;
}

/** A quantity to three significant digits below 100 ("0.00028", "0.17", "46"), grouped above. */
export function formatQuantity(q: number): string {
  if (q === 0 || Math.abs(q) >= 100) return new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 }).format(q);
  return String(Number(q.toPrecision(3)));
}

/** The estimate's services as the AWS bill names them. */
export const serviceLabels: Record<string, string> = {
  s3: 'Amazon S3',
  transfer: 'Data transfer',
  ec2: 'Amazon EC2',
  fargate: 'AWS Fargate',
  dynamodb: 'DynamoDB',
  sqs: 'Amazon SQS',
  lambda: 'AWS Lambda',
};

export function formatTotals(e: CostEstimate): string {
  const cs = Object.keys(e.totals).sort();
  if (cs.length === 0) return formatMoney(0, 'USD');
  return cs.map((c) => formatMoney(e.totals[c] ?? 0, c)).join(' + ');
}

/** A unit price to three significant digits (S3 requests cost fractions of a cent). */
export function formatUnitPrice(price: number, currency: string): string {
  if (price === 0) return `0 ${currency}`;
  const digits = Math.min(8, Math.max(2, -Math.floor(Math.log10(Math.abs(price))) + 2));
  return `${price.toFixed(digits)} ${currency}`;
}

/** "12 to add, 1 to modify, 0 to remove" of a change set. */
export function changeCounts(p: StackPreview): { add: number; modify: number; remove: number } {
  const out = { add: 0, modify: 0, remove: 0 };
  for (const c of p.changes) {
    if (c.action === 'Add') out.add++;
    else if (c.action === 'Remove') out.remove++;
    else out.modify++;
  }
  return out;
}

export function changeSummary(p: StackPreview): string {
  const c = changeCounts(p);
  return `${String(c.add)} to add, ${String(c.modify)} to modify, ${String(c.remove)} to remove`;
}

/** A CloudFormation status (stack or resource) as a status indicator type. */
export function stackStatusType(status: string): StatusIndicatorProps.Type {
  if (status.endsWith('_FAILED') || status.includes('ROLLBACK')) return status.endsWith('ROLLBACK_COMPLETE') ? 'warning' : 'error';
  if (status.endsWith('_IN_PROGRESS')) return 'in-progress';
  if (status.endsWith('_COMPLETE')) return 'success';
  return 'info';
}

/** A stack operation's kind in words. */
export const operationLabel: Record<string, string> = {
  create: 'Deploying',
  update: 'Updating',
  delete: 'Deleting',
  'control-plane': 'Deploying the control plane',
};
