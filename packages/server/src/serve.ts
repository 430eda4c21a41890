/**
 * `serve()`: what `channelcoder serve` runs. Opens the storage URL, reads tokens, listens, and shuts down
 * gracefully on SIGTERM / SIGINT (running tasks finish within the grace time, else are recorded as
 * interrupted), then closes the storage.
 */
import { InvalidArgumentError, stopRunsOnSignals } from '@channelcoder/session-core';
import { openStorageUrl } from 'channelcoder';
import { readTokenFile, tokensFromEnv } from './auth.js';
import { createSessionServer, type SessionServer, type SessionServerOptions } from './server.js';

export interface ServeOptions extends Omit<SessionServerOptions, 'storage' | 'tokens'> {
  /** A storage URL (`file:`, `redis://`, `postgresql://`, `s3://`); default: the file storage. */
  storageUrl?: string;
  /** A file of bearer tokens (one per line); `CHANNELCODER_SERVER_TOKENS` adds more. */
  tokenFile?: string;
  env?: NodeJS.ProcessEnv;
  /** Where to say what happens (default: stderr). */
  log?: (line: string) => void;
  /** Handle SIGTERM/SIGINT (default true). */
  handleSignals?: boolean;
}

export interface ServeHandle {
  server: SessionServer;
  url: string;
  /** Resolves when the server has shut down (signal or `stop()`). */
  closed: Promise<void>;
  stop(): Promise<void>;
}

/** Starts the service and resolves once it listens. */
export async function serve(options: ServeOptions = {}): Promise<ServeHandle> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const tokens = [
    ...(options.tokenFile ? await readTokenFile(options.tokenFile) : []),
    ...tokensFromEnv(env),
  ];
  const opened = await openStorageUrl(options.storageUrl ?? env.CHANNELCODER_STORAGE ?? 'file:');
  let server: SessionServer;
  try {
    const roots = options.allowedRoots ?? rootsFromEnv(env);
    const grace = env.CHANNELCODER_SHUTDOWN_GRACE_MS;
    server = await createSessionServer({
      ...(grace !== undefined && /^\d+$/.test(grace) ? { shutdownGraceMs: Number(grace) } : {}),
      ...options,
      storage: opened.storage,
      tokens,
      ...(roots === undefined ? {} : { allowedRoots: roots }),
    });
  } catch (err) {
    await opened.close();
    throw err;
  }
  const url = await server.listen();
  log(
    `channelcoder serve: listening on ${url} (storage ${opened.label}${tokens.length > 0 ? ', bearer tokens' : ''})`,
  );
  let stopping: Promise<void> | undefined;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  const stop = () => {
    stopping ??= (async () => {
      log('channelcoder serve: shutting down (running tasks may finish)');
      const { interrupted } = await server.close();
      if (interrupted > 0) log(`channelcoder serve: ${interrupted} running task(s) interrupted and recorded`);
      await opened.close();
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      if (options.handleSignals !== false) stopRunsOnSignals(true);
      resolveClosed();
    })();
    return stopping;
  };
  const onSignal = () => {
    void stop();
  };
  if (options.handleSignals !== false) {
    // The signal starts the graceful shutdown; running turns are stopped only past the deadline.
    stopRunsOnSignals(false);
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
  return { server, url, closed, stop };
}

function rootsFromEnv(env: NodeJS.ProcessEnv): string[] | undefined {
  const value = env.CHANNELCODER_ALLOWED_ROOTS;
  if (value === undefined || value.trim() === '') return undefined;
  const roots = value.split(':').filter((r) => r !== '');
  if (roots.length === 0) throw new InvalidArgumentError('CHANNELCODER_ALLOWED_ROOTS names no directory.');
  return roots;
}
