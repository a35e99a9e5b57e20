// The permission pre-check before a deploy: who deploys, the checks (permissions,
// quotas, network) and the IAM actions the identity lacks, with the policy it needs.
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import ExpandableSection from '@cloudscape-design/components/expandable-section';
import KeyValuePairs from '@cloudscape-design/components/key-value-pairs';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator, { type StatusIndicatorProps } from '@cloudscape-design/components/status-indicator';
import Table, { type TableProps } from '@cloudscape-design/components/table';
import type { CheckStatus, PreflightCheck, PreflightReport } from './api';

const checkTypes: Record<CheckStatus, StatusIndicatorProps.Type> = { ok: 'success', warning: 'warning', problem: 'error', unknown: 'info' };
const checkWords: Record<CheckStatus, string> = { ok: 'OK', warning: 'Warning', problem: 'Problem', unknown: 'Not checked' };

const columns: TableProps.ColumnDefinition<PreflightCheck>[] = [
  { id: 'name', header: 'Check', cell: (c) => c.name, isRowHeader: true, width: 200 },
  { id: 'status', header: 'Result', width: 150, cell: (c) => <StatusIndicator type={checkTypes[c.status]}>{checkWords[c.status]}</StatusIndicator> },
  {
    id: 'summary',
    header: 'Summary',
    cell: (c) => (
      <SpaceBetween size="xxxs">
        <span>{c.summary}</span>
        {c.details?.map((d) => (
          <Box key={d} variant="small">
            {d}
          </Box>
        ))}
      </SpaceBetween>
    ),
  },
];

/** True when a check says the deploy would fail. */
export function preflightBlocks(r: PreflightReport): boolean {
  return r.missing.length > 0 || r.checks.some((c) => c.status === 'problem');
}

/** Whether the permissions were simulated (an emulator or a federated identity may not allow it). */
export function permissionsChecked(r: PreflightReport): boolean {
  return r.checks.some((c) => c.name === 'permissions' && c.status === 'ok');
}

export function PreflightPanel({ report }: { report: PreflightReport }) {
  return (
    <SpaceBetween size="l">
      <KeyValuePairs
        columns={3}
        items={[
          { label: 'Account', value: report.identity.account },
          { label: 'Identity', value: report.identity.arn },
          { label: 'Region', value: report.region },
        ]}
      />
      {report.missing.length > 0 ? (
        <Alert type="error" header={`The identity lacks ${String(report.missing.length)} permission${report.missing.length === 1 ? '' : 's'}`}>
          <SpaceBetween size="xs">
            <span>Grant these actions (the policy below has all the deploy needs), then check again:</span>
            <ul aria-label="Missing permissions">
              {report.missing.map((m) => (
                <li key={m}>
                  <Box variant="code">{m}</Box>
                </li>
              ))}
            </ul>
          </SpaceBetween>
        </Alert>
      ) : (
        permissionsChecked(report) && <StatusIndicator type="success">The identity has every permission the deploy needs.</StatusIndicator>
      )}
      <Table<PreflightCheck> variant="embedded" items={report.checks} columnDefinitions={columns} trackBy="name" wrapLines resizableColumns />
      {report.policy && (
        <ExpandableSection headerText="The policy the deploy needs">
          <Box variant="code">
            <pre style={{ margin: 0, whiteSpace: 'pre-wrap' }}>{report.policy}</pre>
          </Box>
        </ExpandableSection>
      )}
    </SpaceBetween>
  );
}
