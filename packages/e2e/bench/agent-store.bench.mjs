// The Agent SDK bridge (`toAgentSessionStore`) on file, Redis, S3 and PostgreSQL:
//  1. `listSessions(projectKey)` with 1,000 sessions of other projects stored beside it vs none (half
//     stored through the bridge, half made by channelcoder in other working directories)
//     (median of interleaved pairs; target ≤ 1.2), with the bridge's default (channelcoder sessions seen)
//     and with `channelcoderSessions: false`;
//     and against a store built like the SDK's reference design (reference-stores.mjs; target ≤ 1.5);
//  2. stored transcript bytes / raw JSONL bytes, over a session of real turns (the real claude CLI against
//     the in-repo mock API, 4 turns), measured in the backend itself (target ≤ 0.25).
// Redis and PostgreSQL: CHANNELCODER_TEST_REDIS_URL / CHANNELCODER_TEST_DATABASE_URL, or private servers;
// a private s3rver always. BENCH_OTHERS (default 1000) and BENCH_PAIRS (default 15) scale it; BENCH_BACKENDS
// (comma-separated, e.g. `redis`) runs only those backends (default all four).
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import {
  createSessionState,
  MemorySessionStorage,
  session,
  toAgentSessionStore,
} from '@channelcoder/session-core';
import {
  claudeBinary,
  MockAnthropicServer,
  makeClaudeSandbox,
  offlineClaudeEnvOverlay,
  startPostgresServer,
  startPrivateRedis,
} from '@channelcoder/testkit';
import { Redis } from 'ioredis';
import pg from 'pg';
import { startS3rver } from '../../storage-s3/test/support/s3rver-launcher.mjs';
import { openStorage } from '../test/support/open-storage.mjs';
import { openReferenceStore } from './reference-stores.mjs';

const OTHERS = Number(process.env.BENCH_OTHERS ?? 1000);
const PAIRS = Number(process.env.BENCH_PAIRS ?? 15);
const PROJECT = '-home-dev-shop-api';
const OWN = 5;
const ONLY = process.env.BENCH_BACKENDS?.split(',').map((s) => s.trim());
const wanted = (kind) => ONLY === undefined || ONLY.includes(kind);
const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

/** Real transcript lines: 4 turns of the real claude CLI against the mock, mirrored into memory. */
async function realTranscript() {
  const mock = await MockAnthropicServer.start({ reply: (c) => `turn ${c.userTurns}: ${c.lastUserText}` });
  const sandbox = makeClaudeSandbox('cc-bench-agent-store');
  try {
    const env = {
      ...offlineClaudeEnvOverlay({ baseUrl: mock.url, configDir: sandbox.configDir, home: sandbox.home }),
      CLAUDE_BIN: claudeBinary(),
    };
    const storage = new MemorySessionStorage();
    const s = session({ name: 'bench', storage, cwd: sandbox.cwd, defaults: { env } });
    for (const prompt of ['list the files', 'read the README', 'summarize it', 'and the tests?'])
      await s.claude(prompt);
    const id = s.id();
    return (await storage.loadTranscript('bench', id)) ?? [];
  } finally {
    await mock.close();
    sandbox.remove();
  }
}

async function backends() {
  const redisUrl = process.env.CHANNELCODER_TEST_REDIS_URL;
  const databaseUrl = process.env.CHANNELCODER_TEST_DATABASE_URL;
  const [redis, postgres, s3] = await Promise.all([
    redisUrl || !wanted('redis') ? undefined : startPrivateRedis(),
    databaseUrl || !wanted('postgresql') ? undefined : startPostgresServer(),
    wanted('s3') ? startS3rver({ enforceConditionalWrites: true }) : undefined,
  ]);
  const stop = () => Promise.all([redis?.destroy(), postgres?.destroy(), s3?.stop()]);
  const redisBase = redisUrl || redis?.url;
  const pgBase = databaseUrl || postgres?.url;
  const specs = (label) => {
    const dir = mkdtempSync(join(tmpdir(), `cc-bench-${label}-`));
    const schema = `cc_bench_${unique()}`;
    const all = [
      { kind: 'file', dir },
      { kind: 'redis', url: redisBase, prefix: `cc-bench:${unique()}:` },
      { kind: 's3', endpoint: s3?.endpoint, bucket: s3?.bucket, prefix: `cc-bench/${unique()}/` },
      { kind: 'postgresql', url: `${pgBase}${pgBase.includes('?') ? '&' : '?'}schema=${schema}`, schema },
    ];
    return all.filter((spec) => wanted(spec.kind));
  };
  return { specs, stop, pgBase };
}

