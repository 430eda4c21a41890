#!/usr/bin/env node
/**
 * The `channelcoder` executable (dist/cli.cjs, the package's `bin`), a CommonJS file: the help texts,
 * `--version`, `session list` and the turn commands run from CommonJS files of their own, loaded by
 * `require`, so their start does not include setting up Node's ES module loader (which reads each module
 * with `node:fs/promises`: about a fifth of `session list`'s start). Every other command, and the report
 * of an error, is loaded from the ES module build (dist/cli-main.js), the same code `dist/cli.js` runs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CliIo } from './cli/io.js';
import { processIo, processStdoutStarted } from './cli/io.js';
import { type QuickModules, quickDispatch } from './cli/quick-dispatch.js';

// Each of these files carries its own copy of what it uses; errors are recognised across copies by
// `ChannelCoderError.is` and `UsageError.is`, never by `instanceof`. Node's on-disk compile cache
// (NODE_COMPILE_CACHE, Node >= 22.1) is left to the user, as for dist/cli.js.
const QUICK: QuickModules = {
  help: async () => require('./help.cjs'),
  sessionList: async () => require('./session-list.cjs'),
  sessionTrash: async () => require('./session-trash.cjs'),
  storage: async () => require('./storage.cjs'),
  turn: async () => require('./turn.cjs'),
  render: async () => require('./render.cjs'),
  frontmatter: async () => require('./frontmatter.cjs'),
};

// Read only for `--version`.
const version = (): string =>
  (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;

type Main = typeof import('./cli/main.js');
const esm = (): Promise<Main> => import('./cli-main.js' as string) as Promise<Main>;

function run(argv: string[], io: CliIo): Promise<number> {
  let quick: Promise<number> | undefined;
  try {
    quick = quickDispatch(argv, io, version, QUICK);
  } catch (err) {
    quick = Promise.reject(err);
  }
  if (quick === undefined) return esm().then(({ main }) => main(argv, io, version));
  return quick.catch((err: unknown) => esm().then(({ report }) => report(err, io)));
}

run(process.argv.slice(2), processIo()).then((code) => {
  // Exit explicitly: a storage client's reconnect timers must not keep a finished command alive. Output
  // written to `process.stdout` is flushed first; a command that never set it up wrote synchronously.
  if (processStdoutStarted()) process.stdout.write('', () => process.exit(code));
  else process.exit(code);
});
