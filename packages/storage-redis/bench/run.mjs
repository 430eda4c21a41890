// Benchmarks for RedisSessionStorage against a local redis-server (CHANNELCODER_TEST_REDIS_URL, else a
// private server started here and stopped by PID). Runs the built package (dist/). Ratios are measured in
// one run; absolute times depend on the machine.
//   1. one save at 10 messages vs at 2,000 messages (target: ratio <= 1.5)
//   2. first page (50) of list() over 10,000 sessions vs a naive SCAN-and-read-everything baseline (>= 20x)
//   3. round trips per save, counted on the client (<= 2)
//   4. lease acquire and release: round trips each (<= 1) and median time, and acquire + release as a share
//      of a ~600 ms CLI turn (<= 1%). BENCH_ONLY=lease runs only this part.
import { performance } from 'node:perf_hooks';
import { createSessionState } from '@channelcoder/session-core';
import { assembleState, newMessageId } from '@channelcoder/session-core/storage-kit';
import { Redis } from 'ioredis';
import { RedisSessionStorage } from '../dist/index.js';
import { deletePrefix, median } from './measure.mjs';
import { redisUrl } from './redis-server.mjs';

const SESSIONS_FOR_LIST = 10_000;
const PAGE = 50;

function makeState(messages, claudeId = newMessageId()) {
  const state = createSessionState({ now: new Date(Date.UTC(2026, 0, 1)) });
  addTurns(state, messages / 2, claudeId);
  return state;
}

let clock = Date.UTC(2026, 0, 1);
function addTurns(state, turns, claudeId = state.currentSessionId ?? newMessageId()) {
  for (let t = 0; t < turns; t++) {
    for (const role of ['user', 'assistant']) {
      clock += 10;
      state.messages.push({
        id: newMessageId(),
        role,
        content:
          `${role} says something moderately long about the task at hand, turn ${state.messages.length}. `.repeat(
            4,
          ),
        timestamp: new Date(clock),
        sessionId: claudeId,
        ...(role === 'assistant'
          ? { turn: { costUsd: 0.01, durationMs: 900, inputTokens: 100, outputTokens: 50 } }
          : {}),
      });
    }
  }
  state.sessionChain = [claudeId];
  state.currentSessionId = claudeId;
  state.usage.turns += turns;
  clock += 1000;
  state.metadata.lastActive = new Date(clock);
  return state;
}

/** Counts commands and round trips (a pipeline or MULTI is one round trip). */
function countCommands(client) {
  const original = client.sendCommand;
  let solo = 0;
  const pipelines = new Set();
  const names = [];
  client.sendCommand = function (command, stream) {
    names.push(command.name);
    if (stream?.isPipeline) pipelines.add(stream);
    else solo += 1;
    return original.call(this, command, stream);
  };
  return {
    take() {
      const result = { roundTrips: solo + pipelines.size, commands: names.splice(0) };
      solo = 0;
      pipelines.clear();
      return result;
    },
    restore() {
      client.sendCommand = original;
    },
  };
}

async function benchSaveSize(client, prefix) {
  const sizes = [10, 2000];
  const perSize = 60;
  const storage = new RedisSessionStorage({ client, prefix });
  const states = {};
  for (const size of sizes) {
    states[size] = [];
    for (let i = 0; i < perSize; i++) {
      const state = makeState(size);
      await storage.save(state, `size-${size}-${i}`);
      states[size].push(state);
    }
  }
  const times = { 10: [], 2000: [] };
  // Interleaved, so drift in the machine's speed hits both sizes alike; the first rounds warm up.
  for (let round = 0; round < 6; round++) {
    for (let i = 0; i < perSize; i++) {
      for (const size of sizes) {
        const state = states[size][i];
        addTurns(state, 1);
        // Trim back to the nominal size between rounds is not possible (messages are append-only), so the
        // sessions grow by 2 messages per round: 10 -> 20 and 2000 -> 2010 at most.
        const start = performance.now();
        await storage.save(state, `size-${size}-${i}`);
        if (round > 0) times[size].push(performance.now() - start);
      }
    }
  }
  const small = median(times[10]);
  const large = median(times[2000]);
  return { small, large, ratio: large / small };
}

