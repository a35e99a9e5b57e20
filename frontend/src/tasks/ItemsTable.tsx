// A task's objects or images, paged from the store on the Go side: one keyset query per
// page at any depth, so a table of a million records stays as quick as a small one.
import { memo, startTransition, useEffect, useMemo, useState } from 'react';
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
import { useStages } from './stages';

// 25 rows keep a page change well within a frame budget on slow machines.
export const pageSize = 25;

type Filter = ItemStatus | '';

// Pages asked for ahead of the table's render: the first page of a task's table as the
// task's page opens (alongside the task itself), a page the user picks as they click
// (while the table renders its loading state). The table takes them as it asks.
const prefetchMaxAgeMs = 3000;
const prefetched = new Map<string, { at: number; page: Promise<ItemsPage> }>();
const queryId = (q: ItemsQuery) => JSON.stringify([q.taskId, q.status, q.prefix, q.page, q.pageSize]);

function prefetch(backend: Pick<TasksBackend, 'taskItems'>, q: ItemsQuery): void {
  const now = Date.now();
  for (const [k, v] of prefetched) if (now - v.at > prefetchMaxAgeMs) prefetched.delete(k);
  const page = backend.taskItems(q);
  // A page nobody takes is dropped; its failure is the taker's to show.
  page.catch(() => undefined);
  prefetched.set(queryId(q), { at: now, page });
}

