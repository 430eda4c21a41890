/**
 * A fleet of workers: separate connections and storage objects continuing one session. Every round, each
 * worker loads, adds a turn and saves; per revision exactly one wins, the others get SessionConflictError,
 * and no winner's turn is ever lost or interleaved.
 */
import { SessionConflictError } from '@channelcoder/session-core';
import { addMessages, makeState } from '@channelcoder/storage-conformance';
import { afterAll, expect, inject, it } from 'vitest';
import { RedisSessionStorage } from '../src/index.js';
import { connect, deletePrefix, uniquePrefix } from './support/fixtures.js';

const WORKERS = 6;
const ROUNDS = 15;
const clients = Array.from({ length: WORKERS }, () => connect(inject('redisUrl')));
const prefix = uniquePrefix('workers');

afterAll(async () => {
  await deletePrefix(clients[0]!, prefix);
  await Promise.all(clients.map((c) => c.quit()));
});

it(`${WORKERS} workers on their own connections: one winner per revision, no lost turn`, async () => {
  const workers = clients.map((client) => new RedisSessionStorage({ client, prefix, ttlSeconds: 600 }));
  await workers[0]!.save(makeState({ messages: 2 }), 'shared');
  const winners: string[][] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const states = await Promise.all(workers.map((w) => w.load('shared')));
    for (const s of states) addMessages(s, 2);
    const results = await Promise.allSettled(workers.map((w, i) => w.save(states[i]!, 'shared')));
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(won).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect(SessionConflictError.is(r.reason), String(r.reason)).toBe(true);
    }
    winners.push(states[won[0]!]!.messages.slice(-2).map((m) => m.id));
  }
  const final = await workers[WORKERS - 1]!.load('shared');
  expect(final.revision).toBe(1 + ROUNDS);
  expect(final.messages.slice(2).map((m) => m.id)).toEqual(winners.flat());
  const [info] = await workers[0]!.list();
  expect(info?.messageCount).toBe(2 + 2 * ROUNDS);
});
