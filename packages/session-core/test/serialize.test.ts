import { describe, expect, it } from 'vitest';
import {
  createSessionState,
  FORMAT_VERSION,
  recordTurn,
  SessionCorruptError,
  UnsupportedFormatError,
} from '../src/index.js';
import {
  assembleState,
  deserializeState,
  fromWireHead,
  serializeState,
  sessionInfoFromHead,
  toWireHead,
  toWireMessage,
} from '../src/storage-kit.js';

function sample() {
  let state = createSessionState({
    name: 'sample',
    cwd: '/work',
    tags: ['t'],
    now: new Date('2026-01-01T00:00:00Z'),
  });
  state = recordTurn(state, {
    prompt: 'hello ✨\u2028',
    result: {
      sessionId: 'id-1',
      text: 'hi',
      totalCostUsd: 0.5,
      inputTokens: 3,
      outputTokens: 4,
      durationMs: 10,
    },
    at: new Date('2026-01-01T00:00:01Z'),
  });
  return state;
}

function corruptField(input: unknown): string {
  try {
    deserializeState(input, { name: 'x', location: '/tmp/x.json' });
  } catch (err) {
    if (SessionCorruptError.is(err)) return err.field;
    throw err;
  }
  throw new Error('expected SessionCorruptError');
}

describe('serializeState / deserializeState', () => {
  it('round-trips with dates revived as Date', () => {
    const state = sample();
    const text = serializeState(state);
    expect(JSON.parse(text).metadata.created).toBe('2026-01-01T00:00:00.000Z');
    const back = deserializeState(text, { name: 'sample' });
    expect(back).toEqual(state);
    expect(back.messages[0]?.timestamp).toBeInstanceOf(Date);
  });

  it('accepts an already-parsed value with Date objects (states from seed-style storages)', () => {
    const state = sample();
    expect(deserializeState(structuredClone(state), { name: 'sample' })).toEqual(state);
  });

  it('names the first bad field', () => {
    const wire = JSON.parse(serializeState(sample()));
    expect(corruptField('{"trunc')).toBe('(document)');
    expect(corruptField({ ...wire, messages: 'nope' })).toBe('messages');
    expect(corruptField({ ...wire, metadata: { ...wire.metadata, created: 'yesterday' } })).toBe(
      'metadata.created',
    );
    const badMsg = structuredClone(wire);
    badMsg.messages[1].role = 'system';
    expect(corruptField(badMsg)).toBe('messages[1].role');
    const badTs = structuredClone(wire);
    badTs.messages[0].timestamp = '2026-13-45T99:00:00Z';
    expect(corruptField(badTs)).toBe('messages[0].timestamp');
    expect(corruptField({ ...wire, revision: -1 })).toBe('revision');
    expect(corruptField({ ...wire, usage: { ...wire.usage, totalCostUsd: 'free' } })).toBe(
      'usage.totalCostUsd',
    );
  });

  it('says where the corrupt data lives', () => {
    expect(() => deserializeState('not json', { name: 'n', location: '/data/n.json' })).toThrow(
      /\/data\/n\.json/,
    );
  });

  it('refuses a newer format with UnsupportedFormatError', () => {
    const wire = { ...JSON.parse(serializeState(sample())), formatVersion: FORMAT_VERSION + 1 };
    const err = (() => {
      try {
        deserializeState(wire, { name: 'future' });
      } catch (e) {
        return e;
      }
    })();
    expect(UnsupportedFormatError.is(err)).toBe(true);
    expect((err as UnsupportedFormatError).formatVersion).toBe(FORMAT_VERSION + 1);
  });

  it('upgrades the seed-era format 0: ids, revision 1, ledger from the turns', () => {
    const legacy = {
      sessionChain: ['a', 'b'],
      currentSessionId: 'b',
      messages: [
        { role: 'user', content: 'q', timestamp: '2025-01-01T00:00:00Z', sessionId: 'a' },
        { role: 'assistant', content: 'r', timestamp: '2025-01-01T00:00:01Z', sessionId: 'b' },
      ],
      metadata: { name: 'old', created: '2025-01-01T00:00:00Z', lastActive: '2025-01-01T00:00:01Z' },
    };
    const state = deserializeState(JSON.stringify(legacy), { name: 'old' });
    expect(state.formatVersion).toBe(1);
    expect(state.revision).toBe(1);
    expect(state.messages.map((m) => m.id)).toEqual(['legacy-0', 'legacy-1']);
    expect(state.usage.turns).toBe(1);
    expect(state.currentSessionId).toBe('b');
    expect(JSON.parse(serializeState(state)).formatVersion).toBe(1);
  });
});

