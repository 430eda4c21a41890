/**
 * The one place that turns a SessionState into its stored form and back: validation, date revival and
 * format upgrades. Adapters never revive dates or check fields themselves.
 *
 * Wire form: JSON, dates as ISO-8601 strings. Adapters that store a session in pieces (a small head plus
 * the messages) use `toWireHead` / `toWireMessage` and `assembleState`; whole-document adapters use
 * `serializeState` / `deserializeState`. Both paths validate the same way.
 */
import { UnsupportedFormatError } from './errors.js';
import {
  emptyUsage,
  FORMAT_VERSION,
  type ForkParent,
  type Message,
  type PendingTurn,
  type SessionMetadata,
  type SessionRunSettings,
  type SessionState,
  type TurnDetails,
  type UsageLedger,
} from './state.js';
import { type DecodeContext, WireReader } from './wire-reader.js';

export type { DecodeContext } from './wire-reader.js';

export interface WireMessage {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  timestamp: string;
  sessionId: string;
  turn?: TurnDetails;
  recovered?: boolean;
}

export interface WirePendingTurn {
  promptId: string;
  prompt: string;
  claudeSessionId?: string;
  startedAt: string;
}

export interface WireMetadata {
  name?: string;
  created: string;
  lastActive: string;
  cwd?: string;
  /** Absent in documents written before it existed. */
  projectKey?: string;
  parent?: ForkParent;
  tags?: string[];
  transcriptError?: string;
  /** Absent in documents written before sticky run options existed. */
  runOptions?: SessionRunSettings;
  systemPrompt?: string;
  appendSystemPrompt?: string;
}

export interface WireState {
  formatVersion: typeof FORMAT_VERSION;
  revision: number;
  sessionChain: string[];
  currentSessionId?: string;
  messages: WireMessage[];
  metadata: WireMetadata;
  usage: UsageLedger;
  /** Absent in documents written before pending turns existed (they load as having none). */
  pendingTurn?: WirePendingTurn;
}

/** Everything but the messages, plus what an adapter needs to append and list without reading messages. */
export interface WireHead extends Omit<WireState, 'messages'> {
  messageCount: number;
  /** Id of the last stored message: lets an adapter tell an append from a rewrite (after clear()). */
  lastMessageId?: string;
}

export function toWireMessage(m: Message): WireMessage {
  const wire: WireMessage = {
    id: m.id,
    role: m.role,
    content: m.content,
    timestamp: m.timestamp.toISOString(),
    sessionId: m.sessionId,
  };
  if (m.turn !== undefined) wire.turn = { ...m.turn };
  if (m.recovered === true) wire.recovered = true;
  return wire;
}

function toWireMetadata(md: SessionMetadata): WireMetadata {
  const wire: WireMetadata = { created: md.created.toISOString(), lastActive: md.lastActive.toISOString() };
  if (md.name !== undefined) wire.name = md.name;
  if (md.cwd !== undefined) wire.cwd = md.cwd;
  if (md.projectKey !== undefined) wire.projectKey = md.projectKey;
  if (md.parent !== undefined) wire.parent = { ...md.parent };
  if (md.tags !== undefined) wire.tags = [...md.tags];
  if (md.transcriptError !== undefined) wire.transcriptError = md.transcriptError;
  if (md.runOptions !== undefined) wire.runOptions = structuredClone(md.runOptions);
  if (md.systemPrompt !== undefined) wire.systemPrompt = md.systemPrompt;
  if (md.appendSystemPrompt !== undefined) wire.appendSystemPrompt = md.appendSystemPrompt;
  return wire;
}

export function toWireHead(state: SessionState): WireHead {
  const head: WireHead = {
    formatVersion: FORMAT_VERSION,
    revision: state.revision,
    sessionChain: [...state.sessionChain],
    metadata: toWireMetadata(state.metadata),
    usage: { ...state.usage },
    messageCount: state.messages.length,
  };
  if (state.currentSessionId !== undefined) head.currentSessionId = state.currentSessionId;
  if (state.pendingTurn !== undefined) head.pendingTurn = toWirePendingTurn(state.pendingTurn);
  const last = state.messages.at(-1);
  if (last !== undefined) head.lastMessageId = last.id;
  return head;
}

function toWirePendingTurn(p: PendingTurn): WirePendingTurn {
  const wire: WirePendingTurn = {
    promptId: p.promptId,
    prompt: p.prompt,
    startedAt: p.startedAt.toISOString(),
  };
  if (p.claudeSessionId !== undefined) wire.claudeSessionId = p.claudeSessionId;
  return wire;
}

export function toWireState(state: SessionState): WireState {
  const { messageCount: _count, lastMessageId: _last, ...head } = toWireHead(state);
  return { ...head, messages: state.messages.map(toWireMessage) };
}

