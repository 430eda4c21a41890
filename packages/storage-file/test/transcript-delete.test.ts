import { existsSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, LeaseLostError, storageCapabilities } from '@channelcoder/session-core';
import { describe, expect, it } from 'vitest';
import { FileSessionStorage } from '../src/index.js';
import { requireBuiltPackage, startFixture } from './child-process.js';
import { stateWith, useTempDirs } from './helpers.js';

const tempDir = useTempDirs();
const ID = '0c6f2a4e-7d1b-4c55-9e0a-3f8d2b1c9a77';
const OTHER = '7f3e1d2c-0000-4c55-9e0a-3f8d2b1c9a77';
const entry = (i: number) => ({ type: 'user', uuid: `u-${i}`, n: i });

async function withTranscripts(): Promise<{ storage: FileSessionStorage; root: string }> {
  const root = tempDir();
  const storage = new FileSessionStorage(root);
  await storage.save(stateWith(2), 'portable');
  await storage.appendTranscript('portable', ID, [entry(0), entry(1)], 0);
  await storage.appendTranscript('portable', ID, [entry(2)], 2);
  await storage.appendTranscript('portable', OTHER, [entry(7)], 0, { dedupe: 'uuid' });
  return { storage, root };
}

describe('deleteTranscript', () => {
  it('is a capability of the file storage', () => {
    const caps = storageCapabilities(new FileSessionStorage(tempDir()));
    expect([caps.deleteTranscript, caps.readRevision, caps.peekLease]).toEqual([true, true, true]);
  });

  it('deletes every line of one transcript; other transcripts, the state and its revision stay', async () => {
    const { storage, root } = await withTranscripts();
    const before = await storage.load('portable');
    expect(await storage.deleteTranscript('portable', ID)).toBe(true);
    expect(await storage.loadTranscript('portable', ID)).toBeNull();
    expect(await storage.loadTranscript('portable', OTHER)).toEqual([entry(7)]);
    expect(await storage.load('portable')).toEqual(before);
    expect(readdirSync(join(root, 'portable', 'transcripts')).filter((f) => f.includes(ID))).toEqual([]);
    expect(await storage.deleteTranscript('portable', ID)).toBe(false);
    expect(await storage.deleteTranscript('nobody', ID)).toBe(false);
    // The id starts over: positional from line 0, and dedupe knows none of the deleted uuids.
    await storage.appendTranscript('portable', ID, [entry(5)], 0);
    await storage.appendTranscript('portable', ID, [entry(0), entry(5)], 0, { dedupe: 'uuid' });
    expect(await storage.loadTranscript('portable', ID)).toEqual([entry(5), entry(0)]);
  });

  it('refuses a stale lease (LeaseLostError, nothing deleted) and deletes under the current one', async () => {
    const { storage } = await withTranscripts();
    const old = await storage.lease('portable', { ttlMs: 60_000 });
    await old.release();
    const current = await storage.lease('portable', { ttlMs: 60_000 });
    const err = await storage.deleteTranscript('portable', ID, { lease: old }).catch((e: unknown) => e);
    expect(LeaseLostError.is(err)).toBe(true);
    expect(await storage.loadTranscript('portable', ID)).toEqual([entry(0), entry(1), entry(2)]);
    expect(await storage.deleteTranscript('portable', ID, { lease: current })).toBe(true);
    expect(await storage.loadTranscript('portable', ID)).toBeNull();
  });

  it('refuses an empty Claude session id with InvalidArgumentError', async () => {
    const { storage } = await withTranscripts();
    const err = await storage.deleteTranscript('portable', '').catch((e: unknown) => e);
    expect(InvalidArgumentError.is(err)).toBe(true);
  });

  it('a deletion killed after its head rename: no line is visible and the id works again', async () => {
    const { storage, root } = await withTranscripts();
    const dir = join(root, 'portable', 'transcripts');
    // The state a process killed right after the commit step leaves: head renamed, files still there.
    renameSync(join(dir, `${ID}.head.json`), join(dir, `.${ID}.head.json.deleted`));
    expect(existsSync(join(dir, `${ID}.1.ccz`))).toBe(true);
    expect(await storage.loadTranscript('portable', ID)).toBeNull();
    await storage.appendTranscript('portable', ID, [entry(9)], 0);
    expect(await storage.loadTranscript('portable', ID)).toEqual([entry(9)]);
    expect(await storage.deleteTranscript('portable', ID)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.includes(ID))).toEqual([]);
  });

  it('a process killed (SIGKILL) at any point of append/delete rounds leaves all lines or none', async () => {
    requireBuiltPackage();
    const root = tempDir();
    const storage = new FileSessionStorage(root);
    await storage.save(stateWith(1), 'churn');
    await storage.appendTranscript('churn', OTHER, [entry(7)], 0);
    const lines = 40;
    for (let kill = 0; kill < 6; kill++) {
      const child = startFixture('transcript-churn.mjs', [root, 'churn', ID, String(lines)]);
      await child.waitForLine((l) => l === 'deleted 2');
      await new Promise((resolve) => setTimeout(resolve, kill * 7));
      child.process.kill('SIGKILL');
      expect(await child.exited).toBeNull();
      const stored = await storage.loadTranscript('churn', ID);
      if (stored !== null) expect(stored).toEqual(Array.from({ length: lines }, (_, i) => entry(i)));
      expect(await storage.loadTranscript('churn', OTHER)).toEqual([entry(7)]);
      // Whatever the kill left, the next process deletes and appends as usual.
      await storage.deleteTranscript('churn', ID);
    }
  }, 60_000);
});

