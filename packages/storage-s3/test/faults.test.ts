import { createServer, type Server, type Socket } from 'node:net';
import { SessionConflictError, StorageUnavailableError } from '@channelcoder/session-core';
import { makeState } from '@channelcoder/storage-conformance';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { S3SessionStorage } from '../src/index.js';
import { makeClient, uniquePrefix } from './support/fixtures.js';
import { type FlakyProxy, startFlakyProxy } from './support/flaky-proxy.js';
import { type RunningS3rver, startS3rver } from './support/s3rver-launcher.mjs';

const plain = inject('s3Plain');
const conditional = inject('s3Conditional');
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Accepts TCP connections and never answers: a hung endpoint. */
async function silentEndpoint(): Promise<string> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

async function proxy(target: string, decide: Parameters<typeof startFlakyProxy>[1]): Promise<FlakyProxy> {
  const p = await startFlakyProxy(target, decide);
  cleanups.push(() => p.close());
  return p;
}

function storageAt(
  endpoint: string,
  bucket: string,
  extra: { maxAttempts?: number; callTimeoutMs?: number } = {},
) {
  const client = makeClient(endpoint, { maxAttempts: extra.maxAttempts ?? 3 });
  cleanups.push(async () => client.destroy());
  return new S3SessionStorage({
    client,
    bucket,
    prefix: uniquePrefix('faults'),
    ...(extra.callTimeoutMs === undefined ? {} : { callTimeoutMs: extra.callTimeoutMs }),
  });
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('expected the call to fail'),
    (err: unknown) => err,
  );
}

describe('an unreachable endpoint', () => {
  it('fails every operation with StorageUnavailableError carrying the cause', async () => {
    const storage = storageAt(`http://127.0.0.1:${await freePort()}`, 'nowhere', { maxAttempts: 2 });
    const calls = [
      () => storage.save(makeState(), 'x'),
      () => storage.load('x'),
      () => storage.list(),
      () => storage.exists('x'),
      () => storage.remove('x'),
    ];
    for (const call of calls) {
      const err = await failure(call());
      expect(StorageUnavailableError.is(err), String(err)).toBe(true);
      expect((err as StorageUnavailableError).backend).toBe('S3');
      expect((err as Error).cause).toBeDefined();
    }
  });

  it('fails within callTimeoutMs when the endpoint accepts connections but never answers', async () => {
    const storage = storageAt(await silentEndpoint(), 'hung', { callTimeoutMs: 300 });
    const err = await failure(storage.load('x'));
    expect(StorageUnavailableError.is(err), String(err)).toBe(true);
    expect((err as Error).message).toContain('did not finish in time');
  });
});

describe('the call timeout', () => {
  it('bounds each of many calls in flight at once, with no listener warning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    cleanups.push(async () => void process.off('warning', onWarning));
    const storage = storageAt(await silentEndpoint(), 'hung', { callTimeoutMs: 400 });
    // 24 calls that start in one window share one signal; 8 more start in later windows.
    const early = Array.from({ length: 24 }, (_, i) => failure(storage.load(`s${i}`)));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const late = Array.from({ length: 8 }, (_, i) => failure(storage.exists(`t${i}`)));
    for (const err of await Promise.all([...early, ...late])) {
      expect(StorageUnavailableError.is(err), String(err)).toBe(true);
      expect((err as Error).message).toContain('did not finish in time');
    }
    expect(warnings.filter((w) => w.includes('MaxListeners'))).toEqual([]);
  });

  it('with the SDK Node handler: plain { aborted, onabort } signals, never aborted once their call ended', async () => {
    const base = makeClient(conditional.endpoint);
    cleanups.push(async () => base.destroy());
    const inner = base.config.requestHandler as unknown as {
      handle(request: unknown, options?: unknown): Promise<unknown>;
      destroy?(): void;
    };
    const seen: unknown[] = [];
    const recording = {
      metadata: { handlerProtocol: 'http/1.1' },
      handle: (request: unknown, options?: { abortSignal?: unknown }) => {
        seen.push(options?.abortSignal);
        return inner.handle(request, options);
      },
      updateHttpClientConfig: () => {},
      httpHandlerConfigs: () => ({}),
      destroy: () => inner.destroy?.(),
    };
    const client = makeClient(conditional.endpoint, { requestHandler: recording as never });
    cleanups.push(async () => client.destroy());
    const storage = new S3SessionStorage({
      client,
      bucket: conditional.bucket,
      prefix: uniquePrefix('faults'),
      callTimeoutMs: 150,
    });
    await storage.save(makeState(), 'timed');
    expect(seen.length).toBeGreaterThan(0);
    for (const signal of seen) expect(signal instanceof AbortSignal).toBe(false);
    // Past the window's timer: the ended calls were left alone, and the connection still serves calls.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(seen.filter((signal) => (signal as { aborted: boolean }).aborted)).toEqual([]);
    expect((await storage.load('timed')).metadata).toBeDefined();
  });

  it('with any other handler (fetch): one DOM AbortSignal per window, which still bounds the call', async () => {
    const seen: unknown[] = [];
    const hung = {
      metadata: { handlerProtocol: 'fetch' },
      // Like fetch(): never answers, rejects when its signal aborts.
      handle: (_request: unknown, options?: { abortSignal?: AbortSignal }) =>
        new Promise((_resolve, reject) => {
          seen.push(options?.abortSignal);
          options?.abortSignal?.addEventListener('abort', () =>
            reject(Object.assign(new Error('aborted'), { name: 'AbortError' })),
          );
        }),
      updateHttpClientConfig: () => {},
      httpHandlerConfigs: () => ({}),
      destroy: () => {},
    };
    const client = makeClient('http://127.0.0.1:1', { requestHandler: hung as never, maxAttempts: 1 });
    cleanups.push(async () => client.destroy());
    const storage = new S3SessionStorage({
      client,
      bucket: 'b',
      prefix: uniquePrefix('faults'),
      callTimeoutMs: 200,
    });
    const errors = await Promise.all([failure(storage.load('a')), failure(storage.exists('b'))]);
    for (const err of errors) {
      expect(StorageUnavailableError.is(err), String(err)).toBe(true);
      expect((err as Error).message).toContain('did not finish in time');
    }
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBeInstanceOf(AbortSignal);
    expect(seen[1]).toBe(seen[0]);
  });

  it('rejects a timeout that is not a positive number', () => {
    for (const callTimeoutMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => storageAt('http://127.0.0.1:1', 'b', { callTimeoutMs })).toThrow(/callTimeoutMs/);
  });
});

