/**
 * The search index: `<root>/.search-index.jsonl`, the words of every session, so `search()` reads only the
 * sessions that contain every word of the query (DESIGN 13), and no other file of any other session.
 *
 * Lines, each one O_APPEND write (`\n` before and after), fsync'd like the session data:
 * - `{"n": name, "w": " word word …"}` the words of all messages of a state about to be saved;
 * - `{"n": name, "t": claude id, "w": " …"}` the words of transcript entries about to be appended.
 *
 * A line is written under the session's lock BEFORE the save or append it describes is committed, so for
 * every committed write the index holds a superset of its words: a crash or a failed save can only leave
 * words that are not (or no longer) stored, which the exact check below drops. A session's words are the
 * union of all its lines. If a line cannot be written, the index file is removed before the write goes on
 * (the next search rebuilds it); if even that fails, the save fails and nothing is committed.
 *
 * Search reads the index (only what was appended since the last search in this process), lists the root
 * folder (one readdir) and indexes afresh the sessions the index does not cover from their start (made by a
 * writer without the index, or before the file was removed); a torn line makes it start again. Candidates (every query word
 * begins a word of the session) are then read and checked exactly with the scan's own matching
 * (`sessionSnippets`), newest first, so results equal the scan's. The index is never read by `load()` and
 * never touches session data. Sessions edited by hand in place are not noticed: remove the index file.
 *
 * Words are what `searchWords` makes of the text (runs of letters and digits, lower case).
 */
import { constants, type Dirent } from 'node:fs';
import { open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  isValidSessionName,
  type SearchOptions,
  type SearchResult,
  SessionCorruptError,
  type SessionInfo,
  SessionNotFoundError,
  type SessionState,
  type SessionStorage,
  searchByScan,
  UnsupportedFormatError,
} from '@channelcoder/session-core';
import {
  matchesFilters,
  normalizeQuery,
  searchWords,
  sessionInfoFromHead,
  sessionSnippets,
} from '@channelcoder/session-core/storage-kit';
import { FILE_MODE } from './durable-fs.js';
import type { StorageLayout } from './layout.js';
import { NOFOLLOW } from './no-follow.js';
import { readHead } from './session-reader.js';

const INDEX_FILE = '.search-index.jsonl';

/** The parsed index of one file (identified by inode), read up to `offset`. */
interface Parsed {
  ino: number;
  offset: number;
  lines: number;
  /** A line could not be read: the index cannot be trusted for any session. */
  torn: boolean;
  /** Each session's words (the union of its lines). */
  words: Map<string, string>;
  /**
   * Sessions this file covers from their start: it has their creation line or a line read from all their
   * data. Words of other sessions may be partial (the file was replaced meanwhile): they are read again.
   */
  known: Set<string>;
}

function indexPath(layout: StorageLayout): string {
  return join(layout.root, INDEX_FILE);
}

/** `" a b c"`, each word once, so `includes(" " + prefix)` finds a word start. */
function wordString(words: Iterable<string>): string {
  let out = '';
  for (const word of new Set(words)) out += ` ${word}`;
  return out;
}

function messageWords(state: SessionState): string {
  return wordString(state.messages.flatMap((m) => searchWords(m.content)));
}

/** Every key and scalar of transcript entries, and their JSON text (tool calls are searched as JSON). */
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

/** The session entries of the root: folders and 3.x `<name>.json` files with valid names. */
function sessionNames(entries: readonly Dirent[]): { name: string; folder: boolean }[] {
  const found = new Map<string, boolean>();
  for (const e of entries) {
    if (e.isDirectory() && isValidSessionName(e.name)) found.set(e.name, true);
    else if (e.isFile() && e.name.endsWith('.json')) {
      const name = e.name.slice(0, -'.json'.length);
      if (isValidSessionName(name) && !found.has(name)) found.set(name, false);
    }
  }
  return [...found].map(([name, folder]) => ({ name, folder }));
}

