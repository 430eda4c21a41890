/**
 * What the service keeps about a session beyond the conversation: whether it was ended and its default run
 * options. Both live in the session's stored `metadata.tags` under the reserved `cc.` prefix, so every
 * storage keeps them with the session, every replica sees them, and an operator can read them in the
 * backend:
 *
 * | tag | meaning |
 * |---|---|
 * | `cc.ended=<ISO time>` | the session was ended then; tasks are refused with 409 `SESSION_ENDED` |
 * | `cc.run=<JSON>` | default run options of its tasks (model, tools, permission mode, system prompt) |
 *
 * Tags without the prefix are the user's own; the API shows only those as `tags`.
 */
import type { SessionRunOptions } from '@channelcoder/session-core';

/** Tags starting with this are the service's; users cannot set them. */
export const SERVICE_TAG_PREFIX = 'cc.';
const ENDED = 'cc.ended=';
const RUN = 'cc.run=';

/** Default run options a session can carry (a subset of the CLI's flags). */
export interface SessionRunDefaults {
  model?: string;
  allowedTools?: string[];
  disallowedTools?: string[];
  permissionMode?: string;
  systemPrompt?: string;
  appendSystemPrompt?: string;
  maxTurns?: number;
}

/** The user's tags (service tags removed). */
export function userTags(tags: readonly string[] | undefined): string[] {
  return (tags ?? []).filter((t) => !t.startsWith(SERVICE_TAG_PREFIX));
}

/** When the session was ended, or undefined while it is active. */
export function endedAt(tags: readonly string[] | undefined): string | undefined {
  return tags?.find((t) => t.startsWith(ENDED))?.slice(ENDED.length);
}

/** The stored default run options (empty when none were given). */
export function runDefaults(tags: readonly string[] | undefined): SessionRunDefaults {
  const tag = tags?.find((t) => t.startsWith(RUN));
  if (tag === undefined) return {};
  try {
    const value = JSON.parse(tag.slice(RUN.length)) as unknown;
    return typeof value === 'object' && value !== null ? (value as SessionRunDefaults) : {};
  } catch {
    // A hand-edited tag that is not JSON: the session still runs, with the server's defaults.
    return {};
  }
}

/** The tags to store for a new session. */
export function serviceTags(user: readonly string[], defaults: SessionRunDefaults | undefined): string[] {
  const tags = [...user];
  if (defaults !== undefined && Object.keys(defaults).length > 0) tags.push(RUN + JSON.stringify(defaults));
  return tags;
}

/** The tags with the session marked ended at `at` (unchanged when already ended). */
export function withEnded(tags: readonly string[] | undefined, at: Date): string[] {
  const current = [...(tags ?? [])];
  if (endedAt(current) !== undefined) return current;
  return [...current, ENDED + at.toISOString()];
}

/** The tags without the ended mark (a fork of an ended session is active). */
export function withoutEnded(tags: readonly string[] | undefined): string[] {
  return (tags ?? []).filter((t) => !t.startsWith(ENDED));
}

/** Run options for `session()` from the stored defaults. */
export function toRunOptions(defaults: SessionRunDefaults): SessionRunOptions {
  const options: SessionRunOptions = {};
  if (defaults.model !== undefined) options.model = defaults.model;
  if (defaults.allowedTools !== undefined) options.allowedTools = defaults.allowedTools;
  if (defaults.disallowedTools !== undefined) options.disallowedTools = defaults.disallowedTools;
  if (defaults.permissionMode !== undefined) options.permissionMode = defaults.permissionMode;
  if (defaults.systemPrompt !== undefined) options.systemPrompt = defaults.systemPrompt;
  if (defaults.appendSystemPrompt !== undefined) options.appendSystemPrompt = defaults.appendSystemPrompt;
  if (defaults.maxTurns !== undefined) options.maxTurns = defaults.maxTurns;
  return options;
}
