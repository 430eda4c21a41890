import type { SessionState } from '@channelcoder/session-core';
import { serializeState } from '@channelcoder/session-core/storage-kit';
import { addMessages, makeState } from '@channelcoder/storage-conformance';
import { describe, expect, it } from 'vitest';
import { headText, readStoredHead, type StoredHead } from '../src/head-record.js';
import type { PartRef } from '../src/keys.js';
import { planParts } from '../src/part-plan.js';

/** The head a save of `state` with these parts would have stored. */
function storedAs(state: SessionState, parts: PartRef[]): StoredHead {
  return readStoredHead('s', headText(state, state.revision, parts, 'w'), '"etag"', 'test');
}

const ids = (messages: { id: string }[] | undefined) => (messages ?? []).map((m) => m.id);
const part = (seq: number, count: number): PartRef => ({
  id: `${String(seq).padStart(10, '0')}-0000000${seq}`,
  count,
});

describe('planParts (what a save uploads)', () => {
  it('puts every message of a new session in one part', () => {
    const state = makeState({ messages: 3 });
    const plan = planParts(undefined, state, 1, 16);
    expect(plan.parts).toEqual([{ id: expect.stringMatching(/^0000000001-[0-9a-f]{8}$/), count: 3 }]);
    expect(ids(plan.newPart?.messages)).toEqual(ids(state.messages));
    expect(plan.replacesParts).toBe(false);
  });

  it('appends only the new messages as one more part', () => {
    const state = makeState({ messages: 2 });
    state.revision = 1;
    const stored = storedAs(state, [part(1, 2)]);
    addMessages(state, 3);
    const plan = planParts(stored, state, 2, 16);
    expect(plan.parts.map((p) => p.count)).toEqual([2, 3]);
    expect(plan.parts[0]).toEqual(part(1, 2));
    expect(ids(plan.newPart?.messages)).toEqual(ids(state.messages.slice(2)));
    expect(plan.replacesParts).toBe(false);
  });

  it('uploads no part for a head-only change', () => {
    const state = makeState({ messages: 2 });
    state.revision = 1;
    const plan = planParts(storedAs(state, [part(1, 2)]), state, 2, 16);
    expect(plan).toEqual({ parts: [part(1, 2)], replacesParts: false });
  });

  it('rewrites everything into one part after clear() and drops the stored parts', () => {
    const state = makeState({ messages: 4 });
    state.revision = 2;
    const stored = storedAs(state, [part(1, 2), part(2, 2)]);
    state.messages = makeState({ messages: 1 }).messages;
    const plan = planParts(stored, state, 3, 16);
    expect(plan.parts.map((p) => p.count)).toEqual([1]);
    expect(ids(plan.newPart?.messages)).toEqual(ids(state.messages));
    expect(plan.replacesParts).toBe(true);
  });

  it('compacts into one part once the parts would pass the threshold', () => {
    const state = makeState({ messages: 3 });
    state.revision = 3;
    const stored = storedAs(state, [part(1, 1), part(2, 1), part(3, 1)]);
    addMessages(state, 1);
    const plan = planParts(stored, state, 4, 3);
    expect(plan.parts).toEqual([{ id: expect.stringMatching(/^0000000004-/), count: 4 }]);
    expect(ids(plan.newPart?.messages)).toEqual(ids(state.messages));
    expect(plan.replacesParts).toBe(true);
  });

  it('moves the messages of an inline document into a part', () => {
    const state = makeState({ messages: 2 });
    state.revision = 1;
    const inline = readStoredHead('s', serializeState(state), '"etag"', 'test');
    addMessages(state, 1);
    const plan = planParts(inline, state, 2, 16);
    expect(plan.parts.map((p) => p.count)).toEqual([3]);
    expect(plan.replacesParts).toBe(false);
  });
});