describe('readRevision', () => {
  it('reads the revision of a folder session and of a 3.x file; null when nothing is stored', async () => {
    const { storage } = await withTranscripts();
    const state = await storage.load('portable');
    expect(await storage.readRevision('portable')).toBe(state.revision);
    state.messages.push(stateWith(1).messages[0]!);
    await storage.save(state);
    expect(await storage.readRevision('portable')).toBe(state.revision);
    expect(await storage.readRevision('nobody')).toBeNull();
    expect(await new FileSessionStorage(tempDir()).readRevision('nobody')).toBeNull();
  });

  it('sees the saves of other processes', async () => {
    requireBuiltPackage();
    const root = tempDir();
    const child = startFixture('turn-writer.mjs', [root, 'shared', 'w1', '5']);
    expect(await child.exited, child.stderr()).toBe(0);
    const storage = new FileSessionStorage(root);
    expect(await storage.readRevision('shared')).toBe((await storage.load('shared')).revision);
    expect(await storage.readRevision('shared')).toBe(5);
  }, 30_000);
});

describe('peekLease', () => {
  it('shows the lease another process holds without taking it, and null once it is released', async () => {
    requireBuiltPackage();
    const root = tempDir();
    const storage = new FileSessionStorage(root);
    expect(await storage.peekLease('held')).toBeNull();
    const child = startFixture('lease-holder.mjs', [root, 'held', '60000']);
    try {
      const line = await child.waitForLine((l) => l.startsWith('holding '));
      const token = Number(line.slice('holding '.length));
      const seen = await storage.peekLease('held');
      expect(seen?.holder).toBe('child-holder');
      expect(seen?.token).toBe(token);
      expect(seen!.expiresAt.getTime()).toBeGreaterThan(Date.now());
      // Peeking never took it: the holder keeps it, so a lease() with no wait is busy.
      const busy = await storage.lease('held', { ttlMs: 1_000, waitMs: 0 }).catch((e: unknown) => e);
      expect((busy as Error).name).toBe('SessionBusyError');
    } finally {
      child.process.kill('SIGKILL');
      await child.exited;
    }
    // The record outlives its holder's process until it expires.
    expect((await storage.peekLease('held'))?.holder).toBe('child-holder');
  }, 30_000);

  it('null once released, and for an expired lease', async () => {
    const storage = new FileSessionStorage(tempDir());
    const mine = await storage.lease('mine', { ttlMs: 60_000, holder: 'me' });
    expect(await storage.peekLease('mine')).toEqual({
      holder: 'me',
      token: mine.token,
      expiresAt: mine.expiresAt,
    });
    await mine.release();
    expect(await storage.peekLease('mine')).toBeNull();
  });

  it('null for an expired lease', async () => {
    const storage = new FileSessionStorage(tempDir());
    await storage.lease('short', { ttlMs: 1 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await storage.peekLease('short')).toBeNull();
  });
});