/** Errors that make the scan skip a session (it is listed with `error`). */
function isUnreadable(err: unknown): boolean {
  return (
    SessionNotFoundError.is(err) ||
    SessionCorruptError.is(err) ||
    UnsupportedFormatError.is(err) ||
    (err as { code?: unknown })?.code === 'ELOOP'
  );
}

/** Keeps the parsed index between searches; reads only what was appended since. */
export class SearchIndex {
  private parsed: Parsed | undefined;

  constructor(
    private readonly layout: StorageLayout,
    private readonly sync: boolean,
  ) {}

  private async append(lines: readonly object[], sync: boolean): Promise<void> {
    if (lines.length === 0) return;
    // `\n` first ends a line torn by a crash; `\n` last marks this one complete. Never through a link.
    const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | NOFOLLOW;
    const handle = await open(indexPath(this.layout), flags, FILE_MODE);
    try {
      await handle.write(lines.map((l) => `\n${JSON.stringify(l)}\n`).join(''));
      if (sync) await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /** Records words ahead of the write that stores them (under the session's lock); see the module comment. */
  private async ahead(line: object): Promise<void> {
    try {
      await this.append([line], this.sync);
    } catch {
      // Without this line the index would miss words: it goes, and the next search rebuilds it.
      await rm(indexPath(this.layout), { force: true });
    }
  }

  /** Before a save of `state` under `name` is committed (`c`: it creates the session). */
  beforeSave(name: string, state: SessionState): Promise<void> {
    return this.ahead({ n: name, w: messageWords(state), ...(state.revision === 0 ? { c: 1 } : {}) });
  }

  /**
   * Before a trashed session is restored under `name`: all its words (messages and transcripts), marked as
   * covering the session from its start (`f`), like a session read afresh.
   */
  beforeRestore(name: string, state: SessionState, transcripts: readonly unknown[][]): Promise<void> {
    const words = messageWords(state) + transcripts.map((t) => entryWords(t)).join('');
    return this.ahead({ n: name, f: 1, w: words });
  }

  /** Before transcript entries of `name` are appended. */
  beforeTranscriptAppend(name: string, claudeSessionId: string, entries: readonly unknown[]): Promise<void> {
    return this.ahead({ n: name, t: claudeSessionId, w: entryWords(entries) });
  }

  private async read(): Promise<Parsed> {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(indexPath(this.layout), constants.O_RDONLY | NOFOLLOW);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ELOOP') throw err;
      this.parsed = undefined;
      return { ino: -1, offset: 0, lines: 0, torn: false, words: new Map(), known: new Set() };
    }
    try {
      const stats = await handle.stat();
      let parsed = this.parsed;
      if (parsed === undefined || parsed.ino !== stats.ino || stats.size < parsed.offset) {
        parsed = { ino: stats.ino, offset: 0, lines: 0, torn: false, words: new Map(), known: new Set() };
      }
      if (stats.size > parsed.offset) {
        const buffer = Buffer.alloc(stats.size - parsed.offset);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, parsed.offset);
        const chunk = buffer.subarray(0, bytesRead);
        // Only complete lines (a writer may be halfway through the last one).
        const end = chunk.lastIndexOf(0x0a);
        if (end >= 0) {
          for (const raw of chunk.subarray(0, end).toString('utf8').split('\n')) {
            if (raw === '') continue;
            parsed.lines += 1;
            if (!applyLine(parsed, raw)) parsed.torn = true;
          }
          parsed.offset += end + 1;
        }
      }
      this.parsed = parsed;
      return parsed;
    } finally {
      await handle.close();
    }
  }

