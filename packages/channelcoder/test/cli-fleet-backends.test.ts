/**
 * The fleet on the remote backends: 6 `channelcoder run` processes × 5 turns each on one session name,
 * stored in Redis, PostgreSQL and S3 (s3rver with conditional writes enforced, as real S3 does), each
 * process with its own CLAUDE_CONFIG_DIR (as on separate machines: the transcript a process resumes from
 * comes from the storage). The real `claude` CLI against one shared mock API; the three fleets run at the
 * same time, each on its own session, and the mock's request log is split by the prompts' prefix.
 * Checked from the outside: every turn stored exactly once, every request Claude received carried exactly
 * the stored history before it, no process met a SessionConflictError, and a turn with --no-wait on a busy
 * session exits 4 naming the holder without spending anything.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  lastUserText,
  type PostgresServer,
  type PrivateRedis,
  startPostgresServer,
  startPrivateRedis,
} from '@channelcoder/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RunningS3rver, startS3rver } from '../../storage-s3/test/support/s3rver-launcher.mjs';
import { type OpenedStorage, openStorageUrl } from '../src/storage-url/open.js';
import { CLI_PATH, type CliResult, type CliWorld, startCliWorld } from './support/cli-world.js';

// Three fleets of 31 serialized CLI turns each, side by side: minutes on a busy machine.
vi.setConfig({ testTimeout: 1_200_000, hookTimeout: 120_000 });

const PROCESSES = 6;
const TURNS = 5;
const run = randomUUID().replaceAll('-', '').slice(0, 10);

let world: CliWorld;
let redis: PrivateRedis | undefined;
let postgres: PostgresServer | undefined;
let s3: RunningS3rver | undefined;
const urls: Record<'redis' | 'postgresql' | 's3', string> = { redis: '', postgresql: '', s3: '' };
/** Sessions stored on CI's shared servers, removed at the end. */
const created: Array<{ url: string; name: string }> = [];

beforeAll(async () => {
  const redisUrl = process.env.CHANNELCODER_TEST_REDIS_URL;
  const databaseUrl = process.env.CHANNELCODER_TEST_DATABASE_URL;
  const [w, r, p, s] = await Promise.all([
    startCliWorld(),
    redisUrl ? undefined : startPrivateRedis(),
    databaseUrl ? undefined : startPostgresServer(),
    startS3rver({ enforceConditionalWrites: true }),
  ]);
  world = w;
  redis = r;
  postgres = p;
  s3 = s;
  urls.redis = `${redisUrl || (r as PrivateRedis).url}?prefix=${encodeURIComponent(`cc-fleet-${run}:`)}`;
  const pg = new URL(databaseUrl || (p as PostgresServer).url);
  pg.searchParams.set('schema', `cc_fleet_${run}`);
  urls.postgresql = pg.toString();
  urls.s3 = `s3://${s.bucket}/fleet-${run}?endpoint=${encodeURIComponent(s.endpoint)}`;
  // s3rver accepts only this key pair; the S3 clients (the CLI's and this test's) read it from the AWS
  // environment.
  for (const env of [world.env, process.env]) {
    env.AWS_ACCESS_KEY_ID = 'S3RVER';
    env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  }
});

afterAll(async () => {
  for (const { url, name } of created) await cli(['session', 'remove', name, '--yes', '--storage', url]);
  await world?.close();
  await Promise.all([redis?.destroy(), postgres?.destroy(), s3?.stop()]);
});

/** Sessions on CI's shared servers are removed at the end; private servers go with their data. */
function remember(url: string, name: string): void {
  const shared =
    (url === urls.redis && redis === undefined) || (url === urls.postgresql && postgres === undefined);
  if (shared) created.push({ url, name });
}

