// Benchmarks of FileSessionStorage, measured in one run on this machine (run `pnpm bench`; the package
// is built first). Prints a table:
//   1. one durable save (one turn = 2 messages appended) into a session of 10 vs 2,000 messages of
//      400 characters (the small one grows to 210, the large one to 2,200 while measured), and the
//      ratio (target <= 1.5: a save's cost must not grow with the session);
//   2. list() over 2,000 sessions of 50 messages vs a naive baseline that reads and parses every session
//      file in full, as the ChannelCoder 3.x file storage did (target >= 20x faster);
//   3. durable saves per second (one writer, one turn per save);
//   4. lease acquire + release (each a read-modify-write of the lease record under the session's lock,
//      durable), and their sum as a share of a ~600 ms CLI turn (target <= 1%).
// BENCH_ONLY=lease runs only 4.
// The data lives under $CHANNELCODER_BENCH_DIR (default: the OS temp dir) and is removed afterwards.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createSessionState } from '@channelcoder/session-core';
import { serializeState } from '@channelcoder/session-core/storage-kit';
import { FileSessionStorage } from '@channelcoder/storage-file';

const SAVE_SAMPLES = Number(process.env.BENCH_SAVE_SAMPLES ?? 100);
const LIST_SESSIONS = 2_000;
const LIST_MESSAGES = 50;
const LIST_WARMUP = 3;
const LIST_RUNS = 11;
const THROUGHPUT_SAVES = 300;
const LEASE_SAMPLES = Number(process.env.BENCH_LEASE_SAMPLES ?? 200);
/** A typical turn of the claude CLI against the API, for the lease's share of it. */
const CLI_TURN_MS = 600;
const CONTENT = 'x'.repeat(400);

const base = mkdtempSync(join(process.env.CHANNELCODER_BENCH_DIR ?? tmpdir(), 'cc-bench-'));
let counter = 0;

function session(name, count) {
  const state = createSessionState({ name });
  addMessages(state, count);
  return state;
}

