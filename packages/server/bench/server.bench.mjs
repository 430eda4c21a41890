// Benchmarks of the session service (built dist, a real `channelcoder serve` process, autocannon on
// loopback). Ratios are measured in one run; absolute figures depend on the machine.
//   1. GET /sessions?limit=50 over 10,000 stored sessions on file, Redis and PostgreSQL: req/s and p99.
//      Redis/PostgreSQL: CHANNELCODER_TEST_REDIS_URL / CHANNELCODER_TEST_DATABASE_URL, else private servers.
//   2. One task through the service vs the same turn through session().claude() in this process (real
//      claude CLI, testkit's mock API), in interleaved pairs (ABBA order): the median of the per-pair ratios
//      (target <= 1.02), with the 20% trimmed mean, the quartiles and the pair count beside it.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createSessionState, session } from '@channelcoder/session-core';
import {
  claudeBinary,
  MockAnthropicServer,
  makeClaudeSandbox,
  offlineClaudeEnv,
  startPostgresServer,
  startPrivateRedis,
} from '@channelcoder/testkit';
import autocannon from 'autocannon';
import { openStorageUrl } from 'channelcoder';

const here = fileURLToPath(new URL('.', import.meta.url));
const PACKAGE_DIR = resolve(here, '..');
const CLI = resolve(PACKAGE_DIR, '../channelcoder/dist/cli.cjs');
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 10_000);
const PAIRS = Number(process.env.BENCH_PAIRS ?? 41);
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);

/** The machine's load while measuring (the figures mean little on a busy machine). */
const load = () =>
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;

function startServe(storageUrl, env) {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--storage', storageUrl], {
    cwd: PACKAGE_DIR,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  return new Promise((ok, fail) => {
    child.stderr.on('data', (t) => {
      stderr += t;
      const m = /listening on (http:\/\/\S+)/.exec(stderr);
      if (m)
        ok({
          url: m[1],
          stop: () =>
            new Promise((r) => {
              child.once('exit', r);
              child.kill('SIGTERM');
            }),
        });
    });
    child.once('exit', (code) => fail(new Error(`serve exited ${code}: ${stderr}`)));
  });
}

async function seed(storageUrl, count, workers) {
  const opened = await openStorageUrl(storageUrl);
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const name = `bench-${String(i).padStart(5, '0')}`;
      const state = createSessionState({ name, tags: [i % 2 === 0 ? 'even' : 'odd'] });
      await opened.storage.save(state, name);
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  await opened.close();
  return performance.now() - started;
}

async function listBench(kind, storageUrl, connections) {
  // PostgreSQL: fewer writers than the client's pool, else a loaded machine times out starting transactions.
  const seedMs = await seed(storageUrl, SESSIONS, kind === 'postgresql' ? 4 : 16);
  const server = await startServe(storageUrl, { ...process.env, CHANNELCODER_ALLOWED_ROOTS: PACKAGE_DIR });
  try {
    // Warm up, then measure.
    await autocannon({ url: `${server.url}/sessions?limit=50`, connections: 4, duration: 2 });
    const result = await autocannon({
      url: `${server.url}/sessions?limit=50`,
      connections,
      duration: DURATION,
      // A first page of the file storage can take seconds on a loaded machine: count it, do not drop it.
      timeout: 120,
    });
    const ok = result['2xx'];
    console.log(
      `list ${kind.padEnd(10)} ${SESSIONS} sessions (seeded in ${(seedMs / 1000).toFixed(1)} s), ${connections} connections: ` +
        `${result.requests.average.toFixed(0)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ` +
        `${ok} ok / ${result.non2xx} not ok, ${result.errors} errors, ${load()}`,
    );
  } finally {
    await server.stop();
  }
}

