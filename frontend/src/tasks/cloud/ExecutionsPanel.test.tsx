import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { CloudPanels } from '../../api/cloud';
import { emptyPanels } from '../../test/fakeCloud';
import { formatTime } from '../format';
import { executionProblem, ExecutionsPanel } from './ExecutionsPanel';

const arn = (name: string) => `arn:aws:states:eu-west-1:123456789012:execution:thub-task-x:${name}`;

const panels: CloudPanels = {
  ...emptyPanels,
  executionsAt: '2026-01-02T10:01:00Z',
  executions: [
    { name: 'run-3', arn: arn('run-3'), status: 'RUNNING', start: '2026-01-02T10:00:00Z' },
    { name: 'run-2', arn: arn('run-2'), status: 'FAILED', start: '2026-01-02T09:00:00Z', stop: '2026-01-02T09:05:00Z', error: 'ImageBatchesFailed', cause: '1 of 3 batches failed' },
    { name: 'run-1', arn: arn('run-1'), status: 'ABORTED', start: '2026-01-02T08:00:00Z', stop: '2026-01-02T08:01:00Z' },
  ],
};

function rowOf(name: string): HTMLElement {
  const row = screen.getByText(name).closest('tr');
  if (!row) throw new Error(`no row for ${name}`);
  return row;
}

describe('State machine executions panel', () => {
  it('lists the executions, newest first, with start, stop, status and a failed one\'s error and cause', () => {
    render(<ExecutionsPanel panels={panels} />);
    expect(screen.getByRole('heading', { name: 'State machine executions' })).toBeInTheDocument();
    const names = screen.getAllByRole('row').slice(1).map((r) => within(r).getAllByRole('cell')[0]?.textContent);
    expect(names).toEqual(['run-3', 'run-2', 'run-1']);
    const running = rowOf('run-3');
    expect(within(running).getByText('Running')).toBeInTheDocument();
    expect(within(running).getByText(formatTime('2026-01-02T10:00:00Z'))).toBeInTheDocument();
    expect(within(running).getByText('–')).toBeInTheDocument(); // not stopped
    const failed = rowOf('run-2');
    expect(within(failed).getByText('Failed')).toBeInTheDocument();
    expect(within(failed).getByText(formatTime('2026-01-02T09:05:00Z'))).toBeInTheDocument();
    expect(within(failed).getByText('ImageBatchesFailed: 1 of 3 batches failed')).toBeInTheDocument();
    const aborted = rowOf('run-1');
    expect(within(aborted).getByText('Aborted')).toBeInTheDocument();
    expect(screen.getByText(`Read ${formatTime('2026-01-02T10:01:00Z')}`)).toBeInTheDocument();
  });

  it('says when nothing was read yet, when there are no executions and why they could not be read', () => {
    const { rerender } = render(<ExecutionsPanel panels={null} />);
    expect(screen.getByText('Not read yet.')).toBeInTheDocument();
    rerender(<ExecutionsPanel panels={{ ...emptyPanels, executionsAt: '2026-01-02T10:01:00Z' }} />);
    expect(screen.getByText('No executions yet.')).toBeInTheDocument();
    rerender(<ExecutionsPanel panels={{ ...panels, problems: { executions: 'list the runs of task x: AccessDenied' } }} />);
    expect(screen.getByText('list the runs of task x: AccessDenied')).toBeInTheDocument();
    expect(screen.queryByText(/^Read /)).toBeNull();
  });

  it('words a failed execution\'s problem from what Step Functions gave', () => {
    const e = { name: 'n', arn: arn('n'), start: '2026-01-02T10:00:00Z' };
    expect(executionProblem({ ...e, status: 'SUCCEEDED', error: 'x' })).toBe('');
    expect(executionProblem({ ...e, status: 'FAILED', error: 'States.TaskFailed' })).toBe('States.TaskFailed');
    expect(executionProblem({ ...e, status: 'TIMED_OUT', cause: 'took too long' })).toBe('took too long');
    expect(executionProblem({ ...e, status: 'FAILED' })).toBe('Not read yet.');
  });
});
