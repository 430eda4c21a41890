/**
 * What a spec module imports in place of a test runner: `it` registers on the runner the suite was given
 * (see {@link ConformanceRunner}), `expect` is the suite's own (see ./expect.ts). A spec module written for
 * vitest (`import { expect, it } from 'vitest'`) becomes runner-neutral by importing these names from here
 * instead; the README's "Writing a spec module" says the rest.
 */
import type { ConformanceRunner } from './runner.js';

export { expect } from './expect.js';

/** What a test body receives: `skip(note)` ends the test as skipped (a capability the storage lacks). */
export interface TestContext {
  skip(note?: string): never;
}

/** Thrown by {@link TestContext.skip}; caught by the wrapper {@link it} installs. */
class SkipSignal extends Error {
  constructor(readonly note: string | undefined) {
    super(note ?? 'skipped');
  }
}

interface Registration {
  runner: ConformanceRunner;
  timeoutMs: number;
}

let active: Registration | undefined;

/** Runs `register` (which calls spec modules) with `runner` as the target of {@link it}. */
export function registerWith(runner: ConformanceRunner, timeoutMs: number, register: () => void): void {
  const previous = active;
  active = { runner, timeoutMs };
  try {
    register();
  } finally {
    active = previous;
  }
}

/**
 * Registers a test on the active runner. The body gets a {@link TestContext}; it fails with a timeout error
 * after the suite's `timeoutMs` (or this test's own `timeoutMs`, for a test that needs longer whatever the
 * suite's setting) even under runners without a default timeout (node:test).
 */
export function it(
  name: string,
  body: (t: TestContext) => Promise<void> | void,
  options: { timeoutMs?: number } = {},
): void {
  if (!active) {
    throw new Error(
      `spec test "${name}" was registered outside the conformance suite: call spec modules only from the suite's describe body`,
    );
  }
  const { runner } = active;
  const timeoutMs = options.timeoutMs ?? active.timeoutMs;
  const context: TestContext = {
    skip(note) {
      throw new SkipSignal(note);
    },
  };
  runner.it(name, async (...args: unknown[]) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new Error(`"${name}" did not finish within ${timeoutMs} ms (the suite's timeoutMs option)`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([Promise.resolve().then(() => body(context)), timeout]);
    } catch (err) {
      if (!(err instanceof SkipSignal)) throw err;
      const runnerContext = args[0] as { skip?: (note?: string) => void } | undefined;
      runnerContext?.skip?.(err.note);
    } finally {
      clearTimeout(timer);
    }
  });
}
