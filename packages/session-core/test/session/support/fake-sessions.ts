/** Sessions running against the fake CLI, with a counting memory storage; fresh per test. */
import { afterEach, beforeEach } from 'vitest';
import { createSessionFactory } from '../../../src/session/factory.js';
import type { Session, SessionOptions } from '../../../src/session/types.js';
import { type FakeCli, makeFakeCli } from '../../runner/support/fake-env.js';
import { CountingStorage } from './storages.js';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The value after `name` in a recorded argument list. */
export function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
}

export interface FakeSessions {
  readonly fake: FakeCli;
  readonly storage: CountingStorage;
  readonly session: ReturnType<typeof createSessionFactory>;
  /** A session whose turns run the fake CLI in `mode` (with extra env variables). */
  withFake(mode?: string, options?: SessionOptions, extra?: Record<string, string>): Session;
}

/** Registers the per-test setup and returns accessors for the current test's fake CLI and storage. */
export function useFakeSessions(): FakeSessions {
  let fake: FakeCli | undefined;
  let storage: CountingStorage | undefined;
  const session = createSessionFactory({ storage: () => storage ?? new CountingStorage() });
  beforeEach(() => {
    fake = makeFakeCli();
    storage = new CountingStorage();
  });
  afterEach(() => fake?.remove());
  const ctx: FakeSessions = {
    get fake() {
      if (!fake) throw new Error('useFakeSessions: used outside a test');
      return fake;
    },
    get storage() {
      if (!storage) throw new Error('useFakeSessions: used outside a test');
      return storage;
    },
    session,
    withFake: (mode = 'same-id', options = {}, extra = {}) =>
      session({ ...options, defaults: { env: ctx.fake.env(mode, extra) } }),
  };
  return ctx;
}
