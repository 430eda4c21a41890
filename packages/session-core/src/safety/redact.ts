/**
 * Opt-in masking of secrets in what a session stores: message contents (and turn errors) and mirrored
 * transcript lines. Off by default: a stored conversation is what was said. When on, a rule's match is
 * replaced by `[REDACTED:<rule>]` before the storage sees it; the session object in memory keeps the
 * original text for the rest of its life, and the model saw the original too (redaction protects storage,
 * exports and other machines, not the conversation itself).
 */
import type { Message } from '../state.js';
import type { SessionStorage } from '../storage.js';

/** One kind of secret. A named group `secret` limits the mask to that part of the match. */
export interface RedactionRule {
  name: string;
  /** Must have the `g` flag. */
  pattern: RegExp;
}

/** Well-known key formats. */
export const BUILT_IN_REDACTION_RULES: readonly RedactionRule[] = [
  { name: 'anthropic-key', pattern: /sk-ant-[A-Za-z0-9_-]{20,}/g },
  { name: 'aws-access-key-id', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
  {
    name: 'aws-secret-access-key',
    pattern: /aws_?secret_?access_?key["']?\s*[=:]\s*["']?(?<secret>[A-Za-z0-9/+=]{40})/gi,
  },
  { name: 'github-token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g },
  { name: 'bearer-token', pattern: /\bBearer\s+(?<secret>[A-Za-z0-9._~+/-]{8,}=*)/gi },
  { name: 'url-password', pattern: /[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:(?<secret>[^\s@]+)@/gi },
];

/** Names of variables whose values count as secrets of this process. */
const SECRET_VARIABLE = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH|PRIVATE|_PAT$|STORAGE$/i;

export interface RedactOptions {
  /** Rules to apply; default {@link BUILT_IN_REDACTION_RULES}. */
  rules?: readonly RedactionRule[];
  /**
   * Mask the values (8 characters or more) of this environment's variables whose names look secret
   * (`*KEY*`, `*TOKEN*`, `*SECRET*`, `*PASSWORD*`, `*CREDENTIAL*`, `*AUTH*`, …). Default `process.env`;
   * `false` turns it off.
   */
  env?: NodeJS.ProcessEnv | false;
}

/** Masks secrets in one text. */
export type Redactor = (text: string) => string;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A redactor with the given (or built-in) rules and the process's own secret values. */
export function createRedactor(options: RedactOptions = {}): Redactor {
  const rules = [...(options.rules ?? BUILT_IN_REDACTION_RULES)];
  const env = options.env === undefined ? process.env : options.env;
  if (env !== false) {
    const values = Object.keys(env)
      .filter((key) => SECRET_VARIABLE.test(key))
      .map((key) => env[key])
      .filter((value): value is string => typeof value === 'string' && value.length >= 8)
      .sort((a, b) => b.length - a.length);
    if (values.length > 0) {
      rules.push({ name: 'environment', pattern: new RegExp(values.map(escapeRegExp).join('|'), 'g') });
    }
  }
  return (text) => {
    let out = text;
    for (const rule of rules) {
      out = out.replace(rule.pattern, (...args: unknown[]) => {
        const match = args[0] as string;
        const groups = args.at(-1);
        const secret =
          typeof groups === 'object' && groups !== null ? (groups as { secret?: string }).secret : undefined;
        const mask = `[REDACTED:${rule.name}]`;
        return secret === undefined ? mask : match.replace(secret, mask);
      });
    }
    return out;
  };
}

/** Every string inside `value` (JSON-like: objects, arrays) redacted; other values as they are. */
export function redactDeep(value: unknown, redact: Redactor): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, redact));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value))
      out[key] = redactDeep((value as Record<string, unknown>)[key], redact);
    return out;
  }
  return value;
}

function redactMessage(message: Message, redact: Redactor): Message {
  const out: Message = { ...message, content: redact(message.content) };
  if (message.turn?.error !== undefined) out.turn = { ...message.turn, error: redact(message.turn.error) };
  return out;
}

/**
 * `storage` with messages and transcript lines redacted on their way in. Every other method and
 * capability is the storage's own (detected as usual).
 */
export function redactingStorage(storage: SessionStorage, redact: Redactor): SessionStorage {
  return new Proxy(storage, {
    get(target, property) {
      if (property === 'save') {
        return async (state: Parameters<SessionStorage['save']>[0], ...rest: unknown[]) => {
          const copy = { ...state, messages: state.messages.map((m) => redactMessage(m, redact)) };
          try {
            return await (target.save as (...args: unknown[]) => Promise<string>).call(target, copy, ...rest);
          } finally {
            // The storage bumps the revision of what it was given; the caller's state must follow.
            state.revision = copy.revision;
          }
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      if (property === 'appendTranscript' && typeof value === 'function') {
        return (name: string, id: string, entries: readonly unknown[], ...rest: unknown[]) =>
          value.call(
            target,
            name,
            id,
            entries.map((entry) => redactDeep(entry, redact)),
            ...rest,
          );
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** What `session({ redact })` accepts: `true` for the built-in rules, options, or a redactor of your own. */
export type RedactSetting = boolean | RedactOptions | Redactor;

/** The storage a session with this setting writes through. */
export function withRedaction(storage: SessionStorage, setting: RedactSetting | undefined): SessionStorage {
  if (setting === undefined || setting === false) return storage;
  const redact = typeof setting === 'function' ? setting : createRedactor(setting === true ? {} : setting);
  return redactingStorage(storage, redact);
}
