import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: string;
}

/** A small uPlot chart over time (x in seconds since the epoch): lines, or bars for per-day sums. */
export function Chart({
  x,
  series,
  kind = 'line',
  height = 180,
  title,
}: {
  x: number[];
  series: ChartSeries[];
  kind?: 'line' | 'bars';
  height?: number;
  title: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const bars = kind === 'bars' ? uPlot.paths.bars!({ size: [0.6, 60] }) : undefined;
    const plot = new uPlot(
      {
        width: Math.max(element.clientWidth, 200),
        height,
        series: [
          {},
          ...series.map((s) => ({
            label: s.label,
            stroke: s.color,
            fill: kind === 'bars' ? s.color : undefined,
            width: kind === 'bars' ? 0 : 2,
            paths: bars,
            points: { show: kind !== 'bars' },
          })),
        ],
        axes: [{}, { size: 60 }],
        scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] } },
        legend: { show: true },
      },
      [x, ...series.map((s) => s.values)],
      element,
    );
    return () => plot.destroy();
  }, [x, series, kind, height]);
  return (
    <figure className="chart" aria-label={title}>
      <figcaption>{title}</figcaption>
      <div ref={box} />
    </figure>
  );
}
