import { join } from 'node:path';
import { createSessionState, recordTurn } from '@channelcoder/session-core';
import { FileSessionStorage } from '@channelcoder/storage-file';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliWorld, startCliWorld } from './support/cli-world.js';

describe('session list and a failed transcript mirror', () => {
  let world: CliWorld;
  beforeAll(async () => {
    world = await startCliWorld();
    const storage = new FileSessionStorage(join(world.channelcoderHome, 'sessions'));
    for (const [name, failed] of [
      ['mirrored', false],
      ['not-mirrored', true],
    ] as const) {
      const state = recordTurn(createSessionState({ name }), {
        prompt: 'hello',
        result: { sessionId: `0000000${failed ? 1 : 2}-0000-4000-8000-000000000000`, text: 'hi' },
      });
      if (failed) state.metadata.transcriptError = 'STORAGE_UNAVAILABLE: connection reset';
      await storage.save(state);
    }
  });
  afterAll(async () => {
    await world.close();
  });

  it('marks the session in the table, says why under it, and keeps the field in --json', async () => {
    const r = await world.cli(['session', 'list']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.find((l) => l.startsWith('not-mirrored '))).toMatch(
      /00000001-[0-9a-f-]+ \(transcript not mirrored\)$/,
    );
    expect(lines.find((l) => l.startsWith('mirrored '))).not.toContain('transcript not mirrored');
    expect(r.stdout).toContain(
      'not-mirrored: the last transcript mirror failed (STORAGE_UNAVAILABLE: connection reset); the next turn retries it.',
    );
    const json = JSON.parse((await world.cli(['session', 'list', '--json'])).stdout) as Array<{
      name: string;
      transcriptError?: string;
    }>;
    expect(json.find((i) => i.name === 'not-mirrored')?.transcriptError).toBe(
      'STORAGE_UNAVAILABLE: connection reset',
    );
    expect(json.find((i) => i.name === 'mirrored')?.transcriptError).toBeUndefined();
  });
});
