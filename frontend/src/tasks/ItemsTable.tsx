// A task's objects or images, paged from the store on the Go side: one keyset query per
// page at any depth, so a table of a million records stays as quick as a small one.
import { startTransition, useEffect, useState } from 'react';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Header from '@cloudscape-design/components/header';
import Pagination from '@cloudscape-design/components/pagination';
import SegmentedControl from '@cloudscape-design/components/segmented-control';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Table, { type TableProps } from '@cloudscape-design/components/table';
import TextFilter from '@cloudscape-design/components/text-filter';
import { errorMessage } from '../api/backend';
import { useBackend } from '../api/BackendContext';
import type { ItemCounts, ItemStatus, ItemsPage, ItemsQuery, TaskItem, TasksBackend, TaskType } from '../api/tasks';
import { formatBytes, formatCount, formatTime, itemStatusLabel, itemStatusType } from './format';

// 25 rows keep a page change well within a frame budget on slow machines.
export const pageSize = 25;

type Filter = ItemStatus | '';

// The first page of a task's table, asked for as the task's page opens (alongside the task
// itself) instead of once the page has rendered: the table takes it when it mounts.
const prefetchMaxAgeMs = 3000;
const prefetched = new Map<string, { at: number; page: Promise<ItemsPage> }>();
const queryId = (q: ItemsQuery) => JSON.stringify([q.taskId, q.status, q.prefix, q.page, q.pageSize]);

/** Starts loading the first page of a task's table (every status, no prefix). */
export function prefetchFirstPage(backend: Pick<TasksBackend, 'taskItems'>, taskId: string): void {
  const q: ItemsQuery = { taskId, status: '', prefix: '', page: 1, pageSize };
  const now = Date.now();
  for (const [k, v] of prefetched) if (now - v.at > prefetchMaxAgeMs) prefetched.delete(k);
  const page = backend.taskItems(q);
  // A page nobody takes is dropped; its failure is the taker's to show.
  page.catch(() => undefined);
  prefetched.set(queryId(q), { at: now, page });
}

/** A prefetched page for the query when one is fresh (each is taken once). */
function takePrefetched(q: ItemsQuery): Promise<ItemsPage> | undefined {
  const k = queryId(q);
  const e = prefetched.get(k);
  prefetched.delete(k);
  return e && Date.now() - e.at <= prefetchMaxAgeMs ? e.page : undefined;
}

const filters: { id: Filter; text: string }[] = [
  { id: '', text: 'All' },
  { id: 'DONE', text: 'Done' },
  { id: 'FAILED', text: 'Failed' },
  { id: 'SKIPPED', text: 'Skipped' },
  { id: 'IN_PROGRESS', text: 'In progress' },
  { id: 'PENDING', text: 'Pending' },
];

function columns(type: TaskType, failedOnly: boolean): TableProps.ColumnDefinition<TaskItem>[] {
  const key: TableProps.ColumnDefinition<TaskItem> = {
    id: 'key',
    header: type === 'S3' ? 'Key' : 'Source image',
    cell: (i) => i.key,
    isRowHeader: true,
    width: failedOnly ? 320 : 380,
  };
  if (failedOnly) {
    // What a user fixing failures needs first: which item and why.
    return [
      key,
      { id: 'error', header: 'Error', cell: (i) => i.error ?? '', minWidth: 360 },
      { id: 'attempts', header: 'Attempts', cell: (i) => i.attempts, width: 110 },
      { id: 'updated', header: 'Updated', cell: (i) => formatTime(i.updatedAt), width: 190 },
    ];
  }
  const cols: TableProps.ColumnDefinition<TaskItem>[] = [key];
  if (type === 'IMAGE') cols.push({ id: 'destination', header: 'Destination', cell: (i) => i.destination ?? '–', width: 320 });
  cols.push(
    { id: 'size', header: type === 'S3' ? 'Size' : 'Sent', cell: (i) => formatBytes(i.size), width: 110 },
    {
      id: 'status',
      header: 'Status',
      cell: (i) => <StatusIndicator type={itemStatusType(i.status)}>{itemStatusLabel[i.status]}</StatusIndicator>,
      width: 140,
    },
    { id: 'attempts', header: 'Attempts', cell: (i) => i.attempts, width: 110 },
    { id: 'error', header: 'Error', cell: (i) => i.error ?? '', width: 360 },
  );
  cols.push(
    { id: 'etag', header: type === 'S3' ? 'ETag' : 'Digest', cell: (i) => i.etag ?? '–', width: 300 },
    { id: 'updated', header: 'Updated', cell: (i) => formatTime(i.updatedAt), width: 190 },
  );
  return cols;
}

export interface ItemsTableProps {
  taskId: string;
  type: TaskType;
  /** Fixed status filter (the Failed tab); otherwise the user picks one. */
  status?: ItemStatus;
  /** Changes when the task's records may have changed (new run, counters moved). */
  version: string;
  title: string;
  description?: string;
  actions?: React.ReactNode;
  /** Called once the first page (or its error) is shown. */
  onFirstPage?: () => void;
}