async function taskBench() {
  const mock = await MockAnthropicServer.start();
  const sandbox = makeClaudeSandbox('cc-server-bench');
  const env = {
    ...offlineClaudeEnv({ baseUrl: mock.url, configDir: sandbox.configDir, home: sandbox.home }),
    CLAUDE_BIN: claudeBinary(),
    CHANNELCODER_ALLOWED_ROOTS: sandbox.root,
  };
  const project = join(sandbox.root, 'project');
  mkdirSync(project, { recursive: true });
  const serviceDir = join(sandbox.root, 'service');
  const directDir = join(sandbox.root, 'direct');
  const server = await startServe(`file://${serviceDir}`, env);
  const direct = await openStorageUrl(`file://${directDir}`);
  const runOptions = { env, cwd: project, claudeBin: env.CLAUDE_BIN };
  const ratios = [];
  const diffs = [];
  const directs = [];
  try {
    const viaService = async (i) => {
      const name = `svc-${i}`;
      const created = await fetch(`${server.url}/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name, workingDirectory: project }),
      });
      if (created.status !== 201) throw new Error(`create: ${created.status}`);
      const t = performance.now();
      const res = await fetch(`${server.url}/sessions/${name}/tasks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'Say hello' }),
      });
      if (res.status !== 200) throw new Error(`task: ${res.status} ${await res.text()}`);
      await res.json();
      return performance.now() - t;
    };
    const viaSession = async (i) => {
      const s = session({ name: `direct-${i}`, storage: direct.storage, cwd: project });
      await s.save();
      const t = performance.now();
      await s.claude('Say hello', runOptions);
      return performance.now() - t;
    };
    for (let w = 0; w < 3; w++) {
      await viaService(`warm-${w}`);
      await viaSession(`warm-${w}`);
    }
    for (let i = 0; i < PAIRS; i++) {
      // ABBA: which side goes first alternates every two pairs, so neither side keeps the warmer slot.
      const serviceFirst = i % 4 === 0 || i % 4 === 3;
      let svc;
      let dir;
      if (serviceFirst) {
        svc = await viaService(i);
        dir = await viaSession(i);
      } else {
        dir = await viaSession(i);
        svc = await viaService(i);
      }
      ratios.push(svc / dir);
      diffs.push(svc - dir);
      directs.push(dir);
      console.log(
        `task pair ${i + 1}: service ${svc.toFixed(0)} ms, session().claude() ${dir.toFixed(0)} ms, ratio ${(svc / dir).toFixed(3)}`,
      );
    }
  } finally {
    await server.stop();
    await direct.close();
    await mock.close();
    rmSync(sandbox.root, { recursive: true, force: true });
  }
  const quantile = (values, q) => {
    const v = [...values].sort((x, y) => x - y);
    const pos = (v.length - 1) * q;
    const lo = Math.floor(pos);
    return v[lo] + (v[Math.min(lo + 1, v.length - 1)] - v[lo]) * (pos - lo);
  };
  const sorted = [...ratios].sort((x, y) => x - y);
  const at = (q) => quantile(sorted, q);
  const cut = Math.floor(sorted.length * 0.2);
  const kept = sorted.slice(cut, sorted.length - cut);
  const trimmed = kept.reduce((sum, r) => sum + r, 0) / kept.length;
  console.log(
    `task through the service / session().claude(): median pair ratio ${at(0.5).toFixed(3)} (target <= 1.02), ` +
      `20% trimmed mean ${trimmed.toFixed(3)}, quartiles ${at(0.25).toFixed(3)}–${at(0.75).toFixed(3)}, ` +
      `over ${ratios.length} pairs, ${load()}`,
  );
  console.log(
    `  the service's extra time per task: median ${quantile(diffs, 0.5).toFixed(1)} ms of a median ` +
      `${quantile(directs, 0.5).toFixed(0)} ms turn`,
  );
}

// `node bench/server.bench.mjs [list|task|list:file|list:redis|list:postgresql]` (default: everything).
const only = process.argv[2];
const lists = (kind) => only === undefined || only === 'list' || only === `list:${kind}`;
const stops = [];
try {
  if (lists('file')) {
    const root = join(makeClaudeSandbox('cc-server-bench-list').root);
    stops.push(async () => rmSync(root, { recursive: true, force: true }));
    // The file storage reads its whole list index per page (seconds at 10,000): fewer connections.
    await listBench('file', `file://${join(root, 'sessions')}`, 2);
  }
  if (lists('redis')) {
    let redisUrl = process.env.CHANNELCODER_TEST_REDIS_URL;
    if (!redisUrl) {
      const redis = await startPrivateRedis();
      stops.push(() => redis.destroy());
      redisUrl = redis.url;
    }
    const prefixed = new URL(redisUrl);
    prefixed.searchParams.set('prefix', `cc-bench-${process.pid}:`);
    await listBench('redis', prefixed.toString(), 10);
  }
  if (lists('postgresql')) {
    let dbUrl = process.env.CHANNELCODER_TEST_DATABASE_URL;
    if (!dbUrl) {
      const pg = await startPostgresServer();
      stops.push(() => pg.destroy());
      dbUrl = pg.url;
    }
    const schema = new URL(dbUrl);
    schema.searchParams.set('schema', `cc_bench_${process.pid}`);
    await listBench('postgresql', schema.toString(), 10);
  }
  if (only === undefined || only === 'task') await taskBench();
} finally {
  for (const stop of stops.reverse()) await stop();
}