/** The state as JSON text (the stored document of whole-document adapters). */
export function serializeState(state: SessionState): string {
  return JSON.stringify(toWireState(state));
}

/**
 * Validates, upgrades and revives a stored session (JSON text, bytes or an already-parsed value).
 * Format 0 is the seed-era ChannelCoder 3.x layout (no formatVersion, no revision, no message ids); it is
 * upgraded, and reads as revision 1 because it was stored once.
 *
 * @throws SessionCorruptError naming the first bad field; UnsupportedFormatError for a newer format.
 */
export function deserializeState(input: unknown, ctx: DecodeContext): SessionState {
  const r = new WireReader(ctx);
  const doc = r.object(r.parse(input), '(document)');
  const messages = r.array(doc.messages, 'messages');
  return assembleFromParts(r, ctx, doc, messages);
}

/** Validates a stored head (list metadata) without touching messages. */
export function fromWireHead(input: unknown, ctx: DecodeContext): WireHeadInfo {
  const r = new WireReader(ctx);
  const doc = r.object(r.parse(input), '(head)');
  const version = readFormatVersion(r, ctx, doc);
  const head = readHead(r, doc, version);
  const messageCount = doc.messageCount === undefined ? 0 : r.integer(doc.messageCount, 'messageCount');
  const info: WireHeadInfo = { ...head, messageCount };
  if (doc.lastMessageId !== undefined) info.lastMessageId = r.string(doc.lastMessageId, 'lastMessageId');
  return info;
}

/** A validated head: the state without messages, dates revived. */
export interface WireHeadInfo extends Omit<SessionState, 'messages'> {
  messageCount: number;
  lastMessageId?: string;
}

/**
 * Joins a stored head and its stored messages (each JSON text or parsed) into a validated state.
 * A head whose messageCount disagrees with the messages found is corrupt (a torn write), never half-loaded.
 */
export function assembleState(head: unknown, messages: readonly unknown[], ctx: DecodeContext): SessionState {
  const r = new WireReader(ctx);
  const doc = r.object(r.parse(head), '(head)');
  const parsed = messages.map((m) => r.parse(m));
  if (doc.messageCount !== undefined && r.integer(doc.messageCount, 'messageCount') !== parsed.length) {
    r.fail('messages', `has ${parsed.length} entries but the head records ${String(doc.messageCount)}`);
  }
  return assembleFromParts(r, ctx, doc, parsed);
}

function readFormatVersion(r: WireReader, ctx: DecodeContext, doc: Record<string, unknown>): number {
  if (doc.formatVersion === undefined) return 0;
  const version = r.integer(doc.formatVersion, 'formatVersion');
  if (version > FORMAT_VERSION) throw new UnsupportedFormatError(ctx.name, version, FORMAT_VERSION);
  return version;
}

function assembleFromParts(
  r: WireReader,
  ctx: DecodeContext,
  doc: Record<string, unknown>,
  rawMessages: readonly unknown[],
): SessionState {
  const version = readFormatVersion(r, ctx, doc);
  const head = readHead(r, doc, version);
  const messages = rawMessages.map((m, i) => readMessage(r, m, i, version, head.metadata.lastActive));
  if (version === 0 && doc.usage === undefined)
    head.usage.turns = messages.filter((m) => m.role === 'assistant').length;
  return { ...head, messages };
}

function readHead(
  r: WireReader,
  doc: Record<string, unknown>,
  version: number,
): Omit<SessionState, 'messages'> {
  const metadata = readMetadata(r, r.object(doc.metadata, 'metadata'));
  const state: Omit<SessionState, 'messages'> = {
    formatVersion: FORMAT_VERSION,
    // Format 0 had no revision; it was stored once, so it reads as revision 1.
    revision: version === 0 && doc.revision === undefined ? 1 : r.integer(doc.revision, 'revision'),
    sessionChain:
      doc.sessionChain === undefined && version === 0 ? [] : r.stringArray(doc.sessionChain, 'sessionChain'),
    metadata,
    usage:
      version === 0 && doc.usage === undefined ? emptyUsage() : readUsage(r, r.object(doc.usage, 'usage')),
  };
  const current = r.optionalString(doc.currentSessionId, 'currentSessionId');
  if (current !== undefined) state.currentSessionId = current;
  if (doc.pendingTurn !== undefined && doc.pendingTurn !== null) {
    const p = r.object(doc.pendingTurn, 'pendingTurn');
    const pending: PendingTurn = {
      promptId: r.string(p.promptId, 'pendingTurn.promptId'),
      prompt: r.string(p.prompt, 'pendingTurn.prompt'),
      startedAt: r.date(p.startedAt, 'pendingTurn.startedAt'),
    };
    const id = r.optionalString(p.claudeSessionId, 'pendingTurn.claudeSessionId');
    if (id !== undefined) pending.claudeSessionId = id;
    state.pendingTurn = pending;
  }
  return state;
}

