/**
 * Run-time checks of option objects: a key nobody reads is a mistake (a typo, an option of another
 * version), so it fails with {@link UnknownOptionError} before anything runs instead of being ignored.
 */
import { InvalidArgumentError } from '../errors.js';
import type { SessionOptions } from '../session/types.js';
import type { DetachedOptions } from './detached.js';
import type { RunOptions } from './types.js';

/** An option object has a key the call does not know. Nothing was run, read or written. */
export class UnknownOptionError extends InvalidArgumentError {
  /** The unknown key. */
  readonly option: string;
  /** The known key it most likely meant, if one is close. */
  readonly suggestion: string | undefined;
  /** Where it was passed, e.g. `session.claude()`. */
  readonly where: string;
  constructor(option: string, where: string, known: readonly string[]) {
    const suggestion = closestName(option, known);
    super(
      `Unknown option ${JSON.stringify(option)} in ${where}` +
        (suggestion === undefined ? '.' : `: did you mean ${JSON.stringify(suggestion)}?`) +
        ` Known options: ${[...known].sort().join(', ')}.`,
    );
    this.name = 'UnknownOptionError';
    this.option = option;
    this.suggestion = suggestion;
    this.where = where;
  }
}

/**
 * Keys of {@link RunOptions}; the `satisfies` makes the compiler ask for every key the type declares.
 * `worktree` and `docker` are the guide's run modes: accepted here so code written for them is not
 * refused as a typo.
 */
const RUN = {
  resume: true,
  forkSession: true,
  sessionId: true,
  model: true,
  allowedTools: true,
  disallowedTools: true,
  systemPrompt: true,
  appendSystemPrompt: true,
  maxTurns: true,
  permissionMode: true,
  includePartialMessages: true,
  extraArgs: true,
  cwd: true,
  env: true,
  timeout: true,
  signal: true,
  claudeBin: true,
  verbose: true,
  onEvent: true,
} satisfies Record<Exclude<keyof RunOptions, RunModeKey>, true>;

type RunModeKey = 'worktree' | 'docker';
const RUN_MODES: readonly RunModeKey[] = ['worktree', 'docker'];

const DETACHED_ONLY = { logFile: true } satisfies Record<
  Exclude<keyof DetachedOptions, keyof RunOptions>,
  true
>;
const NOT_DETACHED = ['onEvent', 'timeout', 'signal'] as const;
/** The session picks the conversation itself. */
const SESSION_CHOSEN = ['resume', 'forkSession', 'sessionId'] as const;
const LEASE = ['onBusy', 'busyTimeoutMs'] as const;

/** Keys of `session()`'s options (`load` takes the same but `name` and `tags`). */
const SESSION = {
  name: true,
  storage: true,
  autoSave: true,
  cwd: true,
  tags: true,
  runner: true,
  defaults: true,
  assignSessionIds: true,
  onBusy: true,
  busyTimeoutMs: true,
  leaseTtlMs: true,
  redact: true,
} satisfies Record<Exclude<keyof SessionOptions, RunModeKey>, true>;
export const SESSION_OPTION_KEYS: readonly string[] = [...Object.keys(SESSION), ...RUN_MODES];

const runKeys = [...Object.keys(RUN), ...RUN_MODES];
const without = (keys: readonly string[], drop: readonly string[]) => keys.filter((k) => !drop.includes(k));

/** Known keys by kind of call. */
export const OPTION_KEYS = {
  run: runKeys,
  detached: [...without(runKeys, NOT_DETACHED), ...Object.keys(DETACHED_ONLY)],
  sessionTurn: [...without(runKeys, SESSION_CHOSEN), ...LEASE],
  sessionDetached: [
    ...without(without(runKeys, NOT_DETACHED), SESSION_CHOSEN),
    ...Object.keys(DETACHED_ONLY),
    ...LEASE,
  ],
  session: SESSION_OPTION_KEYS,
  load: without(SESSION_OPTION_KEYS, ['name', 'tags']),
} as const;

export type OptionKind = keyof typeof OPTION_KEYS;

/**
 * Throws when `options` is not an object (or undefined/null) or has an own key the kind of call does not
 * know. Session turns get a pointed message for `resume`, `forkSession` and `sessionId`, which the session
 * chooses itself.
 */
export function checkOptions(options: unknown, kind: OptionKind, where: string): void {
  if (options === undefined || options === null) return;
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidArgumentError(
      `${where}: options must be an object like { model: 'sonnet' }, got ${Array.isArray(options) ? 'an array' : typeof options}.`,
    );
  }
  const known: readonly string[] = OPTION_KEYS[kind];
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    if (
      (kind === 'sessionTurn' || kind === 'sessionDetached') &&
      (SESSION_CHOSEN as readonly string[]).includes(key)
    ) {
      throw new InvalidArgumentError(
        `${where}: ${key} is chosen by the session (it resumes its own conversation). Use session.load() ` +
          'to continue a saved session, s.setId(id) to point it at a Claude session id, or s.fork() to branch.',
      );
    }
    throw new UnknownOptionError(key, where, known);
  }
  if (
    (kind === 'detached' || kind === 'sessionDetached') &&
    (options as { verbose?: unknown }).verbose === true
  ) {
    throw new InvalidArgumentError(
      `${where}: verbose does not apply to a detached run; the CLI's whole stream is in its logFile (read it with readDetachedLog).`,
    );
  }
}

/**
 * The candidate `input` most likely meant: the same name in another case or spelling style
 * (`max_turns`, `max-turns`, `MaxTurns` → `maxTurns`), else the closest by edit distance when it is close
 * enough (1 edit for names up to 3 letters, else 2, or a third of the name's length for long names).
 */
export function closestName(input: string, candidates: readonly string[]): string | undefined {
  const flat = (s: string) => s.replace(/[-_\s]/g, '').toLowerCase();
  const same = candidates.find((c) => flat(c) === flat(input));
  if (same !== undefined) return same;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const d = editDistance(flat(input), flat(candidate));
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const limit = input.length <= 3 ? 1 : Math.max(2, Math.floor(input.length / 3));
  return bestDistance <= limit ? best : undefined;
}

/** Edits (insert, delete, replace, swap of neighbours) between two strings. */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = d[i] as number[];
      const above = d[i - 1] as number[];
      let value = Math.min(
        (above[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (above[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, ((d[i - 2] as number[])[j - 2] as number) + 1);
      }
      row[j] = value;
    }
  }
  return (d[rows - 1] as number[])[cols - 1] as number;
}