/** Bytes the backend keeps for everything stored under the spec. */
async function storedBytes(spec, pgBase) {
  switch (spec.kind) {
    case 'file': {
      let total = 0;
      const walk = (dir) => {
        for (const entry of readdirSync(dir, { withFileTypes: true })) {
          const path = join(dir, entry.name);
          if (entry.isDirectory()) walk(path);
          else total += statSync(path).size;
        }
      };
      walk(spec.dir);
      return total;
    }
    case 'redis': {
      const client = new Redis(spec.url);
      try {
        let total = 0;
        let cursor = '0';
        do {
          const [next, keys] = await client.scan(cursor, 'MATCH', `${spec.prefix}*`, 'COUNT', 1000);
          cursor = next;
          for (const key of keys) {
            const type = await client.type(key);
            if (type === 'string') total += await client.strlen(key);
            else if (type === 'list')
              for (const item of await client.lrangeBuffer(key, 0, -1)) total += item.length;
            else if (type === 'hash')
              for (const [f, v] of Object.entries(await client.hgetallBuffer(key)))
                total += f.length + v.length;
            else if (type === 'zset') total += (await client.zrange(key, 0, -1)).join('').length;
          }
        } while (cursor !== '0');
        return total;
      } finally {
        client.disconnect();
      }
    }
    case 's3': {
      let total = 0;
      let token;
      const s3client = new S3Client({
        endpoint: spec.endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      });
      do {
        const out = await s3client.send(
          new ListObjectsV2Command({ Bucket: spec.bucket, Prefix: spec.prefix, ContinuationToken: token }),
        );
        for (const o of out.Contents ?? []) total += o.Size ?? 0;
        token = out.NextContinuationToken;
      } while (token !== undefined);
      s3client.destroy();
      return total;
    }
    case 'postgresql': {
      const pool = new pg.Pool({ connectionString: pgBase, max: 1 });
      try {
        const tables = await pool.query(
          'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
          [spec.schema],
        );
        let total = 0;
        for (const { table_name } of tables.rows) {
          const r = await pool.query(
            `SELECT coalesce(sum(pg_column_size(t.*)), 0)::bigint AS n FROM "${spec.schema}"."${table_name}" t`,
          );
          total += Number(r.rows[0].n);
        }
        return total;
      } finally {
        await pool.end();
      }
    }
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function time(fn) {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function fill(store, projectKey, count, from = 0) {
  const jobs = Array.from({ length: count }, (_, i) => i + from);
  for (let i = 0; i < jobs.length; i += 25) {
    await Promise.all(
      jobs
        .slice(i, i + 25)
        .map((n) =>
          store.append({ projectKey, sessionId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}` }, [
            { type: 'user', uuid: `u-${projectKey}-${n}`, message: { content: 'hello' } },
          ]),
        ),
    );
  }
}

/** Sessions as `channelcoder` / `session()` store them: a name, a cwd, a chain of one Claude session. */
async function fillChannelcoder(storage, cwd, count) {
  for (let i = 0; i < count; i += 25) {
    await Promise.all(
      Array.from({ length: Math.min(25, count - i) }, (_, j) => {
        const n = i + j;
        const name = `cli-${cwd.split('-').at(-1)}-${n}`;
        const state = createSessionState({ name, cwd });
        const id = `11111111-0000-4000-8000-${String(n).padStart(12, '0')}`;
        state.sessionChain = [id];
        state.currentSessionId = id;
        return storage.save(state, name);
      }),
    );
  }
}

async function main() {
  const lines = await realTranscript();
  const raw = lines.reduce((n, line) => n + Buffer.byteLength(`${JSON.stringify(line)}\n`), 0);
  const { specs, stop, pgBase } = await backends();
  const rows = [];
  try {
    const quiet = specs('quiet');
    const crowded = specs('crowded');
    for (let k = 0; k < quiet.length; k++) {
      const kind = quiet[k].kind;
      const a = await openStorage(quiet[k]);
      const b = await openStorage(crowded[k]);
      try {
        for (const { storage } of [a, b]) await fill(toAgentSessionStore(storage), PROJECT, OWN);
        // 1,000 sessions of other projects beside the crowded one: half stored through the bridge
        // (20 projects × 25), half made by channelcoder (20 other working directories × 25).
        const crowdedStore = toAgentSessionStore(b.storage);
        for (let p = 0; p < 20; p++) await fill(crowdedStore, `-home-dev-other-${p}`, OTHERS / 40, p * 1000);
        for (let p = 0; p < 20; p++)
          await fillChannelcoder(b.storage, `/home/dev/made-by-cli-${p}`, OTHERS / 40);

        for (const [mode, options] of [
          ['default', {}],
          ['channelcoderSessions: false', { channelcoderSessions: false }],
        ]) {
          const storeA = toAgentSessionStore(a.storage, options);
          const storeB = toAgentSessionStore(b.storage, options);
          const check = [await storeA.listSessions(PROJECT), await storeB.listSessions(PROJECT)];
          if (check[0].length !== OWN || check[1].length !== OWN)
            throw new Error(`${kind}: listed ${check[0].length} and ${check[1].length}, expected ${OWN}`);
          const ratios = [];
          for (let i = 0; i < PAIRS + 2; i++) {
            // Interleaved, alternating which side goes first; the first 2 pairs warm up.
            const first = i % 2 === 0;
            const tA = first ? await time(() => storeA.listSessions(PROJECT)) : 0;
            const tB = await time(() => storeB.listSessions(PROJECT));
            const tA2 = first ? tA : await time(() => storeA.listSessions(PROJECT));
            if (i >= 2) ratios.push(tB / tA2);
          }
          rows.push({
            kind,
            measure: `listSessions, ${OTHERS} others ÷ none (${mode})`,
            value: median(ratios),
            target: '≤ 1.2',
          });
        }

        // Ours (both modes, the crowded storage) ÷ a store built like the SDK's reference design, holding
        // the same project's sessions and 1,000 sessions of other projects. The SDK publishes reference
        // stores for S3, Redis and PostgreSQL only.
        const reference = kind === 'file' ? undefined : await openReferenceStore(crowded[k]);
        if (reference !== undefined)
          try {
            await fill(reference, PROJECT, OWN);
            for (let p = 0; p < 40; p++) await fill(reference, `-home-dev-other-${p}`, OTHERS / 40, p * 1000);
            for (const [mode, options] of [
              ['default', {}],
              ['channelcoderSessions: false', { channelcoderSessions: false }],
            ]) {
              const ours = toAgentSessionStore(b.storage, options);
              const check = [await ours.listSessions(PROJECT), await reference.listSessions(PROJECT)];
              if (check[0].length !== OWN || check[1].length !== OWN)
                throw new Error(
                  `${kind}: listed ${check[0].length} and ${check[1].length} (reference), expected ${OWN}`,
                );
              const ratios = [];
              for (let i = 0; i < PAIRS + 2; i++) {
                const first = i % 2 === 0;
                const tR = first ? await time(() => reference.listSessions(PROJECT)) : 0;
                const tO = await time(() => ours.listSessions(PROJECT));
                const tR2 = first ? tR : await time(() => reference.listSessions(PROJECT));
                if (i >= 2) ratios.push(tO / tR2);
              }
              rows.push({
                kind,
                measure: `listSessions, ${OTHERS} others: ours ÷ reference design (${mode})`,
                value: median(ratios),
                target: '≤ 1.5',
              });
            }
          } finally {
            await reference.close();
          }

        // Stored transcript bytes ÷ raw: the backend's bytes with the transcript minus without it.
        // The session exists first (its head is not counted), then its transcript is stored.
        const spec = quiet[k];
        const key = { projectKey: PROJECT, sessionId: 'ffffffff-0000-4000-8000-000000000000' };
        const bridge = toAgentSessionStore(a.storage);
        await bridge.append(key, [{ type: 'mode', mode: 'default' }]);
        const before = await storedBytes(spec, pgBase);
        await bridge.append(key, lines);
        const after = await storedBytes(spec, pgBase);
        rows.push({
          kind,
          measure: `stored transcript bytes ÷ raw (${lines.length} lines, ${raw} B)`,
          value: (after - before) / raw,
          target: '≤ 0.25',
        });
      } finally {
        await a.close();
        await b.close();
      }
    }
    for (const s of [...quiet, ...crowded]) {
      if (s.kind === 'file') rmSync(s.dir, { recursive: true, force: true });
      if (s.kind === 'postgresql') {
        const pool = new pg.Pool({ connectionString: pgBase, max: 1 });
        await pool.query(`DROP SCHEMA IF EXISTS "${s.schema}" CASCADE`).finally(() => pool.end());
      }
    }
  } finally {
    await stop();
  }
  const load = loadavg()
    .map((n) => n.toFixed(1))
    .join(' ');
  console.log(`agent-store bench (${PAIRS} interleaved pairs, load ${load})`);
  for (const r of rows)
    console.log(
      `${r.kind.padEnd(11)} ${r.measure.padEnd(72)} ${r.value.toFixed(2).padStart(7)}  target ${r.target}`,
    );
}

await main();
