/** Which failures become StorageUnavailableError (retry later) and which pass through unchanged. */
import { SessionConflictError, StorageUnavailableError } from '@channelcoder/session-core';
import { describe, expect, it } from 'vitest';
import { isConnectionFailure } from '../src/index.js';
import { toStorageError } from '../src/storage-errors.js';

const named = (name: string, props: Record<string, unknown>) =>
  Object.assign(new Error(String(props.message ?? name)), { name, ...props });

describe('isConnectionFailure', () => {
  it.each([
    ['a client that could not initialise', named('PrismaClientInitializationError', {})],
    ["P1001 (can't reach the server)", named('PrismaClientKnownRequestError', { code: 'P1001' })],
    ['P2024 (pool timeout)', named('PrismaClientKnownRequestError', { code: 'P2024' })],
    [
      'a driver adapter error of kind ConnectionClosed',
      named('PrismaClientKnownRequestError', {
        code: 'P2010',
        meta: { driverAdapterError: { cause: { kind: 'ConnectionClosed' } } },
      }),
    ],
    [
      'ECONNREFUSED from the socket',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    ],
    ['pg: connection terminated', new Error('Connection terminated unexpectedly')],
    [
      'pg: a client that is not queryable',
      new Error('Client has encountered a connection error and is not queryable'),
    ],
    [
      'PostgreSQL shutting down (57P01)',
      Object.assign(new Error('terminating connection'), { code: '57P01' }),
    ],
    [
      'SQLite locked by another connection',
      Object.assign(new Error('SQLITE_BUSY: database is locked'), { code: 'SQLITE_BUSY' }),
    ],
    [
      'a cause chain ending in a refused connection',
      new Error('query failed', { cause: { code: 'ECONNREFUSED' } }),
    ],
  ])('is true for %s', (_label, err) => {
    expect(isConnectionFailure(err)).toBe(true);
  });

  it.each([
    ['a unique violation (P2002)', named('PrismaClientKnownRequestError', { code: 'P2002' })],
    ['a missing table (P2021)', named('PrismaClientKnownRequestError', { code: 'P2021' })],
    ['a programming error', new TypeError('x is not a function')],
    ['a non-error value', 'oops'],
  ])('is false for %s', (_label, err) => {
    expect(isConnectionFailure(err)).toBe(false);
  });
});

describe('toStorageError', () => {
  it('wraps connection failures with the operation and the original error as cause', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const err = toStorageError(cause, 'load("x")');
    expect(StorageUnavailableError.is(err)).toBe(true);
    expect((err as Error).message).toContain('load("x")');
    expect((err as Error).cause).toBe(cause);
  });

  it('passes ChannelCoder errors and other failures through unchanged', () => {
    const conflict = new SessionConflictError('x', 1, 2);
    expect(toStorageError(conflict, 'save')).toBe(conflict);
    const other = new TypeError('bad');
    expect(toStorageError(other, 'save')).toBe(other);
  });
});
