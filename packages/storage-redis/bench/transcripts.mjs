// Transcript and prefixed-listing benchmarks for RedisSessionStorage (the built package, dist/), against
// CHANNELCODER_TEST_REDIS_URL or a private redis-server. Every figure is a ratio of runs measured in one
// process, interleaved (A, B, B, A, …), with its target beside it:
//   1. appendTranscript of one turn (4 lines) to a transcript of 10 entries vs of 300 (target <= 1.2)
//   2. stored bytes / raw JSON bytes of a 400-line transcript appended a turn at a time: the list elements'
//      bytes, and MEMORY USAGE of the list vs the same lines stored one plain line per element (target <= 0.25)
//   3. list({ prefix }) of one project's 20 sessions with 1,000 sessions of other projects vs none
//      (target <= 1.2)
//   4. list({ projectKey }) of one project's 20 sessions (by metadata.cwd) with 1,000 sessions of other
//      projects vs none (target <= 1.2)
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createSessionState } from '@channelcoder/session-core';
import { Redis } from 'ioredis';
import { RedisSessionStorage } from '../dist/index.js';
import { deletePrefix, median } from './measure.mjs';
import { redisUrl } from './redis-server.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 201);

/** Entry `i` of a Claude-like transcript: turns of a prompt, a tool call, its result and an answer. */
function entry(i) {
  const turn = Math.floor(i / 4);
  const id = (n) =>
    `7c0e${String(n).padStart(4, '0')}-91ab-4c3d-8e2f-${(n * 7919).toString(16).padStart(12, '0')}`;
  const base = {
    parentUuid: i === 0 ? null : id(i - 1),
    isSidechain: false,
    userType: 'external',
    cwd: '/home/dev/shop-api',
    sessionId: '2b1c9a54-6a57-4a43-9d0e-4e3f6c1f0d11',
    version: '2.1.330',
    gitBranch: 'main',
    uuid: id(i),
    timestamp: new Date(Date.UTC(2026, 11, 3, 8, 0, 0, i * 1370)).toISOString(),
  };
  const usage = (out) => ({
    input_tokens: 4 + turn,
    cache_creation_input_tokens: 1200 + turn,
    cache_read_input_tokens: 18000 + 40 * turn,
    output_tokens: out,
    service_tier: 'standard',
  });
  const assistant = (content, stop) => ({
    ...base,
    type: 'assistant',
    requestId: `req_011C${String(i).padStart(18, 'x')}`,
    message: {
      id: `msg_01${String(i).padStart(22, 'a')}`,
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5-20250929',
      content,
      stop_reason: stop,
      stop_sequence: null,
      usage: usage(60 + (turn % 9)),
    },
  });
  switch (i % 4) {
    case 0:
      return {
        ...base,
        type: 'user',
        message: {
          role: 'user',
          content: `Please check why test ${turn} in src/orders/checkout.test.ts fails.`,
        },
        isMeta: false,
        permissionMode: 'default',
      };
    case 1:
      return assistant(
        [
          {
            type: 'tool_use',
            id: `toolu_01${String(i).padStart(22, 'b')}`,
            name: 'Bash',
            input: { command: `pnpm vitest run src/orders/checkout.test.ts -t "case ${turn}"` },
          },
        ],
        'tool_use',
      );
    case 2:
      return {
        ...base,
        type: 'user',
        message: {
          role: 'user',
          content: [
            {
              tool_use_id: `toolu_01${String(i - 1).padStart(22, 'b')}`,
              type: 'tool_result',
              content: `FAIL src/orders/checkout.test.ts > checkout > case ${turn}\nAssertionError: expected 1999 to be 2000\n  at src/orders/checkout.test.ts:${40 + turn}:18\n\nTest Files  1 failed (1)\n     Tests  1 failed | ${turn} passed`,
              is_error: false,
            },
          ],
        },
        toolUseResult: { stdout: 'FAIL ...', stderr: '', interrupted: false, isImage: false },
      };
    default:
      return assistant(
        [
          {
            type: 'text',
            text: `Case ${turn} fails because the total is rounded before the discount is applied; rounding after the discount gives 2000 as expected.`,
          },
        ],
        'end_turn',
      );
  }
}
const entries = (from, to) => Array.from({ length: to - from }, (_, i) => entry(from + i));

