// Per-project listing (run `pnpm bench`; the package is built first): the Agent SDK bridge lists one
// project's sessions with list({ prefix }) (its names are `<prefix><project>.<session>`) and channelcoder
// sessions with list({ projectKey }) (their metadata.cwd). Two roots hold the same 20 sessions of one
// project; one of them also holds 1,000 sessions of 50 other projects. Prints the ratio of each listing on
// the crowded root to the same listing on the root without them (fastest of interleaved pairs, wall and
// CPU time), target <= 1.2: a project's listing must not cost more because other projects have sessions.
// Two states: right after filling (no pause: the root changed in the last 2 s, a whole-store listing has
// just run, and each round saves a session of the project first) and steady (nothing written meanwhile).
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createSessionState, projectFolderName } from '@channelcoder/session-core';
import { FileSessionStorage } from '@channelcoder/storage-file';

const TARGET = 1.2;
const OWN = 20;
const OTHERS = Number(process.env.BENCH_OTHER_SESSIONS ?? 1_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 31);
const PREFIX = 'agent-home-dev-shop-api.';
const CWD = '/home/dev/shop-api';
const KEY = projectFolderName(CWD);

const base = mkdtempSync(join(process.env.CHANNELCODER_BENCH_DIR ?? tmpdir(), 'cc-bench-prefix-'));
const id = (i) => `${String(i).padStart(8, '0')}-6a57-4a43-9d0e-4e3f6c1f0d11`;

async function fill(storage, sessions) {
  for (const [name, cwd] of sessions) {
    const state = createSessionState({ name });
    state.metadata.cwd = cwd;
    state.messages.push({
      id: 'm1',
      role: 'user',
      content: `hello ${name}`,
      timestamp: new Date(),
      sessionId: 'c1',
    });
    await storage.save(state);
  }
}

/** One more message in one of the project's sessions (an active project). */
async function touch(storage, round) {
  const state = await storage.load(`${PREFIX}${id(round % OWN)}`);
  state.messages.push({
    id: `r${round}`,
    role: 'user',
    content: 'again',
    timestamp: new Date(),
    sessionId: 'c1',
  });
  await storage.save(state);
}

async function timed(fn) {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await fn();
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - start, cpu: (used.user + used.system) / 1000 };
}

/** Interleaved pairs of `listing` on both roots; `before` runs untimed before each listing. */
async function measure(label, crowded, alone, options, before) {
  const check = async (storage) => {
    const listed = await storage.list(options);
    if (listed.length !== OWN) throw new Error(`${label}: listed ${listed.length} sessions, expected ${OWN}`);
  };
  const a = [];
  const b = [];
  for (let round = 0; round < ROUNDS + 3; round++) {
    const pair = round % 2 === 0 ? [crowded, alone] : [alone, crowded];
    const runs = [];
    for (const storage of pair) {
      await before?.(storage, round);
      runs.push(await timed(() => check(storage)));
    }
    if (round < 3) continue;
    (pair[0] === crowded ? a : b).push(runs[0]);
    (pair[0] === crowded ? b : a).push(runs[1]);
  }
  const min = (runs, key) => Math.min(...runs.map((r) => r[key]));
  console.log(
    `  ${label}: crowded ${min(a, 'ms').toFixed(2)} ms, alone ${min(b, 'ms').toFixed(2)} ms; ` +
      `ratio wall ${(min(a, 'ms') / min(b, 'ms')).toFixed(2)}, cpu ${(min(a, 'cpu') / min(b, 'cpu')).toFixed(2)}` +
      `  (target <= ${TARGET})`,
  );
}

try {
  const alone = new FileSessionStorage({ dir: join(base, 'alone'), fsync: false });
  const crowded = new FileSessionStorage({ dir: join(base, 'crowded'), fsync: false });
  const own = Array.from({ length: OWN }, (_, i) => [`${PREFIX}${id(i)}`, CWD]);
  const others = Array.from({ length: OTHERS }, (_, i) => [
    `agent-home-dev-project-${i % 50}.${id(i)}`,
    `/home/dev/project-${i % 50}`,
  ]);
  await fill(alone, own);
  await fill(crowded, others.slice(0, OTHERS / 2));
  await fill(crowded, own);
  await fill(crowded, others.slice(OTHERS / 2));
  console.log(
    `list() of one project's ${OWN} sessions, with ${OTHERS} sessions of 50 other projects vs none ` +
      `(load ${loadavg()[0].toFixed(2)})`,
  );
  // Right after filling: a whole-store listing (which may rewrite the list index) and no pause.
  await alone.list();
  await crowded.list();
  console.log(' right after filling, a save in the project before each listing:');
  await measure('list({ prefix })', crowded, alone, { prefix: PREFIX }, touch);
  await measure('list({ projectKey })', crowded, alone, { projectKey: KEY }, touch);
  // Steady: the root has not changed for a while.
  await new Promise((resolve) => setTimeout(resolve, 2_100));
  console.log(' steady state:');
  await measure('list({ prefix })', crowded, alone, { prefix: PREFIX });
  await measure('list({ projectKey })', crowded, alone, { projectKey: KEY });
  console.log(` (load ${loadavg()[0].toFixed(2)})`);
} finally {
  rmSync(base, { recursive: true, force: true });
}
