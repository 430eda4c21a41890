/** `run`, `stream` and `interactive`: one turn, in a saved session or on its own. */
import {
  type ClaudeResult,
  ClaudeRunError,
  interactive as interactiveTurn,
  type RunOptions,
  run as runTurn,
  type Session,
  SessionBusyError,
  SessionConflictError,
  SessionCorruptError,
  type SessionRunOptions,
  SessionSaveError,
  type SessionStorage,
  stream as streamTurn,
} from '@channelcoder/session-core';
import { session as sessionFactory } from '../../session.js';
import { SessionRequiredError } from '../../templates/errors.js';
import {
  dataOption,
  listOption,
  type ParsedValues,
  parseCommand,
  positiveInteger,
  secondsOption,
  stringOption,
  TURN_OPTIONS,
} from '../args.js';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { recordedAfterInteractive } from '../messages.js';
import { formatCost, formatDuration } from '../output/format.js';
import { startSpinner } from '../output/spinner.js';
import { styleFor } from '../output/style.js';
import { storageSpecOf, withheldStorageEnv, withStorage } from '../storage.js';
import { UsageError } from '../usage-error.js';
import { type PromptModules, promptSource } from './prompt-source.js';
import { runModeOptions } from './run-modes.js';
import { hasTrash, moveToTrash } from './session-trash.js';

export type TurnMode = 'run' | 'stream' | 'interactive';

/**
 * The modules a turn loads only when asked for them, passed in by the dispatcher: the executable builds
 * this command as one file of its own (tsup.config.ts), which reaches the rest of the executable only
 * through these (the templates bring the YAML parser, which an inline prompt's turn does not load).
 */
export interface TurnModules extends PromptModules {
  help: () => Promise<typeof import('../help.js')>;
}

/** Runs `channelcoder run|stream|interactive …`; resolves with the exit code. */
export async function turnCommand(
  mode: TurnMode,
  args: string[],
  io: CliIo,
  modules: TurnModules,
): Promise<number> {
  const { values, positionals } = parseCommand(mode, args, TURN_OPTIONS, [0, 1]);
  if (values.help === true) {
    const { HELP } = await modules.help();
    io.stdout.write(`${HELP[mode]}\n`);
    return EXIT.ok;
  }
  const newName = stringOption(values, 'session');
  const loadName = stringOption(values, 'load-session');
  if (newName !== undefined && loadName !== undefined) {
    throw new UsageError(
      'Use --session NAME to start a session or --load-session NAME to continue one, not both.',
      mode,
    );
  }
  if (values.force === true && newName === undefined)
    throw new UsageError('--force goes with --session NAME.', mode);
  const source = await promptSource(values, positionals, io.cwd, mode, () => io.stdin, modules);
  if (source === undefined && mode !== 'interactive') {
    throw new UsageError('Missing the prompt: give it as an argument, with -p, or as a FILE.md.', mode);
  }
  if (source?.template.frontmatter.session?.required === true && loadName === undefined) {
    throw new SessionRequiredError(source.template.file);
  }
  const data = dataOption(values, mode);
  const flags = runOptionsOf(values, mode);
  const withheld = withheldStorageEnv(values, io);
  if (Object.keys(withheld).length > 0) flags.env = withheld;
  const spec = newName !== undefined || loadName !== undefined ? storageSpecOf(values, io) : undefined;

  const execute = async (s: Session | undefined): Promise<number> => {
    let prompt = '';
    let options: SessionRunOptions = { ...flags };
    if (source !== undefined) {
      if (source.verbatim) prompt = source.template.body;
      else {
        const { renderPromptTemplate } = await modules.render();
        const rendered = renderPromptTemplate(source.template, {
          data,
          // Raised permissions need the command line's consent (or its own --permission-mode).
          allowPermissions:
            values['allow-template-permissions'] === true || flags.permissionMode !== undefined,
          ...(s !== undefined && loadName !== undefined ? { session: s } : {}),
        });
        prompt = rendered.prompt;
        options = { ...rendered.options, ...flags };
      }
    }
    if (s !== undefined) warnIgnoredOnResume(s, options, values, source?.template.file, io);
    return runMode(mode, prompt, options, s, values, io);
  };

  if (spec === undefined) return execute(undefined);
  return withStorage(spec, async ({ storage }) => {
    const lease = leaseTtlOption(io, mode);
    const s =
      newName !== undefined ? await startSession(storage, newName, values, mode, io, lease) : undefined;
    const loaded =
      loadName !== undefined
        ? await sessionFactory.load(loadName, { storage, ...redactOption(values), ...lease })
        : undefined;
    return execute(s ?? loaded);
  });
}

