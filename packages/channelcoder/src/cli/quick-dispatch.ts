/**
 * The commands that start most often: the help texts, `--version`, `session list` and the turn commands
 * (`run`, `stream`, `interactive`). The executable (bin.ts) runs them with its modules loaded by `require`,
 * without starting Node's ES module loader; `main()` runs them with `import()`. Every other command is
 * `main()`'s alone.
 */
import { EXIT } from './exit-status.js';
import type { CliIo } from './io.js';

/** How the modules of the quick commands are loaded (by `import()` in `main()`, by `require` in the executable). */
export interface QuickModules {
  help: () => Promise<typeof import('./help.js')>;
  sessionList: () => Promise<typeof import('./commands/session-list.js')>;
  sessionTrash: () => Promise<typeof import('./commands/session-trash.js')>;
  storage: () => Promise<typeof import('./storage.js')>;
  turn: () => Promise<typeof import('./commands/turn.js')>;
  render: () => Promise<typeof import('../templates/render.js')>;
  frontmatter: () => Promise<typeof import('../templates/frontmatter.js')>;
}

/**
 * Runs `argv` when it is one of the quick commands and resolves with its exit code (rejecting with what the
 * command threw, for the caller to report); undefined when `argv` is another command.
 */
export function quickDispatch(
  argv: string[],
  io: CliIo,
  version: string | (() => string),
  modules: QuickModules,
): Promise<number> | undefined {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    const topic = command === 'help' ? rest.join(' ') : '';
    // `help serve` and `help ui` print texts kept beside those commands.
    if (topic === 'serve' || topic === 'ui') return undefined;
    return modules.help().then(({ HELP }) => {
      (command === undefined ? io.stderr : (io.printOut ?? io.stdout)).write(`${HELP[topic] ?? HELP.main}\n`);
      return command === undefined ? EXIT.usage : EXIT.ok;
    });
  }
  if (command === '--version' || command === '-v') {
    io.stdout.write(`${typeof version === 'function' ? version() : version}\n`);
    return Promise.resolve(EXIT.ok);
  }
  if (command === '--list-sessions') return listSessions(rest, io, modules);
  if (command === 'run' || command === 'stream' || command === 'interactive')
    return modules.turn().then(({ turnCommand }) =>
      turnCommand(command, rest, io, {
        help: modules.help,
        render: modules.render,
        frontmatter: modules.frontmatter,
      }),
    );
  if (command === 'session' || command === 'sessions') {
    const [sub, ...subArgs] = rest;
    if (sub === undefined || sub === '--help' || sub === '-h')
      return modules.help().then(({ HELP }) => {
        (sub === undefined ? io.stderr : (io.printOut ?? io.stdout)).write(`${HELP.session}\n`);
        return sub === undefined ? EXIT.usage : EXIT.ok;
      });
    if (sub === 'list') return listSessions(subArgs, io, modules);
  }
  return undefined;
}

function listSessions(args: string[], io: CliIo, modules: QuickModules): Promise<number> {
  return modules
    .sessionList()
    .then(({ listCommand }) =>
      listCommand(args, io, { help: modules.help, trash: modules.sessionTrash, storage: modules.storage }),
    );
}
