/** Opens the storage a URL names, loading its adapter package only when that storage is asked for. */
import { InvalidArgumentError, type SessionStorage } from '@channelcoder/session-core/model';
import { FileSessionStorage } from '@channelcoder/storage-file';
import { parseStorageUrl, redactUrl, type StorageSpec } from './parse.js';

// The optional adapters and clients, typed from their own declarations (type-only: nothing is loaded
// until a URL asks for that storage).
type RedisAdapterModule = typeof import('@channelcoder/storage-redis');
type IoRedisModule = typeof import('ioredis');
type S3AdapterModule = typeof import('@channelcoder/storage-s3');
type S3SdkModule = typeof import('@aws-sdk/client-s3');
type PrismaAdapterModule = typeof import('@channelcoder/storage-prisma');

/** An adapter package (or its backend client) that the storage URL needs is not installed. */
export class StorageAdapterNotInstalledError extends InvalidArgumentError {
  /** The packages to install. */
  readonly packages: string[];
  constructor(scheme: string, packages: string[], cause: unknown) {
    super(
      `The ${scheme} storage needs ${packages.join(' and ')}, which ${packages.length === 1 ? 'is' : 'are'} not ` +
        `installed. Install ${packages.length === 1 ? 'it' : 'them'}: npm install ${packages.join(' ')}`,
    );
    this.packages = packages;
    this.cause = cause;
  }
  static override is(err: unknown): err is StorageAdapterNotInstalledError {
    return InvalidArgumentError.is(err) && Array.isArray((err as { packages?: unknown }).packages);
  }
}

/** A storage opened from a URL, with what it opened itself. */
export interface OpenedStorage {
  storage: SessionStorage;
  /** Where it is, for messages (passwords redacted). */
  label: string;
  /** Closes the client this opened (a Redis connection, an S3 client); the storage is unusable after. */
  close(): Promise<void>;
}

/** How modules are loaded; tests replace it to simulate a package that is not installed. */
export type ModuleImporter = (specifier: string) => Promise<Record<string, unknown>>;

const defaultImporter: ModuleImporter = (specifier) => import(specifier);

export interface OpenStorageOptions {
  importModule?: ModuleImporter;
  /** Redis/S3: the bound in milliseconds for one storage call; PostgreSQL: for connecting (default 5000). */
  timeoutMs?: number;
}

/**
 * Opens a storage from a URL (see {@link parseStorageUrl}) or an already parsed spec. The Redis, S3 and
 * PostgreSQL adapters are optional peer dependencies, imported on demand.
 *
 * @throws StorageUrlError for a bad URL; StorageAdapterNotInstalledError naming the packages to install.
 */
