/**
 * PostgreSQL's hot paths as single SQL statements (raw queries through the same PrismaClient), used when the
 * provider is PostgreSQL; every other provider keeps the model calls of transcripts.ts and
 * PrismaSessionStorage.
 *
 * - A transcript append is one `INSERT … SELECT` statement (one round trip, its own transaction): a
 *   data-modifying CTE runs the lease fence first (the same `UPDATE … SET token = token WHERE name, token,
 *   expires_at > now` as every fenced write, which locks the lease row until the statement commits), the
 *   session's presence and the transcript's line count are read in the same snapshot, and the insert happens
 *   only when all three allow it; the statement returns what it found, so the caller raises LeaseLostError,
 *   SessionNotFoundError or the gap's InvalidArgumentError with nothing written. Two appenders that pick the
 *   same next line (or insert the same uuid) meet the primary key or the uuid index; the loser runs the
 *   statement again.
 * - On the adapter's `pg` Pool (when it has one, see underlyingPool) these run as statements prepared by name,
 *   and a load returns its messages in chunks of LOAD_CHUNK joined texts (placeChunks), a transcript its rows
 *   with their line numbers (placeRows). Otherwise they run through `$queryRawUnsafe`:
 * - A load is one statement: the head and the messages joined into one JSON array text by `string_agg`
 *   over the rows in primary-key order, parsed with one `JSON.parse`. A single statement reads one snapshot, so no
 *   transaction is needed to keep a concurrent save from tearing it. When the joined text does not parse or
 *   has another number of entries than rows (a damaged row), the caller reads the rows one by one to say which.
 * - A transcript load is the same: one array text, with the line count and the last line number to detect a gap.
 */
import { createHash } from 'node:crypto';
import { TABLES } from './layout.js';

const names = new Map<string, string>();

/**
 * The name a statement is prepared under on each pooled connection (the direct paths): parsed and planned
 * once per connection instead of on every call. Derived from the text, so two schemas never share one.
 */
export function statementName(text: string): string {
  const known = names.get(text);
  if (known !== undefined) return known;
  const name = `channelcoder_${createHash('sha256').update(text).digest('hex').slice(0, 20)}`;
  if (names.size < 256) names.set(text, name);
  return name;
}

export interface RawQueryClient {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}

/** The calls made on a `pg` Pool (node-postgres). */
export interface PgPool {
  query(config: {
    text: string;
    values?: unknown[];
    name?: string;
    rowMode?: 'array';
  }): Promise<{ rows: unknown[] }>;
  connect: unknown;
}

/**
 * The `pg` Pool under the client's `@prisma/adapter-pg` factory when you created it with one
 * (`new PrismaPg(pool)`); undefined otherwise (a factory made from a config keeps its pool to itself).
 */
export function underlyingPool(prisma: object): PgPool | undefined {
  const adapter = (prisma as { _engineConfig?: { adapter?: { externalPool?: unknown } } })._engineConfig
    ?.adapter;
  const pool = adapter?.externalPool as Partial<PgPool> | null | undefined;
  return typeof pool === 'object' &&
    pool !== null &&
    typeof pool.query === 'function' &&
    typeof pool.connect === 'function'
    ? (pool as PgPool)
    : undefined;
}

/**
 * Places rows `[position, JSON text]` (any order) at their positions 0…n-1 and parses each text once;
 * undefined when a position is missing, repeated or out of range, or a text does not parse (the caller then
 * reads the rows one by one to say which). Rows at position -1 are skipped (the head of a load).
 */
