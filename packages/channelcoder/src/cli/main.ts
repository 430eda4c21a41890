/** The `channelcoder` command: dispatch, error reporting and exit codes. */
import { ChannelCoderError } from '@channelcoder/session-core';
import { redactUrl } from '../storage-url/parse.js';
import { SERVE_HELP, serveCommand } from './commands/serve.js';
import { adoptCommand } from './commands/session-adopt.js';
import { listCommand, showCommand } from './commands/session-list.js';
import { exportCommand, forkCommand, importCommand, removeCommand } from './commands/session-manage.js';
import { openCommand } from './commands/session-open.js';
import { searchCommand } from './commands/session-search.js';
import { statsCommand } from './commands/session-stats.js';
import { restoreCommand } from './commands/session-trash.js';
import { turnCommand } from './commands/turn.js';
import { UI_HELP, uiCommand } from './commands/ui.js';
import { EXIT, exitCodeOf } from './exit-codes.js';
import { HELP } from './help.js';
import type { CliIo } from './io.js';
import { styleFor } from './output/style.js';
import { UsageError } from './usage-error.js';

type Command = (args: string[], io: CliIo) => Promise<number>;

const SESSION_COMMANDS: Record<string, Command> = {
  list: listCommand,
  show: showCommand,
  remove: removeCommand,
  restore: restoreCommand,
  fork: forkCommand,
  export: exportCommand,
  import: importCommand,
  stats: statsCommand,
  adopt: adoptCommand,
  search: searchCommand,
  open: openCommand,
};

/** Runs the CLI with `argv` (without node and the script) and resolves with the exit code. Never throws. */
export async function main(argv: string[], io: CliIo, version = '0.0.0'): Promise<number> {
  try {
    return await dispatch(argv, io, version);
  } catch (err) {
    return report(err, io);
  }
}

async function dispatch(argv: string[], io: CliIo, version: string): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    const topic = command === 'help' ? rest.join(' ') : '';
    const text = topic === 'serve' ? SERVE_HELP : topic === 'ui' ? UI_HELP : (HELP[topic] ?? HELP.main);
    (command === undefined ? io.stderr : io.stdout).write(`${text}\n`);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (command === '--version' || command === '-v') {
    io.stdout.write(`${version}\n`);
    return EXIT.ok;
  }
  if (command === '--list-sessions') return listCommand(rest, io);
  if (command === 'run' || command === 'stream' || command === 'interactive')
    return turnCommand(command, rest, io);
  if (command === 'serve') return serveCommand(rest, io);
  if (command === 'ui') return uiCommand(rest, io);
  if (command === 'session' || command === 'sessions') {
    const [sub, ...subArgs] = rest;
    if (sub === undefined || sub === '--help' || sub === '-h') {
      (sub === undefined ? io.stderr : io.stdout).write(`${HELP.session}\n`);
      return sub === undefined ? EXIT.usage : EXIT.ok;
    }
    const handler = SESSION_COMMANDS[sub];
    if (handler === undefined) throw new UsageError(`Unknown session command "${sub}".`, 'session');
    return handler(subArgs, io);
  }
  throw new UsageError(`Unknown command "${command}".`);
}

function report(err: unknown, io: CliIo): number {
  const style = styleFor(io.stderr, io.env);
  // Whatever failed, a storage URL in the message or the stack is shown without its credentials.
  const message = redactUrl(err instanceof Error ? err.message : String(err));
  io.stderr.write(`${style.red('channelcoder:')} ${message}\n`);
  if (err instanceof UsageError) {
    const help = err.command === undefined ? 'channelcoder --help' : `channelcoder ${err.command} --help`;
    io.stderr.write(`Run \`${help}\` for usage.\n`);
  } else if (!ChannelCoderError.is(err) && io.env.CHANNELCODER_DEBUG !== undefined && err instanceof Error) {
    io.stderr.write(`${redactUrl(err.stack ?? '')}\n`);
  }
  return exitCodeOf(err);
}