async function startSession(
  storage: SessionStorage,
  name: string,
  values: ParsedValues,
  mode: string,
  io: CliIo,
  lease: { leaseTtlMs?: number },
): Promise<Session> {
  const cwd = stringOption(values, 'cwd');
  if (await sessionFactory.exists(name, { storage })) {
    if (values.force !== true) {
      // A session whose turns all failed (no claude, an API error) was never answered: the same command
      // runs again in it, and the failed attempt stays in its history.
      const retry = await unansweredSession(storage, name, values, cwd);
      if (retry !== undefined) {
        // Another command is running a turn in it right now (it holds the lease): not a retry.
        const holder = await currentHolder(storage, name);
        if (holder !== undefined)
          throw new UsageError(
            `Session "${name}" was never answered and another command is running a turn in it right now (held by ${holder}). ` +
              `Continue it with --load-session ${name} (it waits for that turn), or use another name with --session.`,
            mode,
          );
        const failed = retry.messages().filter((m) => m.role === 'user').length;
        io.stderr.write(
          `Session "${name}" exists but was never answered (${failed} failed turn${failed === 1 ? '' : 's'}): running this turn in it; the failed attempt stays in its history.\n`,
        );
        return retry;
      }
      throw new UsageError(
        `Session "${name}" already exists. Continue it with --load-session ${name}, or start it over with --force` +
          `${hasTrash(storage) ? ' (the existing one goes to the trash)' : ''}.`,
        mode,
      );
    }
    if (hasTrash(storage)) {
      // Replaced, never destroyed: the existing session (corrupt or not) moves to the trash first.
      if ((await moveToTrash(storage, name, 'replaced')) !== undefined) {
        io.stderr.write(
          `Moved the existing session "${name}" to the trash; restore it with \`channelcoder session restore ${name} --as ${name}-before\`.\n`,
        );
      }
      return sessionFactory({
        name,
        storage,
        ...redactOption(values),
        ...lease,
        ...(cwd === undefined ? {} : { cwd }),
      });
    }
    // No trash: starting over keeps the stored revision, so the first save replaces the old conversation atomically.
    try {
      const existing = await sessionFactory.load(name, {
        storage,
        ...redactOption(values),
        ...lease,
        ...(cwd === undefined ? {} : { cwd }),
      });
      existing.clear();
      return existing;
    } catch (err) {
      // A corrupt entry cannot be loaded; --force replaces it all the same.
      if (!SessionCorruptError.is(err) || typeof storage.remove !== 'function') throw err;
      await storage.remove(name);
    }
  }
  return createOnly(storage, name, values, mode, lease, cwd);
}

/**
 * A new session under `name` whose first save is create-only: it stores the session only while nothing is
 * stored under the name (revision 0), and otherwise fails with a UsageError naming `--load-session`. That
 * save is the one made just before the first turn starts, so two commands starting the same name at once
 * cannot both pay for a turn: the second one's save is refused before its claude process starts (without
 * this, that save would move the first one's answered session to the trash). Nothing is stored when the
 * turn is refused before it (a run mode's check).
 */