function session(lastActive) {
  const state = createSessionState({ now: new Date(lastActive) });
  state.metadata.lastActive = new Date(lastActive);
  return state;
}

async function timed(fn) {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** 1. One turn appended at 10 entries vs at 300 (the long one grows by a turn per round). */
async function benchAppend(storage) {
  await storage.save(session(Date.UTC(2026, 0, 1)), 'short');
  await storage.save(session(Date.UTC(2026, 0, 1)), 'long');
  for (let at = 0; at < 300; at += 4) await storage.appendTranscript('long', 'c', entries(at, at + 4), at);
  let long = 300;
  const short = [];
  const longTimes = [];
  for (let round = 0; round < ROUNDS; round++) {
    await storage.deleteTranscript('short', 'c');
    await storage.appendTranscript('short', 'c', entries(0, 10), 0);
    const batch = entries(10, 14);
    const runShort = async () =>
      short.push(await timed(() => storage.appendTranscript('short', 'c', batch, 10)));
    const runLong = async () => {
      const more = entries(long, long + 4);
      longTimes.push(await timed(() => storage.appendTranscript('long', 'c', more, long)));
      long += 4;
    };
    if (round % 2 === 0) {
      await runShort();
      await runLong();
    } else {
      await runLong();
      await runShort();
    }
  }
  return {
    short: median(short),
    long: median(longTimes),
    ratio: median(longTimes) / median(short),
    longAt: long,
  };
}

/** 2. Stored bytes vs raw bytes of a 400-line transcript appended a turn at a time. */
async function benchBytes(client, storage, prefix) {
  await storage.save(session(Date.UTC(2026, 0, 1)), 'bytes');
  const all = entries(0, 400);
  for (let at = 0; at < all.length; at += 4)
    await storage.appendTranscript('bytes', 'c', all.slice(at, at + 4), at);
  const lines = all.map((e) => JSON.stringify(e));
  const raw = lines.reduce((n, l) => n + Buffer.byteLength(l), 0);
  const key = `${prefix}{bytes}:transcript:c`;
  const elements = await client.lrangeBuffer(key, 0, -1);
  const stored = elements.reduce((n, e) => n + e.length, 0);
  const plainKey = `${prefix}{bytes}:plain`;
  await client.rpush(plainKey, ...lines);
  const memory = Number(await client.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
  const plainMemory = Number(await client.call('MEMORY', 'USAGE', plainKey, 'SAMPLES', '0'));
  const loaded = await storage.loadTranscript('bytes', 'c');
  if (JSON.stringify(loaded) !== JSON.stringify(all))
    throw new Error('the loaded transcript differs from the appended one');
  return { raw, stored, memory, plainMemory, elements: elements.length };
}

/** 3. list({ prefix }) of 20 sessions, with 1,000 sessions of other projects on the same storage vs none. */
async function benchPrefix(client, prefix) {
  const alone = new RedisSessionStorage({ client, prefix: `${prefix}alone:` });
  const crowded = new RedisSessionStorage({ client, prefix: `${prefix}crowded:` });
  let clock = Date.UTC(2026, 0, 1);
  for (let i = 0; i < 20; i++) {
    clock += 1000;
    await alone.save(session(clock), `sdk-home-dev-shop-api.s${i}`);
    await crowded.save(session(clock), `sdk-home-dev-shop-api.s${i}`);
  }
  // The other projects' sessions are newer and sort on both sides of the prefix.
  for (let i = 0; i < 1000; i++) {
    clock += 1000;
    await crowded.save(session(clock), `sdk-${i % 2 ? 'a' : 'z'}-project-${i % 50}.s${i}`);
  }
  const options = { prefix: 'sdk-home-dev-shop-api.' };
  for (const s of [alone, crowded])
    if ((await s.list(options)).length !== 20) throw new Error('wrong listing');
  const a = [];
  const c = [];
  for (let round = 0; round < ROUNDS; round++) {
    const runA = async () => a.push(await timed(() => alone.list(options)));
    const runC = async () => c.push(await timed(() => crowded.list(options)));
    if (round % 2 === 0) {
      await runA();
      await runC();
    } else {
      await runC();
      await runA();
    }
  }
  return { alone: median(a), crowded: median(c), ratio: median(c) / median(a) };
}

/** 4. list({ projectKey }) of 20 sessions, with 1,000 sessions of other projects (other cwds) vs none. */
async function benchProject(client, prefix) {
  const alone = new RedisSessionStorage({ client, prefix: `${prefix}alone:` });
  const crowded = new RedisSessionStorage({ client, prefix: `${prefix}crowded:` });
  const inCwd = (clock, cwd) => {
    const state = session(clock);
    state.metadata.cwd = cwd;
    return state;
  };
  let clock = Date.UTC(2026, 0, 1);
  // The other projects' sessions are older and newer than the project's, and their names interleave.
  for (let i = 0; i < 500; i++) {
    clock += 1000;
    await crowded.save(inCwd(clock, `/home/dev/project-${i % 50}`), `s${i}-other`);
  }
  for (let i = 0; i < 20; i++) {
    clock += 1000;
    await alone.save(inCwd(clock, '/home/dev/shop-api'), `s${i}`);
    await crowded.save(inCwd(clock, '/home/dev/shop-api'), `s${i}`);
  }
  for (let i = 500; i < 1000; i++) {
    clock += 1000;
    await crowded.save(inCwd(clock, `/home/dev/project-${i % 50}`), `s${i}-other`);
  }
  const options = { projectKey: '-home-dev-shop-api' };
  for (const s of [alone, crowded])
    if ((await s.list(options)).length !== 20) throw new Error('wrong listing');
  const a = [];
  const c = [];
  for (let round = 0; round < ROUNDS; round++) {
    const runA = async () => a.push(await timed(() => alone.list(options)));
    const runC = async () => c.push(await timed(() => crowded.list(options)));
    if (round % 2 === 0) {
      await runA();
      await runC();
    } else {
      await runC();
      await runA();
    }
  }
  return { alone: median(a), crowded: median(c), ratio: median(c) / median(a) };
}

const server = await redisUrl();
const client = new Redis(server.url, { maxRetriesPerRequest: 1, enableOfflineQueue: true });
client.on('error', () => {});
const prefix = `cc-bench-transcripts:${process.pid}:`;
const fmt = (ms) => `${ms.toFixed(3)} ms`;
const verdict = (ok) => (ok ? 'PASS' : 'FAIL');
try {
  const storage = new RedisSessionStorage({ client, prefix: `${prefix}t:`, timeoutMs: 60_000 });
  const append = await benchAppend(storage);
  const bytes = await benchBytes(client, storage, `${prefix}t:`);
  const list = await benchPrefix(client, `${prefix}l:`);
  const project = await benchProject(client, `${prefix}p:`);
  const elementRatio = bytes.stored / bytes.raw;
  const memoryRatio = bytes.memory / bytes.plainMemory;
  console.log(
    [
      `@channelcoder/storage-redis transcript, prefix- and project-listing benchmarks (${ROUNDS} interleaved rounds, load average ${loadavg()[0].toFixed(2)})`,
      `1. appendTranscript of one turn at 10 entries: ${fmt(append.short)}, at 300-${append.longAt} entries: ${fmt(append.long)}; ratio ${append.ratio.toFixed(2)} (target <= 1.2) ${verdict(append.ratio <= 1.2)}`,
      `2. stored / raw bytes of 400 lines in ${bytes.elements} appends: list elements ${bytes.stored} / ${bytes.raw} = ${elementRatio.toFixed(3)}; MEMORY USAGE ${bytes.memory} vs ${bytes.plainMemory} plain = ${memoryRatio.toFixed(3)} (target <= 0.25) ${verdict(elementRatio <= 0.25 && memoryRatio <= 0.25)}`,
      `3. list({ prefix }) of 20 sessions with 1,000 other projects' sessions: ${fmt(list.crowded)}, with none: ${fmt(list.alone)}; ratio ${list.ratio.toFixed(2)} (target <= 1.2) ${verdict(list.ratio <= 1.2)}`,
      `4. list({ projectKey }) of 20 sessions with 1,000 other projects' sessions: ${fmt(project.crowded)}, with none: ${fmt(project.alone)}; ratio ${project.ratio.toFixed(2)} (target <= 1.2) ${verdict(project.ratio <= 1.2)}`,
    ].join('\n'),
  );
} finally {
  await deletePrefix(client, prefix);
  await client.quit();
  await server.stop();
}