export function ItemsTable({ taskId, type, status, version, title, description, actions, onFirstPage }: ItemsTableProps) {
  const backend = useBackend();
  const [filter, setFilter] = useState<Filter>(status ?? '');
  const [prefix, setPrefix] = useState('');
  const [typed, setTyped] = useState('');
  const [page, setPage] = useState(1);
  const [shown, setShown] = useState<{ key: string; data: ItemsPage } | null>(null);
  const [failed, setFailed] = useState<{ key: string; error: string } | null>(null);
  const [counts, setCounts] = useState<ItemCounts | null>(null);
  const [tick, setTick] = useState(0);

  // The page: one query. Counts come separately (counting a big table takes longer than a page).
  const queryKey = JSON.stringify([taskId, filter, prefix, page, version, tick]);
  useEffect(() => {
    let live = true;
    const q: ItemsQuery = { taskId, status: filter, prefix, page, pageSize };
    (takePrefetched(q) ?? backend.taskItems(q)).then(
      (p) => {
        if (!live) return;
        startTransition(() => {
          setShown({ key: queryKey, data: p });
          if (p.page !== page) setPage(p.page);
        });
      },
      (e: unknown) => {
        if (live) setFailed({ key: queryKey, error: errorMessage(e) });
      },
    );
    return () => {
      live = false;
    };
  }, [backend, queryKey, taskId, filter, prefix, page]);
  const data = shown?.data ?? null;
  const error = failed?.key === queryKey ? failed.error : null;
  const loading = shown?.key !== queryKey && error === null;
  // Counting a big table keeps a core busy for a while: it starts once the first page is in.
  const firstPageIn = shown !== null || failed !== null;
  useEffect(() => {
    if (firstPageIn) onFirstPage?.();
  }, [firstPageIn, onFirstPage]);

  useEffect(() => {
    if (!firstPageIn) return undefined;
    let live = true;
    backend.taskCounts(taskId).then(
      (c) => {
        if (live) {
          startTransition(() => {
            setCounts(c);
          });
        }
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [backend, taskId, version, tick, firstPageIn]);

  // Debounced prefix search.
  useEffect(() => {
    const t = window.setTimeout(() => {
      if (typed !== prefix) {
        setPrefix(typed);
        setPage(1);
      }
    }, 300);
    return () => {
      window.clearTimeout(t);
    };
  }, [typed, prefix]);

  const total = counts ? (filter === '' ? counts.total : (counts.byStatus[filter] ?? 0)) : undefined;
  // With the total known (no key filter) every page is reachable; otherwise pages open up
  // as they are found.
  const known = prefix === '' && total !== undefined;
  const pagesCount = known ? Math.max(1, Math.ceil(total / pageSize)) : (data?.pagesCount ?? 1);
  const openEnd = known ? false : (data?.openEnd ?? false);
  const failedOnly = status === 'FAILED' || filter === 'FAILED';

  return (
    <Table<TaskItem>
      variant="container"
      items={data?.items ?? []}
      loading={loading}
      loadingText={page > 1 && data !== null && page > data.pagesCount ? `Finding page ${formatCount(page)}…` : 'Loading records'}
      trackBy="key"
      columnDefinitions={columns(type, failedOnly)}
      resizableColumns
      wrapLines={failedOnly}
      enableKeyboardNavigation
      empty={
        <Box textAlign="center" color="inherit" padding="m">
          {error ? (
            <StatusIndicator type="error">{error}</StatusIndicator>
          ) : status === 'FAILED' ? (
            'No failed items in this task.'
          ) : prefix ? (
            'No record matches the prefix.'
          ) : (
            'No records yet: they appear as the run copies or checks each item.'
          )}
        </Box>
      }
      header={
        <Header
          variant="h2"
          counter={total !== undefined && prefix === '' ? `(${formatCount(total)})` : undefined}
          description={description}
          actions={
            <SpaceBetween direction="horizontal" size="xs">
              {actions}
              <Button
                iconName="refresh"
                ariaLabel="Refresh"
                onClick={() => {
                  setTick((t) => t + 1);
                }}
              />
            </SpaceBetween>
          }
        >
          {title}
        </Header>
      }
      filter={
        <SpaceBetween direction="horizontal" size="m" alignItems="center">
          <TextFilter
            filteringText={typed}
            filteringPlaceholder={type === 'S3' ? 'Keys starting with…' : 'Sources starting with…'}
            filteringAriaLabel="Filter by key prefix"
            onChange={(e) => {
              setTyped(e.detail.filteringText);
            }}
          />
          {status === undefined && (
            <SegmentedControl
              label="Status"
              selectedId={filter === '' ? 'ALL' : filter}
              options={filters.map((f) => ({
                id: f.id === '' ? 'ALL' : f.id,
                text:
                  counts && f.id !== ''
                    ? `${f.text} (${formatCount(counts.byStatus[f.id] ?? 0)})`
                    : f.text,
              }))}
              onChange={(e) => {
                setFilter(e.detail.selectedId === 'ALL' ? '' : (e.detail.selectedId as ItemStatus));
                setPage(1);
              }}
            />
          )}
        </SpaceBetween>
      }
      pagination={
        <Pagination
          currentPageIndex={page}
          pagesCount={pagesCount}
          openEnd={openEnd}
          disabled={loading && data === null}
          ariaLabels={{
            nextPageLabel: 'Next page',
            previousPageLabel: 'Previous page',
            pageLabel: (n) => `Page ${n}`,
          }}
          onChange={(e) => {
            setPage(e.detail.currentPageIndex);
          }}
        />
      }
    />
  );
}
