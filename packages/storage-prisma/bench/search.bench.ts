/**
 * Full-text search on PostgreSQL: 10,000 sessions × 20 messages; `search()` (GIN indexes of the
 * `channelcoder_search` migration, candidates checked exactly) vs a naive search that loads every session
 * and greps it (core's `searchByScan`). Targets: >= 20x faster and under 100 ms. Measured in one run.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createSessionState, recordTurn, searchByScan } from '@channelcoder/session-core';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { PrismaSessionStorage } from '../src/index.js';
import { postgresDatabase, type TestDatabase } from '../test/support/databases.js';

const SESSIONS = Number(process.env.BENCH_SEARCH_SESSIONS ?? 10_000);
const MESSAGES = 20;
const WORDS = ['lake', 'river', 'forest', 'mountain', 'desert', 'valley', 'island', 'meadow'];
let db: TestDatabase;
let storage: PrismaSessionStorage;

beforeAll(async () => {
  db = await postgresDatabase(inject('databaseUrl'));
  storage = new PrismaSessionStorage({
    prisma: db.prisma,
    ...(db.schema === undefined ? {} : { schema: db.schema }),
  });
});
afterAll(async () => {
  await db?.destroy();
});

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

it(`search over ${SESSIONS} sessions × ${MESSAGES} messages`, async () => {
  const setup = performance.now();
  // One template session saved through the storage, copied in SQL with each copy's own words (fast setup).
  let template = createSessionState({ name: 'template', now: new Date(Date.UTC(2026, 0, 1)) });
  for (let m = 0; m < MESSAGES / 2; m++) {
    template = recordTurn(template, {
      prompt: `question ${m} about the WORDP number NUMX${m}`,
      result: {
        sessionId: 'c-template',
        text: `an answer mentioning the WORDX, item NUMX-${m}`,
        costUsd: 0.001,
      },
      at: new Date(Date.UTC(2026, 0, 1, 0, 0, m)),
    });
  }
  await storage.save(template, 'template');
  const q = `"${db.schema}".`;
  const words = `ARRAY[${WORDS.map((w) => `'${w}'`).join(',')}]`;
  await db.prisma.$executeRawUnsafe(
    `INSERT INTO ${q}channelcoder_sessions (name, revision, head, created, last_active, message_count, last_message_id, total_cost_usd)
     SELECT 's-' || i, revision, head, created, created + make_interval(secs => i), message_count, last_message_id, total_cost_usd
     FROM ${q}channelcoder_sessions, generate_series(0, ${SESSIONS - 1}) AS i WHERE name = 'template'`,
  );
  await db.prisma.$executeRawUnsafe(
    `INSERT INTO ${q}channelcoder_messages (session_name, sequence, content)
     SELECT 's-' || i, m.sequence,
       replace(replace(replace(m.content, 'WORDX',
         CASE WHEN i = ${4242 % SESSIONS} AND m.sequence = 7 THEN 'the rare quetzal appears' ELSE (${words})[1 + (i + m.sequence) % 8] END),
         'WORDP', (${words})[1 + (i * 7 + m.sequence) % 8]), 'NUMX', i::text)
     FROM ${q}channelcoder_messages m, generate_series(0, ${SESSIONS - 1}) AS i WHERE m.session_name = 'template'`,
  );
  await storage.remove('template');
  const setupS = (performance.now() - setup) / 1000;
  await db.prisma.$executeRawUnsafe(`ANALYZE ${q}channelcoder_messages`);

  const naive = await timed(() => searchByScan(storage, 'rare quetzal'));
  const first = await timed(() => storage.search!('rare quetzal'));
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) runs.push((await timed(() => storage.search!('rare quetzal'))).ms);
  runs.sort((a, b) => a - b);
  const median = runs[2] as number;
  const common = await timed(() => storage.search!('meadow', { limit: 20 }));
  const commonRuns: number[] = [];
  for (let i = 0; i < 5; i++)
    commonRuns.push((await timed(() => storage.search!('meadow', { limit: 20 }))).ms);
  commonRuns.sort((a, b) => a - b);
  const commonMedian = commonRuns[2] as number;
  // For comparison: reading the 20 sessions of the page one by one (each with its transcripts), nothing else.
  const pageOnly = await timed(async () => {
    for (const r of common.value) {
      const state = await storage.load(r.name);
      for (const id of new Set(state.sessionChain)) await storage.loadTranscript?.(r.name, id);
    }
  });
  const commonNaive = await timed(() => searchByScan(storage, 'meadow', { limit: 20 }));
  const shape = (results: { name: string; snippets: unknown }[]) =>
    JSON.stringify(results.map((r) => [r.name, r.snippets]));
  const same = shape(naive.value) === shape(first.value) && shape(commonNaive.value) === shape(common.value);
  process.stdout.write(
    `\n@channelcoder/storage-prisma search on PostgreSQL: ${SESSIONS} sessions × ${MESSAGES} messages (setup ${setupS.toFixed(0)} s)\n` +
      `load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}\n` +
      `  naive: load + grep every session   ${naive.ms.toFixed(0).padStart(8)} ms  1.0\n` +
      `  full-text search (first)           ${first.ms.toFixed(1).padStart(8)} ms  ${(naive.ms / first.ms).toFixed(1)}x\n` +
      `  full-text search (median of 5)     ${median.toFixed(1).padStart(8)} ms  ${(naive.ms / median).toFixed(1)}x\n` +
      `  naive, common word, limit 20       ${commonNaive.ms.toFixed(1).padStart(8)} ms  1.0\n` +
      `  common word, limit 20 (first)      ${common.ms.toFixed(1).padStart(8)} ms  ${(commonNaive.ms / common.ms).toFixed(1)}x  ${common.value.length} hits\n` +
      `  common word, limit 20 (median of 5)${commonMedian.toFixed(1).padStart(8)} ms  ${(commonNaive.ms / commonMedian).toFixed(1)}x\n` +
      `  (reading those 20 one by one)      ${pageOnly.ms.toFixed(1).padStart(8)} ms\n` +
      `  same results as the naive search: ${same}; target: ratio >= 20 and < 100 ms\n\n`,
  );
  expect(same).toBe(true);
});
