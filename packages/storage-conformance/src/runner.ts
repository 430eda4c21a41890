/**
 * The test runner the suite registers on: the caller's own `describe`, `it` and `afterEach`, so the suite runs
 * under vitest, node:test, Bun, Jest or anything with that shape.
 *
 * ```ts
 * import { afterEach, describe, it } from 'node:test';   // or 'bun:test', '@jest/globals', 'vitest'
 * sessionStorageSuite({ describe, it, afterEach }, 'MyStorage', () => new MyStorage(), options);
 * ```
 */
export interface ConformanceRunner {
  /** Groups tests; the callback registers them synchronously. */
  describe(name: string, body: () => void): unknown;
  /**
   * Registers one test. The suite passes a function that takes no parameters and returns a promise (so Bun
   * and Jest do not treat it as a `done`-callback test); the runner may pass its own test context as the
   * first argument, and the suite uses that context's `skip(note)` when it has one.
   */
  it: RunnerTest;
  /** Runs after each test of the enclosing `describe`; the suite destroys the storages a test made. */
  afterEach(hook: () => Promise<void>): unknown;
}

/** A runner's `it`; `it.skip` (vitest, node:test, Bun, Jest all have it) shows skipped concerns as skipped. */
export interface RunnerTest {
  // biome-ignore lint/suspicious/noExplicitAny: runners declare their own context parameter types.
  (name: string, fn: (...args: any[]) => Promise<void>): unknown;
  // biome-ignore lint/suspicious/noExplicitAny: as above.
  skip?: (name: string, fn: (...args: any[]) => unknown) => unknown;
}
