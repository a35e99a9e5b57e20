// The task's log (slog records kept per task), newest first, refreshed when the pushed
// log sequence number grows.
import { useEffect, useRef, useState } from 'react';
import { useCollection } from '@cloudscape-design/collection-hooks';
import Box from '@cloudscape-design/components/box';
import Header from '@cloudscape-design/components/header';
import Pagination from '@cloudscape-design/components/pagination';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Table from '@cloudscape-design/components/table';
import TextFilter from '@cloudscape-design/components/text-filter';
import { errorMessage } from '../api/backend';
import { useBackend } from '../api/BackendContext';
import type { LogRecord } from '../api/tasks';
import { formatTime } from './format';

const keep = 2000;

function levelIndicator(level: string) {
  switch (level) {
    case 'ERROR':
      return <StatusIndicator type="error">Error</StatusIndicator>;
    case 'WARN':
      return <StatusIndicator type="warning">Warning</StatusIndicator>;
    case 'DEBUG':
      return <StatusIndicator type="info">Debug</StatusIndicator>;
    default:
      return <StatusIndicator type="info">Info</StatusIndicator>;
  }
}

export function TaskLog({ taskId, seq }: { taskId: string; seq: number }) {
  const backend = useBackend();
  const [records, setRecords] = useState<LogRecord[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const last = useRef(0);

  useEffect(() => {
    if (loaded && seq <= last.current) return;
    let live = true;
    backend.taskLogs(taskId, last.current, 500).then(
      (p) => {
        if (!live) return;
        setRecords((r) => {
          const merged = last.current === 0 ? p.records : r.concat(p.records);
          return merged.length > keep ? merged.slice(merged.length - keep) : merged;
        });
        last.current = p.records.length > 0 ? (p.records[p.records.length - 1]?.seq ?? last.current) : Math.max(last.current, p.seq);
        setLoaded(true);
        setError(null);
      },
      (e: unknown) => {
        if (live) setError(errorMessage(e));
      },
    );
    return () => {
      live = false;
    };
  }, [backend, taskId, seq, loaded]);

  const newestFirst = [...records].reverse();
  const { items, collectionProps, filterProps, paginationProps, filteredItemsCount } = useCollection(newestFirst, {
    filtering: {
      filteringFunction: (r, text) => `${r.message} ${r.attrs ?? ''} ${r.level}`.toLowerCase().includes(text.toLowerCase()),
      empty: <Box color="inherit">{error ?? 'Nothing logged yet.'}</Box>,
      noMatch: <Box color="inherit">No log line matches.</Box>,
    },
    pagination: { pageSize: 100 },
  });

  return (
    <Table<LogRecord>
      {...collectionProps}
      variant="container"
      items={items}
      loading={!loaded && !error}
      loadingText="Loading the log"
      trackBy="seq"
      wrapLines
      header={
        <Header variant="h2" counter={`(${records.length})`} description="What the engine reported for this task, newest first.">
          Log
        </Header>
      }
      filter={
        <TextFilter
          {...filterProps}
          filteringPlaceholder="Find in the log"
          filteringAriaLabel="Find in the log"
          countText={filteredItemsCount === undefined ? '' : `${filteredItemsCount} matches`}
        />
      }
      pagination={<Pagination {...paginationProps} />}
      columnDefinitions={[
        { id: 'time', header: 'Time', cell: (r) => formatTime(r.time), width: 190 },
        { id: 'level', header: 'Level', cell: (r) => levelIndicator(r.level), width: 120 },
        { id: 'message', header: 'Message', cell: (r) => r.message, width: 360 },
        {
          id: 'attrs',
          header: 'Details',
          cell: (r) => (
            <Box variant="code" fontSize="body-s">
              {r.attrs ?? ''}
            </Box>
          ),
        },
      ]}
    />
  );
}
