import { AssertionError } from 'node:assert';
import { inspect } from 'node:util';

/**
 * The suite's own `expect`: the matchers the spec modules use, with the meaning vitest gives them, built on
 * `node:assert`'s `AssertionError` (runners show its actual/expected diff). The suite needs no test runner's
 * assertion library, so any runner can drive it.
 */
export interface Matchers {
  /** `Object.is` equality. */
  toBe(expected: unknown): void;
  /** Deep equality; object properties whose value is `undefined` count as absent; `expect.any(T)` matches by type. */
  toEqual(expected: unknown): void;
  /** `|actual - expected| < 10^-digits / 2` (default 2 digits). */
  toBeCloseTo(expected: number, digits?: number): void;
  toBeDefined(): void;
  toBeUndefined(): void;
  toBeNull(): void;
  toBeGreaterThan(expected: number): void;
  toBeGreaterThanOrEqual(expected: number): void;
  toBeLessThan(expected: number): void;
  toBeLessThanOrEqual(expected: number): void;
  toBeInstanceOf(type: abstract new (...args: never[]) => unknown): void;
  /** An array holding an element `===` to `item`, or a string containing it. */
  toContain(item: unknown): void;
  toHaveLength(length: number): void;
  /** A string matching a RegExp or containing a string. */
  toMatch(pattern: RegExp | string): void;
}

export interface Assertion extends Matchers {
  not: Matchers;
  /** Awaits the promise, then applies the matcher to its value (fails if it rejects). */
  resolves: AsyncMatchers;
  /** Awaits the promise, then applies the matcher to its rejection reason (fails if it resolves). */
  rejects: AsyncMatchers;
}

export type AsyncMatchers = { [K in keyof Matchers]: (...args: Parameters<Matchers[K]>) => Promise<void> };

export interface Expect {
  (actual: unknown, message?: string): Assertion;
  /** Matches any value of the type inside `toEqual` (`String`, `Number`, `Boolean`, or a class). */
  any(type: unknown): unknown;
}

class AnyOf {
  constructor(readonly type: unknown) {}
  matches(value: unknown): boolean {
    if (this.type === String) return typeof value === 'string' || value instanceof String;
    if (this.type === Number) return typeof value === 'number' || value instanceof Number;
    if (this.type === Boolean) return typeof value === 'boolean' || value instanceof Boolean;
    if (this.type === Object) return typeof value === 'object' && value !== null;
    return typeof this.type === 'function' && value instanceof (this.type as new () => unknown);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** vitest's `toEqual` rule: recursive, undefined properties ignored, Dates by time. */
export function equals(actual: unknown, expected: unknown): boolean {
  if (expected instanceof AnyOf) return expected.matches(actual);
  if (Object.is(actual, expected)) return true;
  if (actual instanceof Date || expected instanceof Date) {
    return (
      actual instanceof Date && expected instanceof Date && Object.is(actual.getTime(), expected.getTime())
    );
  }
  if (Array.isArray(actual) || Array.isArray(expected)) {
    return (
      Array.isArray(actual) &&
      Array.isArray(expected) &&
      actual.length === expected.length &&
      actual.every((item, i) => equals(item, expected[i]))
    );
  }
  if (isPlainObject(actual) && isPlainObject(expected)) {
    const keys = (o: Record<string, unknown>) => Object.keys(o).filter((k) => o[k] !== undefined);
    const a = keys(actual);
    const b = keys(expected);
    return (
      a.length === b.length && b.every((k) => Object.hasOwn(actual, k) && equals(actual[k], expected[k]))
    );
  }
  if (typeof actual === 'object' && actual !== null && typeof expected === 'object' && expected !== null) {
    if (Object.getPrototypeOf(actual) !== Object.getPrototypeOf(expected)) return false;
    const a = Object.keys(actual);
    const b = Object.keys(expected);
    return (
      a.length === b.length &&
      b.every((k) => equals((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k]))
    );
  }
  return false;
}

const show = (value: unknown) => inspect(value, { depth: 6, breakLength: 100 });

function matchers(actual: unknown, negate: boolean, message: string | undefined): Matchers {
  const check = (pass: boolean, what: string, expected?: unknown) => {
    if (pass !== negate) return;
    const head = message ? `${message}: ` : '';
    throw new AssertionError({
      message: `${head}expected ${show(actual)} ${negate ? 'not ' : ''}${what}`,
      actual,
      expected,
      operator: what.split(' ')[0] ?? what,
    });
  };
  return {
    toBe: (expected) => check(Object.is(actual, expected), `to be ${show(expected)}`, expected),
    toEqual: (expected) => check(equals(actual, expected), `to equal ${show(expected)}`, expected),
    toBeCloseTo: (expected, digits = 2) =>
      check(
        typeof actual === 'number' && Math.abs(actual - expected) < 10 ** -digits / 2,
        `to be close to ${expected} (${digits} digits)`,
        expected,
      ),
    toBeDefined: () => check(actual !== undefined, 'to be defined'),
    toBeUndefined: () => check(actual === undefined, 'to be undefined', undefined),
    toBeNull: () => check(actual === null, 'to be null', null),
    toBeGreaterThan: (expected) =>
      check(typeof actual === 'number' && actual > expected, `to be greater than ${expected}`, expected),
    toBeGreaterThanOrEqual: (expected) =>
      check(typeof actual === 'number' && actual >= expected, `to be at least ${expected}`, expected),
    toBeLessThan: (expected) =>
      check(typeof actual === 'number' && actual < expected, `to be less than ${expected}`, expected),
    toBeLessThanOrEqual: (expected) =>
      check(typeof actual === 'number' && actual <= expected, `to be at most ${expected}`, expected),
    toBeInstanceOf: (type) => check(actual instanceof type, `to be an instance of ${type.name}`),
    toContain: (item) =>
      check(
        Array.isArray(actual)
          ? actual.includes(item)
          : typeof actual === 'string' && typeof item === 'string' && actual.includes(item),
        `to contain ${show(item)}`,
      ),
    toHaveLength: (length) =>
      check(
        (Array.isArray(actual) || typeof actual === 'string') && actual.length === length,
        `to have length ${length}`,
        length,
      ),
    toMatch: (pattern) =>
      check(
        typeof actual === 'string' &&
          (typeof pattern === 'string' ? actual.includes(pattern) : pattern.test(actual)),
        `to match ${String(pattern)}`,
      ),
  };
}

function settled(promise: unknown, want: 'resolves' | 'rejects', message: string | undefined): AsyncMatchers {
  const names = Object.keys(matchers(undefined, false, undefined)) as (keyof Matchers)[];
  return Object.fromEntries(
    names.map((name) => [
      name,
      async (...args: unknown[]) => {
        let value: unknown;
        try {
          value = await promise;
          if (want === 'rejects') {
            throw new AssertionError({
              message: `expected the promise to reject, it resolved with ${show(value)}`,
            });
          }
        } catch (reason) {
          if (want === 'resolves' || reason instanceof AssertionError) throw reason;
          value = reason;
        }
        (matchers(value, false, message)[name] as (...a: unknown[]) => void)(...args);
      },
    ]),
  ) as AsyncMatchers;
}

/** `expect(actual).toBe(…)` and friends, with vitest's meaning; see {@link Matchers}. */
export const expect: Expect = Object.assign(
  (actual: unknown, message?: string): Assertion => ({
    ...matchers(actual, false, message),
    not: matchers(actual, true, message),
    resolves: settled(actual, 'resolves', message),
    rejects: settled(actual, 'rejects', message),
  }),
  { any: (type: unknown) => new AnyOf(type) },
);