/** `channelcoder …args` without the support's per-call kill timer (a fleet member may wait its turn). */
function cli(args: string[], env: NodeJS.ProcessEnv = world.env): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], { env, cwd: world.sandbox.cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.stdin.end();
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface Stored {
  messages: Array<{ role: string; content: string }>;
}

/** A CLAUDE_CONFIG_DIR of its own for each fleet member (nothing shared on this machine but the storage). */
function configDirs(label: string): string[] {
  return Array.from({ length: PROCESSES }, (_, i) => {
    const dir = join(world.sandbox.root, `config-${label}-${i}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  });
}

/** The mock's answered requests whose last prompt belongs to session `name` (prompts start with it). */
function requestsOf(name: string) {
  return world.mock
    .messageRequests()
    .filter((r) => r.status === 200)
    .filter((r) => lastUserText((r.body as { messages?: unknown }).messages).startsWith(`${name} `));
}

async function fleet(name: string, url: string): Promise<void> {
  const dirs = configDirs(name);
  remember(url, name);
  const first = await cli(['run', `${name} start`, '--session', name, '--storage', url], {
    ...world.env,
    CLAUDE_CONFIG_DIR: dirs[0],
  });
  // (No check that stderr is empty: on Node < 22 the AWS SDK prints a deprecation notice there.)
  expect(first.code, first.stderr).toBe(0);
  const results: CliResult[] = [];
  await Promise.all(
    dirs.map(async (dir, worker) => {
      const env = { ...world.env, CLAUDE_CONFIG_DIR: dir };
      for (let turn = 1; turn <= TURNS; turn++) {
        results.push(
          await cli(['run', `${name} w${worker} t${turn}`, '--load-session', name, '--storage', url], env),
        );
      }
    }),
  );
  expect(results.filter((r) => r.code !== 0)).toEqual([]);
  expect(results.filter((r) => /conflict/i.test(r.stderr))).toEqual([]);

  const shown = await cli(['session', 'show', name, '--json', '--storage', url]);
  expect(shown.code, shown.stderr).toBe(0);
  const doc = JSON.parse(shown.stdout) as Stored;
  const prompts = doc.messages.filter((m) => m.role === 'user').map((m) => m.content);
  // Every turn exactly once.
  expect(prompts).toHaveLength(1 + PROCESSES * TURNS);
  expect(new Set(prompts).size).toBe(prompts.length);
  // Each request carried exactly the stored history before it: the prompt at stored position k was sent
  // with k earlier prompts (the mock counts the user turns of every request).
  const requests = requestsOf(name);
  expect(requests).toHaveLength(prompts.length);
  const divergent = requests.filter((r) => {
    const k = prompts.indexOf(lastUserText((r.body as { messages?: unknown }).messages));
    return k === -1 || r.userTurns !== k + 1;
  });
  expect(divergent).toEqual([]);
}

/** `--no-wait` (and a 1 s `--wait`) while another holder has the lease: exit 4, its name, no request. */
async function busy(name: string, url: string): Promise<void> {
  remember(url, name);
  const started = await cli(['run', `${name} start`, '--session', name, '--storage', url]);
  expect(started.code, started.stderr).toBe(0);
  const opened: OpenedStorage = await openStorageUrl(url);
  try {
    const lease = opened.storage.lease;
    if (lease === undefined) throw new Error(`${opened.label} has no leases`);
    const held = await lease.call(opened.storage, name, { holder: 'worker-9', ttlMs: 120_000 });
    try {
      const refused = await cli([
        'run',
        `${name} next`,
        '--load-session',
        name,
        '--no-wait',
        '--storage',
        url,
      ]);
      expect(refused.code).toBe(4);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toContain('worker-9');
      expect(refused.stderr).toContain(held.expiresAt.toISOString());
      const waited = await cli([
        'run',
        `${name} next`,
        '--load-session',
        name,
        '--wait',
        '1',
        '--storage',
        url,
      ]);
      expect(waited.code).toBe(4);
      expect(requestsOf(name).map((r) => lastUserText((r.body as { messages?: unknown }).messages))).toEqual([
        `${name} start`,
      ]);
    } finally {
      await held.release();
    }
  } finally {
    await opened.close();
  }
}

describe.concurrent('6 processes × 5 turns on one session, a CLAUDE_CONFIG_DIR each', () => {
  it('Redis: every turn stored once, every request carries the stored history, no conflict', async () => {
    await fleet('fleet-redis', urls.redis);
  });
  it('PostgreSQL: the same', async () => {
    await fleet('fleet-pg', urls.postgresql);
  });
  it('S3 with conditional writes enforced: the same', async () => {
    await fleet('fleet-s3', urls.s3);
  });
});

describe.concurrent('--no-wait on a busy session exits 4 naming the holder, and spends nothing', () => {
  it('Redis', async () => {
    await busy('busy-redis', urls.redis);
  });
  it('PostgreSQL', async () => {
    await busy('busy-pg', urls.postgresql);
  });
  it('S3 with conditional writes enforced', async () => {
    await busy('busy-s3', urls.s3);
  });
});
