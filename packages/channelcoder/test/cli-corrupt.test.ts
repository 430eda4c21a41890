/** A corrupt session is listed with its error, fails loudly when used (exit 3), and can always be removed. */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type CliWorld, startCliWorld } from './support/cli-world.js';

let world: CliWorld;
beforeAll(async () => {
  world = await startCliWorld();
});
afterAll(async () => {
  await world?.close();
});

const backends = [
  {
    label: 'file storage',
    setup: () => ({
      args: [] as string[],
      corrupt: async (name: string) => {
        writeFileSync(
          join(world.channelcoderHome, 'sessions', name, 'head.json'),
          '{"formatVersion": 1, "trunc',
        );
      },
    }),
  },
  {
    label: 'Redis',
    setup: () => {
      const prefix = `cc-cli-corrupt-${randomUUID().slice(0, 8)}:`;
      const url = new URL(inject('redisUrl'));
      url.searchParams.set('prefix', prefix);
      return {
        args: ['--storage', url.toString()],
        corrupt: async (name: string) => {
          const client = new Redis(inject('redisUrl'));
          try {
            await client.set(`${prefix}{${name}}:head`, 'not json at all');
          } finally {
            client.disconnect();
          }
        },
      };
    },
  },
];

describe.each(backends)('a corrupt session on the $label', ({ setup }) => {
  it('is listed with its error, refuses to load with exit 3, and is removed with --yes', async () => {
    const { args, corrupt } = setup();
    const created = await world.cli(['run', 'hello', '--session', 'broken', ...args]);
    expect(created.code, created.stderr).toBe(0);
    await world.cli(['run', 'hello', '--session', 'healthy', ...args]);
    await corrupt('broken');

    const list = await world.cli(['session', 'list', ...args]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/\nbroken\s+\?\s+.*corrupt: /);
    expect(list.stdout).toMatch(/\nhealthy\s+2\s+/);

    const show = await world.cli(['session', 'show', 'broken', ...args]);
    expect(show.code).toBe(3);
    expect(show.stderr).toContain('"broken"');
    expect(show.stderr).toContain('is corrupt');
    const resume = await world.cli(['run', '-p', 'more', '--load-session', 'broken', ...args]);
    expect(resume.code).toBe(3);

    const refused = await world.cli(['run', 'again', '--session', 'broken', ...args]);
    expect(refused.code).toBe(2);

    const removed = await world.cli(['session', 'remove', 'broken', '--yes', ...args]);
    expect(removed.code, removed.stderr).toBe(0);
    const after = JSON.parse((await world.cli(['session', 'list', '--json', ...args])).stdout) as Array<{
      name: string;
    }>;
    expect(after.map((i) => i.name)).toEqual(['healthy']);

    // --force starts a corrupt session over too.
    await world.cli(['run', 'hello', '--session', 'broken-again', ...args]);
    await corrupt('broken-again');
    const forced = await world.cli(['run', 'Fresh', '--session', 'broken-again', '--force', ...args]);
    expect(forced.code, forced.stderr).toBe(0);
    const shown = JSON.parse(
      (await world.cli(['session', 'show', 'broken-again', '--json', ...args])).stdout,
    );
    expect(shown.messages.map((m: { content: string }) => m.content)).toEqual(['Fresh', 'turn 1: Fresh']);
  });
});
