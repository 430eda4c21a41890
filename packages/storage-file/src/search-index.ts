/**
 * The search index: `<root>/.search-index.jsonl`, the words of every session, so `search()` reads only the
 * sessions that contain every word of the query (DESIGN 13).
 *
 * Lines (each written as one O_APPEND write, `\n` before and after, never fsync'd):
 * - `{"n": name, "s": stamp, "c": [claude ids], "w": " word word …"}` after each save: the words of all
 *   stored messages and the conversation ids whose transcripts count, for the head file with stamp `s`;
 * - `{"n": name, "t": claude id, "a": from, "l": to, "s": stamp, "w": " …"}` after each transcript append: the
 *   words of the transcript lines `a` to `l` (a superset: every entry given to the append), for the
 *   transcript head with stamp `s`.
 *
 * A session's words are trusted only while its head file (and each transcript head) still has the recorded
 * stamp, and a transcript's lines chain back to line 0; otherwise search reads that session and appends
 * fresh lines. So the index can be stale, torn, missing or deleted at any time (a crash between a commit and
 * its line, a hand edit) without changing what `search()` returns, only how fast; it is never read by
 * `load()` and never touches session data. Search rewrites it (temp file + rename) when it has grown stale.
 *
 * Words are what `searchWords` makes of the text (runs of letters and digits, lower case); a query matches a
 * session when each of its words begins some word of the session. The candidates are then checked exactly
 * with the scan's own matching (`sessionSnippets`), so results equal the scan's.
 */
import { constants, type Stats } from 'node:fs';
import { lstat, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SearchOptions, SearchResult, SessionState, SessionStorage } from '@channelcoder/session-core';
import { searchByScan } from '@channelcoder/session-core';
import {
  matchesFilters,
  normalizeQuery,
  searchWords,
  sessionSnippets,
} from '@channelcoder/session-core/storage-kit';
import { FILE_MODE } from './durable-fs.js';
import type { StorageLayout } from './layout.js';
import { NOFOLLOW } from './no-follow.js';
import { transcriptStem } from './transcript-files.js';

const INDEX_FILE = '.search-index.jsonl';

type Stamp = [number, number, number];

interface MessagesLine {
  n: string;
  s: Stamp;
  c: string[];
  w: string;
}

interface TranscriptLine {
  n: string;
  t: string;
  a: number;
  l: number;
  s: Stamp;
  w: string;
}

/** What the index holds of one session: its newest messages line and each transcript's lines in order. */
interface Entry {
  messages?: MessagesLine;
  transcripts: Map<string, TranscriptLine[]>;
}

/** The parsed index of one file (identified by inode), read up to `offset`. */
interface Parsed {
  ino: number;
  offset: number;
  lines: number;
  entries: Map<string, Entry>;
}

/** The storage search reads (the FileSessionStorage itself). */
type SearchSource = SessionStorage;

function stampOf(stats: Stats): Stamp {
  return [stats.ino, stats.ctimeMs, stats.size];
}

function sameStamp(a: Stamp, b: Stamp | undefined): boolean {
  return b !== undefined && a[0] === b[0] && a[1] === b[1] && a[2] === b[2];
}

