import { useEffect, useRef } from 'react';
import uPlot from 'uplot';

export interface ChartSeries {
  label: string;
  color: string;
  values: number[];
}

/**
 * A streaming time-series chart (uPlot: built for this, cheap to redraw at
 * 1 Hz with thousands of points). The last `windowSeconds` are shown.
 */
export function Chart({ title, unit, t, series, version, windowSeconds = 300, min }: { title: string; unit: string; t: number[]; series: ChartSeries[]; version: number; windowSeconds?: number; min?: number }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: 150,
      legend: { show: true, live: false },
      cursor: { show: true, drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, lo, hi) => [min ?? Math.min(0, lo), Math.max(hi * 1.1, min === undefined ? 1 : min + 1)] } },
      axes: [
        { stroke: '#8b96a5', grid: { stroke: '#222a35' }, ticks: { stroke: '#222a35' } },
        { stroke: '#8b96a5', grid: { stroke: '#222a35' }, ticks: { stroke: '#222a35' }, size: 72, values: (_u, vals) => vals.map((v) => `${+v.toFixed(1)}${unit}`) },
      ],
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, fill: `${s.color}22`, points: { show: false } }))],
    };
    const u = new uPlot(opts, [t, ...series.map((s) => s.values)], el);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height: 150 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // Series are fixed per chart; data flows through setData below.
  }, []);

  useEffect(() => {
    const u = plot.current;
    if (!u) return;
    u.setData([t, ...series.map((s) => s.values)], false);
    const last = t[t.length - 1] ?? Date.now() / 1000;
    u.setScale('x', { min: last - windowSeconds, max: last });
  }, [version, t, series, windowSeconds]);

  const latest = series.map((s) => `${s.label} ${(s.values[s.values.length - 1] ?? 0).toFixed(1)}${unit}`).join(', ');
  return (
    <figure className="chart" aria-label={`${title} chart`} data-points={t.length}>
      <figcaption>{title} <span className="sub">{t.length > 0 ? latest : 'waiting for samples…'}</span></figcaption>
      <div ref={host} role="img" aria-label={`${title}: ${t.length} samples; ${latest}`} />
    </figure>
  );
}
