/**
 * The search index: `<root>/.search-index.jsonl`, the words of every session, so `search()` reads only the
 * sessions that contain every word of the query (DESIGN 13), and no other file of any other session.
 *
 * Lines, each one O_APPEND write (`\n` before and after), fsync'd like the session data:
 * - `{"n": name, "a": lastActive ms, "w": " word word …"}` the words of the messages a save is about to
 *   write: all of them when it creates the session (marked `"c": 1`) or rewrites its messages, only the new
 *   ones when it appends (the earlier ones are in earlier lines: a session's words are the union of its
 *   lines), so a turn's save costs its own words only;
 * - `{"n": name, "t": claude id, "w": " …"}` the words of transcript entries about to be appended;
 * - `{"n": name, "f": 1, "a": …, "w": " …"}` all the words of a session, read from its data by a search
 *   (the session was made without the index), or merged from its lines by a compaction.
 *
 * A line is written under the session's lock BEFORE the save or append it describes is committed, so for
 * every committed write the index holds a superset of its words: a crash or a failed save can only leave
 * words that are not (or no longer) stored, which the exact check below drops. A session's words are the
 * union of all its lines. If a line cannot be written, the index file is removed before the write goes on
 * (the next search rebuilds it); if even that fails, the save fails and nothing is committed. A writer
 * whose line landed in a file that was replaced meanwhile (a compaction renamed a new one in) or removed
 * writes it again to the file now in place.
 *
 * Each storage object keeps the index in memory (each session's words as one string), read once and then
 * only where the file grew.
 * Search lists the root folder (one readdir) and indexes afresh the sessions the index does not cover from
 * their start (made by a writer without the index, or before the file was removed); a torn line makes it
 * start again. Candidates (every query word begins a word of the session) are taken newest first by the
 * largest `a` of their lines, which is never older than the session's stored `lastActive` (the committed
 * save wrote one of those lines), so heads are read in that order only until the page is full: a head
 * whose `lastActive` is older than its `a` goes back in line at its true place. Each session taken is then
 * checked exactly with the scan's own matching (`sessionSnippets`), so results equal the scan's, and a
 * `limit` reads about `limit` heads and sessions whatever the number of matches.
 *
 * Compaction: when more than half of the lines (and at least {@link COMPACT_MIN_DEAD}) are superseded or
 * belong to sessions gone from the root, a search rewrites the file as one line per session (temp file,
 * fsync, rename, fsync of the folder) under `<root>/.search-index.compact` (created exclusively: one
 * compaction at a time across processes), then copies over what writers appended to the old file after
 * it was read. While that marker exists, writers also fsync the root folder after their line, so the
 * rename their line depends on is durable.
 *
 * The index is never read by `load()` and never touches session data. Sessions edited by hand in place are
 * not noticed: remove the index file.
 *
 * Words are what `searchWords` makes of the text (runs of letters and digits, lower case).
 */
import { constants, type Dirent } from 'node:fs';
import { lstat, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  isValidSessionName,
  type Message,
  type SearchOptions,
  type SearchResult,
  SessionCorruptError,
  type SessionInfo,
  SessionNotFoundError,
  type SessionState,
  type SessionStorage,
  UnsupportedFormatError,
} from '@channelcoder/session-core/model';
import {
  matchesFilters,
  normalizeQuery,
  searchByScan,
  searchWords,
  sessionInfoFromHead,
  sessionSnippets,
} from '@channelcoder/session-core/storage-kit';
import { FILE_MODE, syncDirectory } from './durable-fs.js';
import { NAMES, type StorageLayout } from './layout.js';
import { NOFOLLOW } from './no-follow.js';
import { readHead } from './session-reader.js';

const INDEX_FILE = NAMES.searchIndex;
const COMPACT_MARK = NAMES.searchCompactMark;
/** Fewest dead lines (superseded, or of sessions gone) that make a search compact the index. */
export const COMPACT_MIN_DEAD = 64;
/** A compaction marker older than this was left by a process that died: it is removed. */
const STALE_MARK_MS = 60_000;

function indexPath(layout: StorageLayout): string {
  return join(layout.root, INDEX_FILE);
}

function markPath(layout: StorageLayout): string {
  return join(layout.root, COMPACT_MARK);
}

/** `" a b c"`, each word once, so `includes(" " + prefix)` finds a word start. */
function wordString(words: Iterable<string>): string {
  let out = '';
  for (const word of new Set(words)) out += ` ${word}`;
  return out;
}

