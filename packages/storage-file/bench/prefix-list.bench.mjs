// Per-project listing (run `pnpm bench`; the package is built first): the Agent SDK bridge lists one
// project's sessions with list({ prefix }). Two roots hold the same 20 sessions of one project; one of them
// also holds 1,000 sessions of 50 other projects. Prints the ratio of list({ prefix }) on the crowded root
// to the same listing on the root without them (fastest of interleaved pairs, wall and CPU time), target
// <= 1.2: a project's listing must not cost more because other projects have sessions.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createSessionState } from '@channelcoder/session-core';
import { FileSessionStorage } from '@channelcoder/storage-file';

const TARGET = 1.2;
const OWN = 20;
const OTHERS = Number(process.env.BENCH_OTHER_SESSIONS ?? 1_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 31);
const PREFIX = 'agent-home-dev-shop-api.';

const base = mkdtempSync(join(process.env.CHANNELCODER_BENCH_DIR ?? tmpdir(), 'cc-bench-prefix-'));
const id = (i) => `${String(i).padStart(8, '0')}-6a57-4a43-9d0e-4e3f6c1f0d11`;

async function fill(storage, names) {
  for (const name of names) {
    const state = createSessionState({ name });
    state.messages.push({ id: 'm1', role: 'user', content: `hello ${name}`, timestamp: new Date() });
    await storage.save(state);
  }
}

async function timed(fn) {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await fn();
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - start, cpu: (used.user + used.system) / 1000 };
}

try {
  const alone = new FileSessionStorage({ dir: join(base, 'alone'), fsync: false });
  const crowded = new FileSessionStorage({ dir: join(base, 'crowded'), fsync: false });
  const own = Array.from({ length: OWN }, (_, i) => `${PREFIX}${id(i)}`);
  const others = Array.from({ length: OTHERS }, (_, i) => `agent-home-dev-project-${i % 50}.${id(i)}`);
  await fill(alone, own);
  await fill(crowded, others.slice(0, OTHERS / 2));
  await fill(crowded, own);
  await fill(crowded, others.slice(OTHERS / 2));
  // One full listing each, as a long-running process would have done at some point.
  // Listings read the root while it changed in the last 2 s (see list-groups.ts): wait until it settled.
  await new Promise((resolve) => setTimeout(resolve, 2_100));
  await alone.list();
  await crowded.list();
  // A full listing may rewrite the list index (a rename in the root): the groups are stamped by the next
  // listing once the root has settled again.
  await new Promise((resolve) => setTimeout(resolve, 2_100));
  await alone.list({ prefix: PREFIX });
  await crowded.list({ prefix: PREFIX });
  const check = async (storage) => {
    const listed = await storage.list({ prefix: PREFIX });
    if (listed.length !== OWN) throw new Error(`listed ${listed.length} sessions, expected ${OWN}`);
  };
  const a = [];
  const b = [];
  for (let round = 0; round < ROUNDS + 3; round++) {
    const pair = round % 2 === 0 ? [crowded, alone] : [alone, crowded];
    const first = await timed(() => check(pair[0]));
    const second = await timed(() => check(pair[1]));
    if (round < 3) continue;
    (pair[0] === crowded ? a : b).push(first);
    (pair[0] === crowded ? b : a).push(second);
  }
  const min = (runs, key) => Math.min(...runs.map((r) => r[key]));
  const load = loadavg()[0].toFixed(2);
  console.log(
    `list({ prefix }) of ${OWN} sessions, with ${OTHERS} sessions of other projects vs none (load ${load})`,
  );
  console.log(`  crowded ${min(a, 'ms').toFixed(2)} ms, alone ${min(b, 'ms').toFixed(2)} ms`);
  console.log(
    `  ratio wall ${(min(a, 'ms') / min(b, 'ms')).toFixed(2)}, cpu ${(min(a, 'cpu') / min(b, 'cpu')).toFixed(2)}  (target <= ${TARGET})`,
  );
} finally {
  rmSync(base, { recursive: true, force: true });
}