export function placeRows(rows: readonly unknown[], count: number): unknown[] | undefined {
  const out: unknown[] = new Array(count);
  const filled = new Uint8Array(count);
  let placed = 0;
  for (const row of rows) {
    const [at, text] = row as [number | string, string];
    const i = Number(at);
    if (i === -1) continue;
    if (!(i >= 0 && i < count) || filled[i] === 1) return undefined;
    try {
      out[i] = JSON.parse(text);
    } catch {
      return undefined;
    }
    filled[i] = 1;
    placed++;
  }
  return placed === count ? out : undefined;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/;

/**
 * The schema the client's tables live in, for SQL that names them itself: the given one, else the one the
 * `@prisma/adapter-pg` factory was created with (`new PrismaPg(pool, { schema })`, Prisma then qualifies its
 * own queries with it), else none (the connection's search_path).
 */
export function tablesSchema(prisma: object, explicit: string | undefined): string | undefined {
  if (explicit !== undefined) return explicit;
  const adapter = (prisma as { _engineConfig?: { adapter?: { options?: { schema?: unknown } } } })
    ._engineConfig?.adapter;
  const schema = adapter?.options?.schema;
  return typeof schema === 'string' && SCHEMA_NAME.test(schema) ? schema : undefined;
}

/** Messages per row of a chunked load. */
export const LOAD_CHUNK = 512;

/** The SQL of the PostgreSQL paths for tables in `schema`. */
export class PostgresStatements {
  readonly append: string;
  readonly appendUnique: string;
  readonly load: string;
  readonly loadTranscript: string;
  readonly loadChunks: string;
  readonly loadTranscriptRows: string;
  /** Whether any session row still has no `project_key` (stored before the column). */
  readonly pendingProjectKeys: string;
  readonly #sessions: string;
  readonly #listings = new Map<string, string>();

  constructor(schema: string | undefined) {
    const q = schema === undefined ? '' : `"${schema}".`;
    const sessions = `${q}"${TABLES.sessions}"`;
    const messages = `${q}"${TABLES.messages}"`;
    const lines = `${q}"${TABLES.transcriptLines}"`;
    const leases = `${q}"${TABLES.leases}"`;
    // $1 name, $2 claude session id, $3 fromLine, $4 entries (text[]), $5 uuids (text[]),
    // $6 lease token or null, $7 the database's now (for the lease's expiry).
    const fenceAndCount = `WITH "fence" AS (
        UPDATE ${leases} SET "token" = "token"
          WHERE $6::int IS NOT NULL AND "name" = $1::text AND "token" = $6::int AND "expires_at" > $7::timestamp(3)
          RETURNING 1),
      "at" AS (
        SELECT ($6::int IS NULL OR EXISTS (SELECT 1 FROM "fence")) AS "fenced",
          EXISTS (SELECT 1 FROM ${sessions} WHERE "name" = $1::text) AS "present",
          (SELECT coalesce(max("line") + 1, 0)::int FROM ${lines}
            WHERE "session_name" = $1::text AND "claude_session_id" = $2::text) AS "stored"),
      "input" AS (
        SELECT "e"."entry", "e"."uuid", "e"."ord" FROM unnest($4::text[], $5::text[]) WITH ORDINALITY AS "e"("entry", "uuid", "ord"))`;
    const insert = (fresh: string, allowed: string) => `,
      "fresh" AS (${fresh}),
      "inserted" AS (
        INSERT INTO ${lines} ("session_name", "claude_session_id", "line", "entry", "uuid")
        SELECT $1::text, $2::text, "at"."stored" + (row_number() OVER (ORDER BY "f"."ord"))::int - 1, "f"."entry", "f"."uuid"
          FROM "fresh" "f", "at" WHERE "at"."fenced" AND "at"."present" AND ${allowed}
        RETURNING 1)
      SELECT "fenced", "present", "stored", (SELECT count(*)::int FROM "inserted") AS "inserted" FROM "at"`;
    // Positional: the entries from line `stored` on ($3 is the line of the first entry), none past a gap.
    this.append =
      fenceAndCount +
      insert(
        `SELECT "i".* FROM "input" "i", "at" WHERE "i"."ord" > "at"."stored" - $3::int`,
        `$3::int <= "at"."stored"`,
      );
    // dedupe 'uuid': the batch comes deduplicated; entries whose uuid is stored are skipped. The stored ones
    // are found by one scan of the uuid index for the batch's uuids (`= ANY`), so the work grows with the
    // batch, never with the transcript (a correlated NOT EXISTS let the planner hash every stored uuid).
    this.appendUnique =
      fenceAndCount +
      insert(
        `SELECT "i".* FROM "input" "i" WHERE "i"."uuid" IS NULL OR "i"."uuid" NOT IN (
           SELECT "t"."uuid" FROM ${lines} "t" WHERE "t"."session_name" = $1::text
             AND "t"."claude_session_id" = $2::text AND "t"."uuid" = ANY($5::text[]))`,
        '$3::int >= 0',
      );
    // The rows come from a subquery ordered by the primary key and are joined in that order, so PostgreSQL
    // reads them in index order and never sorts the texts themselves (`string_agg(… ORDER BY …)` sorts its
    // whole input, megabytes for a long session, before joining). A subquery with ORDER BY is not flattened
    // into the aggregate's query, which therefore consumes its rows in that order.
    this.load = `SELECT "s"."head", "m"."count", '[' || coalesce("m"."body", '') || ']' AS "body"
      FROM ${sessions} "s", LATERAL (
        SELECT count(*)::int AS "count", string_agg("o"."content", ',') AS "body"
          FROM (SELECT "content" FROM ${messages} WHERE "session_name" = "s"."name" ORDER BY "sequence") "o") "m"
      WHERE "s"."name" = $1::text`;
    // The direct reads (a pg pool, see PgPool). A load in chunks of LOAD_CHUNK messages: far fewer rows to
    // decode than one per message, and no joined copy of the whole session on the server. One row is the
    // head (chunk -1, with its message count); each other row is one chunk's messages joined in sequence
    // order, with the chunk number and its size (checked by placeChunks).
    this.loadChunks = `SELECT -1 AS "chunk", "message_count" AS "count", "head" AS "body" FROM ${sessions} WHERE "name" = $1::text
      UNION ALL SELECT "c"."chunk", "j"."count", "j"."body"
        FROM generate_series(0, (SELECT ("message_count" + ${LOAD_CHUNK - 1}) / ${LOAD_CHUNK} - 1 FROM ${sessions} WHERE "name" = $1::text)) AS "c"("chunk"),
        LATERAL (SELECT count(*)::int AS "count", string_agg("o"."content", ',') AS "body"
          FROM (SELECT "content" FROM ${messages} WHERE "session_name" = $1::text
            AND "sequence" >= "c"."chunk" * ${LOAD_CHUNK} AND "sequence" < ("c"."chunk" + 1) * ${LOAD_CHUNK} ORDER BY "sequence") "o") "j"`;
    // A transcript: its rows in any order, each carrying its line number, placed by the caller (placeRows).
    this.loadTranscriptRows = `SELECT "line", "entry" FROM ${lines}
      WHERE "session_name" = $1::text AND "claude_session_id" = $2::text`;
    this.loadTranscript = `SELECT count(*)::int AS "count", coalesce(min("o"."line"), 0)::int AS "first",
        coalesce(max("o"."line"), -1)::int AS "last", '[' || coalesce(string_agg("o"."entry", ','), '') || ']' AS "body"
      FROM (SELECT "line", "entry" FROM ${lines}
        WHERE "session_name" = $1::text AND "claude_session_id" = $2::text ORDER BY "line") "o"`;
    this.#sessions = sessions;
    this.pendingProjectKeys = `SELECT EXISTS (SELECT 1 FROM ${sessions} WHERE "project_key" IS NULL) AS "pending"`;
  }

  /**
   * A listing in listing order (newest `last_active` first, ties by name), as rows `[name, head, last_active
   * in epoch ms]`: $1 and $2 bound the names (`name >= $1 AND name < $2`), then, each only when asked for and
   * numbered in this order, the project key, the cursor's `last_active` (UTC text) and name, and the limit.
   * One text per combination, so each is planned for what it filters on.
   */
  listing(filters: { project: boolean; after: boolean; limit: boolean }): string {
    const key = `${Number(filters.project)}${Number(filters.after)}${Number(filters.limit)}`;
    const known = this.#listings.get(key);
    if (known !== undefined) return known;
    let n = 2;
    const where = ['"name" >= $1::text', '"name" < $2::text'];
    if (filters.project) where.push(`"project_key" = $${++n}::text`);
    if (filters.after) {
      const at = ++n;
      const name = ++n;
      where.push(
        `("last_active" < $${at}::timestamp(3) OR ("last_active" = $${at}::timestamp(3) AND "name" > $${name}::text))`,
      );
    }
    const text = `SELECT "name", "head", (extract(epoch FROM "last_active") * 1000)::float8 AS "at" FROM ${this.#sessions}
      WHERE ${where.join(' AND ')} ORDER BY "last_active" DESC, "name" ASC${filters.limit ? ` LIMIT $${++n}::int` : ''}`;
    this.#listings.set(key, text);
    return text;
  }

  /**
   * {@link listing} of a project, as one statement that also tells whether any row still has no
   * `project_key`: rows `[pending, name, head, last_active in epoch ms]` in listing order, or the single row
   * `[pending, null, null, null]` when the listing is empty. Same parameters as `listing`.
   */
  projectListing(filters: { after: boolean; limit: boolean }): string {
    const key = `p${Number(filters.after)}${Number(filters.limit)}`;
    const known = this.#listings.get(key);
    if (known !== undefined) return known;
    const inner = this.listing({ project: true, ...filters });
    const text = `SELECT "p"."pending", "s"."name", "s"."head", "s"."at" FROM (${this.pendingProjectKeys}) "p"
      LEFT JOIN LATERAL (${inner}) "s" ON true ORDER BY "s"."at" DESC, "s"."name" ASC`;
    this.#listings.set(key, text);
    return text;
  }
}

/** What an append statement found and did. */
export interface AppendOutcome {
  fenced: boolean;
  present: boolean;
  stored: number;
  inserted: number;
}

/**
 * Parses `[a,b,…]` built by string_agg from `count` stored JSON texts; undefined when it does not parse or
 * holds another number of entries (a damaged row: the caller reads the rows one by one to say which).
 */
export function parseJoined(body: string, count: number): unknown[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  return Array.isArray(parsed) && parsed.length === count ? parsed : undefined;
}

/**
 * The messages of a chunked load (rows `[chunk, count, body]`, the head's row at chunk -1 skipped): each
 * chunk's text parsed once and placed at its chunk's positions; undefined when a chunk is missing, short,
 * repeated or does not parse, or the total is not `messageCount` (the caller then reads row by row).
 */
export function placeChunks(rows: readonly unknown[], messageCount: number): unknown[] | undefined {
  const out: unknown[] = new Array(messageCount);
  let placed = 0;
  for (const row of rows) {
    const [chunk, count, body] = row as [number, number, string | null];
    if (chunk === -1) continue;
    const from = chunk * LOAD_CHUNK;
    const expected = Math.min(LOAD_CHUNK, messageCount - from);
    if (!(from >= 0 && expected > 0) || count !== expected || out[from] !== undefined || body === null)
      return undefined;
    const parsed = parseJoined(`[${body}]`, count);
    if (parsed === undefined) return undefined;
    for (let i = 0; i < parsed.length; i++) out[from + i] = parsed[i];
    placed += parsed.length;
  }
  return placed === messageCount ? out : undefined;
}
