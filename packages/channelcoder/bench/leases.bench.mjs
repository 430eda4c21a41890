// What exclusive turns cost, measured in one run on this machine (run `pnpm bench`; packages built first):
//   1. fleet throughput: the same number of `channelcoder run` turns on one session (file storage, the real
//      claude CLI against the in-repo mock API) made by 1 process one after another, and by 6 processes at
//      once (each waiting for the session's lease); turns per minute and the ratio 6 / 1 (the lease should
//      cost nothing beyond the serialization of the turns: target >= 0.9). The median turn of the single
//      process is "a CLI turn" below.
//   2. lease acquire + release per backend (memory, file, Redis, PostgreSQL, SQLite, S3 on an s3rver with
//      conditional writes enforced), uncontended: median time of each, network round trips of each
//      (counted by a loopback proxy in front of the server: a round trip is a burst of client bytes after
//      the server last spoke), and acquire + release as a share of a CLI turn (target <= 1%; Redis <= 1
//      round trip each).
// Servers: CI's Redis / PostgreSQL (CHANNELCODER_TEST_REDIS_URL / CHANNELCODER_TEST_DATABASE_URL) when set,
// else private ones; always a private s3rver. All on 127.0.0.1, stopped by PID at the end.
// BENCH_FLEET_TURNS (default 18) sets the turns of section 1; BENCH_LEASE_SAMPLES (default 100) section 2.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { MemorySessionStorage } from '@channelcoder/session-core';
import { FileSessionStorage } from '@channelcoder/storage-file';
import { openPrismaSessionStorage } from '@channelcoder/storage-prisma';
import {
  claudeBinary,
  MockAnthropicServer,
  makeClaudeSandbox,
  offlineClaudeEnv,
  startPostgresServer,
  startPrivateRedis,
} from '@channelcoder/testkit';
import { startS3rver } from '../../storage-s3/test/support/s3rver-launcher.mjs';
import { openStorageUrl } from '../dist/index.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'cli.cjs');
const FLEET = 6;
const FLEET_TURNS = Number(process.env.BENCH_FLEET_TURNS ?? 18);
const LEASE_SAMPLES = Number(process.env.BENCH_LEASE_SAMPLES ?? 100);
const WARMUP = 10;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** `channelcoder ...args`; rejects on a non-zero exit. */
function cli(args, env, cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr += d;
    });
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`channelcoder ${args.join(' ')} exited ${code}: ${stderr}`)),
    );
  });
}

/** 1. The same turns by one process and by a fleet of six. */
async function fleetThroughput(sandbox, env) {
  const run = async (name, workers) => {
    const storage = `file://${join(sandbox.root, name)}`;
    await cli(['run', `${name} start`, '--session', name, '--storage', storage], env, sandbox.cwd);
    const perWorker = FLEET_TURNS / workers;
    const turnMs = [];
    const start = performance.now();
    await Promise.all(
      Array.from({ length: workers }, async (_, w) => {
        for (let t = 0; t < perWorker; t++) {
          const began = performance.now();
          await cli(
            ['run', `${name} w${w} t${t}`, '--load-session', name, '--storage', storage],
            env,
            sandbox.cwd,
          );
          turnMs.push(performance.now() - began);
        }
      }),
    );
    const ms = performance.now() - start;
    return { perMinute: (FLEET_TURNS * 60_000) / ms, turnMs: median(turnMs) };
  };
  const single = await run('bench-single', 1);
  const fleet = await run('bench-fleet', FLEET);
  return { single, fleet };
}

/**
 * A loopback TCP proxy to `port` that counts round trips: a burst of bytes from the client that follows
 * the server's last answer (or opens the connection) is one.
 */