describe('throttling and 5xx answers', () => {
  it('are retried by the SDK: 503 twice, then the request goes through', async () => {
    let failures = 0;
    const flaky = await proxy(plain.endpoint, () => (failures++ < 2 ? 'fail' : 'forward'));
    const storage = storageAt(flaky.endpoint, plain.bucket, { maxAttempts: 3 });
    const state = makeState({ messages: 4 });
    await storage.save(state, 'throttled');
    expect(flaky.log.slice(0, 3).map((r) => r.action)).toEqual(['fail', 'fail', 'forward']);
    expect(flaky.log[0]?.path).toBe(flaky.log[2]?.path);
    const loaded = await storage.load('throttled');
    expect(loaded.messages.map((m) => m.id)).toEqual(state.messages.map((m) => m.id));
  });

  it('end in StorageUnavailableError once the retries are spent', async () => {
    const flaky = await proxy(plain.endpoint, () => 'fail');
    const storage = storageAt(flaky.endpoint, plain.bucket, { maxAttempts: 3 });
    const err = await failure(storage.load('always-throttled'));
    expect(StorageUnavailableError.is(err), String(err)).toBe(true);
    expect(flaky.log).toHaveLength(3);
  });

  it('a retried head write whose first attempt committed is a success, not a conflict', async () => {
    // Real S3 semantics: the retry carries the same If-None-Match / If-Match and is refused by our own write.
    let lost = 0;
    const flaky = await proxy(conditional.endpoint, (req) =>
      req.method === 'PUT' && req.url?.includes('head.json') && lost++ === 0
        ? 'forward-then-fail'
        : 'forward',
    );
    const storage = storageAt(flaky.endpoint, conditional.bucket);
    const state = makeState({ messages: 2 });
    await storage.save(state, 'lost-response');
    expect(state.revision).toBe(1);
    const heads = flaky.log.filter((r) => r.method === 'PUT' && r.path.includes('head.json'));
    expect(heads.map((r) => r.action)).toEqual(['forward-then-fail', 'forward']);
    expect((await storage.load('lost-response')).revision).toBe(1);

    // A genuine loser is still told so.
    const stale = await storage.load('lost-response');
    await storage.save(state, 'lost-response');
    const err = await failure(storage.save(stale, 'lost-response'));
    expect(SessionConflictError.is(err), String(err)).toBe(true);
  });
});

describe('a server that goes away and comes back', () => {
  let server: RunningS3rver | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('reports StorageUnavailableError while it is down and serves the same data after it restarts', async () => {
    server = await startS3rver();
    const storage = storageAt(server.endpoint, server.bucket, { maxAttempts: 2 });
    const state = makeState({ messages: 6 });
    await storage.save(state, 'survivor');
    const { port, dir } = server;
    await server.stop({ keepData: true });
    const err = await failure(storage.load('survivor'));
    expect(StorageUnavailableError.is(err), String(err)).toBe(true);
    server = await startS3rver({ port, dir });
    const loaded = await storage.load('survivor');
    expect(loaded.messages.map((m) => m.id)).toEqual(state.messages.map((m) => m.id));
    expect(loaded.revision).toBe(1);
  });
});
