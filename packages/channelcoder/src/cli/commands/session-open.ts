/**
 * `session open NAME`: Claude Code's own terminal UI on a saved session, wherever it was made. The stored
 * transcript is restored into this machine's config dir (the project folder of the working directory),
 * `claude --resume <id>` runs in the session's working directory (or `--cwd`), and what was said is
 * recorded in the session when the user leaves, like `interactive --load-session`.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Session, SessionRunOptions, SessionStorage } from '@channelcoder/session-core';
import { session as sessionFactory } from '../../session.js';
import { parseCommand, STORAGE_OPTIONS, secondsOption, stringOption } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { HELP } from '../help.js';
import type { CliIo } from '../io.js';
import { recordedAfterInteractive } from '../messages.js';
import { styleFor } from '../output/style.js';
import { storageSpecOf, withheldStorageEnv, withStorage } from '../storage.js';
import { UsageError } from '../usage-error.js';

const OPEN_OPTIONS = {
  ...STORAGE_OPTIONS,
  cwd: { type: 'string' },
  model: { type: 'string' },
  'permission-mode': { type: 'string' },
  wait: { type: 'string' },
  'no-wait': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

export async function openCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand('session open', args, OPEN_OPTIONS, [1, 1]);
  if (values.help === true) {
    io.stdout.write(`${HELP['session open']}\n`);
    return EXIT.ok;
  }
  const name = positionals[0] as string;
  const givenCwd = stringOption(values, 'cwd');
  const options: SessionRunOptions = {};
  const model = stringOption(values, 'model');
  if (model !== undefined) options.model = model;
  const permissionMode = stringOption(values, 'permission-mode');
  if (permissionMode !== undefined) options.permissionMode = permissionMode;
  if (values['no-wait'] === true) {
    if (stringOption(values, 'wait') !== undefined)
      throw new UsageError('Use --wait SECONDS or --no-wait, not both.', 'session open');
    options.onBusy = 'fail';
  }
  const wait = secondsOption(values, 'wait', 'session open');
  if (wait !== undefined) {
    options.onBusy = 'wait';
    options.busyTimeoutMs = wait;
  }
  const withheld = withheldStorageEnv(values, io);
  if (Object.keys(withheld).length > 0) options.env = withheld;
  const spec = storageSpecOf(values, io);
  return withStorage(spec, async ({ storage }) => {
    const s = await sessionFactory.load(name, { storage });
    // A worktree session finds (or makes) its worktree on this machine itself.
    const worktree = givenCwd === undefined ? s.state().metadata.runOptions?.worktree : undefined;
    if (worktree === undefined) {
      const cwd =
        givenCwd !== undefined
          ? resolve(io.cwd, givenCwd)
          : ((await sessionWorkingDirectory(s, storage)) ?? io.cwd);
      if (!isDirectory(cwd)) {
        throw new UsageError(
          givenCwd !== undefined
            ? `--cwd ${givenCwd}: no such directory.`
            : `Session "${name}" was made in ${cwd}, which is not a directory here. Give the working directory with --cwd DIR.`,
          'session open',
        );
      }
      options.cwd = cwd;
    }
    const where = worktree === undefined ? options.cwd : `the worktree of branch ${worktree.branch}`;
    const style = styleFor(io.stderr, io.env);
    if (values.json !== true) {
      io.stderr.write(
        `${style.dim(`Opening session ${name} (${s.messages().length} messages) in ${where}.`)}\n`,
      );
    }
    const result = await s.interactive('', options);
    const cwd = options.cwd ?? s.state().metadata.cwd ?? null;
    if (values.json === true) {
      io.stdout.write(
        `${JSON.stringify({ session: s.name() ?? name, claudeSessionId: s.id() ?? null, cwd, exitCode: result.exitCode, messageCount: s.messages().length })}\n`,
      );
    } else {
      io.stderr.write(
        `${style.dim(recordedAfterInteractive(s.name() ?? name, s.messages().length, `channelcoder session open ${s.name() ?? name}`))}\n`,
      );
    }
    return EXIT.ok;
  });
}

/**
 * Where the session's conversation ran: the cwd stored with the session, else the last `cwd` its stored
 * transcript records (the CLI writes one on every line), else undefined.
 */
async function sessionWorkingDirectory(s: Session, storage: SessionStorage): Promise<string | undefined> {
  const state = s.state();
  if (typeof state.metadata.cwd === 'string' && state.metadata.cwd !== '') return state.metadata.cwd;
  const id = s.id();
  const name = s.name();
  if (id === undefined || name === undefined || typeof storage.loadTranscript !== 'function')
    return undefined;
  const lines = await storage.loadTranscript(name, id);
  for (const entry of [...(lines ?? [])].reverse()) {
    if (entry !== null && typeof entry === 'object' && !Array.isArray(entry)) {
      const cwd = (entry as Record<string, unknown>).cwd;
      if (typeof cwd === 'string' && cwd !== '') return cwd;
    }
  }
  return undefined;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