describe('head + messages (incremental adapters)', () => {
  it('assembles the same state from a head and its messages', () => {
    const state = sample();
    const head = JSON.stringify(toWireHead(state));
    const messages = state.messages.map((m) => JSON.stringify(toWireMessage(m)));
    expect(assembleState(head, messages, { name: 'sample' })).toEqual(state);
    const info = fromWireHead(head, { name: 'sample' });
    expect(info.messageCount).toBe(2);
    expect(info.lastMessageId).toBe(state.messages[1]?.id);
    expect(info.metadata.lastActive).toBeInstanceOf(Date);
  });

  it('reads message timestamps exactly as new Date() does, in every form', () => {
    const state = sample();
    const texts = [
      '2026-01-01T00:00:00.000Z',
      '2026-12-31T23:59:59.999Z',
      '1999-02-28T12:00:00.500Z',
      '2024-02-29T00:00:00.000Z', // a leap day
      '2026-02-30T00:00:00.000Z', // rolls into March, as new Date() does
      '2026-04-31T10:00:00.000Z',
      '2026-01-01T24:00:00.000Z', // the end of the day
      '0050-01-01T00:00:00.000Z', // a two-digit year is not 1950
      '2026-01-01T00:00:00Z',
      '2026-01-01T00:00:00.000+02:00',
      '2026-01-01T00:00:00.123456Z',
    ];
    const two = (n: number) => String(n).padStart(2, '0');
    for (let year = 1000; year <= 9999; year += 997)
      for (let month = 1; month <= 12; month++)
        texts.push(
          `${year}-${two(month)}-${two(((month * 5) % 28) + 1)}T${two(month + 11)}:${two(month * 4)}:${two(59 - month)}.${String(month * 83).padStart(3, '0')}Z`,
        );
    const base = toWireMessage(state.messages[0]!);
    const messages = texts.map((timestamp, i) => JSON.stringify({ ...base, id: `m${i}`, timestamp }));
    const head = JSON.stringify({ ...toWireHead(state), messageCount: texts.length });
    const loaded = assembleState(head, messages, { name: 'dates' });
    expect(loaded.messages.map((m) => m.timestamp.getTime())).toEqual(
      texts.map((t) => new Date(t).getTime()),
    );
    expect(() =>
      assembleState(
        JSON.stringify({ ...toWireHead(state), messageCount: 1 }),
        [JSON.stringify({ ...base, timestamp: '2026-13-01T00:00:00.000Z' })],
        {
          name: 'bad',
        },
      ),
    ).toThrow(/timestamp/);
  });

  it('reads every message shape the same from text, from parsed values, and from values handed over', () => {
    const state = sample();
    const at = '2026-03-04T05:06:07.089Z';
    const date = new Date(at);
    const base = { id: 'm', role: 'user', content: 'c', timestamp: at, sessionId: 's' };
    // [stored message, the message a load must return]
    const cases: [Record<string, unknown>, Record<string, unknown>][] = [
      [base, { ...base, timestamp: date }],
      [
        {
          ...base,
          role: 'assistant',
          turn: { costUsd: 0.5, durationMs: 9, inputTokens: 1, outputTokens: 2 },
        },
        {
          ...base,
          role: 'assistant',
          timestamp: date,
          turn: { costUsd: 0.5, durationMs: 9, inputTokens: 1, outputTokens: 2 },
        },
      ],
      [
        {
          ...base,
          turn: { costUsd: 0, isError: true, error: 'boom', interrupted: true, costUnknown: false },
        },
        {
          ...base,
          timestamp: date,
          turn: { costUsd: 0, isError: true, error: 'boom', interrupted: true, costUnknown: false },
        },
      ],
      [
        { ...base, turn: { costUsd: 1, outputTokens: null, error: null } },
        { ...base, timestamp: date, turn: { costUsd: 1 } },
      ],
      [
        { ...base, turn: { costUsd: 1, later: 'x' } },
        { ...base, timestamp: date, turn: { costUsd: 1 } },
      ],
      [
        { ...base, turn: null },
        { ...base, timestamp: date },
      ],
      [
        { ...base, recovered: true },
        { ...base, timestamp: date, recovered: true },
      ],
      [
        { ...base, recovered: false },
        { ...base, timestamp: date },
      ],
      [
        { ...base, later: 1 },
        { ...base, timestamp: date },
      ],
      [
        { sessionId: 's', timestamp: at, content: 'c', role: 'user', id: 'm' },
        { ...base, timestamp: date },
      ],
      [
        { ...base, timestamp: '2026-03-04T05:06:07Z' },
        { ...base, timestamp: new Date('2026-03-04T05:06:07Z') },
      ],
    ];
    const stored = cases.map(([message], i) => JSON.stringify({ ...message, id: `m${i}` }));
    const expected = cases.map(([, message], i) => ({ ...message, id: `m${i}` }));
    const head = JSON.stringify({ ...toWireHead(state), messageCount: cases.length });
    const ctx = { name: 'shapes' };
    expect(assembleState(head, stored, ctx).messages).toStrictEqual(expected);

    // Parsed values the caller keeps are copied, never changed.
    const kept = stored.map((text) => JSON.parse(text));
    expect(assembleState(head, kept, ctx).messages).toStrictEqual(expected);
    expect(kept).toStrictEqual(stored.map((text) => JSON.parse(text)));

    // Values handed over give the same state; a message in the written form becomes the loaded one.
    const owned = stored.map((text) => JSON.parse(text));
    const loaded = assembleState(head, owned, ctx, { ownedMessages: true });
    expect(loaded.messages).toStrictEqual(expected);
    expect(loaded.messages[0]).toBe(owned[0]);

    // The whole document parsed from text reads the same.
    const doc = JSON.parse(serializeState(state));
    doc.messages = stored.map((text) => JSON.parse(text));
    expect(deserializeState(JSON.stringify(doc), ctx).messages).toStrictEqual(expected);
  });

  it('reads the timestamps of long sessions in order, every form among them', () => {
    const state = sample();
    const base = toWireMessage(state.messages[0]!);
    const texts = Array.from({ length: 5_000 }, (_, i) => {
      const t = new Date(Date.UTC(2026, 0, 1) + i * 997_531).toISOString();
      if (i % 7 === 3) return `${t.slice(0, 19)}+01:00`; // not the toISOString form: new Date reads it
      if (i % 11 === 5) return t.replace(/-\d\dT/, '-31T'); // a day some months lack
      return t;
    });
    const messages = texts.map((timestamp, i) => JSON.stringify({ ...base, id: `m${i}`, timestamp }));
    const head = JSON.stringify({ ...toWireHead(state), messageCount: texts.length });
    const loaded = assembleState(head, messages, { name: 'long' });
    expect(loaded.messages.map((m) => m.timestamp.getTime())).toEqual(
      texts.map((t) => new Date(t).getTime()),
    );
  });

  it('never reads a timestamp with a non-ASCII character as digits', () => {
    const state = sample();
    const base = toWireMessage(state.messages[0]!);
    // U+0130 and U+0660 (ARABIC-INDIC ZERO) are not digits, whatever their low byte.
    for (const timestamp of ['2026-01-01T00:00:0\u0130.000Z', '2026-01-01T00:00:00.00\u0660Z']) {
      expect(timestamp).toHaveLength(24);
      const messages = [JSON.stringify(base), JSON.stringify({ ...base, id: 'x', timestamp })];
      const head = JSON.stringify({ ...toWireHead(state), messageCount: 2 });
      expect(() => assembleState(head, messages, { name: 'odd' })).toThrow(/messages\[1\]\.timestamp/);
    }
  });

  it('treats a head whose messageCount disagrees with the messages as corrupt (a torn write)', () => {
    const state = sample();
    const head = JSON.stringify(toWireHead(state));
    const one = [JSON.stringify(toWireMessage(state.messages[0]!))];
    expect(() => assembleState(head, one, { name: 'torn' })).toThrow(/has 1 entries but the head records 2/);
  });
});

