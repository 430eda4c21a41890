import { AssertionError } from 'node:assert';
import { describe, it, expect as vi } from 'vitest';
import { expect } from '../src/expect.js';

const fails = (check: () => void) => vi(check).toThrow(AssertionError);

describe("the suite's own expect", () => {
  it('toEqual follows vitest: undefined properties are absent, Dates by time, expect.any by type', () => {
    expect({ a: 1, b: undefined }).toEqual({ a: 1 });
    expect([new Date(5)]).toEqual([new Date(5)]);
    expect({ error: 'x' }).toEqual({ error: expect.any(String) });
    fails(() => expect({ a: 1 }).toEqual({ a: 1, b: 2 }));
    fails(() => expect([1, 2]).toEqual([1, 2, 3]));
    fails(() => expect(new Date(5)).toEqual(new Date(6)));
    fails(() => expect({ error: 3 }).toEqual({ error: expect.any(String) }));
    fails(() => expect({ nested: { line: 'a\u2028' } }).toEqual({ nested: { line: 'a' } }));
  });

  it('toBe is Object.is; not inverts every matcher', () => {
    expect(NaN).toBe(NaN);
    fails(() => expect({}).toBe({}));
    fails(() => expect(1).not.toBe(1));
    expect([1]).not.toEqual([2]);
  });

  it('the other matchers pass and fail as their names say', () => {
    expect(0.1 + 0.2).toBeCloseTo(0.3, 10);
    fails(() => expect(0.31).toBeCloseTo(0.3, 5));
    fails(() => expect(undefined).toBeDefined());
    fails(() => expect(null).toBeUndefined());
    fails(() => expect(undefined).toBeNull());
    fails(() => expect(2).toBeGreaterThan(2));
    expect(2).toBeGreaterThanOrEqual(2);
    fails(() => expect(1).toBeGreaterThanOrEqual(2));
    expect(1).toBeLessThan(2);
    fails(() => expect(2).toBeLessThan(2));
    expect(2).toBeLessThanOrEqual(2);
    fails(() => expect(3).toBeLessThanOrEqual(2));
    fails(() => expect({}).toBeInstanceOf(Date));
    fails(() => expect(['a']).toContain('b'));
    fails(() => expect('abc').toContain('d'));
    fails(() => expect([1]).toHaveLength(2));
    fails(() => expect('abc').toMatch(/d/));
    expect('A-1').toMatch(/^[A-Z]-\d$/);
  });

  it('names the expectation and carries the caller message', () => {
    vi(() => expect(1, 'revision after save').toBe(2)).toThrow(/revision after save: expected 1 to be 2/);
  });

  it('resolves and rejects await the promise', async () => {
    await expect(Promise.resolve(undefined)).resolves.toBeUndefined();
    await expect(Promise.reject(new Error('no'))).rejects.toBeInstanceOf(Error);
    await vi(expect(Promise.reject(new Error('no'))).resolves.toBeUndefined()).rejects.toThrow('no');
    await vi(expect(Promise.resolve(1)).rejects.toBeDefined()).rejects.toThrow(AssertionError);
  });
});
