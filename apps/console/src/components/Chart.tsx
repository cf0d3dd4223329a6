import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: string;
}

interface ChartProps {
  title: string;
  /** Seconds since the epoch. */
  x: number[];
  series: ChartSeries[];
  kind?: 'line' | 'bars';
  height?: number;
  /** The span the x axis shows (seconds), e.g. a whole billing period; by default the data's. */
  xRange?: [number, number];
  /** How a y value is written on the axis and in the legend. */
  yFormat?: (value: number) => string;
}

/** A small uPlot chart over time: lines, or bars for per-day sums. */
export function Chart({ x, series, kind = 'line', height = 160, title, xRange, yFormat }: ChartProps) {
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
            points: { show: kind !== 'bars' && x.length < 40 },
            value: yFormat ? (_u: uPlot, v: number | null) => (v === null ? '—' : yFormat(v)) : undefined,
          })),
        ],
        axes: [{}, { size: 90, values: yFormat ? (_u, ticks) => ticks.map(yFormat) : undefined }],
        scales: {
          x: { time: true, ...(xRange ? { range: () => xRange } : {}) },
          y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] },
        },
        legend: { show: true },
      },
      [x, ...series.map((s) => s.values)],
      element,
    );
    return () => plot.destroy();
  }, [x, series, kind, height, xRange, yFormat]);
  return (
    <figure className="chart" aria-label={title}>
      <figcaption>{title}</figcaption>
      <div ref={box} />
    </figure>
  );
}