async function stampAt(path: string): Promise<Stamp | undefined> {
  try {
    return stampOf(await lstat(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function indexPath(layout: StorageLayout): string {
  return join(layout.root, INDEX_FILE);
}

function transcriptHeadPath(layout: StorageLayout, name: string, claudeSessionId: string): string {
  return join(layout.sessionDir(name), 'transcripts', `${transcriptStem(claudeSessionId)}.head.json`);
}

/** The index's words of some text: `" a b c"`, each word once, so `includes(" " + prefix)` finds a word start. */
function wordString(words: Iterable<string>): string {
  let out = '';
  for (const word of new Set(words)) out += ` ${word}`;
  return out;
}

function messageWords(state: SessionState): string {
  return wordString(state.messages.flatMap((m) => searchWords(m.content)));
}

/** Every key and scalar of a transcript entry, and its JSON text (tool calls are searched as JSON). */
function entryWords(entries: readonly unknown[]): string {
  const words: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') words.push(...searchWords(value));
    else if (typeof value === 'number' || typeof value === 'boolean')
      words.push(...searchWords(String(value)));
    else if (Array.isArray(value)) for (const item of value) walk(item);
    else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        words.push(...searchWords(key));
        walk(item);
      }
    }
  };
  for (const entry of entries) {
    walk(entry);
    words.push(...searchWords(JSON.stringify(entry) ?? ''));
  }
  return wordString(words);
}

async function appendLines(layout: StorageLayout, lines: readonly object[]): Promise<void> {
  if (lines.length === 0) return;
  // `\n` first ends a line torn by a crash; `\n` last marks this one complete. Never through a link.
  const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | NOFOLLOW;
  const handle = await open(indexPath(layout), flags, FILE_MODE);
  try {
    await handle.write(lines.map((l) => `\n${JSON.stringify(l)}\n`).join(''));
  } finally {
    await handle.close();
  }
}

/**
 * After a committed save (under the session's lock): the words of its messages for the head just written.
 * A cache: the caller ignores a failure (search then reads the session).
 */
export async function recordSavedWords(
  layout: StorageLayout,
  name: string,
  state: SessionState,
): Promise<void> {
  const s = await stampAt(layout.headPath(name));
  if (s === undefined) return;
  const line: MessagesLine = { n: name, s, c: [...new Set(state.sessionChain)], w: messageWords(state) };
  await appendLines(layout, [line]);
}

/** The stored line count of a transcript (its head), 0 when it has none. */
export async function transcriptLineCount(
  layout: StorageLayout,
  name: string,
  claudeSessionId: string,
): Promise<number> {
  try {
    const head = JSON.parse(await readFile(transcriptHeadPath(layout, name, claudeSessionId), 'utf8')) as {
      lines?: unknown;
    };
    return typeof head.lines === 'number' ? head.lines : 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

/**
 * After a transcript append (under the session's lock): the words of the entries given, for the transcript
 * lines `from` (the count before the append) to the count now. A cache, like `recordSavedWords`.
 */
export async function recordTranscriptWords(
  layout: StorageLayout,
  name: string,
  claudeSessionId: string,
  from: number,
  entries: readonly unknown[],
): Promise<void> {
  const path = transcriptHeadPath(layout, name, claudeSessionId);
  const s = await stampAt(path);
  if (s === undefined) return;
  const to = await transcriptLineCount(layout, name, claudeSessionId);
  if (to === from) return;
  const line: TranscriptLine = { n: name, t: claudeSessionId, a: from, l: to, s, w: entryWords(entries) };
  await appendLines(layout, [line]);
}

function isStamp(value: unknown): value is Stamp {
  return Array.isArray(value) && value.length === 3 && value.every((v) => typeof v === 'number');
}

function applyLine(entries: Map<string, Entry>, raw: string): boolean {
  let line: Record<string, unknown>;
  try {
    line = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return false; // a torn or foreign line: that session is read instead
  }
  if (line === null || typeof line !== 'object') return false;
  const { n, s, w } = line;
  if (typeof n !== 'string' || !isStamp(s) || typeof w !== 'string') return false;
  let entry = entries.get(n);
  if (entry === undefined) {
    entry = { transcripts: new Map() };
    entries.set(n, entry);
  }
  if (typeof line.t === 'string' && typeof line.a === 'number' && typeof line.l === 'number') {
    const list = entry.transcripts.get(line.t) ?? [];
    list.push({ n, t: line.t, a: line.a, l: line.l, s, w });
    entry.transcripts.set(line.t, list);
    return true;
  }
  if (Array.isArray(line.c) && line.c.every((c) => typeof c === 'string')) {
    entry.messages = { n, s, c: line.c as string[], w };
    return true;
  }
  return false;
}

/** The words of a transcript when its lines chain from line 0 to the newest, which has stamp `current`. */
function transcriptWords(lines: readonly TranscriptLine[] | undefined, current: Stamp): string | undefined {
  if (lines === undefined || lines.length === 0) return undefined;
  const newest = lines[lines.length - 1] as TranscriptLine;
  if (!sameStamp(newest.s, current)) return undefined;
  let words = newest.w;
  let from = newest.a;
  for (let i = lines.length - 2; i >= 0 && from > 0; i--) {
    const line = lines[i] as TranscriptLine;
    if (line.l !== from) continue; // an abandoned branch (e.g. a retried append)
    words += line.w;
    from = line.a;
  }
  return from === 0 ? words : undefined;
}

/** Keeps the parsed index between searches; reads only what was appended since. */
export class SearchIndex {
  private parsed: Parsed | undefined;

  constructor(private readonly layout: StorageLayout) {}

  private async read(): Promise<Parsed> {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(indexPath(this.layout), constants.O_RDONLY | NOFOLLOW);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ELOOP') {
        this.parsed = undefined;
        return { ino: -1, offset: 0, lines: 0, entries: new Map() };
      }
      throw err;
    }
    try {
      const stats = await handle.stat();
      let parsed = this.parsed;
      if (parsed === undefined || parsed.ino !== stats.ino || stats.size < parsed.offset) {
        parsed = { ino: stats.ino, offset: 0, lines: 0, entries: new Map() };
      }
      if (stats.size > parsed.offset) {
        const buffer = Buffer.alloc(stats.size - parsed.offset);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, parsed.offset);
        const text = buffer.subarray(0, bytesRead).toString('utf8');
        // Only complete lines (a writer may be halfway through the last one).
        const end = text.lastIndexOf('\n');
        if (end >= 0) {
          for (const raw of text.slice(0, end).split('\n')) {
            if (raw !== '' && applyLine(parsed.entries, raw)) parsed.lines += 1;
          }
          parsed.offset += Buffer.byteLength(text.slice(0, end + 1), 'utf8');
        }
      }
      this.parsed = parsed;
      return parsed;
    } finally {
      await handle.close();
    }
  }

  /**
   * Sessions with every query word, checked exactly; the ones the index does not cover (or covers with
   * stale words) are read and indexed again. Same results as `searchByScan`.
   */
  async search(source: SearchSource, query: string, options: SearchOptions = {}): Promise<SearchResult[]> {
    const needle = normalizeQuery(query);
    if (needle === '') return [];
    const wanted = searchWords(needle).map((w) => ` ${w}`);
    // A query of punctuation only has no words to look up.
    if (wanted.length === 0) return searchByScan(source, query, options);
    const infos = (await source.list(options.prefix === undefined ? {} : { prefix: options.prefix })).filter(
      (info) => info.error === undefined && matchesFilters(info, options),
    );
    const index = await this.read();
    const fresh: object[] = [];
    const results: SearchResult[] = [];
    for (const info of infos) {
      const entry = index.entries.get(info.name);
      let words = await this.indexedWords(info.name, entry);
      let state: SessionState | undefined;
      let transcripts: unknown[][] | undefined;
      if (words === undefined) {
        ({ state, transcripts, words } = await this.reindex(source, info.name, fresh));
      }
      if (!wanted.every((w) => (words as string).includes(w))) continue;
      if (state === undefined) state = await source.load(info.name);
      if (transcripts === undefined) transcripts = await loadTranscripts(source, info.name, state);
      const snippets = sessionSnippets(state, transcripts, needle);
      if (snippets.length > 0) results.push({ ...info, snippets });
      if (options.limit !== undefined && results.length >= options.limit) break;
    }
    await appendLines(this.layout, fresh);
    if (index.lines > 1000 && index.lines > 3 * index.entries.size) {
      // Sessions gone from a full listing are dropped; with a filter, everything is kept.
      const whole = options.prefix === undefined && (options.tags ?? []).length === 0;
      await this.compact(whole ? new Set(infos.map((i) => i.name)) : undefined);
    }
    return results;
  }

  /** The session's indexed words while every stamp still matches, else undefined. */
  private async indexedWords(name: string, entry: Entry | undefined): Promise<string | undefined> {
    const messages = entry?.messages;
    if (entry === undefined || messages === undefined) return undefined;
    if (!sameStamp(messages.s, await stampAt(this.layout.headPath(name)))) return undefined;
    let words = messages.w;
    for (const id of messages.c) {
      const current = await stampAt(transcriptHeadPath(this.layout, name, id));
      if (current === undefined) continue; // no transcript stored for that conversation
      const found = transcriptWords(entry.transcripts.get(id), current);
      if (found === undefined) return undefined;
      words += found;
    }
    return words;
  }

  /** Reads the session and queues fresh lines for it; stamps are taken first, so a later write shows. */
  private async reindex(
    source: SearchSource,
    name: string,
    fresh: object[],
  ): Promise<{ state: SessionState; transcripts: unknown[][]; words: string }> {
    const s = await stampAt(this.layout.headPath(name));
    const state = await source.load(name);
    const transcripts: unknown[][] = [];
    const ids = [...new Set(state.sessionChain)];
    const messages = messageWords(state);
    let words = messages;
    if (s !== undefined) fresh.push({ n: name, s, c: ids, w: messages } satisfies MessagesLine);
    for (const id of ids) {
      const ts = await stampAt(transcriptHeadPath(this.layout, name, id));
      const lines = (await source.loadTranscript?.(name, id)) ?? null;
      if (lines === null) continue;
      transcripts.push(lines);
      const w = entryWords(lines);
      words += w;
      if (ts !== undefined)
        fresh.push({ n: name, t: id, a: 0, l: lines.length, s: ts, w } satisfies TranscriptLine);
    }
    return { state, transcripts, words };
  }

  /** Rewrites the index with the newest line of each session and its transcripts' chains (temp + rename). */
  private async compact(keep: ReadonlySet<string> | undefined): Promise<void> {
    const parsed = this.parsed;
    if (parsed === undefined) return;
    const out: string[] = [];
    for (const [name, entry] of parsed.entries) {
      if (keep !== undefined && !keep.has(name)) continue;
      if (entry.messages !== undefined) out.push(JSON.stringify(entry.messages));
      for (const lines of entry.transcripts.values())
        for (const line of lines) out.push(JSON.stringify(line));
    }
    const temp = join(this.layout.root, `.search-index.${process.pid}.tmp`);
    try {
      await writeFile(temp, out.map((l) => `\n${l}\n`).join(''), { mode: FILE_MODE, flag: 'wx' });
      await rename(temp, indexPath(this.layout));
    } catch (err) {
      await rm(temp, { force: true });
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

async function loadTranscripts(
  source: SearchSource,
  name: string,
  state: SessionState,
): Promise<unknown[][]> {
  const transcripts: unknown[][] = [];
  for (const id of new Set(state.sessionChain)) {
    const lines = (await source.loadTranscript?.(name, id)) ?? null;
    if (lines !== null) transcripts.push(lines);
  }
  return transcripts;
}
