/**
 * `channelcoder ui`: the browser viewer of every session. Starts the session service (@channelcoder/server,
 * loaded only here) on 127.0.0.1 with a token made for this run, and opens the browser on an address that
 * carries the token in its fragment (browsers never send the fragment to a server). Without a browser, it
 * prints the address.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { parseCommand, positiveInteger, STORAGE_OPTIONS, stringOption } from '../args.js';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { UsageError } from '../usage-error.js';
import { loadServer } from './serve.js';

export const UI_HELP = `Usage: channelcoder ui [options]

The browser viewer: sessions, conversations, cost, and a prompt box to continue a session. Listens on
127.0.0.1 only, with a token made for this run in the address (needs @channelcoder/server).

Options:
      --storage URL       where sessions are stored (as for every command)
      --port N            port (default: a free one)
      --allow-root DIR    prompts from the page run under DIR (repeatable; default the current directory)
      --no-open           print the address instead of opening a browser
  -h, --help

Example:
  channelcoder ui --storage redis://localhost:6379`;

const UI_OPTIONS = {
  ...STORAGE_OPTIONS,
  port: { type: 'string' },
  'allow-root': { type: 'string', multiple: true },
  'no-open': { type: 'boolean' },
} as const;

export async function uiCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseCommand('ui', args, UI_OPTIONS, [0, 0]);
  if (values.help === true) {
    io.stdout.write(`${UI_HELP}\n`);
    return EXIT.ok;
  }
  const portText = stringOption(values, 'port');
  const port = portText === undefined || portText === '0' ? 0 : positiveInteger(values, 'port', 'ui');
  if (port !== undefined && port > 65535) throw new UsageError('--port must be at most 65535.', 'ui');
  const roots = values['allow-root'];
  const storageUrl = stringOption(values, 'storage');
  const server = await loadServer(io.cwd, 'ui');
  const token = randomBytes(32).toString('base64url');
  const handle = (await server.serve({
    // Only this run's token opens this server: tokens configured for `serve` are not taken over.
    env: { ...io.env, CHANNELCODER_SERVER_TOKENS: token },
    log: (line: string) => io.stderr.write(`${line.replace('channelcoder serve', 'channelcoder ui')}\n`),
    host: '127.0.0.1',
    port,
    allowedRoots: Array.isArray(roots) ? roots : [io.cwd],
    ...(storageUrl === undefined ? {} : { storageUrl }),
  })) as { closed: Promise<void>; url: string };
  const address = `${handle.url}/#token=${token}`;
  const opened = values['no-open'] === true ? false : await openBrowser(address, io.env);
  io.stderr.write(
    opened
      ? `channelcoder ui: opened ${handle.url} in the browser (Ctrl-C stops the viewer)\n`
      : `channelcoder ui: open this address in a browser (Ctrl-C stops the viewer):\n`,
  );
  if (!opened) io.stdout.write(`${address}\n`);
  await handle.closed;
  return EXIT.ok;
}

/** Starts the desktop's opener; false when there is no desktop or the opener fails to start. */
function openBrowser(url: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const command =
    process.platform === 'darwin'
      ? { file: 'open', args: [url] }
      : process.platform === 'win32'
        ? { file: 'cmd', args: ['/c', 'start', '""', url] }
        : env.DISPLAY || env.WAYLAND_DISPLAY
          ? { file: 'xdg-open', args: [url] }
          : undefined;
  if (command === undefined) return Promise.resolve(false);
  return new Promise((resolve) => {
    const child = spawn(command.file, command.args, { stdio: 'ignore', detached: true, env });
    child.once('error', () => resolve(false));
    child.once('spawn', () => {
      child.unref();
      resolve(true);
    });
  });
}
