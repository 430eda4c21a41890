/**
 * `session search` end to end: conversations run with the real `claude` CLI (mock API) where a word is said
 * only in one answer and one tool result; the same sessions on file storage, Redis, S3 (s3rver) and
 * PostgreSQL (carried there by export/import, transcripts included) give identical result sets. File storage
 * and PostgreSQL answer from their own indexes, Redis and S3 by reading every session.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastToolResult, type PostgresServer, startPostgresServer } from '@channelcoder/testkit';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningS3rver, startS3rver } from '../../storage-s3/test/support/s3rver-launcher.mjs';
import { type CliWorld, startCliWorld } from './support/cli-world.js';

const WORD = 'axolotl';
/** s3rver accepts only this key pair. */
const S3_ENV = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };

interface Result {
  name: string;
  messageCount: number;
  snippets: Array<{ source: string; text: string; matchStart: number; matchEnd: number }>;
}

describe('session search over the same sessions on every storage', () => {
  let world: CliWorld;
  let pg: PostgresServer | undefined;
  let s3: RunningS3rver | undefined;
  const storages: Record<string, string[]> = {};

  beforeAll(async () => {
    world = await startCliWorld({
      reply: (ctx) => {
        if (lastToolResult(ctx.body.messages) !== undefined) return 'Read it.';
        if (ctx.lastUserText === 'read the notes') {
          return [
            { type: 'tool_use', name: 'Read', input: { file_path: join(world.sandbox.cwd, 'notes.txt') } },
          ];
        }
        if (ctx.lastUserText === 'say the word') return `An ${WORD} said this, once.`;
        return `turn ${ctx.userTurns}: ${ctx.lastUserText}`;
      },
    });
    writeFileSync(join(world.sandbox.cwd, 'notes.txt'), `the ${WORD} lives in the lake\n`);
    const run = async (...args: string[]) => {
      const r = await world.cli(args, { env: S3_ENV });
      expect(r.code, r.stderr).toBe(0);
    };
    await run('run', 'hello there', '--session', 'quiet');
    await run('run', 'say the word', '--session', 'spoken');
    await run('run', 'read the notes', '--session', 'tooled', '--allowed-tools', 'Read');

    let base = process.env.CHANNELCODER_TEST_DATABASE_URL;
    if (!base) {
      pg = await startPostgresServer();
      base = pg.url;
    }
    const pgUrl = new URL(base);
    pgUrl.searchParams.set('schema', `cc_search_${randomUUID().replaceAll('-', '').slice(0, 12)}`);
    const redisUrl = new URL(inject('redisUrl'));
    redisUrl.searchParams.set('prefix', `cc-search-${randomUUID().slice(0, 8)}:`);
    s3 = await startS3rver({ enforceConditionalWrites: true });
    const s3Url = `s3://${s3.bucket}/cc-search-${randomUUID().slice(0, 8)}/?endpoint=${encodeURIComponent(s3.endpoint)}`;
    storages.file = [];
    storages.redis = ['--storage', redisUrl.toString()];
    storages.s3 = ['--storage', s3Url];
    storages.postgresql = ['--storage', pgUrl.toString()];
    for (const target of [storages.redis, storages.s3, storages.postgresql]) {
      // Oldest first, so lastActive order (kept by import) matches.
      for (const name of ['quiet', 'spoken', 'tooled']) {
        const file = join(world.sandbox.root, `${name}.json`);
        await run('session', 'export', name, file);
        await run('session', 'import', file, ...target);
      }
    }
  }, 400_000);
  afterAll(async () => {
    await world?.close();
    await pg?.destroy();
    await s3?.stop();
  });

  const search = async (storage: string[], ...args: string[]) => {
    const r = await world.cli(['session', 'search', ...args, ...storage], { env: S3_ENV });
    expect(r.code, r.stderr).toBe(0);
    return r;
  };

  it('finds the answer and the tool result, newest first, with identical result sets everywhere', async () => {
    const sets: Record<string, Result[]> = {};
    for (const [label, storage] of Object.entries(storages)) {
      sets[label] = JSON.parse((await search(storage, WORD, '--json')).stdout) as Result[];
    }
    const file = sets.file as Result[];
    expect(file.map((r) => r.name)).toEqual(['tooled', 'spoken']);
    expect(file[0]?.snippets.map((s) => s.source)).toEqual(['tool_result']);
    expect(file[1]?.snippets.map((s) => s.source)).toEqual(['answer']);
    for (const result of file) {
      for (const s of result.snippets) expect(s.text.slice(s.matchStart, s.matchEnd)).toBe(WORD);
    }
    const shape = (results: Result[]) =>
      results.map((r) => ({ name: r.name, messageCount: r.messageCount, snippets: r.snippets }));
    expect(shape(sets.redis as Result[])).toEqual(shape(file));
    expect(shape(sets.s3 as Result[])).toEqual(shape(file));
    expect(shape(sets.postgresql as Result[])).toEqual(shape(file));
  }, 240_000);

  it('prints the sessions with the match marked; says so when nothing matches; --limit', async () => {
    const table = await search([], WORD.toUpperCase());
    expect(table.stdout).toMatch(/^tooled {2}\S.*\n {2}tool_result 1 the \[axolotl\] lives in the lake/m);
    expect(table.stdout).toMatch(/^spoken {2}\S.*\n {2}answer {6}An \[axolotl\] said this, once\.$/m);
    expect(table.stdout.indexOf('tooled')).toBeLessThan(table.stdout.indexOf('spoken'));
    expect((await search([], 'platypus')).stdout).toMatch(/^No session in .* mentions "platypus"\.\n$/);
    expect(JSON.parse((await search([], WORD, '--limit', '1', '--json')).stdout)).toHaveLength(1);
    const none = await world.cli(['session', 'search']);
    expect(none.code).toBe(2);
  });
});
