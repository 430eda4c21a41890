/** Command-line parsing on node:util parseArgs; every problem becomes a UsageError (exit code 2). */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { closestName, findForbiddenKey, isForbiddenKey } from '@channelcoder/session-core/model';
import { UsageError } from './usage-error.js';

type Options = NonNullable<ParseArgsConfig['options']>;
export type ParsedValues = Record<string, string | boolean | string[] | undefined>;

export const STORAGE_OPTIONS = {
  storage: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

export const TURN_OPTIONS = {
  ...STORAGE_OPTIONS,
  prompt: { type: 'string', short: 'p' },
  file: { type: 'string' },
  'allow-template-permissions': { type: 'boolean' },
  redact: { type: 'boolean' },
  data: { type: 'string', short: 'd', multiple: true },
  session: { type: 'string' },
  force: { type: 'boolean' },
  'load-session': { type: 'string' },
  model: { type: 'string' },
  'system-prompt': { type: 'string' },
  'append-system-prompt': { type: 'string' },
  'allowed-tools': { type: 'string', multiple: true },
  'disallowed-tools': { type: 'string', multiple: true },
  'max-turns': { type: 'string' },
  'permission-mode': { type: 'string' },
  cwd: { type: 'string' },
  worktree: { type: 'string' },
  docker: { type: 'boolean' },
  'docker-image': { type: 'string' },
  timeout: { type: 'string' },
  wait: { type: 'string' },
  'no-wait': { type: 'boolean' },
  json: { type: 'boolean' },
} as const satisfies Options;

export interface Parsed {
  values: ParsedValues;
  positionals: string[];
}

/**
 * Parses `args` for `command`. `positionals` is the allowed count range; `help` short-circuits the count
 * check so `--help` always works.
 */
export function parseCommand(
  command: string,
  args: string[],
  options: Options,
  positionals: [min: number, max: number],
): Parsed {
  let parsed: Parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true }) as Parsed;
  } catch (err) {
    throw new UsageError(parseErrorMessage(err as Error & { code?: string }, options, command), command);
  }
  if (parsed.values.help === true) return parsed;
  const [min, max] = positionals;
  const count = parsed.positionals.length;
  if (count < min) throw new UsageError(`Missing argument${min - count === 1 ? '' : 's'}.`, command);
  if (count > max) {
    throw new UsageError(`Unexpected argument ${JSON.stringify(parsed.positionals[max])}.`, command);
  }
  return parsed;
}

/**
 * node:util's parse error in our words: the flag as typed, the flag it most likely meant, and how to pass
 * a prompt that starts with "-".
 */
function parseErrorMessage(err: Error & { code?: string }, options: Options, command: string): string {
  const quoted = /'(-[^' ]+)/.exec(err.message)?.[1];
  const flag = quoted?.split('=')[0];
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag !== undefined) {
    const names = Object.keys(options);
    const typed = flag.replace(/^-+/, '');
    const short = Object.entries(options).find(([, o]) => o.short === typed)?.[0];
    const meant = flag.startsWith('--') ? closestName(typed, names) : (short ?? closestName(typed, names));
    const prompt =
      'prompt' in options
        ? ` A prompt that starts with "-" goes after "--": \`channelcoder ${command} -- "${flag} …"\`.`
        : '';
    return `Unknown flag ${flag}${meant === undefined ? '.' : `: did you mean --${meant}?`}${prompt}`;
  }
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag !== undefined) {
    const name = flag.replace(/^-+/, '');
    const long = name in options ? name : Object.entries(options).find(([, o]) => o.short === name)?.[0];
    const option = long === undefined ? undefined : options[long];
    if (option?.type === 'boolean') return `--${long} takes no value.`;
    return `--${long ?? name} needs a value (--${long ?? name} VALUE).`;
  }
  return err.message.replace(/^TypeError.*?: /, '');
}

/** A string option's value, if given. */
export function stringOption(values: ParsedValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A positive integer option (`--limit`, `--max-turns`). */
export function positiveInteger(values: ParsedValues, name: string, command: string): number | undefined {
  const text = stringOption(values, name);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw new UsageError(`--${name} must be a positive integer, got ${JSON.stringify(text)}.`, command);
  }
  return Number(text);
}

/** A positive number of seconds, returned in milliseconds. */
export function secondsOption(values: ParsedValues, name: string, command: string): number | undefined {
  const text = stringOption(values, name);
  if (text === undefined) return undefined;
  const seconds = Number(text);
  if (text.trim() === '' || !(Number.isFinite(seconds) && seconds > 0)) {
    throw new UsageError(
      `--${name} must be a positive number of seconds, got ${JSON.stringify(text)}.`,
      command,
    );
  }
  return Math.round(seconds * 1000);
}

/** Comma-separated lists from a repeatable option. */
export function listOption(values: ParsedValues, name: string): string[] | undefined {
  const raw = values[name];
  if (!Array.isArray(raw)) return undefined;
  return raw
    .flatMap((item) => item.split(','))
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/**
 * `-d key=value` pairs as nested data. A key may be a dotted path (`user.name`). A value starting with
 * `[` or `{` is JSON; anything else stays text (the template's input schema converts numbers and booleans).
 * `__proto__`, `constructor` and `prototype` are refused anywhere in a key or a JSON value, and the data is
 * built from null-prototype objects, so no pair can reach a prototype.
 */
export function dataOption(values: ParsedValues, command: string): Record<string, unknown> {
  const data = Object.create(null) as Record<string, unknown>;
  const raw = values.data;
  if (!Array.isArray(raw)) return data;
  for (const pair of raw) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? '' : pair.slice(0, eq);
    if (!/^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/.test(key)) {
      throw new UsageError(
        `--data expects KEY=VALUE (KEY a name or a dotted path), got ${JSON.stringify(pair)}.`,
        command,
      );
    }
    if (key === 'session' || key.startsWith('session.')) {
      throw new UsageError(
        '--data cannot set "session": {session.*} comes from the loaded session.',
        command,
      );
    }
    const forbidden = key.split('.').find(isForbiddenKey);
    if (forbidden !== undefined) throw forbiddenKeyError(key, command);
    const text = pair.slice(eq + 1);
    let value: unknown = text;
    if (/^\s*[[{]/.test(text)) {
      try {
        value = JSON.parse(text);
      } catch {
        throw new UsageError(`--data ${key}: the value starts like JSON but is not valid JSON.`, command);
      }
      const inside = findForbiddenKey(value, key);
      if (inside !== undefined) throw forbiddenKeyError(inside, command);
    }
    const parts = key.split('.');
    let target = data;
    for (const part of parts.slice(0, -1)) {
      const next = target[part];
      if (typeof next !== 'object' || next === null || Array.isArray(next) || !Object.hasOwn(target, part))
        target[part] = Object.create(null);
      target = target[part] as Record<string, unknown>;
    }
    target[parts.at(-1) as string] = value;
  }
  return data;
}

function forbiddenKeyError(key: string, command: string): UsageError {
  return new UsageError(
    `--data ${key}: "__proto__", "constructor" and "prototype" are not allowed as data keys.`,
    command,
  );
}