/** Starts loading the first page of a task's table (every status, no prefix). */
export function prefetchFirstPage(backend: Pick<TasksBackend, 'taskItems'>, taskId: string): void {
  prefetch(backend, { taskId, status: '', prefix: '', page: 1, pageSize });
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

/**
 * A column at least this wide. The table lays its columns out by their content (no
 * resizable columns: those cost a drag handle, a portal and observers for each column on
 * every mount); the minimum keeps the layout of an empty table the same as with rows, so
 * the rows coming in do not make the table measure itself and render again.
 */
function atLeast(width: number): { width: number; minWidth: number } {
  return { width, minWidth: width };
}

function columns(type: TaskType, failedOnly: boolean): TableProps.ColumnDefinition<TaskItem>[] {
  const key: TableProps.ColumnDefinition<TaskItem> = {
    id: 'key',
    header: type === 'S3' ? 'Key' : 'Source image',
    cell: (i) => i.key,
    isRowHeader: true,
    ...atLeast(failedOnly ? 320 : 380),
  };
  if (failedOnly) {
    // What a user fixing failures needs first: which item and why.
    return [
      key,
      { id: 'error', header: 'Error', cell: (i) => i.error ?? '', minWidth: 360 },
      { id: 'attempts', header: 'Attempts', cell: (i) => i.attempts, ...atLeast(110) },
      { id: 'updated', header: 'Updated', cell: (i) => formatTime(i.updatedAt), ...atLeast(210) },
    ];
  }
  const cols: TableProps.ColumnDefinition<TaskItem>[] = [key];
  if (type === 'IMAGE') cols.push({ id: 'destination', header: 'Destination', cell: (i) => i.destination ?? '–', ...atLeast(320) });
  cols.push(
    { id: 'size', header: type === 'S3' ? 'Size' : 'Sent', cell: (i) => formatBytes(i.size), ...atLeast(110) },
    {
      id: 'status',
      header: 'Status',
      cell: (i) => <StatusIndicator type={itemStatusType(i.status)}>{itemStatusLabel[i.status]}</StatusIndicator>,
      ...atLeast(140),
    },
    { id: 'attempts', header: 'Attempts', cell: (i) => i.attempts, ...atLeast(110) },
    { id: 'error', header: 'Error', cell: (i) => i.error ?? '', ...atLeast(360) },
  );
  cols.push(
    { id: 'etag', header: type === 'S3' ? 'ETag' : 'Digest', cell: (i) => i.etag ?? '–', ...atLeast(320) },
    { id: 'updated', header: 'Updated', cell: (i) => formatTime(i.updatedAt), ...atLeast(210) },
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

/**
 * The table mounts in slices, each a commit of its own in a task of its own: its frame
 * (header, column headers, the loading row), then its filter and pager, then the first
 * rows, then the rest of them. Each is small (with the layout and the observers Cloudscape
 * sets up for it), where the whole table in one commit blocked a slow machine for 60-150 ms.
 */
const frameSlice = 1;
const controlsSlice = 2;
const rowsSlice = 3;
// The first rows the table shows go in two commits: those on screen, then the rest.
const firstRows = 10;
/**
 * How long the table keeps showing its rows while the next page (or a reload after the
 * task's records changed) is on its way, before it shows its loading state instead. A page
 * that comes sooner replaces the rows in one commit, where the loading state in between
 * took every row out of the table and put them back a moment later (two large commits,
 * each laying the page out again, and the table's height collapsing in between).
 */
export const staleRowsMs = 400;

/** Memoised: a task's live progress re-renders its page often; the table only needs to when its props change. */
export const ItemsTable = memo(function ItemsTable({ taskId, type, status, version, title, description, actions, onFirstPage }: ItemsTableProps) {
  const backend = useBackend();
  const [filter, setFilter] = useState<Filter>(status ?? '');
  const [prefix, setPrefix] = useState('');
  const [typed, setTyped] = useState('');
  const [page, setPage] = useState(1);
  const [shown, setShown] = useState<{ key: string; filter: Filter; data: ItemsPage } | null>(null);
  const [failed, setFailed] = useState<{ key: string; error: string } | null>(null);
  const [counts, setCounts] = useState<ItemCounts | null>(null);
  const [tick, setTick] = useState(0);
  // The query whose page has been awaited longer than staleRowsMs.
  const [slowKey, setSlowKey] = useState('');

  // The page: one query. Counts come separately (counting a big table takes longer than a page).
  const queryKey = JSON.stringify([taskId, filter, prefix, page, version, tick]);
  useEffect(() => {
    let live = true;
    const q: ItemsQuery = { taskId, status: filter, prefix, page, pageSize };
    (takePrefetched(q) ?? backend.taskItems(q)).then(
      (p) => {
        if (!live) return;
        startTransition(() => {
          setShown({ key: queryKey, filter, data: p });
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
  // The last slice (the rest of the first rows) once there are rows to show.
  const slice = useStages(shown === null ? rowsSlice : rowsSlice + 1, false);
  const controls = slice >= controlsSlice;
  const rowsMounted = slice >= rowsSlice;
  const error = rowsMounted && failed?.key === queryKey ? failed.error : null;
  const awaited = shown?.key !== queryKey && error === null;
  useEffect(() => {
    if (!awaited || shown === null) return undefined;
    const t = window.setTimeout(() => {
      startTransition(() => {
        setSlowKey(queryKey);
      });
    }, staleRowsMs);
    return () => {
      window.clearTimeout(t);
    };
  }, [awaited, shown, queryKey]);
  // While a page is awaited the rows shown are the last page's, until it takes long.
  const loading = !rowsMounted || (awaited && (shown === null || slowKey === queryKey));
  const data = rowsMounted ? (shown?.data ?? null) : null;
  // Counting a big table keeps a core busy for a while: it starts once the first page is shown.
  const firstPageIn = rowsMounted && (shown !== null || failed !== null);
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
        startTransition(() => {
          setPrefix(typed);
          setPage(1);
        });
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
  // The columns are those of the rows shown: the last page's until the next one comes.
  const rowsFilter = loading || error !== null || shown === null ? filter : shown.filter;
  const failedOnly = status === 'FAILED' || rowsFilter === 'FAILED';
  // The same definitions object from render to render: the table re-measures its columns
  // (and re-registers its resize observers) whenever it gets a new one.
  const columnDefinitions = useMemo(() => columns(type, failedOnly), [type, failedOnly]);

  if (slice < frameSlice) return null;
  return (
    <Table<TaskItem>
      variant="container"
      items={data === null || error !== null ? [] : slice > rowsSlice ? data.items : data.items.slice(0, firstRows)}
      loading={loading}
      loadingText={page > 1 && data !== null && page > data.pagesCount ? `Finding page ${formatCount(page)}…` : 'Loading records'}
      // No trackBy: rows are keyed by their place on the page, so another page (or the
      // same page reloaded) updates the cells of the rows there instead of taking every
      // row out and mounting new ones (nothing here is selected or expanded by item).
      columnDefinitions={columnDefinitions}
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
                  startTransition(() => {
                    setTick((t) => t + 1);
                  });
                }}
              />
            </SpaceBetween>
          }
        >
          {title}
        </Header>
      }
      filter={
        controls && (
          <>
            <SpaceBetween size="xs">
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
                    text: counts && f.id !== '' ? `${f.text} (${formatCount(counts.byStatus[f.id] ?? 0)})` : f.text,
                  }))}
                  onChange={(e) => {
                    const next = e.detail.selectedId === 'ALL' ? '' : (e.detail.selectedId as ItemStatus);
                    // The page is asked for now; the table renders its new state as a
                    // transition (time-sliced, not in the click's task).
                    prefetch(backend, { taskId, status: next, prefix, page: 1, pageSize });
                    startTransition(() => {
                      setFilter(next);
                      setPage(1);
                    });
                  }}
                />
              )}
            </SpaceBetween>
            {/* The filters take the whole width, so the pager always sits on a line of its
                own: the header keeps its height as counts and page numbers come in (a
                change would make the table measure and render all its rows again). */}
            <div style={{ inlineSize: 100_000, maxInlineSize: '100%' }} />
          </>
        )
      }
      pagination={
        controls && (
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
              const next = e.detail.currentPageIndex;
              prefetch(backend, { taskId, status: filter, prefix, page: next, pageSize });
              startTransition(() => {
                setPage(next);
              });
            }}
          />
        )
      }
    />
  );
});
