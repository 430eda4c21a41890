import { describe, expect, it } from 'vitest';
import {
  CapabilityError,
  ChannelCoderError,
  clearSession,
  createSessionState,
  InvalidArgumentError,
  recordTurn,
  SessionConflictError,
  SessionNotFoundError,
  type SessionStorage,
  storageCapabilities,
} from '../src/index.js';
import {
  assertRevision,
  decodeListCursor,
  encodeListCursor,
  planMessageWrite,
  requireCapability,
  resolveSaveName,
} from '../src/storage-kit.js';

const twoTurns = () =>
  [1, 2].reduce(
    (s, i) => recordTurn(s, { prompt: `p${i}`, result: { sessionId: 'x', text: 't' } }),
    createSessionState({ name: 'n' }),
  );

describe('save planning', () => {
  it('resolves the save name and writes it back', () => {
    const s = createSessionState();
    const name = resolveSaveName(s);
    expect(s.metadata.name).toBe(name);
    expect(resolveSaveName(s)).toBe(name);
    expect(resolveSaveName(s, 'explicit.json')).toBe('explicit');
    expect(s.metadata.name).toBe('explicit');
  });

  it('allows a save only on the stored revision', () => {
    const s = createSessionState();
    expect(() => assertRevision('n', undefined, s)).not.toThrow();
    expect(() => assertRevision('n', 0, s)).not.toThrow();
    expect(() => assertRevision('n', 1, s)).toThrow(SessionConflictError);
    s.revision = 2;
    expect(() => assertRevision('n', undefined, s)).toThrow(/revision 0 is stored/);
    expect(() => assertRevision('n', 2, s)).not.toThrow();
  });

  it('appends after the stored tail and rewrites after clear()', () => {
    const s = twoTurns();
    const stored = { messageCount: 2, lastMessageId: s.messages[1]!.id };
    expect(planMessageWrite(undefined, s)).toEqual({ mode: 'append', from: 0 });
    expect(planMessageWrite(stored, s)).toEqual({ mode: 'append', from: 2 });
    expect(planMessageWrite({ messageCount: 4, lastMessageId: s.messages[3]!.id }, s)).toEqual({
      mode: 'append',
      from: 4,
    });
    const cleared = recordTurn(
      recordTurn(clearSession(s), { prompt: 'a', result: { sessionId: 'y', text: '' } }),
      {
        prompt: 'b',
        result: { sessionId: 'y', text: '' },
      },
    );
    expect(planMessageWrite({ messageCount: 4, lastMessageId: s.messages[3]!.id }, cleared)).toEqual({
      mode: 'rewrite',
    });
    expect(planMessageWrite({ messageCount: 4, lastMessageId: s.messages[3]!.id }, clearSession(s))).toEqual({
      mode: 'rewrite',
    });
  });
});

describe('list cursors', () => {
  it('round-trips and rejects foreign cursors with a typed error', () => {
    const c = encodeListCursor({ lastActive: 123, name: 'a.b' });
    expect(decodeListCursor(c)).toEqual({ lastActive: 123, name: 'a.b' });
    expect(() => decodeListCursor('garbage!')).toThrow(InvalidArgumentError);
  });
});

describe('capabilities and errors', () => {
  const minimal: SessionStorage = {
    save: async () => 'x',
    load: async () => createSessionState(),
    list: async () => [],
  };

  it('detects optional methods at run time', () => {
    expect(storageCapabilities(minimal)).toEqual({
      remove: false,
      exists: false,
      close: false,
      transcripts: false,
      lease: false,
      search: false,
    });
    expect(() => requireCapability(minimal, 'remove')).toThrow(CapabilityError);
    expect(() => requireCapability(minimal, 'remove')).toThrow(/does not implement "remove"/);
  });

  it('recognises errors by code across package copies', () => {
    const err = new SessionNotFoundError('gone');
    expect(err.code).toBe('SESSION_NOT_FOUND');
    expect(err.name).toBe('SessionNotFoundError');
    expect(SessionNotFoundError.is(err)).toBe(true);
    expect(SessionConflictError.is(err)).toBe(false);
    expect(ChannelCoderError.is(err)).toBe(true);
    // A structurally identical error made by another copy of the package carries the same global mark.
    const foreign = Object.assign(new Error('x'), {
      code: 'SESSION_NOT_FOUND',
      [Symbol.for('channelcoder.error')]: true,
    });
    expect(SessionNotFoundError.is(foreign)).toBe(true);
    expect(ChannelCoderError.is(new Error('plain'))).toBe(false);
  });
});

describe('MemorySessionStorage transcripts', () => {
  it('appends from a line offset, ignores a re-appended range and rejects gaps', async () => {
    const { MemorySessionStorage } = await import('../src/index.js');
    const storage = new MemorySessionStorage();
    await storage.save(createSessionState(), 't');
    expect(await storage.loadTranscript('t', 'c1')).toBeNull();
    await storage.appendTranscript('t', 'c1', [{ n: 0 }, { n: 1 }], 0);
    await storage.appendTranscript('t', 'c1', [{ n: 1, changed: true }, { n: 2 }], 1);
    expect(await storage.loadTranscript('t', 'c1')).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
    await expect(storage.appendTranscript('t', 'c1', [{ n: 9 }], 5)).rejects.toThrow(InvalidArgumentError);
    expect(await storage.loadTranscript('t', 'c2')).toBeNull();
  });
});
