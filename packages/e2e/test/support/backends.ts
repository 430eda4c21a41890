/**
 * The storage backends of the proofs. `open()` gives a new storage with its own client each time (one per
 * "machine"), all on one isolated key space: a unique Redis prefix, S3 prefix, PostgreSQL schema or
 * directory. `destroy()` closes every client and removes what the tests stored.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { SessionStorage } from '@channelcoder/session-core';
import { FileSessionStorage } from '@channelcoder/storage-file';
import { openPrismaSessionStorage } from '@channelcoder/storage-prisma';
import { RedisSessionStorage } from '@channelcoder/storage-redis';
import { S3SessionStorage } from '@channelcoder/storage-s3';
import { Redis } from 'ioredis';
import pg from 'pg';
import { inject } from 'vitest';

export type BackendKind = 'redis' | 's3' | 'postgresql' | 'file';

export interface Backend {
  readonly kind: BackendKind;
  open(): Promise<SessionStorage>;
  destroy(): Promise<void>;
  /** How another process opens the same storage (see support/open-storage.mjs). */
  readonly spec: StorageSpec;
}

/** What a child process needs to open a backend's storage: its kind and connection details. */
export type StorageSpec =
  | { kind: 'redis'; url: string; prefix: string }
  | { kind: 's3'; endpoint: string; bucket: string; prefix: string }
  | { kind: 'postgresql'; url: string }
  | { kind: 'file'; dir: string };

const unique = () => `e2e-${process.pid}-${randomUUID().slice(0, 8)}`;

export function openBackend(kind: BackendKind): Backend {
  switch (kind) {
    case 'redis':
      return redisBackend();
    case 's3':
      return s3Backend();
    case 'postgresql':
      return postgresBackend();
    case 'file':
      return fileBackend();
  }
}

function redisBackend(): Backend {
  const prefix = `cc-e2e:${unique()}:`;
  const clients: Redis[] = [];
  return {
    kind: 'redis',
    spec: { kind: 'redis', url: inject('redisUrl'), prefix },
    async open() {
      const client = new Redis(inject('redisUrl'), {
        maxRetriesPerRequest: 0,
        enableOfflineQueue: true,
        connectTimeout: 2000,
      });
      client.on('error', () => {
        // Failures reach the storage's callers as StorageUnavailableError; this only keeps ioredis quiet.
      });
      clients.push(client);
      return new RedisSessionStorage({ client, prefix });
    },
    async destroy() {
      const first = clients[0];
      if (first !== undefined) {
        let cursor = '0';
        do {
          const [next, keys] = await first.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length > 0) await first.del(...keys);
        } while (cursor !== '0');
      }
      await Promise.all(clients.splice(0).map((c) => c.quit()));
    },
  };
}

function s3Backend(): Backend {
  const { endpoint, bucket } = inject('s3');
  const prefix = `cc-e2e/${unique()}/`;
  const clients: S3Client[] = [];
  return {
    kind: 's3',
    spec: { kind: 's3', endpoint, bucket, prefix },
    async open() {
      const client = new S3Client({
        endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
      clients.push(client);
      return new S3SessionStorage({ client, bucket, prefix });
    },
    async destroy() {
      // The private s3rver's data directory is removed when it stops.
      for (const client of clients.splice(0)) client.destroy();
    },
  };
}

function postgresBackend(): Backend {
  const base = inject('databaseUrl');
  const schema = `cc_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const url = `${base}${base.includes('?') ? '&' : '?'}schema=${schema}`;
  const closers: (() => Promise<void>)[] = [];
  return {
    kind: 'postgresql',
    spec: { kind: 'postgresql', url },
    async open() {
      const opened = await openPrismaSessionStorage({ url });
      closers.push(opened.close);
      return opened.storage;
    },
    async destroy() {
      for (const close of closers.splice(0)) await close();
      const pool = new pg.Pool({ connectionString: base, max: 1 });
      try {
        await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await pool.end();
      }
    },
  };
}

function fileBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), 'cc-e2e-files-'));
  return {
    kind: 'file',
    spec: { kind: 'file', dir },
    async open() {
      return new FileSessionStorage({ dir });
    },
    async destroy() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
