/**
 * Full-text search in PostgreSQL (DESIGN 13), over the GIN indexes of the migration
 * `20261202020000_channelcoder_search`: `channelcoder_search_words(document)` is the tsvector of a stored
 * message or transcript line (runs of letters and digits, lower case, 'simple' configuration). The query's
 * words, made by the same function, are looked up as prefixes; the sessions found are then checked exactly
 * with the scan's own matching (`sessionSnippets`), so the results equal the scan's: the index only decides
 * which sessions are read. SQLite has no such index: its storage keeps the scan.
 */
import {
  InvalidArgumentError,
  type SearchOptions,
  type SearchResult,
  type SessionState,
  type SessionStorage,
  StorageUnavailableError,
  searchByScan,
} from '@channelcoder/session-core';
import { matchesFilters, normalizeQuery, sessionSnippets } from '@channelcoder/session-core/storage-kit';
import { TABLES } from './layout.js';
import type { ListRow } from './session-rows.js';
import { listEntry } from './session-rows.js';
import { BACKEND } from './storage-errors.js';

const FULL_TEXT_PROVIDERS = new Set(['postgresql', 'postgres']);

export interface RawClient {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}

/** True when the client talks to PostgreSQL and can run raw queries. */
export function hasFullTextSearch(prisma: object, provider: unknown): boolean {
  return (
    typeof provider === 'string' &&
    FULL_TEXT_PROVIDERS.has(provider) &&
    typeof (prisma as { $queryRawUnsafe?: unknown }).$queryRawUnsafe === 'function'
  );
}

/** Where the search runs: with or without the transcript table, in which schema. */
export interface SearchPlace {
  withTranscripts: boolean;
  /** The tables' schema; undefined: the connection's search_path. */
  schema: string | undefined;
}

/** `"schema".` for a schema name, `''` for none. */
function qualifier(schema: string | undefined): string {
  if (schema === undefined) return '';
  if (!/^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/.test(schema)) {
    throw new InvalidArgumentError(`PrismaSessionStorage: invalid schema name ${JSON.stringify(schema)}`);
  }
  return `"${schema}".`;
}

/** `'word':* & 'other':*` for the words of the query, made by the database's own word function. */
function querySql(q: string): string {
  return `SELECT string_agg(quote_literal("lexeme") || ':*', ' & ') AS "query"
    FROM unnest(${q}channelcoder_search_text($1::text))`;
}

/**
 * The candidate sessions newest first (`$1` the tsquery, `$2` a name prefix or null), a batch at a time
 * (`$3` rows after skipping `$4`): the heads of the sessions past the page are never fetched.
 */
function candidatesSql(q: string, withTranscripts: boolean): string {
  const transcripts = withTranscripts
    ? `UNION SELECT t.session_name FROM ${q}${TABLES.transcriptLines} t
         WHERE ${q}channelcoder_search_words(t.entry) @@ to_tsquery('simple', $1::text)
           AND t.session_name NOT LIKE '~trash~%'`
    : '';
  // Rows named `~trash~…` are trashed sessions (see trash.ts): the partial search indexes of the trash
  // migration leave them out, and the same conditions here let the planner use those indexes.
  return `SELECT s.name, s.head, s.last_active AS "lastActive" FROM ${q}${TABLES.sessions} s
    WHERE s.name IN (
      SELECT m.session_name FROM ${q}${TABLES.messages} m
        WHERE ${q}channelcoder_search_words(m.content) @@ to_tsquery('simple', $1::text)
          AND m.session_name NOT LIKE '~trash~%'
      ${transcripts})
      AND ($2::text IS NULL OR left(s.name, length($2::text)) = $2::text)
    ORDER BY s.last_active DESC, s.name
    LIMIT $3::bigint OFFSET $4::bigint`;
}

/**
 * With `limit`: the candidates among the `$3` newest sessions (`$2` a name prefix or null), found through
 * the GIN indexes combined with the primary keys (the search-cost migration makes the planner prefer them).
 * A common word fills the page from here without the database gathering every session that holds it.
 */
function newestCandidatesSql(q: string, withTranscripts: boolean): string {
  const transcripts = withTranscripts
    ? `UNION SELECT t.session_name FROM ${q}${TABLES.transcriptLines} t
         WHERE t.session_name = ANY(ARRAY(SELECT name FROM newest))
           AND ${q}channelcoder_search_words(t.entry) @@ to_tsquery('simple', $1::text)`
    : '';
  return `WITH newest AS (
      SELECT s.name, s.head, s.last_active FROM ${q}${TABLES.sessions} s
        WHERE ($2::text IS NULL OR left(s.name, length($2::text)) = $2::text)
        ORDER BY s.last_active DESC, s.name LIMIT $3::bigint)
    SELECT n.name, n.head, n.last_active AS "lastActive" FROM newest n
    WHERE n.name IN (
      SELECT m.session_name FROM ${q}${TABLES.messages} m
        WHERE m.session_name = ANY(ARRAY(SELECT name FROM newest))
          AND ${q}channelcoder_search_words(m.content) @@ to_tsquery('simple', $1::text)
      ${transcripts})
    ORDER BY n.last_active DESC, n.name`;
}