function readMetadata(r: WireReader, md: Record<string, unknown>): SessionMetadata {
  const out: SessionMetadata = {
    created: r.date(md.created, 'metadata.created'),
    lastActive: r.date(md.lastActive, 'metadata.lastActive'),
  };
  const name = r.optionalString(md.name, 'metadata.name');
  if (name !== undefined) out.name = name;
  const cwd = r.optionalString(md.cwd, 'metadata.cwd');
  if (cwd !== undefined) out.cwd = cwd;
  const projectKey = r.optionalString(md.projectKey, 'metadata.projectKey');
  if (projectKey !== undefined) out.projectKey = projectKey;
  if (md.tags !== undefined && md.tags !== null) out.tags = r.stringArray(md.tags, 'metadata.tags');
  const transcriptError = r.optionalString(md.transcriptError, 'metadata.transcriptError');
  if (transcriptError !== undefined) out.transcriptError = transcriptError;
  if (md.runOptions !== undefined && md.runOptions !== null)
    out.runOptions = readRunSettings(r, r.object(md.runOptions, 'metadata.runOptions'));
  const systemPrompt = r.optionalString(md.systemPrompt, 'metadata.systemPrompt');
  if (systemPrompt !== undefined) out.systemPrompt = systemPrompt;
  const appendSystemPrompt = r.optionalString(md.appendSystemPrompt, 'metadata.appendSystemPrompt');
  if (appendSystemPrompt !== undefined) out.appendSystemPrompt = appendSystemPrompt;
  if (md.parent !== undefined && md.parent !== null) {
    const p = r.object(md.parent, 'metadata.parent');
    out.parent = {
      name: r.string(p.name, 'metadata.parent.name'),
      sessionId: r.string(p.sessionId, 'metadata.parent.sessionId'),
      messageCount: r.integer(p.messageCount, 'metadata.parent.messageCount'),
    };
    const messageUuid = r.optionalString(p.messageUuid, 'metadata.parent.messageUuid');
    if (messageUuid !== undefined) out.parent.messageUuid = messageUuid;
  }
  return out;
}

function readRunSettings(r: WireReader, o: Record<string, unknown>): SessionRunSettings {
  const at = 'metadata.runOptions';
  const out: SessionRunSettings = {};
  for (const key of ['model', 'permissionMode'] as const) {
    const value = r.optionalString(o[key], `${at}.${key}`);
    if (value !== undefined) out[key] = value;
  }
  for (const key of ['allowedTools', 'disallowedTools'] as const) {
    if (o[key] !== undefined && o[key] !== null) out[key] = r.stringArray(o[key], `${at}.${key}`);
  }
  if (o.worktree !== undefined && o.worktree !== null) {
    const w = r.object(o.worktree, `${at}.worktree`);
    out.worktree = {
      branch: r.string(w.branch, `${at}.worktree.branch`),
      path: r.string(w.path, `${at}.worktree.path`),
      repository: r.string(w.repository, `${at}.worktree.repository`),
    };
  }
  if (o.docker !== undefined && o.docker !== null) {
    const d = r.object(o.docker, `${at}.docker`);
    const docker: NonNullable<SessionRunSettings['docker']> = {};
    for (const key of ['image', 'dockerfile'] as const) {
      const value = r.optionalString(d[key], `${at}.docker.${key}`);
      if (value !== undefined) docker[key] = value;
    }
    for (const key of ['mounts', 'envNames'] as const) {
      if (d[key] !== undefined && d[key] !== null) docker[key] = r.stringArray(d[key], `${at}.docker.${key}`);
    }
    out.docker = docker;
  }
  return out;
}

function readUsage(r: WireReader, u: Record<string, unknown>): UsageLedger {
  const ledger = emptyUsage();
  for (const key of Object.keys(ledger) as (keyof UsageLedger)[]) {
    ledger[key] = u[key] === undefined ? 0 : r.number(u[key], `usage.${key}`);
  }
  return ledger;
}

function readMessage(r: WireReader, raw: unknown, i: number, version: number, fallbackTime: Date): Message {
  if (version !== 0) {
    const fast = readCurrentMessage(raw);
    if (fast !== undefined) return fast;
  }
  const at = `messages[${i}]`;
  const m = r.object(raw, at);
  const role = r.string(m.role, `${at}.role`);
  if (role !== 'user' && role !== 'assistant') r.fail(`${at}.role`, 'is neither "user" nor "assistant"');
  const legacy = version === 0;
  const msg: Message = {
    id: legacy && m.id === undefined ? `legacy-${i}` : r.string(m.id, `${at}.id`),
    role,
    content: r.string(m.content, `${at}.content`),
    timestamp:
      legacy && m.timestamp === undefined ? new Date(fallbackTime) : r.date(m.timestamp, `${at}.timestamp`),
    sessionId:
      legacy && (m.sessionId === undefined || m.sessionId === null)
        ? ''
        : r.string(m.sessionId, `${at}.sessionId`),
  };
  if (m.turn !== undefined && m.turn !== null)
    msg.turn = readTurn(r, r.object(m.turn, `${at}.turn`), `${at}.turn`);
  if (m.recovered !== undefined && m.recovered !== null && r.boolean(m.recovered, `${at}.recovered`))
    msg.recovered = true;
  return msg;
}

