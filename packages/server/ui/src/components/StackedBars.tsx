/**
 * A stacked bar chart drawn as SVG: one bar per day, one colour per series. Each segment carries a
 * `<title>` (hover, screen readers), and the same figures are in a table below the chart.
 */
const COLOURS = [
  '#2563eb',
  '#d97706',
  '#059669',
  '#db2777',
  '#7c3aed',
  '#0891b2',
  '#65a30d',
  '#dc2626',
  '#6b7280',
];

export const colourOf = (index: number) => COLOURS[index % COLOURS.length] as string;

export interface BarSeries {
  key: string;
  values: number[];
}

export function StackedBars({
  days,
  series,
  format,
  label,
}: {
  days: string[];
  series: BarSeries[];
  format: (n: number) => string;
  label: string;
}) {
  const width = 720;
  const height = 260;
  const pad = { left: 64, right: 8, top: 8, bottom: 28 };
  const totals = days.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  const max = Math.max(...totals, 0) || 1;
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const slot = plotW / Math.max(days.length, 1);
  const barW = Math.max(1, slot * 0.75);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * max);
  const every = Math.ceil(days.length / 8);
  return (
    <svg viewBox={`0 0 ${width} ${height}`} class="chart" role="img" aria-label={label}>
      {ticks.map((t) => {
        const y = pad.top + plotH - (t / max) * plotH;
        return (
          <g key={t}>
            <line x1={pad.left} x2={width - pad.right} y1={y} y2={y} class="grid" />
            <text x={pad.left - 6} y={y + 4} text-anchor="end" class="axis">
              {format(t)}
            </text>
          </g>
        );
      })}
      {days.map((day, i) => {
        let y = pad.top + plotH;
        const x = pad.left + i * slot + (slot - barW) / 2;
        return (
          <g key={day}>
            {series.map((s, k) => {
              const v = s.values[i] ?? 0;
              if (v <= 0) return null;
              const h = (v / max) * plotH;
              y -= h;
              return (
                <rect key={s.key} x={x} y={y} width={barW} height={h} fill={colourOf(k)}>
                  <title>{`${day} · ${s.key}: ${format(v)}`}</title>
                </rect>
              );
            })}
            {i % every === 0 && (
              <text x={x + barW / 2} y={height - 8} text-anchor="middle" class="axis">
                {day.slice(5)}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}
