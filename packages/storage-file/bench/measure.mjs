/**
 * Ratios of FileSessionStorage (the built package) measured side by side, used by `pnpm bench`
 * (load-list.bench.mjs, full sizes) and by the CI gate (scripts/bench-gate.mjs, small sizes):
 * - load() of a session of N messages vs JSON.parse of the same stored lines, already in memory (target
 *   <= 3); read + split + parse of the same file is reported beside it;
 * - the first page (limit 50) of list() over a large folder vs over a small one, from a fresh list index
 *   (target <= 2: a page costs the same whatever the number of sessions).
 * Each round runs both contenders back to back, alternating which goes first. Two ratios: of wall times and
 * of CPU times (this process, all its threads), each of the fastest run of each side. On a loaded machine a
 * run is only ever slowed by other processes, a run with I/O hops (thread pool, sockets) far more than a
 * run of pure computation, as it waits for a CPU at every hop; CPU time does not count those waits, so the
 * CI gate compares CPU ratios, `pnpm bench` prints both.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createSessionState } from '@channelcoder/session-core';
import { FileSessionStorage } from '@channelcoder/storage-file';

export const LOAD_TARGET = 3;
export const FIRST_PAGE_TARGET = 2;
/** The list order is used once the storage folder has not changed for this long (list-order.ts). */
const SETTLED_MS = 2_000;
const PAGE = 50;

async function timed(fn) {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await fn();
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { ms, cpu: (used.user + used.system) / 1000 };
}

/** `rounds` measured pairs (after 2 unmeasured ones) of `a` and `b`, alternating which goes first. */
async function pairs(rounds, a, b) {
  const as = [];
  const bs = [];
  for (let round = 0; round < rounds + 2; round++) {
    let ta;
    let tb;
    if (round % 2 === 0) {
      ta = await timed(a);
      tb = await timed(b);
    } else {
      tb = await timed(b);
      ta = await timed(a);
    }
    if (round < 2) continue;
    as.push(ta);
    bs.push(tb);
  }
  const fastest = (runs, key) => Math.min(...runs.map((run) => run[key]));
  return {
    a: fastest(as, 'ms'),
    b: fastest(bs, 'ms'),
    ratio: fastest(as, 'ms') / fastest(bs, 'ms'),
    cpuRatio: fastest(as, 'cpu') / fastest(bs, 'cpu'),
  };
}

/** A session of `count` messages of about 330 characters, alternating user and assistant. */
function bigSession(name, count) {
  const state = createSessionState({ name });
  let clock = Date.UTC(2026, 0, 1);
  for (let i = 0; i < count; i++) {
    const role = i % 2 === 0 ? 'user' : 'assistant';
    clock += 10;
    state.messages.push({
      id: `m${i}`,
      role,
      content: `${role} says something moderately long about the task at hand, message ${i}. `.repeat(4),
      timestamp: new Date(clock),
      sessionId: 'claude-bench',
      ...(role === 'assistant' ? { turn: { costUsd: 0.01, durationMs: 900, inputTokens: 100 } } : {}),
    });
  }
  state.metadata.lastActive = new Date(clock);
  return state;
}

/** load() of a `messages`-message session vs JSON.parse of its stored lines (and vs read + split + parse). */
export async function measureLoad(dir, { messages = 20_000, rounds = 9 } = {}) {
  const storage = new FileSessionStorage({ dir, fsync: false });
  await storage.save(bigSession('big', messages));
  const folder = join(dir, 'big');
  const file = join(
    folder,
    readdirSync(folder).find((f) => /^messages-\d+\.jsonl$/.test(f)),
  );
  const headPath = join(folder, 'head.json');
  const text = readFileSync(file, 'utf8');
  const headText = readFileSync(headPath, 'utf8');
  const lines = text.split('\n').filter((line) => line !== '');
  if (lines.length !== messages) throw new Error(`expected ${messages} stored lines, found ${lines.length}`);
  const load = async () => {
    const state = await storage.load('big');
    if (state.messages.length !== messages) throw new Error('load() returned the wrong count');
  };
  // The baselines keep what they parsed, as a load does (parsing into garbage would be cheaper).
  let kept;
  const parse = async () => {
    kept = [JSON.parse(headText), lines.map((line) => JSON.parse(line))];
  };
  const readParse = async () => {
    const all = readFileSync(file, 'utf8').split('\n');
    all.pop(); // the empty string after the last newline
    kept = [JSON.parse(readFileSync(headPath, 'utf8')), all.map((line) => JSON.parse(line))];
  };
  // Warm-up outside the rounds: the first loads compile the reader.
  for (let i = 0; i < 3; i++) await load();
  const vsParse = await pairs(rounds, load, parse);
  const vsRead = await pairs(rounds, load, readParse);
  return {
    messages,
    megabytes: Buffer.byteLength(text) / 1e6,
    loadMs: vsParse.a,
    parseMs: vsParse.b,
    readParseMs: vsRead.b,
    ratio: vsParse.ratio,
    cpuRatio: vsParse.cpuRatio,
    readRatio: vsRead.ratio,
    kept: kept !== undefined,
  };
}

