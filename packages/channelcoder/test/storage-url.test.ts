import { describe, expect, it } from 'vitest';
import {
  FileSessionStorage,
  InvalidArgumentError,
  openStorageUrl,
  parseStorageUrl,
  redactUrl,
  StorageAdapterNotInstalledError,
  StorageUrlError,
} from '../src/index.js';

describe('parseStorageUrl', () => {
  it('reads every supported scheme', () => {
    expect(parseStorageUrl('file:///var/sessions')).toEqual({ kind: 'file', dir: '/var/sessions' });
    expect(parseStorageUrl('./rel', '/home/me')).toEqual({ kind: 'file', dir: '/home/me/rel' });
    expect(parseStorageUrl('file:')).toEqual({ kind: 'file' });
    expect(parseStorageUrl('redis://:secret@cache:6380/2?prefix=app:&ttl=60')).toEqual({
      kind: 'redis',
      url: 'redis://:secret@cache:6380/2',
      prefix: 'app:',
      ttlSeconds: 60,
    });
    expect(parseStorageUrl('s3://my-bucket/team/a?endpoint=http://127.0.0.1:9000&region=eu-west-1')).toEqual({
      kind: 's3',
      bucket: 'my-bucket',
      prefix: 'team/a/',
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-west-1',
    });
    expect(parseStorageUrl('postgresql://u@db:5432/app')).toEqual({
      kind: 'postgresql',
      url: 'postgresql://u@db:5432/app',
    });
  });

  it('rejects what it cannot use with a typed error that hides passwords', () => {
    try {
      parseStorageUrl('redis://user:hunter2@host/notanumber');
      throw new Error('no error');
    } catch (err) {
      expect(err).toBeInstanceOf(StorageUrlError);
      expect(InvalidArgumentError.is(err)).toBe(true);
      expect((err as Error).message).not.toContain('hunter2');
      expect((err as Error).message).toContain('user:***@');
    }
    expect(redactUrl('postgresql://u:p@h/db')).toBe('postgresql://u:***@h/db');
  });
});

describe('openStorageUrl', () => {
  it('opens the file storage without loading any adapter', async () => {
    const opened = await openStorageUrl('file:///tmp/cc-url-test', {
      importModule: () => Promise.reject(new Error('must not import')),
    });
    expect(opened.storage).toBeInstanceOf(FileSessionStorage);
    expect(opened.label).toBe('/tmp/cc-url-test');
  });

  it.each([
    ['redis://localhost:6379', ['@channelcoder/storage-redis', 'ioredis']],
    ['s3://bucket/p', ['@channelcoder/storage-s3', '@aws-sdk/client-s3']],
    ['postgresql://u@h/db', ['@channelcoder/storage-prisma']],
  ])('%s without its packages says which to install', async (url, packages) => {
    const notInstalled = (specifier: string) =>
      Promise.reject(
        Object.assign(new Error(`Cannot find package '${specifier}'`), { code: 'ERR_MODULE_NOT_FOUND' }),
      );
    const error = await openStorageUrl(url, { importModule: notInstalled }).catch((err: unknown) => err);
    expect(StorageAdapterNotInstalledError.is(error)).toBe(true);
    expect((error as StorageAdapterNotInstalledError).packages).toEqual(packages);
    expect((error as Error).message).toContain(`npm install ${packages.join(' ')}`);
  });

  it('reports only the package that is missing', async () => {
    const error = await openStorageUrl('redis://localhost', {
      importModule: (specifier) =>
        specifier === 'ioredis'
          ? Promise.reject(Object.assign(new Error('nope'), { code: 'ERR_MODULE_NOT_FOUND' }))
          : import(specifier),
    }).catch((err: unknown) => err);
    expect((error as StorageAdapterNotInstalledError).packages).toEqual(['ioredis']);
  });
});
