/**
 * `@channelcoder/storage-conformance/vitest`: the suite on vitest's `describe`/`it`/`afterEach`, with each
 * test's vitest timeout set from `options.timeoutMs`.
 */
import type { SessionStorage } from '@channelcoder/session-core';
import { afterEach, describe, it } from 'vitest';
import { sessionStorageConformance } from './describe-storage.js';
import type { ConformanceOptions } from './options.js';

/**
 * {@link sessionStorageConformance} on vitest. Call it at the top level of a test file:
 *
 * ```ts
 * import { describeSessionStorage } from '@channelcoder/storage-conformance/vitest';
 * describeSessionStorage('MyStorage', () => new MyStorage({ prefix: uniquePrefix() }), {
 *   destroy: (s) => s.close(),
 * });
 * ```
 */
export function describeSessionStorage<S extends SessionStorage>(
  label: string,
  factory: () => S | Promise<S>,
  options: ConformanceOptions<S> = {},
): void {
  // The suite times every test itself (its message "did not finish within …" names the option; a spec may
  // give one test longer); vitest's own timeout only backs that up.
  const vitestTimeout = Math.max((options.timeoutMs ?? 60_000) + 5_000, 30 * 60_000);
  const vitestIt = Object.assign(
    (name: string, fn: (context: unknown) => Promise<void>) =>
      it(name, (context) => fn(context), vitestTimeout),
    { skip: (name: string, fn: () => unknown) => it.skip(name, fn) },
  );
  sessionStorageConformance({ describe, it: vitestIt, afterEach }, label, factory, options);
}