async function benchList(client, prefix) {
  const storage = new RedisSessionStorage({ client, prefix });
  for (let start = 0; start < SESSIONS_FOR_LIST; start += 250) {
    await Promise.all(
      Array.from({ length: Math.min(250, SESSIONS_FOR_LIST - start) }, (_, k) => {
        const state = makeState(10);
        return storage.save(state, `list-${String(start + k).padStart(5, '0')}`);
      }),
    );
  }

  const naive = async () => {
    // The baseline: find every session by SCAN, read each whole (head + all messages), sort, take a page.
    const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*:head`;
    const heads = [];
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      heads.push(...keys);
    } while (cursor !== '0');
    const states = [];
    for (let i = 0; i < heads.length; i += 500) {
      const pipeline = client.pipeline();
      const chunk = heads.slice(i, i + 500);
      for (const head of chunk) pipeline.get(head).lrange(head.replace(/:head$/, ':messages'), 0, -1);
      const replies = await pipeline.exec();
      chunk.forEach((head, k) => {
        const name = head.slice(prefix.length + 1, head.indexOf('}', prefix.length));
        states.push({ name, state: assembleState(replies[2 * k][1], replies[2 * k + 1][1], { name }) });
      });
    }
    states.sort(
      (a, b) =>
        b.state.metadata.lastActive - a.state.metadata.lastActive ||
        (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
    );
    return states.slice(0, PAGE).map((s) => s.name);
  };

  const adapterPage = async () => (await storage.list({ limit: PAGE })).map((i) => i.name);
  const expected = await naive();
  const got = await adapterPage();
  if (JSON.stringify(expected) !== JSON.stringify(got))
    throw new Error('list() and the baseline disagree on page 1');

  const adapterTimes = [];
  const naiveTimes = [];
  for (let i = 0; i < 7; i++) {
    let t = performance.now();
    await adapterPage();
    adapterTimes.push(performance.now() - t);
    t = performance.now();
    await naive();
    naiveTimes.push(performance.now() - t);
  }
  const adapter = median(adapterTimes);
  const baseline = median(naiveTimes);
  return { adapter, baseline, speedup: baseline / adapter };
}

async function benchRoundTrips(client, prefix) {
  const storage = new RedisSessionStorage({ client, prefix });
  const counter = countCommands(client);
  try {
    const state = makeState(10);
    counter.take();
    await storage.save(state, 'rt');
    const first = counter.take();
    addTurns(state, 1);
    await storage.save(state, 'rt');
    const hot = counter.take();
    const other = new RedisSessionStorage({ client, prefix });
    addTurns(state, 1);
    await other.save(state, 'rt');
    const cold = counter.take();
    const loaded = await other.load('rt');
    const load = counter.take();
    addTurns(loaded, 1);
    await other.save(loaded, 'rt');
    const afterLoad = counter.take();
    return { first, hot, cold, load, afterLoad };
  } finally {
    counter.restore();
  }
}

/** A typical turn of the claude CLI against the API, for the lease's share of it. */
const CLI_TURN_MS = 600;
const LEASE_SAMPLES = 300;

async function benchLease(client, prefix) {
  const storage = new RedisSessionStorage({ client, prefix });
  await storage.save(makeState(10), 'leased');
  // Warm-up: the scripts are sent once per connection (EVAL), then run by hash (EVALSHA).
  for (let i = 0; i < 10; i++) await (await storage.lease('leased')).release();
  const counter = countCommands(client);
  const acquire = [];
  const release = [];
  let acquireTrips = 0;
  let releaseTrips = 0;
  try {
    for (let i = 0; i < LEASE_SAMPLES; i++) {
      counter.take();
      let t = performance.now();
      const lease = await storage.lease('leased', { ttlMs: 30_000 });
      acquire.push(performance.now() - t);
      acquireTrips = Math.max(acquireTrips, counter.take().roundTrips);
      t = performance.now();
      await lease.release();
      release.push(performance.now() - t);
      releaseTrips = Math.max(releaseTrips, counter.take().roundTrips);
    }
  } finally {
    counter.restore();
  }
  const acquireMs = median(acquire);
  const releaseMs = median(release);
  return {
    acquireMs,
    releaseMs,
    acquireTrips,
    releaseTrips,
    share: ((acquireMs + releaseMs) / CLI_TURN_MS) * 100,
  };
}

function leaseLine(lease, fmt) {
  return (
    `4. lease: acquire ${lease.acquireTrips} round trip(s), ${fmt(lease.acquireMs)}; release ${lease.releaseTrips} round trip(s), ${fmt(lease.releaseMs)} ` +
    `(target <= 1 each) ${Math.max(lease.acquireTrips, lease.releaseTrips) <= 1 ? 'PASS' : 'FAIL'}; ` +
    `acquire + release = ${lease.share.toFixed(3)}% of a ${CLI_TURN_MS} ms CLI turn (target <= 1%) ${lease.share <= 1 ? 'PASS' : 'FAIL'}`
  );
}

const server = await redisUrl();
const client = new Redis(server.url, { maxRetriesPerRequest: 1, enableOfflineQueue: true });
client.on('error', () => {});
const prefix = `cc-bench:${process.pid}:`;
try {
  const fmt = (ms) => `${ms.toFixed(3)} ms`;
  if (process.env.BENCH_ONLY === 'lease') {
    console.log(
      [
        '@channelcoder/storage-redis benchmarks',
        leaseLine(await benchLease(client, `${prefix}lease:`), fmt),
      ].join('\n'),
    );
  } else {
    await benchAll(fmt);
  }
} finally {
  await deletePrefix(client, prefix);
  await client.quit();
  await server.stop();
}

async function benchAll(fmt) {
  const size = await benchSaveSize(client, `${prefix}size:`);
  const list = await benchList(client, `${prefix}list:`);
  const trips = await benchRoundTrips(client, `${prefix}rt:`);
  const lease = await benchLease(client, `${prefix}lease:`);
  const lines = [
    '@channelcoder/storage-redis benchmarks',
    `1. save (one turn) at 10 messages: ${fmt(size.small)}, at 2,000 messages: ${fmt(size.large)}; ratio ${size.ratio.toFixed(2)} (target <= 1.5) ${size.ratio <= 1.5 ? 'PASS' : 'FAIL'}`,
    `2. list() first page of ${PAGE} over ${SESSIONS_FOR_LIST.toLocaleString('en')} sessions: ${fmt(list.adapter)}; naive SCAN + read all: ${fmt(list.baseline)}; ${list.speedup.toFixed(0)}x faster (target >= 20x) ${list.speedup >= 20 ? 'PASS' : 'FAIL'}`,
    `3. round trips per save: first save ${trips.first.roundTrips} [${trips.first.commands}], next save ${trips.hot.roundTrips} [${trips.hot.commands}], ` +
      `save by a storage that never saw the session ${trips.cold.roundTrips} [${trips.cold.commands}], ` +
      `save after load ${trips.afterLoad.roundTrips} [${trips.afterLoad.commands}] (target <= 2) ` +
      `${Math.max(trips.first.roundTrips, trips.hot.roundTrips, trips.cold.roundTrips, trips.afterLoad.roundTrips) <= 2 ? 'PASS' : 'FAIL'}; load ${trips.load.roundTrips}`,
    leaseLine(lease, fmt),
  ];
  console.log(lines.join('\n'));
}