function addMessages(state, count) {
  const at = new Date();
  for (let i = 0; i < count; i++) {
    counter += 1;
    state.messages.push({
      id: `m${counter}`,
      role: i % 2 === 0 ? 'user' : 'assistant',
      content: CONTENT,
      timestamp: at,
      sessionId: 'claude-bench',
    });
  }
  state.metadata.lastActive = at;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function timed(fn) {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** LIST_WARMUP unmeasured runs, then LIST_RUNS measured ones. */
async function repeat(fn) {
  for (let i = 0; i < LIST_WARMUP; i++) await fn();
  const runs = [];
  for (let i = 0; i < LIST_RUNS; i++) runs.push(await timedWithCpu(fn));
  return runs;
}

/** Wall time and CPU time (user + system, all threads of the process) of one call, in ms. */
async function timedWithCpu(fn) {
  const cpu = process.cpuUsage();
  const wall = await timed(fn);
  const used = process.cpuUsage(cpu);
  return { wall, cpu: (used.user + used.system) / 1000 };
}

/**
 * 1. One durable save (one turn appended) into a session of 10 vs 2,000 messages, as an autosave loop
 * does it: both sessions are stored first, then saved turn by turn, alternating between them so that the
 * machine's state affects both alike. Median of SAVE_SAMPLES saves each.
 */
async function saveCost() {
  const dir = join(base, 'save-cost');
  const storage = new FileSessionStorage({ dir });
  const sessions = [session('small', 10), session('large', 2_000)];
  for (const state of sessions) await storage.save(state);
  const samples = [[], []];
  for (let i = 0; i < SAVE_SAMPLES; i++) {
    for (const [which, state] of sessions.entries()) {
      addMessages(state, 2);
      samples[which].push(await timed(() => storage.save(state)));
    }
  }
  rmSync(dir, { recursive: true, force: true });
  return { small: median(samples[0]), large: median(samples[1]) };
}

/** What the ChannelCoder 3.x file storage did to list: read and parse every whole session file. */
async function naiveList(dir) {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
  const infos = await Promise.all(
    files.map(async (file) => {
      const doc = JSON.parse(await readFile(join(dir, file), 'utf8'));
      return {
        name: file.slice(0, -5),
        path: join(dir, file),
        created: new Date(doc.metadata.created),
        lastActive: new Date(doc.metadata.lastActive),
        messageCount: doc.messages.length,
      };
    }),
  );
  return infos.sort((a, b) => b.lastActive - a.lastActive || (a.name < b.name ? -1 : 1));
}

/** 2. list() over 2,000 sessions of 50 messages vs the naive baseline on the same data. */
async function listCost() {
  const dir = join(base, 'list');
  const baselineDir = join(base, 'list-baseline');
  mkdirSync(baselineDir);
  const writer = new FileSessionStorage({ dir, fsync: false });
  for (let i = 0; i < LIST_SESSIONS; i++) {
    const state = session(`session-${String(i).padStart(4, '0')}`, LIST_MESSAGES);
    await writer.save(state);
    writeFileSync(join(baselineDir, `${state.metadata.name}.json`), serializeState(state));
  }
  const storage = new FileSessionStorage({ dir });
  const check = await storage.list();
  const baselineCheck = await naiveList(baselineDir);
  if (check.length !== LIST_SESSIONS || baselineCheck.length !== LIST_SESSIONS) {
    throw new Error(`expected ${LIST_SESSIONS} entries, got ${check.length} / ${baselineCheck.length}`);
  }
  // Each contender runs as a block (warm-up runs first), so neither pays for the other's garbage or caches.
  const ours = await repeat(() => storage.list());
  const naive = await repeat(() => naiveList(baselineDir));
  rmSync(dir, { recursive: true, force: true });
  rmSync(baselineDir, { recursive: true, force: true });
  return {
    ours: median(ours.map((r) => r.wall)),
    naive: median(naive.map((r) => r.wall)),
    oursCpu: median(ours.map((r) => r.cpu)),
    naiveCpu: median(naive.map((r) => r.cpu)),
  };
}

/** 3. Durable saves per second: one writer appending one turn per save. */
async function throughput() {
  const dir = join(base, 'throughput');
  const storage = new FileSessionStorage({ dir });
  const state = session('throughput', 0);
  const ms = await timed(async () => {
    for (let i = 0; i < THROUGHPUT_SAVES; i++) {
      addMessages(state, 2);
      await storage.save(state);
    }
  });
  rmSync(dir, { recursive: true, force: true });
  return { perSecond: (THROUGHPUT_SAVES * 1000) / ms };
}

/** 4. Lease acquire and release of one session, as a turn takes them; median of LEASE_SAMPLES each. */
async function leaseCost() {
  const dir = join(base, 'lease');
  const storage = new FileSessionStorage({ dir });
  await storage.save(session('leased', 10));
  const acquire = [];
  const release = [];
  for (let i = 0; i < LEASE_SAMPLES + 10; i++) {
    let lease;
    const took = await timed(async () => {
      lease = await storage.lease('leased', { ttlMs: 30_000 });
    });
    const gave = await timed(() => lease.release());
    if (i >= 10) {
      acquire.push(took);
      release.push(gave);
    }
  }
  rmSync(dir, { recursive: true, force: true });
  return { acquire: median(acquire), release: median(release) };
}

function leaseRows(lease, fmt) {
  const share = ((lease.acquire + lease.release) / CLI_TURN_MS) * 100;
  return [
    ['lease acquire (median)', fmt(lease.acquire), ''],
    ['lease release (median)', fmt(lease.release), ''],
    [
      `  acquire + release, share of a ${CLI_TURN_MS} ms CLI turn`,
      `${share.toFixed(2)}%`,
      share <= 1 ? 'target <= 1%: met' : 'target <= 1%: MISSED',
    ],
  ];
}

try {
  const fmt = (ms) => `${ms.toFixed(2)} ms`;
  const only = process.env.BENCH_ONLY;
  const rows = only === 'lease' ? leaseRows(await leaseCost(), fmt) : await allRows(fmt);
  printRows(rows);
} finally {
  rmSync(base, { recursive: true, force: true });
}

async function allRows(fmt) {
  const save = await saveCost();
  const list = await listCost();
  const rate = await throughput();
  const lease = await leaseCost();
  return [
    ['durable save, 10 messages (median)', fmt(save.small), ''],
    ['durable save, 2,000 messages (median)', fmt(save.large), ''],
    [
      '  ratio 2,000 / 10',
      `${(save.large / save.small).toFixed(2)}x`,
      save.large / save.small <= 1.5 ? 'target <= 1.5: met' : 'target <= 1.5: MISSED',
    ],
    [`list(), ${LIST_SESSIONS} sessions x ${LIST_MESSAGES} messages (median)`, fmt(list.ours), ''],
    ['naive list: read + parse every file (median)', fmt(list.naive), ''],
    [
      '  list() speed-up (wall time)',
      `${(list.naive / list.ours).toFixed(1)}x`,
      list.naive / list.ours >= 20 ? 'target >= 20: met' : 'target >= 20: MISSED',
    ],
    [`list() CPU time (median)`, fmt(list.oursCpu), ''],
    ['naive list CPU time (median)', fmt(list.naiveCpu), ''],
    ['  list() speed-up (CPU time)', `${(list.naiveCpu / list.oursCpu).toFixed(1)}x`, ''],
    ['durable saves per second (1 turn each)', rate.perSecond.toFixed(0), ''],
    ...leaseRows(lease, fmt),
  ];
}

function printRows(rows) {
  const width = Math.max(...rows.map((r) => r[0].length));
  const valueWidth = Math.max(...rows.map((r) => r[1].length));
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  console.log(
    `\n@channelcoder/storage-file benchmarks (node ${process.version}, ${cpus().length} CPUs, load ${load})`,
  );
  console.log(`data in ${base}\n`);
  for (const [label, value, note] of rows)
    console.log(`${label.padEnd(width)}  ${value.padStart(valueWidth)}  ${note}`);
}
