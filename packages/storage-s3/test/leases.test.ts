/**
 * Leases in the head object (DESIGN 10) against s3rver with S3's conditional writes enforced (the test
 * middleware; plain s3rver ignores If-Match / If-None-Match, so leases cannot be exclusive there). The shared
 * lease spec runs in conformance.test.ts; this file covers the S3 layout and several processes contending.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  createSessionState,
  LeaseLostError,
  SessionBusyError,
  type SessionState,
} from '@channelcoder/session-core';
import { newMessageId } from '@channelcoder/session-core/storage-kit';
import { afterAll, afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { S3SessionStorage } from '../src/index.js';
import {
  countRequests,
  deletePrefix,
  getText,
  listAll,
  makeClient,
  uniquePrefix,
} from './support/fixtures.js';

const conditional = inject('s3Conditional');
const client = makeClient(conditional.endpoint);
afterAll(() => client.destroy());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const addMessage = (state: SessionState, content: string) =>
  state.messages.push({ id: newMessageId(), role: 'user', content, timestamp: new Date(), sessionId: 'c1' });

describe('S3SessionStorage leases (conditional writes enforced)', () => {
  let storage: S3SessionStorage;
  beforeEach(() => {
    storage = new S3SessionStorage({ client, bucket: conditional.bucket, prefix: uniquePrefix('lease') });
  });
  afterEach(async () => {
    await deletePrefix(client, storage.bucket, storage.prefix);
  });
  const headKey = (name: string) => `${storage.prefix}sessions/${name}/head.json`;

  it('keeps a lease on a name with no session in a lease-only head that load, list and exists ignore', async () => {
    const lease = await storage.lease('fresh', { holder: 'me', ttlMs: 60_000 });
    expect(lease.token).toBe(1);
    const head = JSON.parse(await getText(client, storage.bucket, headKey('fresh')));
    expect(head).toMatchObject({ leaseOnly: true, lease: { token: 1, holder: 'me' } });
    expect(await storage.exists('fresh')).toBe(false);
    expect(await storage.list()).toEqual([]);
    await expect(storage.load('fresh')).rejects.toThrow(/not found/i);
    expect(await storage.remove('fresh')).toBe(false);
    // The first save under the lease turns it into a session head that still carries the lease.
    await storage.save(createSessionState({ name: 'fresh' }), 'fresh', { lease });
    expect(await storage.exists('fresh')).toBe(true);
    expect(JSON.parse(await getText(client, storage.bucket, headKey('fresh')))).toMatchObject({
      revision: 1,
      lease: { token: 1, holder: 'me' },
    });
    await lease.release();
    expect(JSON.parse(await getText(client, storage.bucket, headKey('fresh'))).lease).toMatchObject({
      token: 1,
      expiresAt: 0,
    });
  });

  it('keeps tokens growing across release and remove()', async () => {
    const first = await storage.lease('grow');
    await storage.save(createSessionState({ name: 'grow' }), 'grow', { lease: first });
    await first.release();
    expect(await storage.remove('grow')).toBe(true);
    expect(await storage.exists('grow')).toBe(false);
    expect(await listAll(client, storage.bucket, `${storage.prefix}sessions/grow/`)).toEqual([
      headKey('grow'),
    ]);
    const second = await storage.lease('grow');
    expect(second.token).toBe(first.token + 1);
    await second.release();
  });

  it('refuses the save of a holder whose lease another took, and keeps what the new holder wrote', async () => {
    const state = createSessionState({ name: 'fence' });
    const old = await storage.lease('fence', { ttlMs: 3_000, holder: 'old' });
    await storage.save(state, 'fence', { lease: old });
    await sleep(Math.max(0, old.expiresAt.getTime() - Date.now()) + 200);
    const next = await storage.lease('fence', { holder: 'next' });
    expect(next.token).toBe(old.token + 1);
    addMessage(state, 'late');
    await expect(storage.save(state, 'fence', { lease: old })).rejects.toSatisfy(LeaseLostError.is);
    await expect(old.renew()).rejects.toSatisfy(LeaseLostError.is);
    await old.release(); // releases nothing: the lease is next's
    await expect(storage.lease('fence')).rejects.toSatisfy(SessionBusyError.is);
    const stored = await storage.load('fence');
    expect(stored.revision).toBe(1);
    expect(stored.messages).toHaveLength(0);
    await storage.save(state, 'fence', { lease: next });
    expect((await storage.load('fence')).messages).toHaveLength(1);
    await next.release();
  });

  it('a save under the lease survives a renew that changed the head meanwhile', async () => {
    const lease = await storage.lease('renewing', { ttlMs: 60_000 });
    const state = createSessionState({ name: 'renewing' });
    await storage.save(state, 'renewing', { lease });
    addMessage(state, 'during renew');
    // The renew and the save race on the head's ETag; both must land.
    await Promise.all([lease.renew(), storage.save(state, 'renewing', { lease })]);
    expect((await storage.load('renewing')).messages).toHaveLength(1);
    const head = JSON.parse(await getText(client, storage.bucket, headKey('renewing')));
    expect(head.lease.expiresAt).toBe(lease.expiresAt.getTime());
    await lease.release();
  });

  it('fences transcript appends by the lease in the head', async () => {
    const old = await storage.lease('tx', { ttlMs: 3_000 });
    await storage.save(createSessionState({ name: 'tx' }), 'tx', { lease: old });
    await storage.appendTranscript('tx', 'claude-1', [{ n: 0 }], 0, { lease: old });
    await sleep(Math.max(0, old.expiresAt.getTime() - Date.now()) + 200);
    const next = await storage.lease('tx');
    await expect(storage.appendTranscript('tx', 'claude-1', [{ n: 1 }], 1, { lease: old })).rejects.toSatisfy(
      LeaseLostError.is,
    );
    await storage.appendTranscript('tx', 'claude-1', [{ n: 1 }], 1, { lease: next });
    expect(await storage.loadTranscript('tx', 'claude-1')).toEqual([{ n: 0 }, { n: 1 }]);
    await next.release();
  });

  it('skips the head read of a fenced append while its own lease has over 10 s to run, not after release', async () => {
    const counted = makeClient(conditional.endpoint);
    try {
      const mine = new S3SessionStorage({ client: counted, bucket: storage.bucket, prefix: storage.prefix });
      const lease = await mine.lease('held', { ttlMs: 60_000 });
      await mine.save(createSessionState({ name: 'held' }), 'held', { lease });
      await mine.appendTranscript('held', 'claude-1', [{ n: 0 }], 0, { lease });
      const counter = countRequests(counted);
      await mine.appendTranscript('held', 'claude-1', [{ n: 1 }], 1, { lease });
      expect(counter.requests.map((r) => r.method)).toEqual(['PUT']);
      // A lease with little time left is checked in the head, as is one this object did not take.
      const other = new S3SessionStorage({ client: counted, bucket: storage.bucket, prefix: storage.prefix });
      counter.reset();
      await other.appendTranscript('held', 'claude-1', [{ n: 2 }], 2, { lease });
      expect(counter.requests.filter((r) => r.method === 'GET').length).toBeGreaterThan(0);
      await lease.release();
      counter.reset();
      await expect(mine.appendTranscript('held', 'claude-1', [{ n: 3 }], 3, { lease })).rejects.toSatisfy(
        LeaseLostError.is,
      );
      expect(counter.requests.map((r) => r.method)).toEqual(['GET']);
      expect(counter.requests[0]?.path).toMatch(/head\.json$/);
      const short = await mine.lease('held', { ttlMs: 5_000 });
      counter.reset();
      await mine.appendTranscript('held', 'claude-1', [{ n: 3 }], 3, { lease: short });
      // The head read, then (this object has not seen the other's append) the catch-up LIST and GET, the PUT.
      expect(counter.requests[0]).toMatchObject({
        method: 'GET',
        path: expect.stringMatching(/head\.json$/),
      });
      expect(counter.requests.at(-1)?.method).toBe('PUT');
      await short.release();
      expect(await mine.loadTranscript('held', 'claude-1')).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }, { n: 3 }]);
    } finally {
      counted.destroy();
    }
  });

  it('costs 2 requests to acquire and 1 to release', async () => {
    const counted = makeClient(conditional.endpoint);
    try {
      const counter = countRequests(counted);
      const measured = new S3SessionStorage({
        client: counted,
        bucket: storage.bucket,
        prefix: storage.prefix,
      });
      await storage.save(createSessionState({ name: 'count' }), 'count');
      counter.reset();
      const lease = await measured.lease('count');
      expect(counter.requests.map((r) => r.method)).toEqual(['GET', 'PUT']);
      counter.reset();
      await lease.release();
      expect(counter.requests.map((r) => r.method)).toEqual(['PUT']);
    } finally {
      counted.destroy();
    }
  });
});

describe('S3SessionStorage leases across processes (conditional writes enforced)', () => {
  const DIST = join(import.meta.dirname, '..', 'dist', 'index.js');
  const run = promisify(execFile);

  // Each process takes the lease (waiting), appends "enter" to a shared log (O_APPEND: the log's order is the
  // order the writes happened in), saves a message under the lease, appends "exit", and releases.
  const worker = `
import { appendFileSync } from 'node:fs';
import { createSessionState } from '@channelcoder/session-core';
import { newMessageId } from '@channelcoder/session-core/storage-kit';
import { S3Client } from '@aws-sdk/client-s3';
const { S3SessionStorage } = await import(process.env.DIST);
const client = new S3Client({ endpoint: process.env.ENDPOINT, region: 'us-east-1', forcePathStyle: true,
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
const storage = new S3SessionStorage({ client, bucket: process.env.BUCKET, prefix: process.env.PREFIX });
const me = process.env.WORKER;
for (let round = 0; round < Number(process.env.ROUNDS); round++) {
  const lease = await storage.lease('contended', { holder: me, waitMs: 120000, ttlMs: 60000 });
  appendFileSync(process.env.LOG, 'enter ' + me + ' ' + lease.token + '\\n');
  const state = (await storage.exists('contended')) ? await storage.load('contended') : createSessionState({ name: 'contended' });
  state.messages.push({ id: newMessageId(), role: 'user', content: me + ':' + round, timestamp: new Date(), sessionId: 'c1' });
  await storage.save(state, 'contended', { lease });
  appendFileSync(process.env.LOG, 'exit ' + me + ' ' + lease.token + '\\n');
  await lease.release();
}
client.destroy();
`;

  it('4 processes × 4 rounds: never two holders at once, tokens increasing, every save kept', async () => {
    if (!existsSync(DIST)) throw new Error(`${DIST} is missing: build the package first.`);
    const prefix = uniquePrefix('lease-procs');
    const dir = await mkdtemp(join(tmpdir(), 'cc-s3-lease-'));
    const log = join(dir, 'overlap.log');
    try {
      const env = {
        ...process.env,
        DIST,
        ENDPOINT: conditional.endpoint,
        BUCKET: conditional.bucket,
        PREFIX: prefix,
        LOG: log,
        ROUNDS: '4',
      };
      await Promise.all(
        ['w0', 'w1', 'w2', 'w3'].map((w) =>
          run(process.execPath, ['--input-type=module', '-e', worker], {
            cwd: join(import.meta.dirname, '..'),
            env: { ...env, WORKER: w },
          }),
        ),
      );
      const lines = (await readFile(log, 'utf8')).trim().split('\n');
      expect(lines).toHaveLength(32);
      let holder: string | undefined;
      let lastToken = 0;
      for (const line of lines) {
        const [event, who, token] = line.split(' ');
        if (event === 'enter') {
          expect(holder, `"${line}" while ${holder} held the lease`).toBeUndefined();
          expect(Number(token)).toBeGreaterThan(lastToken);
          lastToken = Number(token);
          holder = who;
        } else {
          expect(who).toBe(holder);
          holder = undefined;
        }
      }
      const check = new S3SessionStorage({ client, bucket: conditional.bucket, prefix });
      const stored = await check.load('contended');
      expect(stored.messages).toHaveLength(16);
      expect(new Set(stored.messages.map((m) => m.content)).size).toBe(16);
      await deletePrefix(client, conditional.bucket, prefix);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