function readTurn(r: WireReader, t: Record<string, unknown>, at: string): TurnDetails {
  const turn: TurnDetails = {};
  for (const key of ['costUsd', 'durationMs', 'inputTokens', 'outputTokens'] as const) {
    const n = r.optionalNumber(t[key], `${at}.${key}`);
    if (n !== undefined) turn[key] = n;
  }
  for (const key of ['isError', 'interrupted', 'costUnknown'] as const) {
    if (t[key] !== undefined && t[key] !== null) turn[key] = r.boolean(t[key], `${at}.${key}`);
  }
  const error = r.optionalString(t.error, `${at}.error`);
  if (error !== undefined) turn.error = error;
  return turn;
}

const MESSAGE_KEYS = new Set(['id', 'role', 'content', 'timestamp', 'sessionId', 'turn']);
const TURN_NUMBERS = ['costUsd', 'durationMs', 'inputTokens', 'outputTokens'] as const;
const TURN_KEYS = new Set<string>([...TURN_NUMBERS, 'isError', 'error']);
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T/;

/** `text[at…at+width)` as a decimal number, or -1 when any of those characters is not a digit. */
function digitsAt(text: string, at: number, width: number): number {
  let n = 0;
  for (let i = at; i < at + width; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * The epoch milliseconds of a timestamp exactly as `Date#toISOString` writes one
 * (`YYYY-MM-DDTHH:mm:ss.sssZ`), without the general date parser (about a fifth of its time, and loads of
 * long sessions parse one per message). Undefined for anything else, and for the values where `new Date`
 * does more than read the fields (years before 1000, days past the 28th, which it rolls into the next
 * month when the month is shorter), so callers fall back to `new Date(text)` and get the same result.
 */
function isoMillis(text: string): number | undefined {
  if (
    text.length !== 24 ||
    text.charCodeAt(4) !== 45 || // -
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 84 || // T
    text.charCodeAt(13) !== 58 || // :
    text.charCodeAt(16) !== 58 ||
    text.charCodeAt(19) !== 46 || // .
    text.charCodeAt(23) !== 90 // Z
  )
    return undefined;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  const ms = digitsAt(text, 20, 3);
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > 28 || hour < 0 || hour > 23)
    return undefined;
  if (minute < 0 || minute > 59 || second < 0 || second > 59 || ms < 0) return undefined;
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}

/**
 * The common case of `readMessage` without building a field path per field: a current-format message with
 * only known fields, every one well-formed. Anything else (including every error) returns undefined and
 * takes the checked path, which names the bad field. Loads of long sessions spend most of their time here.
 */
function readCurrentMessage(raw: unknown): Message | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const m = raw as Record<string, unknown>;
  for (const key in m) if (!MESSAGE_KEYS.has(key)) return undefined;
  const { id, role, content, timestamp, sessionId, turn } = m;
  if (typeof id !== 'string' || typeof content !== 'string' || typeof sessionId !== 'string')
    return undefined;
  if ((role !== 'user' && role !== 'assistant') || typeof timestamp !== 'string' || !ISO_DATE.test(timestamp))
    return undefined;
  const date = new Date(isoMillis(timestamp) ?? timestamp);
  if (Number.isNaN(date.getTime())) return undefined;
  const msg: Message = { id, role, content, timestamp: date, sessionId };
  if (turn === undefined || turn === null) return msg;
  if (typeof turn !== 'object' || Array.isArray(turn)) return undefined;
  const t = turn as Record<string, unknown>;
  const details: TurnDetails = {};
  for (const key in t) if (!TURN_KEYS.has(key)) return undefined;
  for (const key of TURN_NUMBERS) {
    const n = t[key];
    if (n === undefined || n === null) continue;
    if (typeof n !== 'number' || !Number.isFinite(n)) return undefined;
    details[key] = n;
  }
  if (t.isError !== undefined && t.isError !== null) {
    if (typeof t.isError !== 'boolean') return undefined;
    details.isError = t.isError;
  }
  if (t.error !== undefined && t.error !== null) {
    if (typeof t.error !== 'string') return undefined;
    details.error = t.error;
  }
  msg.turn = details;
  return msg;
}