/**
 * Writes `count` sessions of one message each straight into `dir` in the storage's layout (head.json and a
 * messages file per session, as save() leaves them), far faster than `count` saves. Their list index is
 * built by the first full listing.
 */
function seedSessions(dir, count) {
  mkdirSync(dir, { recursive: true });
  const start = Date.UTC(2026, 0, 1);
  for (let i = 0; i < count; i++) {
    const name = `session-${String(i).padStart(6, '0')}`;
    const at = new Date(start + i * 1000).toISOString();
    const line = `${JSON.stringify({ id: `m${i}`, role: 'user', content: 'hello', timestamp: at })}\n`;
    const head = {
      formatVersion: 1,
      revision: 1,
      sessionChain: [],
      metadata: { created: at, lastActive: at, name },
      usage: {
        turns: 0,
        failedTurns: 0,
        totalCostUsd: 0,
        inputTokens: 0,
        outputTokens: 0,
        cacheReadTokens: 0,
        cacheCreationTokens: 0,
        durationMs: 0,
      },
      messageCount: 1,
      lastMessageId: `m${i}`,
      file: { messages: 'messages-1.jsonl', bytes: Buffer.byteLength(line) },
    };
    mkdirSync(join(dir, name), { mode: 0o700 });
    writeFileSync(join(dir, name, 'messages-1.jsonl'), line, { mode: 0o600 });
    writeFileSync(join(dir, name, 'head.json'), JSON.stringify(head), { mode: 0o600 });
  }
}

/**
 * The first page (limit 50) of list() over `large` sessions vs over `small` ones. Both folders are seeded
 * and listed in full (which writes their list order), and each first page is checked against the full
 * listing before it is timed. The order is trusted only once the folder has not changed for a while, so
 * this returns a function that waits for that (callers can measure something else meanwhile) and measures.
 */
export async function prepareFirstPage(dir, { small = 1_000, large = 20_000, rounds = 11 } = {}) {
  const smallDir = join(dir, 'list-small');
  const largeDir = join(dir, 'list-large');
  seedSessions(smallDir, small);
  seedSessions(largeDir, large);
  const smallStorage = new FileSessionStorage({ dir: smallDir });
  const largeStorage = new FileSessionStorage({ dir: largeDir });
  // The first listing creates the index and the order's folder (moving the folder's change time); once
  // that has settled, the second one writes an order the first page can trust.
  await smallStorage.list();
  await largeStorage.list();
  const settledAt = performance.now() + SETTLED_MS + 200;
  return async function measureFirstPage() {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, settledAt - performance.now())));
    const full = { small: await smallStorage.list(), large: await largeStorage.list() };
    if (full.small.length !== small || full.large.length !== large) throw new Error('seeding failed');
    for (const [storage, all] of [
      [smallStorage, full.small],
      [largeStorage, full.large],
    ]) {
      const page = await storage.list({ limit: PAGE });
      const expected = all.slice(0, PAGE).map((info) => info.name);
      if (JSON.stringify(page.map((info) => info.name)) !== JSON.stringify(expected))
        throw new Error('the first page differs from the head of the full listing');
    }
    const result = await pairs(
      rounds,
      () => largeStorage.list({ limit: PAGE }),
      () => smallStorage.list({ limit: PAGE }),
    );
    return {
      small,
      large,
      page: PAGE,
      largeMs: result.a,
      smallMs: result.b,
      ratio: result.ratio,
      cpuRatio: result.cpuRatio,
    };
  };
}
