import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { StorageUnavailableError } from '@channelcoder/session-core';
import { afterEach, describe, expect, it } from 'vitest';
import { FileSessionStorage } from '../src/index.js';
import { requireBuiltPackage } from './child-process.js';
import { stateWith, useTempDirs } from './helpers.js';

const tempDir = useTempDirs();
const running: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const child of running.splice(0)) child.kill('SIGKILL');
});

function plantLock(root: string, name: string, owner: { pid: number; host: string; nonce: string }): string {
  mkdirSync(join(root, '.locks'), { recursive: true });
  const path = join(root, '.locks', `${name}.lock`);
  writeFileSync(path, JSON.stringify(owner));
  return path;
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

function livePid(): number {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  running.push(child);
  return child.pid!;
}

describe('FileSessionStorage writer locks', () => {
  it('removes its lock after every save and remove', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage(root);
    await storage.save(stateWith(1), 'a');
    await storage.remove('a');
    expect(readdirSync(join(root, '.locks'))).toEqual([]);
  });

  it('breaks the lock of a writer that died (killed mid-save) and saves', async () => {
    const root = tempDir();
    plantLock(root, 'orphan', { pid: await deadPid(), host: hostname(), nonce: 'dead' });
    const storage = new FileSessionStorage({ dir: root, lockTimeoutMs: 5_000 });
    expect(await storage.save(stateWith(1), 'orphan')).toBe('orphan');
    expect(readdirSync(join(root, '.locks'))).toEqual([]);
  });

  it('breaks a lock carrying this process id but not held by it (a restarted container reusing the pid)', async () => {
    const root = tempDir();
    plantLock(root, 'reused', { pid: process.pid, host: hostname(), nonce: 'previous-life' });
    const storage = new FileSessionStorage({ dir: root, lockTimeoutMs: 5_000 });
    expect(await storage.save(stateWith(1), 'reused')).toBe('reused');
  });

  it('waits for a live writer and fails with StorageUnavailableError naming the lock when it never lets go', async () => {
    const root = tempDir();
    const lock = plantLock(root, 'busy', { pid: livePid(), host: hostname(), nonce: 'alive' });
    const storage = new FileSessionStorage({ dir: root, lockTimeoutMs: 300 });
    const err = await storage.save(stateWith(1), 'busy').catch((e: unknown) => e);
    expect(StorageUnavailableError.is(err), String(err)).toBe(true);
    expect((err as Error).message).toContain(lock);
    expect(await storage.exists('busy')).toBe(false);
  });

  it('trusts a lock from another host until it is older than staleLockMs', async () => {
    const root = tempDir();
    plantLock(root, 'shared-fs', { pid: 1, host: 'some-other-host', nonce: 'remote' });
    const patient = new FileSessionStorage({ dir: root, lockTimeoutMs: 200, staleLockMs: 60_000 });
    expect(
      StorageUnavailableError.is(await patient.save(stateWith(1), 'shared-fs').catch((e: unknown) => e)),
    ).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const impatient = new FileSessionStorage({ dir: root, lockTimeoutMs: 2_000, staleLockMs: 10 });
    expect(await impatient.save(stateWith(1), 'shared-fs')).toBe('shared-fs');
  });

  it('serializes concurrent saves of one process: exactly one wins per revision', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage(root);
    const states = Array.from({ length: 8 }, () => stateWith(2, 'race'));
    const results = await Promise.allSettled(states.map((s) => storage.save(s)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((await storage.load('race')).revision).toBe(1);
  });

  it('knows its locks across copies of the package in one process (ESM and CJS builds side by side)', async () => {
    requireBuiltPackage();
    const cjs = createRequire(import.meta.url)('../dist/index.cjs') as {
      FileSessionStorage: typeof FileSessionStorage;
    };
    const root = tempDir();
    const copies = [new FileSessionStorage(root), new cjs.FileSessionStorage(root)];
    for (let round = 0; round < 20; round++) {
      const results = await Promise.allSettled(
        copies.map((storage) => storage.save(stateWith(1), `dual-${round}`)),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    }
  });
});
