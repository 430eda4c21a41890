/**
 * A turn's cost against the session's length: the session layer alone (a runner that answers at once, so
 * only recording, saving and mirroring are timed) on FileSessionStorage (or MemorySessionStorage:
 * `benchTurnGrowth('memory')`, BENCH_GROWTH_STORAGE=memory), for a session of 10 messages and
 * one of 50,000 (BENCH_GROWTH_MESSAGES), both loaded with `session.load()` and given turns alternately, in
 * an order that alternates. Figures: the fastest turn of each (wall and CPU time of this process) and their
 * ratio (target <= 1.5: a turn must not grow with the session), and the process's peak RSS growth over the
 * large session's turns against the bytes the session takes in storage (target <= 2).
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { core, importBuilt, testkit } from './support.mjs';

const LARGE = Number(process.env.BENCH_GROWTH_MESSAGES ?? 50_000);
const SMALL = 10;
const TURNS = Number(process.env.BENCH_GROWTH_TURNS ?? 9);

function stateOf(name, count) {
  const state = core.createSessionState({ name });
  let clock = Date.UTC(2026, 0, 1);
  for (let i = 0; i < count; i++) {
    const role = i % 2 === 0 ? 'user' : 'assistant';
    clock += 10;
    state.messages.push({
      id: `${name}-${i}`,
      role,
      content: `${role} says something moderately long about the task at hand, message ${i}. `.repeat(4),
      timestamp: new Date(clock),
      sessionId: 'claude-growth',
    });
  }
  state.sessionChain = ['claude-growth'];
  state.currentSessionId = 'claude-growth';
  state.metadata.lastActive = new Date(clock);
  return state;
}

function folderBytes(dir) {
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    bytes += entry.isDirectory() ? folderBytes(path) : statSync(path).size;
  }
  return bytes;
}

/** What MemorySessionStorage keeps for `name`: its head and message lines, as UTF-8 bytes. */
function memoryBytes(storage, name) {
  const record = storage.records.get(name);
  let bytes = Buffer.byteLength(record.head);
  for (const line of record.messages) bytes += Buffer.byteLength(line);
  return bytes;
}

export async function benchTurnGrowth(kind = process.env.BENCH_GROWTH_STORAGE ?? 'file') {
  const sandbox = testkit.makeClaudeSandbox('cc-bench-growth');
  try {
    let storage;
    if (kind === 'memory') {
      storage = new core.MemorySessionStorage();
    } else {
      const { FileSessionStorage } = await importBuilt(
        '../../storage-file/dist/index.js',
        '@channelcoder/storage-file',
      );
      storage = new FileSessionStorage({ dir: join(sandbox.root, 'sessions') });
    }
    await storage.save(stateOf('small', SMALL));
    await storage.save(stateOf('large', LARGE));
    const storedBytes =
      kind === 'memory'
        ? memoryBytes(storage, 'large')
        : folderBytes(join(sandbox.root, 'sessions', 'large'));
    const instant = {
      run: async (prompt, o) => ({
        text: `echo ${prompt}`,
        sessionId: o.resume ?? o.sessionId ?? 'claude-growth',
        totalCostUsd: 0.001,
        usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheCreationTokens: 0 },
        durationMs: 1,
        numTurns: 1,
        isError: false,
        raw: {},
      }),
    };
    const options = { storage, runner: instant, cwd: sandbox.cwd };
    const small = await core.session.load('small', options);
    const large = await core.session.load('large', options);
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const timedTurn = async (s) => {
      const cpu = process.cpuUsage();
      const start = performance.now();
      await s.claude('one more turn');
      const ms = performance.now() - start;
      const used = process.cpuUsage(cpu);
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      return { ms, cpu: (used.user + used.system) / 1000 };
    };
    const runs = { small: [], large: [] };
    for (let turn = 0; turn < TURNS + 1; turn++) {
      const order = turn % 2 === 0 ? ['small', 'large'] : ['large', 'small'];
      const took = {};
      for (const which of order) took[which] = await timedTurn(which === 'small' ? small : large);
      if (turn === 0) continue; // warm-up
      runs.small.push(took.small);
      runs.large.push(took.large);
    }
    const fastest = (list, key) => Math.min(...list.map((r) => r[key]));
    return {
      storage: kind === 'memory' ? 'MemorySessionStorage' : 'FileSessionStorage',
      small: SMALL,
      large: LARGE,
      turns: TURNS,
      smallMs: fastest(runs.small, 'ms'),
      largeMs: fastest(runs.large, 'ms'),
      ratio: fastest(runs.large, 'ms') / fastest(runs.small, 'ms'),
      cpuRatio: fastest(runs.large, 'cpu') / fastest(runs.small, 'cpu'),
      storedMegabytes: storedBytes / 1e6,
      rssGrowthMegabytes: (rssPeak - rssBefore) / 1e6,
    };
  } finally {
    sandbox.remove();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await benchTurnGrowth(process.argv[2]), null, 2));
}
