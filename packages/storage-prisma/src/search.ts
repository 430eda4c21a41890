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

function candidatesSql(q: string, withTranscripts: boolean): string {
  const transcripts = withTranscripts
    ? `UNION SELECT t.session_name FROM ${q}channelcoder_transcript_lines t
         WHERE ${q}channelcoder_search_words(t.entry) @@ to_tsquery('simple', $1::text)
           AND t.session_name NOT LIKE '~trash~%'`
    : '';
  // Rows named `~trash~…` are trashed sessions (see trash.ts): the partial search indexes of the trash
  // migration leave them out, and the same conditions here let the planner use those indexes.
  return `SELECT s.name, s.head, s.last_active AS "lastActive" FROM ${q}channelcoder_sessions s
    WHERE s.name IN (
      SELECT m.session_name FROM ${q}channelcoder_messages m
        WHERE ${q}channelcoder_search_words(m.content) @@ to_tsquery('simple', $1::text)
          AND m.session_name NOT LIKE '~trash~%'
      ${transcripts})
    ORDER BY s.last_active DESC, s.name`;
}

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
 * Runs the search: candidate sessions from the indexes (newest first), each read and checked.
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
  let rows: ListRow[];
  try {
    const made = await prisma.$queryRawUnsafe<{ query: string | null }[]>(querySql(q), needle);
    const tsquery = made[0]?.query ?? null;
    // A query without letters or digits has no words to look up: the scan handles it.
    if (tsquery === null || tsquery === '') return searchByScan(storage, query, options);
    rows = await prisma.$queryRawUnsafe<ListRow[]>(candidatesSql(q, place.withTranscripts), tsquery);
  } catch (err) {
    if (isMissingFunction(err)) {
      throw new StorageUnavailableError(
        BACKEND,
        'search()',
        new Error(
          'the full-text search functions are missing from the database; apply the shipped migrations ' +
            '(20261202020000_channelcoder_search) with `channelcoder-prisma migrate` or `prisma migrate deploy`',
          { cause: err },
        ),
      );
    }
    throw err;
  }
  const results: SearchResult[] = [];
  for (const row of rows) {
    const info = listEntry({ ...row, lastActive: new Date(row.lastActive) });
    if (info.error !== undefined || !matchesFilters(info, options)) continue;
    const state: SessionState = await storage.load(info.name);
    const transcripts: unknown[][] = [];
    if (typeof storage.loadTranscript === 'function') {
      for (const id of new Set(state.sessionChain)) {
        const lines = await storage.loadTranscript(info.name, id);
        if (lines !== null) transcripts.push(lines);
      }
    }
    const snippets = sessionSnippets(state, transcripts, needle);
    if (snippets.length > 0) results.push({ ...info, snippets });
    if (options.limit !== undefined && results.length >= options.limit) break;
  }
  return results;
}