async function countingProxy(port) {
  let roundTrips = 0;
  const sockets = new Set();
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    let clientSpokeLast = false;
    client.on('data', (chunk) => {
      if (!clientSpokeLast) roundTrips++;
      clientSpokeLast = true;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      clientSpokeLast = false;
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    count: () => roundTrips,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** 2. Median acquire and release of one session's lease, and round trips of each (when counted). */
async function leaseCost(storage, proxy) {
  await storage.lease('bench-lease', { ttlMs: 30_000 }).then((l) => l.release());
  const acquire = [];
  const release = [];
  let acquireTrips = 0;
  let releaseTrips = 0;
  for (let i = 0; i < LEASE_SAMPLES + WARMUP; i++) {
    const before = proxy?.count() ?? 0;
    const t0 = performance.now();
    const lease = await storage.lease('bench-lease', { ttlMs: 30_000 });
    const t1 = performance.now();
    const middle = proxy?.count() ?? 0;
    await lease.release();
    const t2 = performance.now();
    const after = proxy?.count() ?? 0;
    if (i >= WARMUP) {
      acquire.push(t1 - t0);
      release.push(t2 - t1);
      acquireTrips += middle - before;
      releaseTrips += after - middle;
    }
  }
  return {
    acquire: median(acquire),
    release: median(release),
    acquireTrips: proxy === undefined ? undefined : acquireTrips / LEASE_SAMPLES,
    releaseTrips: proxy === undefined ? undefined : releaseTrips / LEASE_SAMPLES,
  };
}

const cleanup = [];
const rows = [];
try {
  const mock = await MockAnthropicServer.start();
  cleanup.push(() => mock.close());
  const sandbox = makeClaudeSandbox('cc-bench-leases');
  cleanup.push(() => sandbox.remove());
  const env = {
    ...offlineClaudeEnv({ baseUrl: mock.url, configDir: sandbox.configDir, home: sandbox.home }),
    CLAUDE_BIN: claudeBinary(),
    CHANNELCODER_HOME: join(sandbox.root, 'channelcoder'),
  };
  delete env.CHANNELCODER_STORAGE;
  mkdirSync(env.CHANNELCODER_HOME, { recursive: true });

  const throughput = await fleetThroughput(sandbox, env);
  const turnMs = throughput.single.turnMs;
  const ratio = throughput.fleet.perMinute / throughput.single.perMinute;
  rows.push(
    [
      `1 process, ${FLEET_TURNS} turns one after another`,
      `${throughput.single.perMinute.toFixed(1)} turns/min`,
      '',
    ],
    [
      `${FLEET} processes, ${FLEET_TURNS / FLEET} turns each, one session`,
      `${throughput.fleet.perMinute.toFixed(1)} turns/min`,
      '',
    ],
    [
      '  fleet / single throughput',
      `${ratio.toFixed(2)}x`,
      ratio >= 0.9 ? 'target >= 0.9: met' : 'target >= 0.9: MISSED',
    ],
    ['a CLI turn (median, 1 process, mock API)', `${turnMs.toFixed(0)} ms`, ''],
  );

  // Servers for section 2.
  const run = randomUUID().replaceAll('-', '').slice(0, 8);
  let redisUrl = process.env.CHANNELCODER_TEST_REDIS_URL;
  if (!redisUrl) {
    const redis = await startPrivateRedis();
    cleanup.push(() => redis.destroy());
    redisUrl = redis.url;
  }
  let databaseUrl = process.env.CHANNELCODER_TEST_DATABASE_URL;
  if (!databaseUrl) {
    const pg = await startPostgresServer();
    cleanup.push(() => pg.destroy());
    databaseUrl = pg.url;
  }
  const s3 = await startS3rver({ enforceConditionalWrites: true });
  cleanup.push(() => s3.stop());

  const through = async (url) => {
    const target = new URL(url);
    const proxy = await countingProxy(Number(target.port));
    cleanup.push(() => proxy.close());
    target.port = String(proxy.port);
    return { proxy, url: target };
  };

  const backends = [];
  backends.push({ name: 'memory', storage: new MemorySessionStorage() });
  const fileDir = join(sandbox.root, 'lease-file');
  backends.push({ name: 'file', storage: new FileSessionStorage({ dir: fileDir }) });
  {
    const { proxy, url } = await through(redisUrl);
    url.searchParams.set('prefix', `cc-bench-${run}:`);
    const opened = await openStorageUrl(url.toString());
    cleanup.push(() => opened.close());
    backends.push({ name: 'Redis', storage: opened.storage, proxy });
  }
  {
    const { proxy, url } = await through(databaseUrl);
    url.searchParams.set('schema', `cc_bench_${run}`);
    const opened = await openPrismaSessionStorage({ url: url.toString() });
    cleanup.push(() => opened.close());
    backends.push({ name: 'PostgreSQL', storage: opened.storage, proxy });
  }
  {
    const opened = await openPrismaSessionStorage({ url: `file:${join(sandbox.root, 'lease.db')}` });
    cleanup.push(() => opened.close());
    backends.push({ name: 'SQLite', storage: opened.storage });
  }
  {
    const { proxy, url } = await through(s3.endpoint);
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
    const opened = await openStorageUrl(
      `s3://${s3.bucket}/bench-${run}?endpoint=${encodeURIComponent(url.origin)}`,
    );
    cleanup.push(() => opened.close());
    backends.push({ name: 'S3 (conditional writes enforced)', storage: opened.storage, proxy });
  }

  for (const backend of backends) {
    const cost = await leaseCost(backend.storage, backend.proxy);
    const share = ((cost.acquire + cost.release) / turnMs) * 100;
    const trips =
      cost.acquireTrips === undefined
        ? 'local'
        : `${cost.acquireTrips.toFixed(2)} + ${cost.releaseTrips.toFixed(2)} round trips`;
    const tripsTarget =
      backend.name === 'Redis'
        ? cost.acquireTrips <= 1 && cost.releaseTrips <= 1
          ? '; Redis <= 1 round trip each: met'
          : '; Redis <= 1 round trip each: MISSED'
        : '';
    rows.push([
      `lease ${backend.name}: acquire + release (medians)`,
      `${cost.acquire.toFixed(2)} + ${cost.release.toFixed(2)} ms, ${trips}`,
      `${share.toFixed(3)}% of a CLI turn; ${share <= 1 ? 'target <= 1%: met' : 'target <= 1%: MISSED'}${tripsTarget}`,
    ]);
  }
} finally {
  for (const close of cleanup.reverse()) {
    try {
      await close();
    } catch {
      // Best effort: the rest still gets stopped.
    }
  }
}

const load = loadavg()
  .map((l) => l.toFixed(2))
  .join(' ');
const width = Math.max(...rows.map((r) => r[0].length));
const valueWidth = Math.max(...rows.map((r) => r[1].length));
process.stdout.write(
  `\nchannelcoder benchmarks: exclusive turns (node ${process.version}, ${cpus().length} cpus, load average ${load})\n`,
);
for (const [label, value, note] of rows) {
  process.stdout.write(`  ${label.padEnd(width)}  ${value.padEnd(valueWidth)}  ${note}\n`);
}
process.stdout.write('\n');
