import { memo, startTransition, useEffect, useMemo, useState } from 'react';
import Box from '@cloudscape-design/components/box';
import LineChart from '@cloudscape-design/components/line-chart';
import type { ThroughputPoint } from '../api/tasks';
import { formatBytes, formatRate } from './format';

function timeLabel(d: Date): string {
  return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/**
 * True from the frame after the first paint: lets a page show its first content (the
 * object table) before heavier parts mount, so no single commit blocks a frame for long.
 */
function useAfterFirstPaint(): boolean {
  const [ready, setReady] = useState(false);
  useEffect(() => {
    const id = requestAnimationFrame(() => {
      startTransition(() => {
        setReady(true);
      });
    });
    return () => {
      cancelAnimationFrame(id);
    };
  }, []);
  return ready;
}

/**
 * Bytes per second over the run, from the samples the monitor keeps. Memoised: the page
 * renders again on every push of the task's progress; the chart only when its points do.
 */
export const ThroughputChart = memo(function ThroughputChart({ points, running }: { points: ThroughputPoint[]; running: boolean }) {
  const ready = useAfterFirstPaint();
  // No series at all (rather than an empty one) lets the chart show its empty state.
  const series = useMemo(
    () =>
      points.length === 0
        ? []
        : [
            {
              title: 'Throughput',
              type: 'line' as const,
              data: points.map((p) => ({ x: new Date(p.t), y: p.bytesPerSec })),
              valueFormatter: (y: number) => formatRate(y),
            },
          ],
    [points],
  );
  const max = points.reduce((m, p) => Math.max(m, p.bytesPerSec), 0);
  const first = points[0];
  const last = points[points.length - 1];
  if (!ready) return <Box padding={{ vertical: 'xxxl' }} />;
  return (
    <LineChart
      series={series}
      height={200}
      xScaleType="time"
      xDomain={first && last ? [new Date(first.t), new Date(last.t)] : undefined}
      yDomain={[0, max > 0 ? max * 1.15 : 1024]}
      xTickFormatter={timeLabel}
      yTickFormatter={(y) => `${formatBytes(y)}/s`}
      xTitle="Time"
      yTitle="Bytes per second"
      hideFilter
      hideLegend
      ariaLabel="Throughput over time"
      detailPopoverSize="small"
      empty={
        <Box textAlign="center" color="inherit">
          <b>No throughput yet</b>
          <Box variant="p" color="inherit">
            {running ? 'Samples appear every second while the task copies.' : 'The chart shows the last run of this task once it runs.'}
          </Box>
        </Box>
      }
    />
  );
});