/** Candidate sessions read at once. */
const READ_AT_ONCE = 8;

/** With `limit`, the newest `limit` × this many sessions are looked at first. */
const NEWEST_FACTOR = 4;

/** The first batch of candidates holds this many more than `limit` (some may not match exactly). */
const BATCH_MARGIN = 8;

/** PostgreSQL's "undefined function": the search migration has not been applied. */
function isMissingFunction(err: unknown): boolean {
  for (let e: unknown = err; e !== null && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (code === '42883') return true;
    if (
      typeof message === 'string' &&
      /function channelcoder_search_(text|words)\b.* does not exist/.test(message)
    )
      return true;
  }
  return false;
}

/**
 * Runs the search: candidate sessions from the indexes (newest first), each read and checked; with
 * `limit`, fetched in growing batches until the page is full.
 *
 * @throws StorageUnavailableError when the search migration is missing (apply the shipped migrations).
 */
export async function searchInDatabase(
  storage: SessionStorage,
  prisma: RawClient,
  place: SearchPlace,
  query: string,
  options: SearchOptions = {},
): Promise<SearchResult[]> {
  const needle = normalizeQuery(query);
  if (needle === '') return [];
  const q = qualifier(place.schema);
  let tsquery: string;
  try {
    const made = await prisma.$queryRawUnsafe<{ query: string | null }[]>(querySql(q), needle);
    const words = made[0]?.query ?? null;
    // A query without letters or digits has no words to look up: the scan handles it.
    if (words === null || words === '') return searchByScan(storage, query, options);
    tsquery = words;
  } catch (err) {
    throw missingMigration(err);
  }
  const results: SearchResult[] = [];
  const seen = new Set<string>();
  /** A candidate read and checked exactly; undefined when it does not match after all. */
  const check = async (row: ListRow): Promise<SearchResult | undefined> => {
    const info = listEntry({ ...row, lastActive: new Date(row.lastActive) });
    if (info.error !== undefined || !matchesFilters(info, options)) return undefined;
    const state: SessionState = await storage.load(info.name);
    const transcripts: unknown[][] = [];
    if (typeof storage.loadTranscript === 'function') {
      for (const id of new Set(state.sessionChain)) {
        const lines = await storage.loadTranscript(info.name, id);
        if (lines !== null) transcripts.push(lines);
      }
    }
    const snippets = sessionSnippets(state, transcripts, needle);
    return snippets.length > 0 ? { ...info, snippets } : undefined;
  };
  /**
   * Reads and checks candidate rows in order, a few at once (never more than the page still needs);
   * true once the page is full.
   */
  const take = async (rows: readonly ListRow[]): Promise<boolean> => {
    // A session saved between two queries may move: it is taken once.
    const unseen = rows.filter((row) => !seen.has(row.name));
    for (const row of unseen) seen.add(row.name);
    for (let at = 0; at < unseen.length; ) {
      const wanted = options.limit === undefined ? READ_AT_ONCE : options.limit - results.length;
      const window = unseen.slice(at, at + Math.max(1, Math.min(READ_AT_ONCE, wanted)));
      at += window.length;
      for (const found of await Promise.all(window.map(check))) {
        if (found !== undefined) results.push(found);
        if (options.limit !== undefined && results.length >= options.limit) return true;
      }
    }
    return false;
  };
  const rowsOf = async (sql: string, ...values: unknown[]): Promise<ListRow[]> => {
    try {
      return await prisma.$queryRawUnsafe<ListRow[]>(sql, tsquery, options.prefix ?? null, ...values);
    } catch (err) {
      throw missingMigration(err);
    }
  };
  if (options.limit !== undefined) {
    // The newest sessions first; the page is usually full from there when the words are common. The
    // candidates are newest first either way, so what follows continues the same order.
    const newest = await rowsOf(newestCandidatesSql(q, place.withTranscripts), options.limit * NEWEST_FACTOR);
    if (await take(newest)) return results;
  }
  const sql = candidatesSql(q, place.withTranscripts);
  // Without a limit every candidate is read anyway: one batch (`LIMIT NULL`). With one, batches grow
  // until the page is full.
  let batch = options.limit === undefined ? null : options.limit + BATCH_MARGIN;
  for (let offset = 0; ; offset += batch ?? 0, batch = (batch ?? 0) * 2) {
    const rows = await rowsOf(sql, batch, offset);
    if (await take(rows)) return results;
    if (batch === null || rows.length < batch) return results;
  }
}

/** The search migration's absence as a StorageUnavailableError saying what to do; other errors as they are. */
function missingMigration(err: unknown): unknown {
  if (!isMissingFunction(err)) return err;
  return new StorageUnavailableError(
    BACKEND,
    'search()',
    new Error(
      'the full-text search functions are missing from the database; apply the shipped migrations ' +
        '(20261202020000_channelcoder_search) with `channelcoder-prisma migrate` or `prisma migrate deploy`',
      { cause: err },
    ),
  );
}
