/** toAgentSessionStore over every real backend: the Agent SDK SessionStore contract's edge cases. */
import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { toAgentSessionStore } from '@channelcoder/session-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Backend, type BackendKind, openBackend } from './support/backends.js';

const run = promisify(execFile);
const WRITER = fileURLToPath(new URL('./support/bridge-writer.mjs', import.meta.url));
const CHURN = fileURLToPath(new URL('./support/subpath-churn.mjs', import.meta.url));

const KEY = { projectKey: '-srv-app', sessionId: '7d3f0c1a-2b4e-4f6a-8c9d-0e1f2a3b4c5d' };
const E = (uuid: string) => ({
  type: 'assistant',
  uuid,
  message: { content: [{ type: 'text', text: `é ${uuid} 🚀` }] },
});

describe.each<BackendKind>(['redis', 's3', 'postgresql', 'file'])('Agent SDK sessionStore on %s', (kind) => {
  let backend: Backend;
  beforeEach(() => {
    backend = openBackend(kind);
  });
  afterEach(async () => {
    await backend.destroy();
  });

  it('null for unknown keys, order across appends and processes, subpaths apart, cascading delete, mtime in ms', async () => {
    const store = toAgentSessionStore(await backend.open());
    const other = toAgentSessionStore(await backend.open());
    expect(await store.load(KEY)).toBeNull();
    const before = Date.now();
    await store.append(KEY, [E('1'), E('2')]);
    await other.append(KEY, [E('3')]);
    await store.append(KEY, [E('4')]);
    await store.append({ ...KEY, subpath: 'subagents/agent-a' }, [E('sub')]);
    expect(await other.load(KEY)).toEqual(['1', '2', '3', '4'].map(E));
    expect(await other.load({ ...KEY, subpath: 'subagents/agent-a' })).toEqual([E('sub')]);
    expect(await other.load({ ...KEY, subpath: 'subagents/none' })).toBeNull();
    expect(await other.listSubkeys(KEY)).toEqual(['subagents/agent-a']);
    const [listed] = await other.listSessions(KEY.projectKey);
    expect(listed?.sessionId).toBe(KEY.sessionId);
    expect(listed?.mtime).toBeGreaterThanOrEqual(before - 1000);
    expect(listed?.mtime).toBeLessThanOrEqual(Date.now() + 1000);
    await other.delete?.(KEY);
    expect(await store.load(KEY)).toBeNull();
    expect(await store.load({ ...KEY, subpath: 'subagents/agent-a' })).toBeNull();
    expect(await store.listSessions(KEY.projectKey)).toEqual([]);
  });

  it('bridge race: 4 processes × 60 entries, each appending one at a time: 240 stored, 0 lost, 0 duplicated, each writer in order', async () => {
    const writers = ['w0', 'w1', 'w2', 'w3'];
    await Promise.all(
      writers.map((label) =>
        run(process.execPath, [WRITER, JSON.stringify(backend.spec), JSON.stringify(KEY), label, '60'], {
          timeout: 240_000,
        }),
      ),
    );
    const stored = (await toAgentSessionStore(await backend.open()).load(KEY)) ?? [];
    const uuids = stored.map((e) => e.uuid as string);
    expect(stored).toHaveLength(240);
    expect(new Set(uuids).size).toBe(240);
    for (const label of writers) {
      const mine = stored.filter((e) => e.writer === label).map((e) => e.n);
      expect(mine).toEqual(Array.from({ length: 60 }, (_, i) => i));
    }
  }, 300_000);

  it('subpath deletion killed at any point (SIGKILL × 5) never loses the main transcript', async () => {
    const store = toAgentSessionStore(await backend.open());
    const main = ['m1', 'm2', 'm3'].map(E);
    await store.append(KEY, main);
    for (let kill = 0; kill < 5; kill++) {
      const child = spawn(
        process.execPath,
        [CHURN, JSON.stringify(backend.spec), JSON.stringify(KEY), `k${kill}`],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      // Killed after a varying number of completed deletes: each cycle's steps are hit at different points.
      const after = 1 + (kill % 3);
      await new Promise<void>((resolve, reject) => {
        let seen = 0;
        child.stdout.on('data', (chunk: Buffer) => {
          seen += chunk.toString().split('\n').length - 1;
          if (seen >= after) {
            setTimeout(() => child.kill('SIGKILL'), kill * 7);
            resolve();
          }
        });
        child.on('exit', (code) => {
          if (seen < after) reject(new Error(`churn exited ${code} early: ${stderr}`));
        });
      });
      await new Promise((resolve) => child.on('close', resolve));
      const reopened = toAgentSessionStore(await backend.open());
      expect(await reopened.load(KEY)).toEqual(main);
      expect((await reopened.listSessions(KEY.projectKey)).map((s) => s.sessionId)).toEqual([KEY.sessionId]);
      // Whatever subpath the kill left behind is still whole or gone, and deletable.
      for (const subpath of await reopened.listSubkeys(KEY)) {
        const lines = await reopened.load({ ...KEY, subpath });
        expect(lines === null || lines.length <= 2).toBe(true);
        await reopened.delete?.({ ...KEY, subpath });
      }
      expect(await reopened.listSubkeys(KEY)).toEqual([]);
    }
    expect(await toAgentSessionStore(await backend.open()).load(KEY)).toEqual(main);
  }, 300_000);
});