  /** Same results as `searchByScan(storage, query, options)`; see the module comment. */
  async search(storage: SessionStorage, query: string, options: SearchOptions = {}): Promise<SearchResult[]> {
    const needle = normalizeQuery(query);
    if (needle === '') return [];
    const wanted = searchWords(needle).map((w) => ` ${w}`);
    // A query of punctuation only has no words to look up.
    if (wanted.length === 0) return searchByScan(storage, query, options);
    let entries: Dirent[];
    try {
      entries = await readdir(this.layout.root, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    let index = await this.read();
    if (index.torn) {
      // Which session a torn line belonged to is unknown: start again, reading every session once.
      await rm(indexPath(this.layout), { force: true });
      this.parsed = undefined;
      index = await this.read();
    }
    const candidates: SessionInfo[] = [];
    const fresh: object[] = [];
    for (const { name, folder } of sessionNames(entries)) {
      if (options.prefix !== undefined && !name.startsWith(options.prefix)) continue;
      let words = index.known.has(name) ? index.words.get(name) : undefined;
      if (words === undefined) {
        words = await this.wordsOf(storage, name, fresh);
        if (words === undefined) continue;
      }
      if (!wanted.every((w) => (words as string).includes(w))) continue;
      const info = await this.infoOf(storage, name, folder);
      if (info !== undefined && matchesFilters(info, options)) candidates.push(info);
    }
    await this.append(fresh, false);
    candidates.sort(
      (a, b) =>
        b.lastActive.getTime() - a.lastActive.getTime() || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
    );
    const results: SearchResult[] = [];
    for (const info of candidates) {
      const state = await storage.load(info.name);
      const snippets = sessionSnippets(state, await transcriptsOf(storage, info.name, state), needle);
      if (snippets.length > 0) results.push({ ...info, snippets });
      if (options.limit !== undefined && results.length >= options.limit) break;
    }
    return results;
  }

  /** A session's listing entry (its head; a 3.x file whole); undefined when the scan would skip it. */
  private async infoOf(
    storage: SessionStorage,
    name: string,
    folder: boolean,
  ): Promise<SessionInfo | undefined> {
    try {
      if (folder) {
        const read = await readHead(this.layout.sessionDir(name), name);
        if (read !== undefined) return sessionInfoFromHead(read.head.info, { name, path: read.headPath });
      }
      const { messages, ...head } = await storage.load(name);
      return sessionInfoFromHead(
        { ...head, messageCount: messages.length },
        { name, path: this.layout.legacyPath(name) },
      );
    } catch (err) {
      if (isUnreadable(err)) return undefined;
      throw err;
    }
  }

  /** Reads a session the index does not know and queues its lines; undefined when the scan would skip it. */
  private async wordsOf(storage: SessionStorage, name: string, fresh: object[]): Promise<string | undefined> {
    let state: SessionState;
    try {
      state = await storage.load(name);
    } catch (err) {
      if (isUnreadable(err)) return undefined;
      throw err;
    }
    let words = messageWords(state);
    for (const id of new Set(state.sessionChain)) {
      const entries = (await storage.loadTranscript?.(name, id)) ?? null;
      if (entries !== null) words += entryWords(entries);
    }
    fresh.push({ n: name, f: 1, w: words });
    return words;
  }
}

function applyLine(parsed: Parsed, raw: string): boolean {
  let line: { n?: unknown; w?: unknown; c?: unknown; f?: unknown };
  try {
    line = JSON.parse(raw) as typeof line;
  } catch {
    return false;
  }
  if (line === null || typeof line !== 'object' || typeof line.n !== 'string' || typeof line.w !== 'string')
    return false;
  const before = parsed.words.get(line.n);
  // Each session's words once: a save repeats the words of all its messages.
  parsed.words.set(
    line.n,
    before === undefined ? line.w : wordString([...before.split(' '), ...line.w.split(' ')].filter(Boolean)),
  );
  if (line.c === 1 || line.f === 1) parsed.known.add(line.n);
  return true;
}

async function transcriptsOf(
  storage: SessionStorage,
  name: string,
  state: SessionState,
): Promise<unknown[][]> {
  const transcripts: unknown[][] = [];
  for (const id of new Set(state.sessionChain)) {
    const lines = (await storage.loadTranscript?.(name, id)) ?? null;
    if (lines !== null) transcripts.push(lines);
  }
  return transcripts;
}
