/**
 * Two `channelcoder run --session NAME` processes starting the same new session at once, on one file
 * storage with leases, with the real `claude` CLI and the mock API. Exactly one runs (and pays for) its
 * turn; the other runs nothing and exits 2 naming `--load-session NAME`; the stored session holds the one
 * turn and nothing went to the trash. Whichever way the two meet (both before the name is stored: the
 * second one's create-only first save is refused under the lease; one after: the name holds a session
 * with no answered turn yet, which is not re-run), the outcome is the same.
 */
import { join } from 'node:path';
import { FileSessionStorage } from '@channelcoder/storage-file';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type CliWorld, startCliWorld } from './support/cli-world.js';

vi.setConfig({ testTimeout: 300_000 });

const ROUNDS = 4;

let world: CliWorld;
beforeAll(async () => {
  world = await startCliWorld();
});
afterAll(async () => {
  await world?.close();
});

describe('two commands starting the same new session', () => {
  it('one runs its turn, the other runs nothing and names --load-session; nothing is lost', async () => {
    const dir = join(world.sandbox.root, 'race-sessions');
    const storage = `file://${dir}`;
    for (let round = 0; round < ROUNDS; round++) {
      const name = `race-${round}`;
      world.mock.reset();
      const [a, b] = await Promise.all(
        ['first', 'second'].map((who) =>
          world.cli(['run', `${who} in ${name}`, '--session', name, '--storage', storage]),
        ),
      );
      const results = [a, b].map((r) => ({
        code: r?.code,
        stderr: r?.stderr ?? '',
        stdout: r?.stdout ?? '',
      }));
      const ran = results.filter((r) => r.code === 0);
      const refused = results.filter((r) => r.code !== 0);
      expect(ran, JSON.stringify(results)).toHaveLength(1);
      expect(refused[0]?.code, JSON.stringify(results)).toBe(2);
      expect(refused[0]?.stderr).toContain(`--load-session ${name}`);
      expect(refused[0]?.stdout).toBe('');
      // One paid turn reached Claude, and it is the one stored.
      expect(world.mock.messageRequests()).toHaveLength(1);
      const stored = await new FileSessionStorage(dir).load(name);
      const prompts = stored.messages.filter((m) => m.role === 'user').map((m) => m.content);
      expect(prompts).toHaveLength(1);
      expect(ran[0]?.stdout).toContain(prompts[0] as string);
    }
    expect(await new FileSessionStorage(dir).listTrash()).toEqual([]);
  });
});
