import { memo } from 'react';

/** A tiny inline SVG sparkline (cheap enough for hundreds of rows). */
export const Sparkline = memo(function Sparkline({ values, label, width = 96, height = 22, max }: { values: number[]; label: string; width?: number; height?: number; max?: number }) {
  const top = Math.max(max ?? 0, ...values, 1);
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(height - 1 - (v / top) * (height - 2)).toFixed(1)}`).join(' ');
  const last = values[values.length - 1];
  return (
    <svg className="sparkline" width={width} height={height} role="img" aria-label={`${label}: ${last === undefined ? 'no data yet' : `${last.toFixed(0)}% now`}`} data-points={values.length}>
      {values.length > 1 ? <polyline points={points} fill="none" stroke="currentColor" strokeWidth="1.5" /> : <line x1="0" x2={width} y1={height - 1} y2={height - 1} stroke="currentColor" strokeOpacity="0.3" />}
    </svg>
  );
});
