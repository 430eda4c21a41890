/** The `channelcoder` command: dispatch, error reporting and exit codes. */
import { EXIT } from './exit-status.js';
import type { CliIo } from './io.js';
import { type QuickModules, quickDispatch } from './quick-dispatch.js';

type Command = (args: string[], io: CliIo) => Promise<number>;

// Each command's module (and the packages it uses) is loaded only when that command runs, so `--help`
// loads nothing but the help texts and `session list` nothing of `run`, `serve`, the templates or the help.
// `session list` and the turn commands are built as files of their own (dist/session-list.cjs and
// dist/turn.cjs, see tsup.config.ts), which the executable loads without the ES module loader.
const QUICK: QuickModules = {
  help: () => import('./help.js'),
  sessionList: () => import('./commands/session-list.js'),
  sessionTrash: () => import('./commands/session-trash.js'),
  storage: () => import('./storage.js'),
  turn: () => import('./commands/turn.js'),
  render: () => import('../templates/render.js'),
  frontmatter: () => import('../templates/frontmatter.js'),
};

// `session list` is one of the quick commands (see ./quick-dispatch.ts); the others are here.
const SESSION_COMMANDS: Record<string, () => Promise<Command>> = {
  show: async () => (await import('./commands/session-show.js')).showCommand,
  remove: async () => (await import('./commands/session-manage.js')).removeCommand,
  restore: async () => (await import('./commands/session-trash.js')).restoreCommand,
  fork: async () => (await import('./commands/session-manage.js')).forkCommand,
  export: async () => (await import('./commands/session-manage.js')).exportCommand,
  import: async () => (await import('./commands/session-manage.js')).importCommand,
  stats: async () => (await import('./commands/session-stats.js')).statsCommand,
  adopt: async () => (await import('./commands/session-adopt.js')).adoptCommand,
  search: async () => (await import('./commands/session-search.js')).searchCommand,
  open: async () => (await import('./commands/session-open.js')).openCommand,
};

/**
 * Runs the CLI with `argv` (without node and the script) and resolves with the exit code. Never throws.
 * `version` (or a function giving it, called only for `--version`) is what `--version` prints.
 */
export async function main(
  argv: string[],
  io: CliIo,
  version: string | (() => string) = '0.0.0',
): Promise<number> {
  try {
    return await dispatch(argv, io, version);
  } catch (err) {
    return await report(err, io);
  }
}

async function dispatch(argv: string[], io: CliIo, version: string | (() => string)): Promise<number> {
  const quick = quickDispatch(argv, io, version, QUICK);
  if (quick !== undefined) return quick;
  const [command = '', ...rest] = argv;
  if (command === 'help') {
    const topic = rest.join(' ');
    const text =
      topic === 'serve'
        ? (await import('./commands/serve.js')).SERVE_HELP
        : (await import('./commands/ui.js')).UI_HELP;
    (io.printOut ?? io.stdout).write(`${text}\n`);
    return EXIT.ok;
  }
  if (command === 'serve') return (await import('./commands/serve.js')).serveCommand(rest, io);
  if (command === 'ui') return (await import('./commands/ui.js')).uiCommand(rest, io);
  if (command === 'session' || command === 'sessions') {
    const [sub = '', ...subArgs] = rest;
    const handler = Object.hasOwn(SESSION_COMMANDS, sub) ? SESSION_COMMANDS[sub] : undefined;
    if (handler === undefined)
      throw await usageError(`Unknown session command "${sub}"`, 'session', sub, [
        'list',
        ...Object.keys(SESSION_COMMANDS),
      ]);
    return (await handler())(subArgs, io);
  }
  throw await usageError(`Unknown command "${command}"`, undefined, command, TOP_COMMANDS);
}

const TOP_COMMANDS = ['run', 'stream', 'interactive', 'session', 'serve', 'ui', 'help'];

/** The usage error for an unknown name: `: did you mean "list"?` when a known name is close, else a full stop. */
async function usageError(
  what: string,
  command: string | undefined,
  typed: string,
  known: readonly string[],
): Promise<Error> {
  const [{ UsageError }, { closestName }] = await Promise.all([
    import('./usage-error.js'),
    import('@channelcoder/session-core'),
  ]);
  const name = closestName(typed, known);
  return new UsageError(`${what}${name === undefined ? '.' : `: did you mean "${name}"?`}`, command);
}

/** Writes what `err` says to stderr (credentials redacted) and resolves with its exit code. */
export async function report(err: unknown, io: CliIo): Promise<number> {
  const [
    { ChannelCoderError, ClaudeRunError },
    { redactUrl },
    { exitCodeOf },
    { cliMessage },
    { styleFor },
    { UsageError },
  ] = await Promise.all([
    import('@channelcoder/session-core'),
    import('../storage-url/parse.js'),
    import('./exit-codes.js'),
    import('./messages.js'),
    import('./output/style.js'),
    import('./usage-error.js'),
  ]);
  const style = styleFor(io.stderr, io.env);
  // Whatever failed, a storage URL in the message or the stack is shown without its credentials.
  const message = redactUrl(cliMessage(err, { cwd: io.cwd }));
  io.stderr.write(`${style.red('channelcoder:')} ${message}\n`);
  if (ClaudeRunError.is(err) && io.env.CHANNELCODER_DEBUG !== undefined && err.stderr.trim() !== '') {
    io.stderr.write(`Claude Code's stderr:\n${redactUrl(err.stderr.trimEnd())}\n`);
  }
  if (UsageError.is(err)) {
    const help = err.command === undefined ? 'channelcoder --help' : `channelcoder ${err.command} --help`;
    io.stderr.write(`Run \`${help}\` for usage.\n`);
  } else if (!ChannelCoderError.is(err) && io.env.CHANNELCODER_DEBUG !== undefined && err instanceof Error) {
    io.stderr.write(`${redactUrl(err.stack ?? '')}\n`);
  }
  return exitCodeOf(err);
}
