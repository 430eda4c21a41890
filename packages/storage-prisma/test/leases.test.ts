/**
 * Leases (DESIGN 10) on PostgreSQL and SQLite: one conditional statement per change on `channelcoder_leases`,
 * timed by the database's clock, and fenced saves / transcript appends that check the lease row inside their
 * transaction. The shared lease spec of the conformance suite runs in conformance.test.ts; this file covers
 * what is particular to the Prisma adapter and, on PostgreSQL, several processes contending.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  createSessionState,
  LeaseLostError,
  SessionBusyError,
  type SessionLease,
  type SessionState,
} from '@channelcoder/session-core';
import { newMessageId } from '@channelcoder/session-core/storage-kit';
import { afterAll, afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { PrismaSessionStorage } from '../src/index.js';
import { postgresDatabase, sqliteDatabase, type TestDatabase, testPool } from './support/databases.js';

const providers: [string, () => Promise<TestDatabase>][] = [
  ['PostgreSQL', () => postgresDatabase(inject('databaseUrl'))],
  ['SQLite', sqliteDatabase],
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const addMessage = (state: SessionState, content: string) =>
  state.messages.push({ id: newMessageId(), role: 'user', content, timestamp: new Date(), sessionId: 'c1' });

describe.each(providers)('PrismaSessionStorage leases on %s', (_label, open) => {
  let db: TestDatabase;
  let storage: PrismaSessionStorage;
  beforeEach(async () => {
    db = await open();
    storage = new PrismaSessionStorage({ prisma: db.prisma });
  });
  afterEach(async () => {
    await storage.close();
    await db.destroy();
  });

  const lease = (name: string, options?: Parameters<NonNullable<PrismaSessionStorage['lease']>>[1]) => {
    if (storage.lease === undefined) throw new Error('the storage has no lease capability');
    return storage.lease(name, options);
  };

  it('takes a lease on a name with no session, without creating the session', async () => {
    const held = await lease('fresh', { holder: 'me', ttlMs: 5_000 });
    expect(held).toMatchObject({ name: 'fresh', token: 1, holder: 'me' });
    expect(await storage.exists('fresh')).toBe(false);
    expect(await storage.list()).toEqual([]);
    const row = await db.prisma.channelCoderLease.findUniqueOrThrow({ where: { name: 'fresh' } });
    expect(row).toMatchObject({ token: 1, holder: 'me' });
    await held.release();
  });

  it('refuses a held lease with the holder and expiry, and lets the next in after release', async () => {
    const first = await lease('s', { holder: 'first', ttlMs: 10_000 });
    const busy = await lease('s', { holder: 'second' }).catch((err: unknown) => err);
    expect(SessionBusyError.is(busy)).toBe(true);
    expect((busy as SessionBusyError).holder).toBe('first');
    expect((busy as SessionBusyError).expiresAt.getTime()).toBe(first.expiresAt.getTime());
    await first.release();
    await first.release(); // idempotent
    const second = await lease('s', { holder: 'second' });
    expect(second.token).toBe(first.token + 1);
    await second.release();
  });

  it('keeps tokens growing across releases and remove()', async () => {
    const tokens: number[] = [];
    for (let i = 0; i < 3; i++) {
      const held = await lease('grow');
      tokens.push(held.token);
      if (i === 1) {
        await storage.save(createSessionState({ name: 'grow' }), 'grow', { lease: held });
        expect(await storage.remove('grow')).toBe(true);
      }
      await held.release();
    }
    expect(tokens).toEqual([1, 2, 3]);
  });

  it('lets another holder in once the lease expired; the expired holder can neither save nor renew', async () => {
    const state = createSessionState({ name: 'exp' });
    const old = await lease('exp', { ttlMs: 3_000 });
    await storage.save(state, 'exp', { lease: old });
    await sleep(Math.max(0, old.expiresAt.getTime() - Date.now()) + 200);
    const next = await lease('exp', { waitMs: 0 });
    expect(next.token).toBe(old.token + 1);
    addMessage(state, 'late');
    await expect(storage.save(state, 'exp', { lease: old })).rejects.toSatisfy(LeaseLostError.is);
    expect((await storage.load('exp')).messages).toHaveLength(0);
    expect((await storage.load('exp')).revision).toBe(1);
    await expect(old.renew()).rejects.toSatisfy(LeaseLostError.is);
    // The current holder saves the same change.
    await storage.save(state, 'exp', { lease: next });
    expect((await storage.load('exp')).messages).toHaveLength(1);
    await old.release(); // a lost lease releases nothing
    await expect(lease('exp')).rejects.toSatisfy(SessionBusyError.is);
    await next.release();
  });

  it('refuses a save after the lease expired even when nobody took it', async () => {
    const held = await lease('lapse', { ttlMs: 200 });
    await sleep(300);
    await expect(
      storage.save(createSessionState({ name: 'lapse' }), 'lapse', { lease: held }),
    ).rejects.toSatisfy(LeaseLostError.is);
    expect(await storage.exists('lapse')).toBe(false);
  });

  it('renew extends the lease past its first expiry', async () => {
    const held = await lease('renew', { ttlMs: 3_000 });
    const before = held.expiresAt.getTime();
    await sleep(1_000);
    await held.renew(20_000);
    expect(held.expiresAt.getTime()).toBeGreaterThan(before);
    // Past the first expiry (by the database's clock, on this machine), inside the renewed one.
    await sleep(Math.max(0, before - Date.now()) + 200);
    await expect(lease('renew')).rejects.toSatisfy(SessionBusyError.is);
    await storage.save(createSessionState({ name: 'renew' }), 'renew', { lease: held });
    await held.release();
    await expect(held.renew()).rejects.toSatisfy(LeaseLostError.is);
  });

  it('waits for a held lease when asked to, and gets it when it is released', async () => {
    const first = await lease('wait', { ttlMs: 10_000 });
    const waiting = lease('wait', { waitMs: 5_000 });
    await sleep(100);
    await first.release();
    const second = await waiting;
    expect(second.token).toBe(first.token + 1);
    await second.release();
  });

  it('fences transcript appends', async () => {
    if (storage.appendTranscript === undefined) throw new Error('no transcript capability');
    const held = await lease('tx', { ttlMs: 3_000 });
    await storage.save(createSessionState({ name: 'tx' }), 'tx', { lease: held });
    await storage.appendTranscript('tx', 'claude-1', [{ n: 0 }], 0, { lease: held });
    await sleep(Math.max(0, held.expiresAt.getTime() - Date.now()) + 200);
    const next = await lease('tx');
    await expect(
      storage.appendTranscript('tx', 'claude-1', [{ n: 1 }], 1, { lease: held }),
    ).rejects.toSatisfy(LeaseLostError.is);
    expect(await storage.loadTranscript?.('tx', 'claude-1')).toEqual([{ n: 0 }]);
    await storage.appendTranscript('tx', 'claude-1', [{ n: 1 }], 1, { lease: next });
    expect(await storage.loadTranscript?.('tx', 'claude-1')).toEqual([{ n: 0 }, { n: 1 }]);
    await next.release();
  });

  it('never blocks reads while a lease is held', async () => {
    await storage.save(createSessionState({ name: 'read' }), 'read');
    const held = await lease('read', { ttlMs: 10_000 });
    expect(await storage.exists('read')).toBe(true);
    expect((await storage.load('read')).metadata.name).toBe('read');
    expect((await storage.list()).map((s) => s.name)).toEqual(['read']);
    await held.release();
  });

  it('gives the lease to one of 8 contenders at a time, each in turn', async () => {
    let inside = 0;
    let overlaps = 0;
    const tokens: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const held: SessionLease = await lease('crowd', { holder: `c${i}`, waitMs: 30_000, ttlMs: 10_000 });
        inside += 1;
        if (inside > 1) overlaps += 1;
        tokens.push(held.token);
        await sleep(5);
        inside -= 1;
        await held.release();
      }),
    );
    expect(overlaps).toBe(0);
    expect(tokens).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe('PrismaSessionStorage leases across processes (PostgreSQL)', () => {
  const DIST = join(import.meta.dirname, '..', 'dist', 'index.js');
  const run = promisify(execFile);
  const schemas: string[] = [];
  afterAll(async () => {
    const pool = testPool(inject('databaseUrl'));
    for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  // Each process takes the lease (waiting), appends "enter" to a shared log (O_APPEND: the log's order is the
  // order the writes happened in), saves a message under the lease, appends "exit", and releases.
  const worker = `
import { appendFileSync } from 'node:fs';
import { createSessionState } from '@channelcoder/session-core';
import { newMessageId } from '@channelcoder/session-core/storage-kit';
const { openPrismaSessionStorage } = await import(process.env.DIST);
const { storage, close } = await openPrismaSessionStorage({ url: process.env.URL, poolSize: 2 });
const me = process.env.WORKER;
for (let round = 0; round < Number(process.env.ROUNDS); round++) {
  const lease = await storage.lease('contended', { holder: me, waitMs: 60000, ttlMs: 20000 });
  appendFileSync(process.env.LOG, 'enter ' + me + ' ' + lease.token + '\\n');
  let state;
  if (await storage.exists('contended')) state = await storage.load('contended');
  else state = createSessionState({ name: 'contended' });
  state.messages.push({ id: newMessageId(), role: 'user', content: me + ':' + round, timestamp: new Date(), sessionId: 'c1' });
  await storage.save(state, 'contended', { lease });
  appendFileSync(process.env.LOG, 'exit ' + me + ' ' + lease.token + '\\n');
  await lease.release();
}
await close();
`;

  it('3 processes × 4 rounds: never two holders at once, tokens increasing, every save kept', async () => {
    if (!existsSync(DIST)) throw new Error(`${DIST} is missing: build the package first.`);
    const schema = `lease_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    schemas.push(schema);
    const url = new URL(inject('databaseUrl'));
    url.searchParams.set('schema', schema);
    const dir = await mkdtemp(join(tmpdir(), 'cc-prisma-lease-'));
    const log = join(dir, 'overlap.log');
    try {
      // Migrate once before the contenders start.
      const { openPrismaSessionStorage } = await import('../src/index.js');
      const opened = await openPrismaSessionStorage({ url: url.toString(), poolSize: 1 });
      await opened.close();
      const env = { ...process.env, DIST, URL: url.toString(), LOG: log, ROUNDS: '4' };
      await Promise.all(
        ['w0', 'w1', 'w2'].map((w) =>
          run(process.execPath, ['--input-type=module', '-e', worker], {
            cwd: join(import.meta.dirname, '..'),
            env: { ...env, WORKER: w },
          }),
        ),
      );
      const lines = (await readFile(log, 'utf8')).trim().split('\n');
      expect(lines).toHaveLength(24);
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
      const check = await openPrismaSessionStorage({ url: url.toString(), poolSize: 1 });
      const stored = await check.storage.load('contended');
      await check.close();
      expect(stored.messages).toHaveLength(12);
      expect(new Set(stored.messages.map((m) => m.content)).size).toBe(12);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