export async function openStorageUrl(
  url: string | StorageSpec,
  options: OpenStorageOptions = {},
): Promise<OpenedStorage> {
  const spec = typeof url === 'string' ? parseStorageUrl(url) : url;
  const load = options.importModule ?? defaultImporter;
  const timeoutMs = options.timeoutMs ?? 5000;
  switch (spec.kind) {
    case 'file': {
      const storage = spec.dir === undefined ? new FileSessionStorage() : new FileSessionStorage(spec.dir);
      return { storage, label: storage.root, close: async () => {} };
    }
    case 'redis': {
      const [adapterModule, ioredisModule] = await importAll(load, 'redis', [
        '@channelcoder/storage-redis',
        'ioredis',
      ]);
      const adapter = adapterModule as Partial<RedisAdapterModule>;
      const ioredis = ioredisModule as Partial<IoRedisModule> & { default?: IoRedisModule['Redis'] };
      const Redis = ioredis.Redis ?? ioredis.default;
      const RedisSessionStorage = adapter.RedisSessionStorage;
      if (!Redis || !RedisSessionStorage)
        throw incompatible('redis', ['@channelcoder/storage-redis', 'ioredis']);
      const client = new Redis(spec.url, {
        lazyConnect: false,
        connectTimeout: timeoutMs,
        maxRetriesPerRequest: 1,
        enableOfflineQueue: true,
        // Never give up reconnecting: after a Redis restart the storage works again by itself. While the
        // server is down, each call fails fast (one retry) with the adapter's StorageUnavailableError.
        retryStrategy: (attempt: number) => Math.min(200 * attempt, 2000),
      });
      client.on('error', () => {}); // failures reach the caller as StorageUnavailableError from each call
      const storage = new RedisSessionStorage({
        client,
        timeoutMs,
        ...(spec.prefix === undefined ? {} : { prefix: spec.prefix }),
        ...(spec.ttlSeconds === undefined ? {} : { ttlSeconds: spec.ttlSeconds }),
      });
      return { storage, label: redactUrl(spec.url), close: async () => client.disconnect() };
    }
    case 's3': {
      const [adapterModule, sdkModule] = await importAll(load, 's3', [
        '@channelcoder/storage-s3',
        '@aws-sdk/client-s3',
      ]);
      const S3SessionStorage = (adapterModule as Partial<S3AdapterModule>).S3SessionStorage;
      const S3Client = (sdkModule as Partial<S3SdkModule>).S3Client;
      if (!S3SessionStorage || !S3Client)
        throw incompatible('s3', ['@channelcoder/storage-s3', '@aws-sdk/client-s3']);
      const client = new S3Client({
        region: spec.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
        ...(spec.endpoint === undefined
          ? {}
          : {
              endpoint: spec.endpoint,
              forcePathStyle: spec.forcePathStyle ?? true,
              requestChecksumCalculation: 'WHEN_REQUIRED',
              responseChecksumValidation: 'WHEN_REQUIRED',
            }),
        ...(spec.endpoint === undefined && spec.forcePathStyle !== undefined
          ? { forcePathStyle: spec.forcePathStyle }
          : {}),
      });
      const storage = new S3SessionStorage({
        client,
        bucket: spec.bucket,
        callTimeoutMs: timeoutMs * 6,
        ...(spec.prefix === undefined ? {} : { prefix: spec.prefix }),
      });
      return {
        storage,
        label: `s3://${spec.bucket}/${spec.prefix ?? ''}`,
        close: async () => client.destroy(),
      };
    }
    case 'postgresql': {
      const [adapterModule] = await importAll(load, 'postgresql', ['@channelcoder/storage-prisma']);
      const open = (adapterModule as Partial<PrismaAdapterModule>).openPrismaSessionStorage;
      if (typeof open !== 'function') {
        throw new InvalidArgumentError(
          'The installed @channelcoder/storage-prisma cannot open a storage from a URL (it has no ' +
            'openPrismaSessionStorage). Use PrismaSessionStorage with your own PrismaClient from code instead.',
        );
      }
      // Migrates on open (idempotent); `?schema=name` in the URL selects the PostgreSQL schema.
      const opened = await open({ url: spec.url, connectTimeoutMs: timeoutMs });
      return { storage: opened.storage, label: redactUrl(spec.url), close: () => opened.close() };
    }
  }
}

/** An installed package that lacks the export this version of channelcoder loads (a version mismatch). */
function incompatible(scheme: string, packages: string[]): InvalidArgumentError {
  return new InvalidArgumentError(
    `The installed ${packages.join(' and ')} do not export what the ${scheme} storage needs; ` +
      `install versions that match channelcoder's peer dependencies: npm install ${packages.join(' ')}`,
  );
}

async function importAll(
  load: ModuleImporter,
  scheme: string,
  specifiers: string[],
): Promise<Record<string, unknown>[]> {
  const modules: Record<string, unknown>[] = [];
  const missing: string[] = [];
  let firstCause: unknown;
  for (const specifier of specifiers) {
    try {
      modules.push(await load(specifier));
    } catch (err) {
      if (!isModuleNotFound(err)) throw err;
      missing.push(specifier);
      firstCause ??= err;
    }
  }
  if (missing.length > 0) throw new StorageAdapterNotInstalledError(scheme, missing, firstCause);
  return modules;
}

function isModuleNotFound(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}
