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
  // A document parsed here is this call's alone, so its messages may become the state's.
  return assembleFromParts(r, ctx, doc, messages, isText(input));
}

/** Whether `r.parse(input)` parses (so what it returns is new and nobody else's). */
function isText(input: unknown): boolean {
  return typeof input === 'string' || input instanceof Uint8Array;
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

/** Options of {@link assembleState}. */
export interface AssembleOptions {
  /**
   * The already-parsed messages were made for this call alone (by the adapter's own `JSON.parse` of what it
   * read) and nothing else holds them: the state may take them over (a message object becomes the loaded
   * message, its timestamp replaced by a Date) instead of copying each. Never set it for values the caller
   * keeps (a cache, an in-memory store). Messages given as JSON text are always parsed for the call alone.
   */
  ownedMessages?: boolean;
}

/**
 * Joins a stored head and its stored messages (each JSON text or parsed) into a validated state.
 * A head whose messageCount disagrees with the messages found is corrupt (a torn write), never half-loaded.
 */
export function assembleState(
  head: unknown,
  messages: readonly unknown[],
  ctx: DecodeContext,
  options?: AssembleOptions,
): SessionState {
  const r = new WireReader(ctx);
  const doc = r.object(r.parse(head), '(head)');
  if (doc.messageCount !== undefined && r.integer(doc.messageCount, 'messageCount') !== messages.length) {
    r.fail('messages', `has ${messages.length} entries but the head records ${String(doc.messageCount)}`);
  }
  const owned = options?.ownedMessages === true;
  if (owned || messages.length === 0 || isText(messages[0])) {
    // Parsed here (each text anew) or handed over: the values may become the state's messages.
    const parsed = owned ? messages : messages.map((m) => r.parse(m));
    return assembleFromParts(r, ctx, doc, parsed, owned || messages.every(isText));
  }
  return assembleFromParts(r, ctx, doc, messages, false);
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
  reuse: boolean,
): SessionState {
  const version = readFormatVersion(r, ctx, doc);
  const head = readHead(r, doc, version);
  const fallbackTime = head.metadata.lastActive;
  const messages: Message[] = [];
  if (version === 0) {
    for (let i = 0; i < rawMessages.length; i++)
      messages.push(readMessage(r, rawMessages[i], i, version, fallbackTime));
  }
  for (let from = 0; version !== 0 && from < rawMessages.length; from += ISO_BATCH) {
    const to = Math.min(from + ISO_BATCH, rawMessages.length);
    const millis = isoMillisOf(rawMessages, from, to);
    for (let i = from; i < to; i++) {
      const raw = rawMessages[i];
      const fast = readCurrentMessage(raw, reuse, millis[i - from]!);
      messages.push(fast ?? readMessage(r, raw, i, version, fallbackTime));
    }
  }
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

/** A message by the checked path: every field validated with its path, format 0 upgraded. */
function readMessage(r: WireReader, raw: unknown, i: number, version: number, fallbackTime: Date): Message {
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

const TURN_NUMBER = 1;
const TURN_BOOLEAN = 2;
const TURN_STRING = 3;

/** The type of a known `turn` field ({@link TURN_NUMBER}, …), 0 for any other key. */
function turnFieldType(key: string): number {
  switch (key) {
    case 'costUsd':
    case 'durationMs':
    case 'inputTokens':
    case 'outputTokens':
      return TURN_NUMBER;
    case 'isError':
    case 'interrupted':
    case 'costUnknown':
      return TURN_BOOLEAN;
    case 'error':
      return TURN_STRING;
    default:
      return 0;
  }
}
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T/;
/** The length of a timestamp as `Date#toISOString` writes one: `YYYY-MM-DDTHH:mm:ss.sssZ`. */
const ISO_LENGTH = 24;
/** Stands in for a timestamp of another form in {@link isoMillisOf}: not a timestamp, so never read as one. */
const NOT_ISO = ' '.repeat(ISO_LENGTH);
/** Days before each month of a common year (index 0 = January). */
const DAYS_BEFORE_MONTH = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Timestamps read per {@link isoMillisOf} call: its text stays small enough to die young. */
const ISO_BATCH = 2048;
/** Scratch of {@link isoMillisOf}: made on first use, then reused (a load allocates nothing outside the heap). */
let isoScratch: { units: Uint16Array; bytes: Buffer; millis: Float64Array } | undefined;

/**
 * The epoch milliseconds of the timestamps of `raw[from…to)` (at most {@link ISO_BATCH}) that are written
 * exactly as `Date#toISOString` writes one, NaN for every other message (any other form, or no string at
 * all: those take `new Date(text)`). Valid until the next call.
 *
 * Loads of long sessions read one timestamp per message, and reading a string one character at a time
 * costs several times the rest of the message's checks; so the timestamps are joined, copied once into
 * 16-bit code units (every character exactly, so no other character can pass for a digit) and their
 * digits read from those.
 */
function isoMillisOf(raw: readonly unknown[], from: number, to: number): Float64Array {
  const texts: string[] = [];
  for (let i = from; i < to; i++) {
    const m = raw[i];
    const text = typeof m === 'object' && m !== null ? (m as { timestamp?: unknown }).timestamp : undefined;
    texts.push(typeof text === 'string' && text.length === ISO_LENGTH ? text : NOT_ISO);
  }
  if (isoScratch === undefined) {
    const units = new Uint16Array(ISO_BATCH * ISO_LENGTH);
    const bytes = Buffer.from(units.buffer, units.byteOffset, units.byteLength);
    isoScratch = { units, bytes, millis: new Float64Array(ISO_BATCH) };
  }
  const { units, bytes, millis } = isoScratch;
  bytes.write(texts.join(''), 'utf16le');
  for (let i = 0; i < texts.length; i++) millis[i] = isoMillisAt(units, i * ISO_LENGTH);
  return millis;
}

/** The decimal number of the code units `b[at…at+width)`, or -1 when any of them is not a digit. */
function digitsAt(b: Uint16Array, at: number, width: number): number {
  let n = 0;
  for (let i = at; i < at + width; i++) {
    const d = b[i]! - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * The epoch milliseconds of the timestamp at `b[at…at+24)` written exactly as `Date#toISOString` writes one,
 * by arithmetic on its digits; NaN for anything else and for what `new Date` reads differently from its
 * fields (years before 1000, which it may take as two-digit years; days the month does not have, which it
 * rolls into the next month; hour 24), so the caller falls back to `new Date(text)` and gets its result.
 */
function isoMillisAt(b: Uint16Array, at: number): number {
  if (
    b[at + 4] !== 45 || // -
    b[at + 7] !== 45 ||
    b[at + 10] !== 84 || // T
    b[at + 13] !== 58 || // :
    b[at + 16] !== 58 ||
    b[at + 19] !== 46 || // .
    b[at + 23] !== 90 // Z
  )
    return Number.NaN;
  const year = digitsAt(b, at, 4);
  const month = digitsAt(b, at + 5, 2);
  const day = digitsAt(b, at + 8, 2);
  const hour = digitsAt(b, at + 11, 2);
  const minute = digitsAt(b, at + 14, 2);
  const second = digitsAt(b, at + 17, 2);
  const ms = digitsAt(b, at + 20, 3);
  if (year < 1000 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23) return Number.NaN;
  if (minute < 0 || minute > 59 || second < 0 || second > 59 || ms < 0) return Number.NaN;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > DAYS_IN_MONTH[month - 1]! || (month === 2 && day === 29 && !leap)) return Number.NaN;
  // Days since 1970-01-01: the whole years before this one (with their leap days), then its months and days.
  const y = year - 1;
  const days =
    365 * (year - 1970) +
    (Math.floor(y / 4) - Math.floor(y / 100) + Math.floor(y / 400) - 477) +
    DAYS_BEFORE_MONTH[month - 1]! +
    (month > 2 && leap ? 1 : 0) +
    day -
    1;
  return ((days * 24 + hour) * 60 + minute) * 60000 + second * 1000 + ms;
}

/** A stored timestamp as a Date exactly as `new Date(text)` reads it, or undefined when not a valid one. */
function readTimestamp(text: string, millis: number): Date | undefined {
  if (!Number.isNaN(millis)) return new Date(millis);
  if (!ISO_DATE.test(text)) return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Where a key of a current-format message sits in the order `toWireMessage` writes them; 0 if unknown. */
function messageKeyOrder(key: string): number {
  switch (key) {
    case 'id':
      return 1;
    case 'role':
      return 2;
    case 'content':
      return 3;
    case 'timestamp':
      return 4;
    case 'sessionId':
      return 5;
    case 'turn':
      return 6;
    case 'recovered':
      return 7;
    default:
      return 0;
  }
}

/**
 * Whether a stored `turn` holds only known fields, each of its type (null in none): then it is exactly
 * what {@link readTurn} would copy out of it, key order aside.
 */
function plainTurn(turn: unknown): turn is TurnDetails {
  if (typeof turn !== 'object' || turn === null || Array.isArray(turn)) return false;
  const t = turn as Record<string, unknown>;
  for (const key in t) {
    const value = t[key];
    switch (turnFieldType(key)) {
      case TURN_NUMBER:
        if (typeof value !== 'number' || !Number.isFinite(value)) return false;
        break;
      case TURN_BOOLEAN:
        if (typeof value !== 'boolean') return false;
        break;
      case TURN_STRING:
        if (typeof value !== 'string') return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/**
 * The common case of `readMessage` without building a field path per field: a current-format message with
 * only known fields, every one well-formed. Anything else (including every error) returns undefined and
 * takes the checked path, which names the bad field. Loads of long sessions spend most of their time here.
 * `millis` is what {@link isoMillisOf} read from its timestamp (NaN: read it with `new Date`).
 *
 * With `reuse` (the caller parsed `raw` for this load alone and nothing else holds it), a message whose keys
 * come in the order `toWireMessage` writes them and whose turn is {@link plainTurn} becomes the loaded
 * message itself: only its timestamp is replaced by the Date. That is the same value the copy would be,
 * without allocating the copy (a load of a long session is mostly allocation and garbage collection).
 */
function readCurrentMessage(raw: unknown, reuse: boolean, millis: number): Message | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const m = raw as Record<string, unknown>;
  let last = 0;
  let ordered = true;
  for (const key in m) {
    const at = messageKeyOrder(key);
    if (at === 0) return undefined;
    if (at < last) ordered = false;
    last = at;
  }
  const { id, role, content, timestamp, sessionId, turn, recovered } = m;
  if (typeof id !== 'string' || typeof content !== 'string' || typeof sessionId !== 'string')
    return undefined;
  if ((role !== 'user' && role !== 'assistant') || typeof timestamp !== 'string') return undefined;
  if (recovered !== undefined && recovered !== true) return undefined;
  const date = readTimestamp(timestamp, millis);
  if (date === undefined) return undefined;
  const hasTurn = turn !== undefined && turn !== null;
  if (hasTurn && !plainTurn(turn)) return copyMessage(id, role, content, date, sessionId, turn, recovered);
  if (reuse && ordered && turn !== null) {
    m.timestamp = date;
    return m as unknown as Message;
  }
  const msg: Message = { id, role, content, timestamp: date, sessionId };
  if (hasTurn) msg.turn = copyTurn(turn as TurnDetails);
  if (recovered === true) msg.recovered = true;
  return msg;
}

/** A copy of a {@link plainTurn}, its fields in the order {@link readTurn} writes them. */
function copyTurn(t: TurnDetails): TurnDetails {
  const turn: TurnDetails = {};
  if (t.costUsd !== undefined) turn.costUsd = t.costUsd;
  if (t.durationMs !== undefined) turn.durationMs = t.durationMs;
  if (t.inputTokens !== undefined) turn.inputTokens = t.inputTokens;
  if (t.outputTokens !== undefined) turn.outputTokens = t.outputTokens;
  if (t.isError !== undefined) turn.isError = t.isError;
  if (t.interrupted !== undefined) turn.interrupted = t.interrupted;
  if (t.costUnknown !== undefined) turn.costUnknown = t.costUnknown;
  if (t.error !== undefined) turn.error = t.error;
  return turn;
}

/** A message whose turn has null fields (dropped, as {@link readTurn} does) or fails its checks. */
function copyMessage(
  id: string,
  role: 'user' | 'assistant',
  content: string,
  timestamp: Date,
  sessionId: string,
  turn: unknown,
  recovered: unknown,
): Message | undefined {
  if (typeof turn !== 'object' || turn === null || Array.isArray(turn)) return undefined;
  const t = turn as Record<string, unknown>;
  const details: TurnDetails = {};
  for (const key in t) {
    const value = t[key];
    if (value === null) {
      if (turnFieldType(key) === 0) return undefined;
      continue;
    }
    (details as Record<string, unknown>)[key] = value;
  }
  if (!plainTurn(details)) return undefined;
  const msg: Message = { id, role, content, timestamp, sessionId, turn: details };
  if (recovered === true) msg.recovered = true;
  return msg;
}