function messageWords(messages: readonly Message[]): string {
  return wordString(messages.flatMap((m) => searchWords(m.content)));
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
function sessionNames(entries: readonly Dirent[]): Map<string, boolean> {
  const found = new Map<string, boolean>();
  for (const e of entries) {
    if (e.isDirectory() && isValidSessionName(e.name)) found.set(e.name, true);
    else if (e.isFile() && e.name.endsWith('.json')) {
      const name = e.name.slice(0, -'.json'.length);
      if (isValidSessionName(name) && !found.has(name)) found.set(name, false);
    }
  }
  return found;
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

/** Newest first, ties by name: the order of `list()` and of the scan. */
function before(aTime: number, aName: string, bTime: number, bName: string): boolean {
  return aTime > bTime || (aTime === bTime && aName <= bName);
}

/** What the index says of one session. */
interface Entry {
  /** The words of all its lines, concatenated (`" a b c d"`; repeats are dropped by compaction only). */
  words: string;
  /** The largest `a` of its state lines (Infinity: a state line without one); NaN: no state line. */
  upper: number;
  /**
   * This file covers it from its start (its creation line or a line read from all its data). Words of
   * other sessions may be partial (the file was replaced meanwhile): they are read again.
   */
  known: boolean;
}

/**
 * The index of one file (identified by inode) read up to `offset`. A query is matched against each
 * session's word string (`includes(" " + word)`): cheaper to build from a cold file than postings, and
 * fast enough to run over every session (a few milliseconds for 10,000).
 */
class IndexFile {
  offset = 0;
  lines = 0;
  /** A line could not be read: the index cannot be trusted for any session. */
  torn = false;
  readonly sessions = new Map<string, Entry>();

  constructor(readonly ino: number) {}

  /** Adds one line; false when it is not a line of this index. */
  apply(raw: string): boolean {
    let line: { n?: unknown; w?: unknown; c?: unknown; f?: unknown; a?: unknown; t?: unknown };
    try {
      line = JSON.parse(raw) as typeof line;
    } catch {
      return false;
    }
    if (line === null || typeof line !== 'object' || typeof line.n !== 'string' || typeof line.w !== 'string')
      return false;
    let entry = this.sessions.get(line.n);
    if (entry === undefined) {
      entry = { words: '', upper: Number.NaN, known: false };
      this.sessions.set(line.n, entry);
    }
    entry.words += line.w;
    if (line.t === undefined) {
      const a = typeof line.a === 'number' && Number.isFinite(line.a) ? line.a : Number.POSITIVE_INFINITY;
      if (Number.isNaN(entry.upper) || a > entry.upper) entry.upper = a;
    }
    if (line.c === 1 || line.f === 1) entry.known = true;
    return true;
  }

  /** The upper bound of a session's stored `lastActive` (Infinity when unknown). */
  static bound(entry: Entry): number {
    return Number.isNaN(entry.upper) ? Number.POSITIVE_INFINITY : entry.upper;
  }

  /** Lines that a compaction keeping only `live` sessions would drop, and the lines it would write. */
  deadLines(live: ReadonlyMap<string, boolean>): { dead: number; kept: number } {
    let kept = 0;
    for (const name of this.sessions.keys()) if (live.has(name)) kept += 1;
    return { dead: this.lines - kept, kept };
  }

  /** One line per session of `live`: its words once each, the largest `a`, whether it is known. */
  compacted(live: ReadonlyMap<string, boolean>): string {
    let out = '';
    for (const [name, entry] of this.sessions) {
      if (!live.has(name)) continue;
      const line: { n: string; f?: 1; a?: number; w?: string } = { n: name };
      if (entry.known) line.f = 1;
      // Without `a` (no state line had one) its bound stays unknown: its head is read first.
      if (Number.isFinite(entry.upper)) line.a = entry.upper;
      line.w = wordString(entry.words.split(' ').filter((w) => w !== ''));
      out += `\n${JSON.stringify(line)}\n`;
    }
    return out;
  }
}

/** A candidate in line for the page: its name, whether it is a folder, its bound or true `lastActive`. */
interface Queued {
  name: string;
  folder: boolean;
  time: number;
}

/** Keeps the parsed index between searches; reads only what was appended since. */
export class SearchIndex {
  private parsed: IndexFile | undefined;

  constructor(
    private readonly layout: StorageLayout,
    private readonly sync: boolean,
  ) {}

  /** Appends `text` in one write; returns the inode it landed in. */
  private async appendText(text: string, sync: boolean): Promise<number> {
    // `\n` first ends a line torn by a crash; `\n` last marks this one complete. Never through a link.
    const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | NOFOLLOW;
    const handle = await open(indexPath(this.layout), flags, FILE_MODE);
    try {
      await handle.write(text);
      if (sync) await handle.sync();
      return (await handle.stat()).ino;
    } finally {
      await handle.close();
    }
  }

  /**
   * Appends `text` to the index file in place when it is done: written again while the file it landed in
   * was replaced or removed meanwhile. With `sync`, the root folder is fsync'd too while a compaction
   * runs, so the rename that put the file in place is as durable as the line.
   */
  private async appendDurably(text: string, sync: boolean): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const written = await this.appendText(text, sync);
      const now = await lstat(indexPath(this.layout)).catch(() => undefined);
      if (now?.ino === written) break;
      if (attempt === 8)
        throw new Error(`${indexPath(this.layout)} kept being replaced while appending to it`);
    }
    if (sync && (await lstat(markPath(this.layout)).catch(() => undefined)) !== undefined) {
      await syncDirectory(this.layout.root, true);
    }
  }

  /** Records words ahead of the write that stores them (under the session's lock); see the module comment. */
  private async ahead(line: object): Promise<void> {
    try {
      await this.appendDurably(`\n${JSON.stringify(line)}\n`, this.sync);
    } catch {
      // Without this line the index would miss words: it goes, and the next search rebuilds it.
      await rm(indexPath(this.layout), { force: true });
    }
  }

  /**
   * Before a save of `state` under `name` that writes `written` (all its messages, or the appended ones) is
   * committed (`c`: it creates the session).
   */
  beforeSave(name: string, state: SessionState, written: readonly Message[]): Promise<void> {
    return this.ahead({
      n: name,
      a: state.metadata.lastActive.getTime(),
      w: messageWords(written),
      ...(state.revision === 0 ? { c: 1 } : {}),
    });
  }

  /**
   * Before a trashed session is restored under `name`: all its words (messages and transcripts), marked as
   * covering the session from its start (`f`), like a session read afresh.
   */
  beforeRestore(name: string, state: SessionState, transcripts: readonly unknown[][]): Promise<void> {
    const words = messageWords(state.messages) + transcripts.map((t) => entryWords(t)).join('');
    return this.ahead({ n: name, f: 1, a: state.metadata.lastActive.getTime(), w: words });
  }

  /** Before transcript entries of `name` are appended. */
  beforeTranscriptAppend(name: string, claudeSessionId: string, entries: readonly unknown[]): Promise<void> {
    return this.ahead({ n: name, t: claudeSessionId, w: entryWords(entries) });
  }

  private async read(): Promise<IndexFile> {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(indexPath(this.layout), constants.O_RDONLY | NOFOLLOW);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ELOOP') throw err;
      this.parsed = undefined;
      return new IndexFile(-1);
    }
    try {
      const stats = await handle.stat();
      let parsed = this.parsed;
      if (parsed === undefined || parsed.ino !== stats.ino || stats.size < parsed.offset) {
        parsed = new IndexFile(stats.ino);
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
            if (!parsed.apply(raw)) parsed.torn = true;
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
    const wanted = searchWords(needle);
    // A query of punctuation only has no words to look up.
    if (wanted.length === 0) return searchByScan(storage, query, options);
    let entries: Dirent[];
    try {
      entries = await readdir(this.layout.root, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const live = sessionNames(entries);
    let index = await this.read();
    if (index.torn) {
      // Which session a torn line belonged to is unknown: start again, reading every session once.
      await rm(indexPath(this.layout), { force: true });
      this.parsed = undefined;
      index = await this.read();
    }
    const queue: Queued[] = [];
    const prefixes = wanted.map((w) => ` ${w}`);
    const unknown: string[] = [];
    for (const [name, folder] of live) {
      if (options.prefix !== undefined && !name.startsWith(options.prefix)) continue;
      const entry = index.sessions.get(name);
      if (entry === undefined || !entry.known) unknown.push(name);
      else if (prefixes.every((w) => entry.words.includes(w)))
        queue.push({ name, folder, time: IndexFile.bound(entry) });
    }
    const fresh: string[] = [];
    for (const name of unknown) {
      const read = await this.wordsOf(storage, name);
      if (read === undefined) continue;
      fresh.push(`\n${JSON.stringify({ n: name, f: 1, a: read.lastActive, w: read.words })}\n`);
      if (prefixes.every((w) => read.words.includes(w)))
        queue.push({ name, folder: live.get(name) as boolean, time: read.lastActive });
    }
    if (fresh.length > 0) await this.appendText(fresh.join(''), false);
    const results = await this.takePage(storage, queue, needle, options);
    if (fresh.length === 0) await this.compactIfWorthIt(index, live).catch(() => undefined);
    return results;
  }

  /**
   * Takes candidates newest first until the page is full: each one's head is read when it comes first by
   * its bound; one whose true `lastActive` is older goes back in line (see the module comment).
   */
  private async takePage(
    storage: SessionStorage,
    queue: Queued[],
    needle: string,
    options: SearchOptions,
  ): Promise<SearchResult[]> {
    queue.sort((a, b) => b.time - a.time || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    /** Read heads not yet taken, newest first. */
    const ready: SessionInfo[] = [];
    const results: SearchResult[] = [];
    let next = 0;
    while (options.limit === undefined || results.length < options.limit) {
      const head = ready[0];
      const bound = queue[next];
      if (
        head !== undefined &&
        (bound === undefined || before(head.lastActive.getTime(), head.name, bound.time, bound.name))
      ) {
        ready.shift();
        const state = await storage.load(head.name);
        const snippets = sessionSnippets(state, await transcriptsOf(storage, head.name, state), needle);
        if (snippets.length > 0) results.push({ ...head, snippets });
        continue;
      }
      if (bound === undefined) break;
      next += 1;
      const info = await this.infoOf(storage, bound.name, bound.folder);
      if (info === undefined || !matchesFilters(info, options)) continue;
      const time = info.lastActive.getTime();
      let at = 0;
      while (
        at < ready.length &&
        before(
          (ready[at] as SessionInfo).lastActive.getTime(),
          (ready[at] as SessionInfo).name,
          time,
          info.name,
        )
      )
        at += 1;
      ready.splice(at, 0, info);
    }
    return results;
  }

  /**
   * Rewrites the index as one line per live session when most of its lines are dead; see the module
   * comment. Best effort: the caller ignores its failures (the index stays as it was).
   */
  private async compactIfWorthIt(index: IndexFile, live: ReadonlyMap<string, boolean>): Promise<boolean> {
    const { dead, kept } = index.deadLines(live);
    if (index.torn || dead < COMPACT_MIN_DEAD || dead <= kept) return false;
    return this.compact(index, live);
  }

  private async compact(index: IndexFile, live: ReadonlyMap<string, boolean>): Promise<boolean> {
    const mark = markPath(this.layout);
    try {
      await (
        await open(mark, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW, FILE_MODE)
      ).close();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const since = await stat(mark).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (since > STALE_MARK_MS) await rm(mark, { force: true });
      return false;
    }
    const path = indexPath(this.layout);
    const temp = `${path}.${process.pid}.${Date.now().toString(36)}.tmp`;
    let old: Awaited<ReturnType<typeof open>> | undefined;
    try {
      old = await open(path, constants.O_RDONLY | NOFOLLOW).catch(() => undefined);
      // Only the very file that was read (not one that replaced it, nor one that was removed since).
      if (old === undefined || (await old.stat()).ino !== index.ino) return false;
      const out = await open(
        temp,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW,
        FILE_MODE,
      );
      try {
        await out.write(index.compacted(live));
        if (this.sync) await out.sync();
      } finally {
        await out.close();
      }
      if ((await lstat(path).catch(() => undefined))?.ino !== index.ino) return false;
      await rename(temp, path);
      await syncDirectory(this.layout.root, this.sync);
      this.parsed = undefined;
      // Lines appended to the old file after it was read: into the new one (complete lines are whole
      // writes; a writer that wrote after the rename notices it and writes its line again itself).
      const { size } = await old.stat();
      if (size > index.offset) {
        const late = Buffer.alloc(size - index.offset);
        const { bytesRead } = await old.read(late, 0, late.length, index.offset);
        await this.appendDurably(late.subarray(0, bytesRead).toString('utf8'), this.sync);
      }
      return true;
    } finally {
      await old?.close();
      await rm(temp, { force: true });
      await rm(mark, { force: true });
    }
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

  /** Reads a session the index does not know; undefined when the scan would skip it. */
  private async wordsOf(
    storage: SessionStorage,
    name: string,
  ): Promise<{ words: string; lastActive: number } | undefined> {
    let state: SessionState;
    try {
      state = await storage.load(name);
    } catch (err) {
      if (isUnreadable(err)) return undefined;
      throw err;
    }
    let words = messageWords(state.messages);
    for (const id of new Set(state.sessionChain)) {
      const entries = (await storage.loadTranscript?.(name, id)) ?? null;
      if (entries !== null) words += entryWords(entries);
    }
    return { words, lastActive: state.metadata.lastActive.getTime() };
  }
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
