/** Cost and tokens per day over a chosen range, stacked by tag or by session, with totals. */
import { useEffect, useState } from 'preact/hooks';
import { getJson } from '../api';
import { colourOf, StackedBars } from '../components/StackedBars';
import { formatCost, formatCount } from '../format';
import type { CostReport } from '../types';

const today = () => new Date().toISOString().slice(0, 10);
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);

export function CostPage() {
  const [by, setBy] = useState<'tag' | 'session'>('tag');
  const [metric, setMetric] = useState<'cost' | 'tokens'>('cost');
  const [from, setFrom] = useState(daysAgo(29));
  const [to, setTo] = useState(today());
  const [report, setReport] = useState<CostReport | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    setError(null);
    getJson<CostReport>('/stats/daily', { by, from, to }).then(
      (r) => live && setReport(r),
      (err: Error) => live && setError(err.message),
    );
    return () => {
      live = false;
    };
  }, [by, from, to]);

  const format = metric === 'cost' ? formatCost : (n: number) => formatCount(Math.round(n));
  const series = (report?.series ?? []).map((s) => ({
    key: s.key,
    values: metric === 'cost' ? s.costUsd : s.tokens,
  }));

  return (
    <section aria-labelledby="cost-title">
      <h1 id="cost-title">Cost</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          From
          <input
            type="date"
            value={from}
            max={to}
            onChange={(e) => setFrom((e.target as HTMLInputElement).value)}
          />
        </label>
        <label>
          To
          <input
            type="date"
            value={to}
            min={from}
            onChange={(e) => setTo((e.target as HTMLInputElement).value)}
          />
        </label>
        <label>
          Stacked by
          <select
            value={by}
            onChange={(e) => setBy((e.target as HTMLSelectElement).value as 'tag' | 'session')}
          >
            <option value="tag">tag</option>
            <option value="session">session</option>
          </select>
        </label>
        <label>
          Show
          <select
            value={metric}
            onChange={(e) => setMetric((e.target as HTMLSelectElement).value as 'cost' | 'tokens')}
          >
            <option value="cost">cost (USD)</option>
            <option value="tokens">tokens (input + output)</option>
          </select>
        </label>
        <span class="presets">
          {[7, 30, 90].map((n) => (
            <button
              type="button"
              key={n}
              onClick={() => {
                setFrom(daysAgo(n - 1));
                setTo(today());
              }}
            >
              Last {n} days
            </button>
          ))}
        </span>
      </form>
      {error !== null && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {report !== null && (
        <>
          <p class="totals" data-testid="cost-total" data-cost-usd={report.total.costUsd}>
            <strong>{formatCost(report.total.costUsd)}</strong> over {report.total.turns} turns
            {report.total.failedTurns > 0 ? ` (${report.total.failedTurns} failed)` : ''} in{' '}
            {report.total.sessions} sessions · {formatCount(report.total.inputTokens)} input and{' '}
            {formatCount(report.total.outputTokens)} output tokens
          </p>
          <StackedBars
            days={report.days}
            series={series}
            format={format}
            label={`${metric === 'cost' ? 'Cost' : 'Tokens'} per day from ${report.days[0]} to ${report.days.at(-1)}, stacked by ${by}`}
          />
          <ul class="legend" aria-label="Legend">
            {series.map((s, i) => (
              <li key={s.key}>
                <span class="swatch" style={{ background: colourOf(i) }} aria-hidden="true" />
                {s.key}: {format(s.values.reduce((a, b) => a + b, 0))}
              </li>
            ))}
          </ul>
          {by === 'tag' && (
            <p class="note">
              A session with several tags counts in each of their stacks; the total counts it once.
            </p>
          )}
          <details>
            <summary>Figures per day</summary>
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Day</th>
                    {series.map((s) => (
                      <th scope="col" key={s.key} class="num">
                        {s.key}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {report.days.map((day, i) => (
                    <tr key={day}>
                      <th scope="row">{day}</th>
                      {series.map((s) => (
                        <td key={s.key} class="num">
                          {format(s.values[i] ?? 0)}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </details>
        </>
      )}
    </section>
  );
}
