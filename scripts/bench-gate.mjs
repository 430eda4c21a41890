// The CI performance gate: short versions of the `pnpm bench` ratios, run on the built packages in a few
// seconds. Every figure is a ratio of two things measured side by side in the same rounds (interleaved,
// alternating order, the fastest run of each), never an absolute time, so the machine's load cancels out:
// in-process figures compare CPU time (a run's waits for a CPU on a loaded machine are not its cost; see
// packages/storage-file/bench/measure.mjs); the CLI cold start, the CPU time of whole processes. A ratio
// fails the gate only when it is more than 2x its target (a regression, not noise); the full figures and
// their targets are `pnpm bench`'s.
//   - CLI cold start: `channelcoder --help` and `channelcoder session list` (file storage) vs `node -e 0`
//   - file storage: load() of 5,000 messages vs JSON.parse of the same lines; first page of list() over
//     2,000 sessions vs over 200
//   - Redis (when CHANNELCODER_TEST_REDIS_URL is set): load() of 5,000 messages vs JSON.parse of the lines
// Data goes to $CHANNELCODER_BENCH_DIR, else /dev/shm where there is one (creating thousands of small files
// on a busy disk would take longer than the whole gate), else the OS temp dir.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '..');
const load = (path) => import(pathToFileURL(join(root, path)).href);
const { CLI_START_TARGET, measureCliStart } = await load('packages/channelcoder/bench/cli-start.mjs');
const fileBench = await load('packages/storage-file/bench/measure.mjs');

const base = mkdtempSync(
  join(process.env.CHANNELCODER_BENCH_DIR ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir()), 'cc-gate-'),
);
const rows = [];
const check = (name, ratio, target) => rows.push({ name, ratio, target, limit: 2 * target });
const started = performance.now();
try {
  // Seeded first: the list order is trusted only once the folder has been still for 2 s, which the
  // other measurements fill.
  const firstPage = await fileBench.prepareFirstPage(join(base, 'list'), {
    small: 200,
    large: 2_000,
    rounds: 11,
  });
  const fileLoad = await fileBench.measureLoad(join(base, 'load'), { messages: 5_000, rounds: 9 });
  check('file: load() / JSON.parse, 5,000 messages (CPU)', fileLoad.cpuRatio, fileBench.LOAD_TARGET);
  const cli = await measureCliStart({ rounds: 9, sessions: 20, base, clock: 'cpu' });
  check('CLI: channelcoder --help / node -e 0 (CPU)', cli.helpRatio, CLI_START_TARGET);
  check('CLI: channelcoder session list / node -e 0 (CPU)', cli.listRatio, CLI_START_TARGET);
  const page = await firstPage();
  check('file: first page at 2,000 / at 200 sessions (CPU)', page.cpuRatio, fileBench.FIRST_PAGE_TARGET);
  const redisUrl = process.env.CHANNELCODER_TEST_REDIS_URL;
  if (redisUrl) {
    const redisBench = await load('packages/storage-redis/bench/measure.mjs');
    const redis = await redisBench.measureRedisLoad(redisUrl, { messages: 5_000, rounds: 9 });
    check('Redis: load() / JSON.parse, 5,000 messages (CPU)', redis.cpuRatio, redisBench.LOAD_TARGET);
  } else {
    console.log('(Redis skipped: CHANNELCODER_TEST_REDIS_URL is not set)');
  }
} finally {
  rmSync(base, { recursive: true, force: true });
}

const width = Math.max(...rows.map((r) => r.name.length));
console.log(
  `Benchmark gate (Node ${process.version}, ${cpus().length} cores, load ${loadavg()[0].toFixed(2)}, ` +
    `${((performance.now() - started) / 1000).toFixed(1)} s): a ratio fails above 2x its target`,
);
let failed = 0;
for (const row of rows) {
  const ok = row.ratio <= row.limit;
  if (!ok) failed++;
  console.log(
    `${ok ? 'ok  ' : 'FAIL'} ${row.name.padEnd(width)}  ${row.ratio.toFixed(2).padStart(6)}  ` +
      `(target <= ${row.target}, fails above ${row.limit})`,
  );
}
process.exit(failed === 0 ? 0 : 1);
