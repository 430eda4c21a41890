/**
 * `channelcoder serve`: the session service (@channelcoder/server) over the storage, until SIGTERM/SIGINT.
 * The server package is optional and loaded only here, like the storage adapters.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidArgumentError } from '@channelcoder/session-core';
import { parseCommand, positiveInteger, STORAGE_OPTIONS, secondsOption, stringOption } from '../args.js';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { UsageError } from '../usage-error.js';

export const SERVE_HELP = `Usage: channelcoder serve [options]

The session service: sessions, tasks, plans and stats over HTTP (needs @channelcoder/server).

Options:
      --storage URL       where sessions are stored (as for every command)
      --port N            port (default 7420)
      --host ADDRESS      interface (default 127.0.0.1; another address needs tokens)
      --token-file FILE   bearer tokens, one per line ($CHANNELCODER_SERVER_TOKENS adds more)
      --allow-root DIR    working directories must lie under DIR (repeatable; default the current
                          directory, or $CHANNELCODER_ALLOWED_ROOTS separated by ":")
      --shutdown-timeout SECONDS
                          on SIGTERM/SIGINT, running tasks get this long to finish before they are
                          interrupted and recorded as such (default 30)
      --lease-ttl SECONDS how long a replica's hold on a running task or plan outlives the replica
                          (renewed while it runs; default 30)
  -h, --help

Example:
  channelcoder serve --storage redis://localhost:6379 --port 7420 --token-file /etc/channelcoder/tokens`;

const SERVE_OPTIONS = {
  ...STORAGE_OPTIONS,
  port: { type: 'string' },
  host: { type: 'string' },
  'token-file': { type: 'string' },
  'allow-root': { type: 'string', multiple: true },
  'shutdown-timeout': { type: 'string' },
  'lease-ttl': { type: 'string' },
} as const;

export interface ServerModule {
  serve(options: Record<string, unknown>): Promise<{ closed: Promise<void> }>;
}

export async function serveCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseCommand('serve', args, SERVE_OPTIONS, [0, 0]);
  if (values.help === true) {
    io.stdout.write(`${SERVE_HELP}\n`);
    return EXIT.ok;
  }
  const portText = stringOption(values, 'port');
  const port = portText === '0' ? 0 : positiveInteger(values, 'port', 'serve');
  if (port !== undefined && port > 65535) throw new UsageError('--port must be at most 65535.', 'serve');
  const roots = values['allow-root'];
  const shutdownGraceMs = secondsOption(values, 'shutdown-timeout', 'serve');
  const leaseTtlMs = secondsOption(values, 'lease-ttl', 'serve');
  const server = await loadServer(io.cwd);
  const tokenFile = stringOption(values, 'token-file');
  const host = stringOption(values, 'host');
  const storageUrl = stringOption(values, 'storage');
  const handle = await server.serve({
    env: io.env,
    log: (line: string) => io.stderr.write(`${line}\n`),
    ...(storageUrl === undefined ? {} : { storageUrl }),
    ...(port === undefined ? {} : { port }),
    ...(host === undefined ? {} : { host }),
    ...(tokenFile === undefined ? {} : { tokenFile }),
    ...(Array.isArray(roots) ? { allowedRoots: roots } : {}),
    ...(shutdownGraceMs === undefined ? {} : { shutdownGraceMs }),
    ...(leaseTtlMs === undefined ? {} : { leaseTtlMs }),
  });
  await handle.closed;
  return EXIT.ok;
}

/** `@channelcoder/server` from beside this package, else from the project in `cwd`. */
export async function loadServer(cwd: string, command = 'serve'): Promise<ServerModule> {
  const specifier = '@channelcoder/server';
  try {
    return (await import(specifier)) as ServerModule;
  } catch (first) {
    try {
      const path = createRequire(join(cwd, 'noop.js')).resolve(specifier);
      return (await import(pathToFileURL(path).href)) as ServerModule;
    } catch {
      throw new InvalidArgumentError(
        `channelcoder ${command} needs ${specifier}, which is not installed (${(first as Error).message.split('\n')[0]}). ` +
          `Install it: npm install ${specifier}`,
      );
    }
  }
}
