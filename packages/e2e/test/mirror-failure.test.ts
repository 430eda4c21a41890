/**
 * A failed transcript mirror on each real backend: the turn is saved, the call rejects with TranscriptError,
 * the stored session carries `metadata.transcriptError`, and `session list` shows it until a mirror succeeds.
 * The backend's appendTranscript is made to fail as an outage would (StorageUnavailableError).
 */
import {
  type SessionStorage,
  StorageUnavailableError,
  session,
  TranscriptError,
} from '@channelcoder/session-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Backend, type BackendKind, openBackend } from './support/backends.js';
import { type Machine, MockAnthropicServer, makeMachine } from './support/machines.js';

/** The storage, with appendTranscript failing while `down.value` is true. */
function withOutage(storage: SessionStorage, down: { value: boolean }): SessionStorage {
  return new Proxy(storage, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop === 'appendTranscript' && typeof value === 'function') {
        return async (...args: unknown[]) => {
          if (down.value) {
            throw new StorageUnavailableError('test', 'appendTranscript', new Error('connection reset'));
          }
          return value.apply(target, args);
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

let mock: MockAnthropicServer;
beforeAll(async () => {
  mock = await MockAnthropicServer.start();
});
afterAll(async () => {
  await mock.close();
});

describe.each<BackendKind>(['redis', 's3', 'postgresql', 'file'])('a failed mirror on %s', (kind) => {
  let backend: Backend;
  let machine: Machine;
  beforeEach(() => {
    backend = openBackend(kind);
    machine = makeMachine('a', mock);
  });
  afterEach(async () => {
    await backend.destroy();
    machine.sandbox.remove();
  });

  it('rejects with TranscriptError after saving the turn; the flag is stored and cleared by the next mirror', async () => {
    const down = { value: true };
    const storage = withOutage(await backend.open(), down);
    const s = session({ name: 'outage', storage, cwd: machine.sandbox.cwd, defaults: { env: machine.env } });
    const err = await s.claude('one').catch((e: unknown) => e);
    expect(TranscriptError.is(err)).toBe(true);
    expect((await storage.load('outage')).messages).toHaveLength(2);
    expect((await storage.load('outage')).metadata.transcriptError).toMatch(/STORAGE_UNAVAILABLE/);
    expect((await session.list({ storage }))[0]?.transcriptError).toMatch(/STORAGE_UNAVAILABLE/);
    down.value = false;
    await s.claude('two');
    expect((await storage.load('outage')).metadata.transcriptError).toBeUndefined();
    expect((await session.list({ storage }))[0]?.transcriptError).toBeUndefined();
    // Nothing was lost: the lines of the failed turn went with the next one.
    const id = s.id() as string;
    const stored = await storage.loadTranscript?.('outage', id);
    expect(stored?.length).toBeGreaterThan(0);
    machine.forgetTranscripts();
    expect((await s.claude('three')).text).toBe('turn 3: three');
  });
});
