import { describe, expect, it } from 'vitest';
import {
  generateSessionName,
  InvalidSessionNameError,
  isValidSessionName,
  normalizeSessionName,
} from '../src/index.js';

describe('normalizeSessionName', () => {
  it('accepts the documented alphabet and strips a trailing .json', () => {
    expect(normalizeSessionName('feature-auth')).toBe('feature-auth');
    expect(normalizeSessionName('v1.2_final-B')).toBe('v1.2_final-B');
    expect(normalizeSessionName('notes.json')).toBe('notes');
    expect(normalizeSessionName('x'.repeat(128))).toHaveLength(128);
  });

  it.each([
    ['', /empty/],
    ['.json', /empty/],
    ['../x', /"\."|\.\./],
    ['a/b', /"\/"/],
    ['/abs', /starts with "\/"/],
    ['nul\u0000', /\\u0000/],
    ['x'.repeat(129), /129 characters/],
    ['a..b', /"\.\."/],
    ['.hidden', /starts with "\."/],
  ])('rejects %j with a reason', (name, reason) => {
    let caught: unknown;
    try {
      normalizeSessionName(name);
    } catch (err) {
      caught = err;
    }
    expect(InvalidSessionNameError.is(caught)).toBe(true);
    expect((caught as InvalidSessionNameError).reason).toMatch(reason);
    expect((caught as Error).message).toMatch(/Names are 1-128 characters/);
  });

  it('rejects non-strings', () => {
    expect(() => normalizeSessionName(42)).toThrow(InvalidSessionNameError);
    expect(isValidSessionName(undefined)).toBe(false);
  });

  it('generates valid, distinct names', () => {
    const a = generateSessionName(new Date('2026-01-02T03:04:05Z'));
    const b = generateSessionName(new Date('2026-01-02T03:04:05Z'));
    expect(a).toMatch(/^session-20260102-030405-[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
    expect(isValidSessionName(a)).toBe(true);
  });
});