function createOnly(
  storage: SessionStorage,
  name: string,
  values: ParsedValues,
  mode: string,
  lease: { leaseTtlMs?: number },
  cwd: string | undefined,
): Session {
  let created = false;
  const save: SessionStorage['save'] = async (...args) => {
    if (created) return storage.save(...args);
    try {
      const stored = await storage.save(...args);
      created = true;
      return stored;
    } catch (err) {
      if (!SessionConflictError.is(err)) throw err;
      throw new UsageError(
        `Session "${name}" was just started by another command, so this one ran nothing. Continue it with ` +
          `--load-session ${name} (it waits for a turn running in it), start it over with --force, or use ` +
          'another name with --session.',
        mode,
      );
    }
  };
  const guarded = new Proxy(storage, {
    get(target, property) {
      if (property === 'save') return save;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return sessionFactory({
    name,
    storage: guarded,
    ...redactOption(values),
    ...lease,
    ...(cwd === undefined ? {} : { cwd }),
  });
}

/**
 * Who holds the session's lease right now, if anyone: read with `peekLease` when the storage has it, else
 * by taking the lease without waiting and giving it back at once. Undefined without leases.
 */
async function currentHolder(storage: SessionStorage, name: string): Promise<string | undefined> {
  if (typeof storage.peekLease === 'function') return (await storage.peekLease(name))?.holder;
  if (typeof storage.lease !== 'function') return undefined;
  try {
    const probe = await storage.lease(name, { waitMs: 0, ttlMs: 5000 });
    await probe.release();
    return undefined;
  } catch (err) {
    if (SessionBusyError.is(err)) return err.holder;
    throw err;
  }
}

/**
 * Test hook: `CHANNELCODER_LEASE_TTL_MS` shortens the session lease's ttl (default 30 s), so a test whose
 * backend fails mid-turn (the lease cannot be released) does not wait half a minute for it to run out.
 */
function leaseTtlOption(io: CliIo, mode: TurnMode): { leaseTtlMs?: number } {
  const raw = io.env.CHANNELCODER_LEASE_TTL_MS;
  if (raw === undefined || raw === '') return {};
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 1000)
    throw new UsageError(
      `CHANNELCODER_LEASE_TTL_MS must be a whole number of milliseconds, at least 1000 (got "${raw}").`,
      mode,
    );
  return { leaseTtlMs: ms };
}

/**
 * Claude Code ignores `--system-prompt` and `--append-system-prompt` when it resumes a conversation: the
 * conversation keeps the system prompt it started with (recorded in the session). Say so when a template
 * or a flag asks for another one on a session that resumes, instead of letting it pass unnoticed.
 */
function warnIgnoredOnResume(
  s: Session,
  options: SessionRunOptions,
  values: ParsedValues,
  templateFile: string | undefined,
  io: CliIo,
): void {
  if (s.id() === undefined) return;
  const recorded = s.state().metadata;
  const flags = { systemPrompt: '--system-prompt', appendSystemPrompt: '--append-system-prompt' } as const;
  for (const key of ['systemPrompt', 'appendSystemPrompt'] as const) {
    const asked = options[key];
    if (asked === undefined || asked === recorded[key]) continue;
    const from =
      stringOption(values, flags[key].slice(2)) !== undefined
        ? flags[key]
        : `${templateFile ?? 'the template'} (${key})`;
    const kept = recorded[key] === undefined ? 'none' : JSON.stringify(shorten(recorded[key]));
    io.stderr.write(
      `${styleFor(io.stderr, io.env).yellow('Warning:')} ${from} is ignored: session "${s.name()}" resumes its conversation, and Claude Code keeps the ${key === 'systemPrompt' ? 'system prompt' : 'appended system prompt'} a conversation started with (recorded: ${kept}). It takes effect on a new session (--session NAME).\n`,
    );
  }
}

function shorten(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

/** The stored session when it has no answer at all (only failed turns, or none); undefined otherwise. */
async function unansweredSession(
  storage: SessionStorage,
  name: string,
  values: ParsedValues,
  cwd: string | undefined,
): Promise<Session | undefined> {
  let stored: Session;
  try {
    stored = await sessionFactory.load(name, {
      storage,
      ...redactOption(values),
      ...(cwd === undefined ? {} : { cwd }),
    });
  } catch (err) {
    // Unreadable (corrupt): not a retry; the caller refuses the name as before.
    if (SessionCorruptError.is(err)) return undefined;
    throw err;
  }
  // No turn at all: another command stored it a moment ago and is about to run its first turn (or stopped
  // before it did). Not a retry: the caller refuses the name, naming --load-session.
  const messages = stored.messages();
  if (!messages.some((m) => m.role === 'user')) return undefined;
  return messages.some((m) => m.role === 'assistant') ? undefined : stored;
}

/** `--redact`: secrets masked in what the session stores (built-in rules + this process's secrets). */
function redactOption(values: ParsedValues): { redact?: true } {
  return values.redact === true ? { redact: true } : {};
}

function runOptionsOf(values: ParsedValues, mode: string): SessionRunOptions {
  const options: SessionRunOptions = {};
  const text = (
    flag: string,
    key: 'model' | 'systemPrompt' | 'appendSystemPrompt' | 'permissionMode' | 'cwd',
  ) => {
    const value = stringOption(values, flag);
    if (value !== undefined) options[key] = value;
  };
  text('model', 'model');
  text('system-prompt', 'systemPrompt');
  text('append-system-prompt', 'appendSystemPrompt');
  text('permission-mode', 'permissionMode');
  text('cwd', 'cwd');
  const allowed = listOption(values, 'allowed-tools');
  if (allowed !== undefined) options.allowedTools = allowed;
  const disallowed = listOption(values, 'disallowed-tools');
  if (disallowed !== undefined) options.disallowedTools = disallowed;
  Object.assign(options, runModeOptions(values, mode));
  const maxTurns = positiveInteger(values, 'max-turns', mode);
  if (maxTurns !== undefined) options.maxTurns = maxTurns;
  const timeout = secondsOption(values, 'timeout', mode);
  if (timeout !== undefined) options.timeout = timeout;
  // Another process running a turn of the session: wait up to --wait SECONDS (default 10 minutes), or
  // fail at once with --no-wait (exit 4 either way when it stays busy).
  if (values['no-wait'] === true) {
    if (stringOption(values, 'wait') !== undefined)
      throw new UsageError('Use --wait SECONDS or --no-wait, not both.', mode);
    options.onBusy = 'fail';
  }
  const wait = secondsOption(values, 'wait', mode);
  if (wait !== undefined) {
    options.onBusy = 'wait';
    options.busyTimeoutMs = wait;
  }
  return options;
}

async function runMode(
  mode: TurnMode,
  prompt: string,
  options: SessionRunOptions,
  s: Session | undefined,
  values: ParsedValues,
  io: CliIo,
): Promise<number> {
  const json = values.json === true;
  const costBefore = s?.usage().totalCostUsd ?? 0;
  if (mode === 'interactive') {
    const result =
      s !== undefined
        ? await s.interactive(prompt, options)
        : await interactiveTurn(prompt, options as RunOptions);
    if (json)
      io.stdout.write(
        `${JSON.stringify({ session: s?.name() ?? null, claudeSessionId: s?.id() ?? result.sessionId ?? null, exitCode: result.exitCode })}\n`,
      );
    else if (s !== undefined) {
      const style = styleFor(io.stderr, io.env);
      // Claude Code's own last line offers `claude --resume <id>`: say which command continues the session.
      const name = s.name() ?? '';
      io.stderr.write(
        `${style.dim(recordedAfterInteractive(name, s.messages().length, `channelcoder interactive --load-session ${name}`))}\n`,
      );
    }
    return EXIT.ok;
  }

  const spinner = json
    ? startSpinner({ write: () => true }, '')
    : startSpinner(io.stderr, 'Claude is working…');
  let result: ClaudeResult;
  let wroteText = false;
  try {
    if (mode === 'stream') {
      const turn = s !== undefined ? s.stream(prompt, options) : streamTurn(prompt, options as RunOptions);
      for await (const chunk of turn) {
        spinner.stop();
        if (json) io.stdout.write(`${JSON.stringify({ type: 'text', content: chunk.content })}\n`);
        else io.stdout.write(chunk.content);
        wroteText = true;
      }
      result = await turn.result;
    } else {
      result =
        s !== undefined ? await s.claude(prompt, options) : await runTurn(prompt, options as RunOptions);
    }
  } catch (err) {
    spinner.stop();
    if (wroteText && !json) io.stdout.write('\n');
    if (SessionSaveError.is(err)) {
      // The turn ran and was paid for: its answer goes to stdout all the same; the storage error follows
      // on stderr (exit 3). The transcript keeps the turn, so the next load recovers it.
      const answer = err.result as ClaudeResult;
      if (json) io.stdout.write(`${JSON.stringify(resultJson(mode, s, answer, undefined))}\n`);
      else if (!wroteText) io.stdout.write(`${answer.text}\n`);
      throw err;
    }
    if (ClaudeRunError.is(err) && s !== undefined) {
      const answer = answeredBeforeStop(err);
      if (answer !== undefined) {
        // Claude had answered when the signal came (the answer is paid for): it was recorded as answered,
        // and goes to stdout; the exit status still says the command was interrupted.
        if (!wroteText && !json) io.stdout.write(`${answer}\n`);
        io.stderr.write(
          `Claude had answered before the interruption: the answered turn was recorded in session "${s.name()}".\n`,
        );
      } else {
        io.stderr.write(
          `The ${err.interrupted ? 'interrupted' : 'failed'} turn was recorded in session "${s.name()}".\n`,
        );
      }
    }
    throw err;
  }
  spinner.stop();
  const turnCost = s !== undefined ? s.usage().totalCostUsd - costBefore : result.totalCostUsd;
  if (json) {
    io.stdout.write(`${JSON.stringify(resultJson(mode, s, result, turnCost))}\n`);
    return EXIT.ok;
  }
  if (mode === 'run') io.stdout.write(`${result.text}\n`);
  else if (!wroteText) io.stdout.write(`${result.text}\n`);
  else if (!result.text.endsWith('\n')) io.stdout.write('\n');
  if (io.stderr.isTTY === true) {
    const style = styleFor(io.stderr, io.env);
    const parts = [
      s !== undefined ? `${s.name()} · ${s.messages().length} messages` : 'not saved',
      `turn ${formatCost(turnCost)}`,
      ...(s !== undefined ? [`total ${formatCost(s.usage().totalCostUsd)}`] : []),
      formatDuration(spinner.elapsedMs()),
    ];
    io.stderr.write(`${style.green('✓')} ${style.dim(parts.join(' · '))}\n`);
  }
  return EXIT.ok;
}

/** The answer of a run stopped after Claude Code printed its successful result line, else undefined. */
function answeredBeforeStop(err: ClaudeRunError): string | undefined {
  const line = err.resultLine;
  if (!err.interrupted || line === undefined || line.is_error === true) return undefined;
  return typeof line.result === 'string' ? line.result : undefined;
}

function resultJson(
  mode: TurnMode,
  s: Session | undefined,
  result: ClaudeResult,
  turnCost: number | undefined,
): Record<string, unknown> {
  return {
    ...(mode === 'stream' ? { type: 'result' } : {}),
    session: s?.name() ?? null,
    claudeSessionId: result.sessionId,
    text: result.text,
    isError: result.isError,
    turnCostUsd: turnCost ?? null,
    totalCostUsd: s?.usage().totalCostUsd ?? result.totalCostUsd ?? null,
    durationMs: result.durationMs ?? null,
    messageCount: s?.messages().length ?? null,
  };
}
