// Load benchmarks for RedisSessionStorage (built package, dist/) against a private redis-server or
// CHANNELCODER_TEST_REDIS_URL. Ratios are measured in one run; absolute times depend on the machine.
//   4. load() of a 20,000-message session vs JSON.parse of each message's stored JSON text (target: ratio
//      <= 3, of CPU time (this process plus the server's) and of wall time: measure.mjs), and the earlier
//      design (one Lua script running LRANGE 0 -1 over one message per element) for a before/after figure
//   5. another client's PING latency while a 20,000-message session loads, vs while a plain LRANGE 0 -1 of
//      the same list runs, vs while the earlier script-based load runs (target: load <= plain LRANGE x 2)
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { assembleState } from '@channelcoder/session-core/storage-kit';
import { Redis } from 'ioredis';
import { RedisSessionStorage } from '../dist/index.js';
import { bigState, LOAD_TARGET, measureRedisLoad, messageLines } from './measure.mjs';
import { redisUrl } from './redis-server.mjs';

const require = createRequire(import.meta.url);
const MESSAGES = 20_000;
const ROUNDS = 7;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * PING round trips (ms) of another client while `work` runs. The pinger lives in a worker thread with its
 * own event loop, so what it measures is the server, not this thread parsing what it read.
 */
async function pingsDuring(url, work) {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const { performance } = require('node:perf_hooks');
     const { Redis } = require(workerData.ioredis);
     const client = new Redis(workerData.url);
     let running = true;
     const latencies = [];
     parentPort.on('message', () => { running = false; });
     client.ping().then(async () => {
       parentPort.postMessage('ready');
       while (running) {
         const t = performance.now();
         await client.ping();
         latencies.push(performance.now() - t);
       }
       await client.quit();
       parentPort.postMessage(latencies);
     });`,
    { eval: true, workerData: { url, ioredis: require.resolve('ioredis') } },
  );
  await new Promise((resolve) => worker.once('message', resolve));
  await new Promise((r) => setTimeout(r, 5));
  await work();
  const latencies = new Promise((resolve) => worker.once('message', resolve));
  worker.postMessage('stop');
  const result = await latencies;
  await worker.terminate();
  return result;
}

// The design this replaces: head and the whole list read inside one script.
const OLD_LOAD = `
local head = redis.call('GET', KEYS[1])
if not head then return {} end
return {head, redis.call('LRANGE', KEYS[2], 0, -1)}
`;

const server = await redisUrl();
const client = new Redis(server.url, { maxRetriesPerRequest: 1 });
client.on('error', () => {});
const prefix = `cc-bench-load:${process.pid}:`;
// The earlier layout, one message per element, for the earlier script-based load.
const legacyKey = `${prefix}{big}:messages-legacy`;
try {
  const storage = new RedisSessionStorage({ client, prefix, timeoutMs: 60_000 });
  const state = bigState(MESSAGES);
  await storage.save(state, 'big');
  const headKey = `${prefix}{big}:head`;
  const listKey = `${prefix}{big}:messages`;
  const lines = messageLines(state);
  const headText = await client.get(headKey);
  for (let i = 0; i < lines.length; i += 1000) await client.rpush(legacyKey, ...lines.slice(i, i + 1000));
  const paired = await measureRedisLoad(server.url, { messages: MESSAGES, rounds: 9 });

  const times = { load: [], parse: [], old: [] };
  for (let round = 0; round < ROUNDS + 1; round++) {
    let t = performance.now();
    const loaded = await storage.load('big');
    const load = performance.now() - t;
    if (loaded.messages.length !== MESSAGES) throw new Error('load returned the wrong count');
    t = performance.now();
    const parsed = lines.map((line) => JSON.parse(line));
    JSON.parse(headText);
    const parse = performance.now() - t;
    if (parsed.length !== MESSAGES) throw new Error('parse baseline is wrong');
    t = performance.now();
    const [head, messages] = await client.eval(OLD_LOAD, 2, headKey, legacyKey);
    assembleState(head, messages, { name: 'big' });
    const old = performance.now() - t;
    if (round === 0) continue; // warm-up
    times.load.push(load);
    times.parse.push(parse);
    times.old.push(old);
  }
  const load = median(times.load);
  const parse = median(times.parse);
  const old = median(times.old);

  const during = { load: [], lrange: [], old: [] };
  for (let round = 0; round < 3; round++) {
    during.load.push(...(await pingsDuring(server.url, () => storage.load('big'))));
    during.lrange.push(...(await pingsDuring(server.url, () => client.lrange(listKey, 0, -1))));
    during.old.push(...(await pingsDuring(server.url, () => client.eval(OLD_LOAD, 2, headKey, legacyKey))));
  }
  const worst = (xs) => Math.max(...xs);
  const ping = {
    load: { median: median(during.load), max: worst(during.load) },
    lrange: { median: median(during.lrange), max: worst(during.lrange) },
    old: { median: median(during.old), max: worst(during.old) },
  };
  const fmt = (ms) => `${ms.toFixed(2)} ms`;
  const ratio = load / parse;
  const pingRatio = ping.load.max / ping.lrange.max;
  console.log(
    [
      '@channelcoder/storage-redis load benchmarks',
      `4. load() of ${MESSAGES.toLocaleString('en')} messages vs JSON.parse of each message's text, fastest of 9 interleaved pairs: ` +
        `CPU (client + server) ${paired.cpuRatio.toFixed(2)}, wall ${paired.ratio.toFixed(2)} (target <= ${LOAD_TARGET}) ` +
        `${paired.cpuRatio <= LOAD_TARGET && paired.ratio <= LOAD_TARGET ? 'PASS' : 'FAIL'}; ` +
        `medians of ${ROUNDS}: load ${fmt(load)}, parse ${fmt(parse)}, ratio ${ratio.toFixed(2)}; ` +
        `the earlier script-based load: ${fmt(old)} (${(old / parse).toFixed(2)}x parse; new/old ${(load / old).toFixed(2)})`,
      `5. another client's PING during that load: median ${fmt(ping.load.median)}, max ${fmt(ping.load.max)}; during a plain LRANGE 0 -1: median ${fmt(ping.lrange.median)}, max ${fmt(ping.lrange.max)}; ` +
        `during the earlier script-based load: median ${fmt(ping.old.median)}, max ${fmt(ping.old.max)}; load max / LRANGE max ${pingRatio.toFixed(2)} (target <= 2) ${pingRatio <= 2 ? 'PASS' : 'FAIL'}`,
    ].join('\n'),
  );
} finally {
  await client.del(
    `${prefix}{big}:head`,
    `${prefix}{big}:messages`,
    legacyKey,
    `${prefix}{index}:order`,
    `${prefix}{index}:members`,
  );
  await client.quit();
  await server.stop();
}