describe('metadata.transcriptError (portable sessions: a failed transcript mirror)', () => {
  it('round-trips through the whole document and the head, reaches the listing entry, and is optional', () => {
    const state = sample();
    expect(JSON.parse(serializeState(state)).metadata).not.toHaveProperty('transcriptError');
    state.metadata.transcriptError = 'storage down';
    const back = deserializeState(serializeState(state), { name: 'sample' });
    expect(back.metadata.transcriptError).toBe('storage down');
    const head = fromWireHead(JSON.stringify(toWireHead(state)), { name: 'sample' });
    expect(head.metadata.transcriptError).toBe('storage down');
    expect(sessionInfoFromHead(head, { name: 'sample', path: 'p' }).transcriptError).toBe('storage down');
  });

  it('is validated like any field', () => {
    const doc = JSON.parse(serializeState(sample()));
    doc.metadata.transcriptError = 42;
    expect(corruptField(doc)).toBe('metadata.transcriptError');
  });
});

describe('metadata.runOptions (sticky run options)', () => {
  it('round-trips, and a document without it (written before it existed) loads unchanged', () => {
    const state = sample();
    const old = serializeState(state);
    expect(JSON.parse(old).metadata).not.toHaveProperty('runOptions');
    expect(deserializeState(old, { name: 'sample' })).toEqual(state);
    state.metadata.runOptions = {
      model: 'opus',
      allowedTools: ['Read', 'Bash(git log:*)'],
      permissionMode: 'plan',
      worktree: { branch: 'feature/x', path: '/code/app-feature-x', repository: '/code/app' },
      docker: { image: 'scanner', mounts: ['/d:/d:ro'], envNames: ['LEVEL'] },
    };
    expect(deserializeState(serializeState(state), { name: 'sample' })).toEqual(state);
    const head = fromWireHead(JSON.stringify(toWireHead(state)), { name: 'sample' });
    expect(head.metadata.runOptions).toEqual(state.metadata.runOptions);
  });

  it('is validated like any field', () => {
    const doc = JSON.parse(serializeState(sample()));
    doc.metadata.runOptions = { worktree: { branch: 'b', path: 3, repository: '/r' } };
    expect(corruptField(doc)).toBe('metadata.runOptions.worktree.path');
    doc.metadata.runOptions = { docker: { envNames: 'LEVEL' } };
    expect(corruptField(doc)).toBe('metadata.runOptions.docker.envNames');
  });
});
