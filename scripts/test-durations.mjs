// Records how long each test file took in a full run, for the file order in vitest.config.ts (longest
// first, so the two workers finish together). Reads vitest's JSON report (scripts/test.sh writes
// .tmp/vitest-report.json) and rewrites scripts/test-durations.json; commit it when the times have moved.
//   node scripts/test-durations.mjs .tmp/vitest-report.json
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { root } from './packages.mjs';

const reportPath = process.argv[2];
if (!reportPath) {
  console.error('usage: node scripts/test-durations.mjs <vitest JSON report>');
  process.exit(2);
}
const report = JSON.parse(readFileSync(reportPath, 'utf8'));
const files = {};
for (const result of report.testResults ?? []) {
  if (typeof result.startTime !== 'number' || typeof result.endTime !== 'number') continue;
  files[relative(root, result.name)] = Math.round((result.endTime - result.startTime) / 100) / 10;
}
const sorted = Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1)));
const out = new URL('./test-durations.json', import.meta.url);
writeFileSync(
  out,
  `${JSON.stringify({ note: 'seconds per test file in a full run; refresh with scripts/test-durations.mjs', files: sorted }, null, 2)}\n`,
);
console.log(`${Object.keys(sorted).length} test files recorded in scripts/test-durations.json`);
