/** Small text formatters for CLI output: relative times, money, durations, tables. */

/** "just now", "5 minutes ago", "3 days ago", "in 2 hours" (clock skew); older than a year: the date. */
export function relativeTime(date: Date, now: Date = new Date()): string {
  const seconds = Math.round((now.getTime() - date.getTime()) / 1000);
  const future = seconds < 0;
  const s = Math.abs(seconds);
  if (s < 45) return 'just now';
  const units: Array<[number, string]> = [
    [60, 'minute'],
    [3600, 'hour'],
    [86_400, 'day'],
    [604_800, 'week'],
    [2_629_800, 'month'],
  ];
  if (s >= 31_557_600) return date.toISOString().slice(0, 10);
  let chosen: [number, string] = [60, 'minute'];
  for (const unit of units) if (s >= unit[0]) chosen = unit;
  const n = Math.max(1, Math.round(s / chosen[0]));
  const text = `${n} ${chosen[1]}${n === 1 ? '' : 's'}`;
  return future ? `in ${text}` : `${text} ago`;
}

/** US dollars with 4 decimals below $1 (turn costs are small), 2 above; `-` when unknown. */
export function formatCost(usd: number | undefined): string {
  if (usd === undefined || !Number.isFinite(usd)) return '-';
  return `$${usd.toFixed(usd < 1 ? 4 : 2)}`;
}

/** 850 ms, 4.2 s, 3 min 5 s. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** Left-aligned columns separated by two spaces; `align` marks right-aligned columns. Plain text only. */
export function table(header: string[], rows: string[][], align: Array<'left' | 'right'> = []): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (align[i] === 'right' ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** {@link table} with its header line through `style.bold` (plain when the stream shows no styles), ending in a newline. */
export function styledTable(
  style: { bold(text: string): string },
  header: string[],
  rows: string[][],
  align: Array<'left' | 'right'> = [],
): string {
  const [head = '', ...body] = table(header, rows, align).split('\n');
  return `${[style.bold(head), ...body].join('\n')}\n`;
}
