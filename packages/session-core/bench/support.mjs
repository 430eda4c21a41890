/** Shared by the benchmarks: the built packages, the mock API and the real CLI, and table printing. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

/** Imports a workspace package's built entry, building it first when its dist is missing. */
export async function importBuilt(entry, filter) {
  if (!existsSync(here(entry))) {
    const built = spawnSync('pnpm', ['--filter', filter, 'build'], { stdio: 'inherit' });
    if (built.status !== 0)
      throw new Error(`Building ${filter} failed; run \`pnpm --filter ${filter} build\`.`);
  }
  return import(here(entry));
}

export const core = await importBuilt('../dist/index.js', '@channelcoder/session-core');
/** The adapter helpers (`@channelcoder/session-core/storage-kit`), for the benchmarks' own storages. */
export const kit = await import(here('../dist/storage-kit.js'));
// The testkit is a private workspace package (mock API, CLI helpers); it is not a dependency of this one.
export const testkit = await importBuilt('../../testkit/dist/index.js', '@channelcoder/testkit');

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Prints rows of [label, value, …] as an aligned table. */
export function printTable(title, header, rows) {
  const all = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(`\n${title}`);
  console.log(line(all[0]));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of all.slice(1)) console.log(line(r));
}
