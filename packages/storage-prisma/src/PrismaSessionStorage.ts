import {
  InvalidArgumentError,
  type LeaseInfo,
  LeaseLostError,
  type LeaseOptions,
  type ListFilter,
  type ListOptions,
  normalizeSessionName,
  type SearchOptions,
  type SearchResult,
  SessionConflictError,
  type SessionInfo,
  type SessionLease,
  SessionNotFoundError,
  type SessionState,
  type SessionStorage,
  type TranscriptAppendMode,
  type TranscriptAppendOptions,
  type TrashEntry,
  type TrashListOptions,
  type TrashOptions,
  type TrashPurgeOptions,
  type TrashRestoreOptions,
  type WriteOptions,
} from '@channelcoder/session-core';
import {
  assembleState,
  assertRevision,
  fencingToken,
  type ListPosition,
  newTranscriptLines,
  planMessageWrite,
  readListOptions,
  resolveSaveName,
  transcriptEntryUuid,
  uniqueTranscriptEntries,
} from '@channelcoder/session-core/storage-kit';
import {
  checkLeaseInTransaction,
  DatabaseClock,
  type LeaseClient,
  type LeaseRow,
  leaseClockQuery,
  takeLease,
} from './leases.js';
import {
  type AppendOutcome,
  type PgPool,
  PostgresStatements,
  parseJoined,
  placeChunks,
  placeRows,
  type RawQueryClient,
  statementName,
  tablesSchema,
  underlyingPool,
} from './postgres-sql.js';
import {
  asTransactionalClient,
  type ChannelCoderPrismaClient,
  type ModelClient,
  type TransactionalClient,
  type TransactionOptions,
} from './prisma-models.js';
import { hasFullTextSearch, type RawClient, searchInDatabase } from './search.js';
import {
  hasProjectKey,
  insertMessages,
  type ListRow,
  listEntry,
  projectKeyOfHead,
  rowPath,
  SESSIONS_TABLE,
  sessionRow,
} from './session-rows.js';
import { isUniqueViolation, toStorageError } from './storage-errors.js';
import {
  appendTranscriptLines,
  appendUniqueTranscriptLines,
  checkAppendArguments,
  deleteTranscriptLines,
  deleteTranscriptOf,
  hasTranscriptModel,
  hasTranscriptUuid,
  loadTranscriptLines,
  transcriptFromJoined,
} from './transcripts.js';
import * as trash from './trash.js';

export interface PrismaSessionStorageOptions {
  /**
   * Your PrismaClient, generated from a schema that includes the models of `schema/channelcoder.prisma`
   * and connected through any driver adapter (`@prisma/adapter-pg`, `@prisma/adapter-libsql`, PGlite, …).
   * The storage never disconnects it: it is yours.
   */
  prisma: ChannelCoderPrismaClient;
  /**
   * Limits for the interactive transactions of `save`, `load` and `remove`, in milliseconds.
   * Default `{ maxWait: 5000, timeout: 30000 }`. `maxWait` bounds how long a call waits for a connection.
   */
  transaction?: { maxWait?: number; timeout?: number };
  /**
   * Isolation level of the transaction `load` reads the head and the messages in, so a concurrent save
   * cannot tear what it returns. Default: `RepeatableRead` on PostgreSQL, CockroachDB and MySQL, the
   * provider's default elsewhere (SQLite transactions are serializable).
   */
  readIsolationLevel?: 'ReadCommitted' | 'RepeatableRead' | 'Serializable';
  /**
   * PostgreSQL: the schema of the ChannelCoder tables, for `search`, whose SQL names them itself (Prisma
   * does so for every other call). Default: the connection's `search_path` (usually `public`).
   * `openPrismaSessionStorage` sets it from `?schema=`.
   */
  schema?: string;
  /**
   * PostgreSQL with a `pg` Pool under the adapter (`new PrismaPg(pool)`): the transcript append and the
   * loads run on that pool as statements prepared by name on each connection (parsed and planned once per
   * connection). Default true; set false behind a pooler that cannot keep named statements (PgBouncer in
   * transaction mode before 1.21, or without `max_prepared_statements`).
   */
  preparedStatements?: boolean;
}

/** Characters a session name may contain (core's SESSION_NAME_PATTERN); a prefix outside them matches nothing. */
const NAME_ALPHABET = /^[A-Za-z0-9._-]*$/;
/** Above every character of NAME_ALPHABET: `[prefix, prefix + NAME_END)` holds exactly the names with the prefix. */
const NAME_END = '~';
/** Racing `dedupe` appenders that lost a key to another one run their statement again this often. */
const UNIQUE_APPEND_ATTEMPTS = 50;
const EPOCH = new Date(0);
/** For `assembleState`: messages this adapter parsed for one load, which the state may keep. */
const OWNED = { ownedMessages: true } as const;
/** Rows stored before the `project_key` column that a listing by project fills in per statement. */
const PROJECT_FILL_BATCH = 500;
const SNAPSHOT_PROVIDERS = new Set(['postgresql', 'postgres', 'cockroachdb', 'mysql']);

/**
 * Sessions in your application's database through Prisma, using only the Prisma client API.
 *
 * Row layout (models `ChannelCoderSession` / `ChannelCoderMessage`, see `schema/channelcoder.prisma`):
 * - `channelcoder_sessions`: one row per session, primary key `name`. `revision` (the optimistic-concurrency
 *   counter), `head` (core's wire head as JSON text: chain, metadata, usage, `messageCount`,
 *   `lastMessageId`), and the columns listing sorts and filters on without parsing anything else:
 *   `created`, `last_active`, `message_count`, `last_message_id`, `total_cost_usd`. Index
 *   `(last_active DESC, name)` serves `list()`.
 * - `channelcoder_messages`: one row per message, primary key `(session_name, sequence)`, `sequence` the
 *   0-based position, `content` core's wire message as JSON text. Foreign key to the session, cascading.
 *
 * `save` runs one interactive transaction: read the head row's revision and message count, then
 * `updateMany … where { name, revision }` (0 rows updated = another writer won = SessionConflictError),
 * then `createMany` of only the messages that are new since the stored revision (all of them after
 * `clear()`, with the old rows deleted first). A new session is a `create`; a duplicate key there is the
 * same conflict. If anything fails, the transaction rolls back and the previous revision stays.
 *
 * Leases (DESIGN 10, when the client has the `ChannelCoderLease` model, on PostgreSQL, CockroachDB or
 * SQLite): `channelcoder_leases`, one row per leased name, see leases.ts. A save or transcript append with
 * `{ lease }` checks (and locks) that row as the first write of its transaction.
 *
 * Connection failures surface as StorageUnavailableError; set connection timeouts on your driver (for
 * `pg`, `connectionTimeoutMillis` on the Pool) so they come within a bounded time.
 */
export class PrismaSessionStorage implements SessionStorage {
  private readonly prisma: TransactionalClient;
  private readonly txOptions: TransactionOptions;
  private readonly readOptions: TransactionOptions;
  private readonly transcripts: boolean;
  /** The session model has `projectKey` (see listFilters). */
  private readonly byProject: boolean;

  /**
   * The transcript capability: stores the CLI's transcript lines of `claudeSessionId` as lines
   * `fromLine, fromLine + 1, …` (lines already stored stay as they are). Present only when the client has
   * the `ChannelCoderTranscriptLine` model.
   *
   * @throws SessionNotFoundError when the session is not stored; InvalidArgumentError for a gap.
   */
  readonly appendTranscript?: (
    name: string,
    claudeSessionId: string,
    entries: readonly unknown[],
    fromLine: number,
    options?: TranscriptAppendOptions,
  ) => Promise<void>;
  /**
   * `['uuid']` when the client's transcript model has the `uuid` column: appends with `dedupe: 'uuid'` go
   * after the last line in one transaction and skip entries whose uuid is stored.
   */
  readonly transcriptAppendModes?: readonly TranscriptAppendMode[];
  /** Every stored transcript line in order, or `null` when none are stored for that id. */
  readonly loadTranscript?: (name: string, claudeSessionId: string) => Promise<unknown[] | null>;
  /**
   * The lease capability (DESIGN 10): takes the session's exclusive lease, waiting up to `waitMs`. Present
   * only when the client has the `ChannelCoderLease` model and the provider is PostgreSQL, CockroachDB or
   * SQLite. Expiry is judged by the database's clock.
   *
   * @throws SessionBusyError when another holder keeps it past `waitMs`; StorageUnavailableError.
   */
  readonly lease?: (name: string, options?: LeaseOptions) => Promise<SessionLease>;
  /**
   * Full-text search (DESIGN 13) in SQL over the GIN indexes of the `channelcoder_search` migration.
   * Present on PostgreSQL only; on SQLite `session search` reads the sessions (the scan in core).
   *
   * @throws StorageUnavailableError (also when the search migration was not applied).
   */
  readonly search?: (query: string, options?: SearchOptions) => Promise<SearchResult[]>;
  /**
   * The trash capability (present when the client has the `ChannelCoderTrash` model): moves the session,
   * its messages and transcripts into the trash in one transaction (rows renamed to `~trash~<id>`, never
   * copied). Resolves undefined when nothing is stored under the name; honours `options.lease` like save.
   *
   * @throws LeaseLostError (nothing moved); StorageUnavailableError.
   */
  readonly moveToTrash?: (name: string, options?: TrashOptions) => Promise<TrashEntry | undefined>;
  /** Unexpired trash entries, newest `trashedAt` first (ties by id), from the `channelcoder_trash` table. */
  readonly listTrash?: (options?: TrashListOptions) => Promise<TrashEntry[]>;
  /**
   * Renames the entry's rows back under its name (or `options.name`) in one transaction and deletes the entry.
   *
   * @throws SessionNotFoundError when no unexpired entry has that id; SessionConflictError (reason
   *   'name-taken') when a session is stored under the target name (nothing changed).
   */
  readonly restoreFromTrash?: (id: string, options?: TrashRestoreOptions) => Promise<string>;
  /** Deletes the entry `options.id`, else every expired one (`options.all`: every one); resolves how many. */
  readonly purgeTrash?: (options?: TrashPurgeOptions) => Promise<number>;
  /**
   * The current unexpired lease of the session (holder, fencing token, expiry), or `null`; one read of the
   * lease row, which it never takes or extends. Present with `lease`.
   */
  readonly peekLease?: (name: string) => Promise<LeaseInfo | null>;
  /**
   * Deletes every line of one transcript in one statement (with `options.lease`: in one transaction after
   * the lease check, LeaseLostError and nothing deleted when it is lost). Resolves true when lines were
   * deleted. Present with the transcript capability.
   */
  readonly deleteTranscript?: (
    name: string,
    claudeSessionId: string,
    options?: WriteOptions,
  ) => Promise<boolean>;
  /**
   * `['projectKey']` when the client's session model has the `projectKey` column: `list({ projectKey })`
   * reads one project's rows through the `(project_key, last_active, name)` index.
   */
  readonly listFilters?: readonly ListFilter[];
  /** The database's clock when leases are available. */
  private readonly leaseClock: DatabaseClock | undefined;
  private readonly trash: boolean;
  /** PostgreSQL: the single-statement SQL of append and load (postgres-sql.ts); undefined elsewhere. */
  private readonly sql: PostgresStatements | undefined;
  /**
   * PostgreSQL: the `pg` Pool under the client's adapter, when reachable (see underlyingPool); the
   * single-statement paths then run on it directly, without Prisma's row conversion.
   */
  private readonly pool: PgPool | undefined;
  /** Statement names for the pool's queries (undefined: unnamed statements). */
  private readonly named: (text: string) => string | undefined;

  constructor(options: PrismaSessionStorageOptions) {
    this.prisma = asTransactionalClient(options?.prisma);
    this.txOptions = { maxWait: 5000, timeout: 30000, ...options.transaction };
    const provider = (options.prisma as { _activeProvider?: unknown })._activeProvider;
    const isolation =
      options.readIsolationLevel ??
      (typeof provider === 'string' && SNAPSHOT_PROVIDERS.has(provider) ? 'RepeatableRead' : undefined);
    this.readOptions =
      isolation === undefined ? this.txOptions : { ...this.txOptions, isolationLevel: isolation };
    this.transcripts = hasTranscriptModel(this.prisma);
    this.byProject = hasProjectKey(options.prisma);
    if (this.byProject) this.listFilters = ['projectKey'];
    const clockQuery = leaseClockQuery(this.prisma, provider);
    this.leaseClock = clockQuery === undefined ? undefined : new DatabaseClock(clockQuery);
    const leaseClock = this.leaseClock;
    if (leaseClock !== undefined) {
      this.lease = async (name, leaseOptions) =>
        takeLease(
          this.prisma as unknown as LeaseClient,
          leaseClock,
          normalizeSessionName(name),
          leaseOptions,
        );
      this.peekLease = async (name) => {
        const key = normalizeSessionName(name);
        try {
          const client = this.prisma as unknown as LeaseClient;
          const now = await leaseClock.now(client);
          const row = (await client.channelCoderLease.findUnique({
            where: { name: key },
            select: { holder: true, token: true, expiresAt: true },
          })) as Pick<LeaseRow, 'holder' | 'token' | 'expiresAt'> | null;
          if (row === null || row.expiresAt.getTime() <= now.getTime()) return null;
          return { holder: row.holder, token: Number(row.token), expiresAt: row.expiresAt };
        } catch (err) {
          throw toStorageError(err, `peekLease("${key}")`);
        }
      };
    }
    if (hasFullTextSearch(this.prisma, provider)) {
      this.search = async (query, searchOptions) => {
        try {
          return await searchInDatabase(
            this,
            this.prisma as unknown as RawClient,
            { withTranscripts: this.transcripts, schema: tablesSchema(options.prisma, options.schema) },
            query,
            searchOptions,
          );
        } catch (err) {
          throw toStorageError(err, 'search()');
        }
      };
    }
    this.trash = trash.hasTrashModel(this.prisma);
    if (this.trash) this.defineTrash();
    const rawCapable =
      typeof provider === 'string' &&
      (provider === 'postgresql' || provider === 'postgres') &&
      typeof (options.prisma as { $queryRawUnsafe?: unknown }).$queryRawUnsafe === 'function';
    this.sql = rawCapable ? new PostgresStatements(tablesSchema(options.prisma, options.schema)) : undefined;
    this.pool = this.sql === undefined ? undefined : underlyingPool(options.prisma);
    this.named = options.preparedStatements === false ? () => undefined : statementName;
    if (this.transcripts) this.defineTranscripts(hasTranscriptUuid(options.prisma));
  }

  private defineTranscripts(byUuid: boolean): void {
    const self = this as {
      -readonly [K in
        | 'appendTranscript'
        | 'loadTranscript'
        | 'deleteTranscript'
        | 'transcriptAppendModes']: PrismaSessionStorage[K];
    };
    if (byUuid) self.transcriptAppendModes = ['uuid'];
    // The single-statement append needs the uuid and lease tables of this version's schema.
    const sql = byUuid && this.leaseClock !== undefined ? this.sql : undefined;
    self.appendTranscript = async (name, claudeSessionId, entries, fromLine, appendOptions) => {
      const key = normalizeSessionName(name);
      const fence = (tx: Parameters<typeof checkLeaseInTransaction>[0]) =>
        checkLeaseInTransaction(tx, this.leaseClock, key, appendOptions);
      try {
        if (appendOptions?.dedupe === 'uuid' && !byUuid) {
          throw new InvalidArgumentError(
            `appendTranscript("${key}"): dedupe 'uuid' needs the uuid column of ChannelCoderTranscriptLine; ` +
              'regenerate your PrismaClient from this version of schema/channelcoder.prisma and apply its migrations.',
          );
        }
        if (sql !== undefined) {
          await this.appendInOneStatement(sql, key, claudeSessionId, entries, fromLine, appendOptions);
          return;
        }
        const append = appendOptions?.dedupe === 'uuid' ? appendUniqueTranscriptLines : appendTranscriptLines;
        await append(this.prisma, this.txOptions, key, claudeSessionId, entries, fromLine, fence);
      } catch (err) {
        throw toStorageError(err, `appendTranscript("${key}")`);
      }
    };
    self.loadTranscript = async (name, claudeSessionId) => {
      const key = normalizeSessionName(name);
      try {
        if (this.sql !== undefined && this.pool !== undefined) {
          checkAppendArguments('loadTranscript', claudeSessionId);
          const { rows } = await this.pool.query({
            name: this.named(this.sql.loadTranscriptRows),
            text: this.sql.loadTranscriptRows,
            values: [key, claudeSessionId],
            rowMode: 'array',
          });
          if (rows.length === 0) return null;
          const lines = placeRows(rows, rows.length);
          if (lines !== undefined) return lines;
          // A damaged or missing line: read them one by one to say which.
        } else if (this.sql !== undefined) {
          checkAppendArguments('loadTranscript', claudeSessionId);
          const [row] = await (this.prisma as unknown as RawQueryClient).$queryRawUnsafe<
            Array<{ count: number; first: number; last: number; body: string }>
          >(this.sql.loadTranscript, key, claudeSessionId);
          if (row === undefined || Number(row.count) === 0) return null;
          const lines = transcriptFromJoined(
            row.body,
            Number(row.count),
            Number(row.first),
            Number(row.last),
          );
          if (lines !== undefined) return lines;
          // A damaged or missing line: read them one by one to say which.
        }
        return await loadTranscriptLines(this.prisma, key, claudeSessionId);
      } catch (err) {
        throw toStorageError(err, `loadTranscript("${key}")`);
      }
    };
    self.deleteTranscript = async (name, claudeSessionId, deleteOptions) => {
      const key = normalizeSessionName(name);
      try {
        checkAppendArguments('deleteTranscript', claudeSessionId);
        if (deleteOptions?.lease === undefined)
          return (await deleteTranscriptOf(this.prisma, key, claudeSessionId)) > 0;
        return await this.prisma.$transaction(async (tx) => {
          await checkLeaseInTransaction(tx, this.leaseClock, key, deleteOptions);
          return (await deleteTranscriptOf(tx, key, claudeSessionId)) > 0;
        }, this.txOptions);
      } catch (err) {
        throw toStorageError(err, `deleteTranscript("${key}")`);
      }
    };
  }

  /** PostgreSQL: the append as one statement (postgres-sql.ts), run again when a racing appender won a key. */
  private async appendInOneStatement(
    sql: PostgresStatements,
    key: string,
    claudeSessionId: string,
    entries: readonly unknown[],
    fromLine: number,
    options: TranscriptAppendOptions | undefined,
  ): Promise<void> {
    checkAppendArguments('appendTranscript', claudeSessionId, entries, fromLine, key);
    const unique = options?.dedupe === 'uuid';
    // dedupe 'uuid': a batch's own repeats go first (the first of each uuid stays), as in the other paths.
    const batch = unique ? uniqueTranscriptEntries(key, entries, fromLine, new Set<string>()) : entries;
    if (!unique && batch.length === 0) return;
    const texts = batch.map((entry) => JSON.stringify(entry ?? null));
    const uuids = batch.map((entry) => (unique ? (transcriptEntryUuid(entry) ?? null) : null));
    let token: number | null = null;
    let now: Date = EPOCH;
    if (options?.lease !== undefined) {
      token = fencingToken(key, options) ?? null; // a lease of another session is refused as lost
    }
    const client = this.prisma as unknown as RawQueryClient;
    for (let attempt = 1; ; attempt++) {
      if (token !== null) now = await this.leaseClock!.now(this.prisma as unknown as LeaseClient);
      let outcome: AppendOutcome | undefined;
      try {
        const text = unique ? sql.appendUnique : sql.append;
        // The database's clock as UTC text: `timestamp(3)` holds UTC, and the pool would send a Date in
        // this process's time zone.
        const values = [key, claudeSessionId, fromLine, texts, uuids, token, now.toISOString()];
        [outcome] =
          this.pool === undefined
            ? await client.$queryRawUnsafe<AppendOutcome[]>(text, ...values)
            : ((await this.pool.query({ name: this.named(text), text, values })).rows as AppendOutcome[]);
      } catch (err) {
        if (attempt < UNIQUE_APPEND_ATTEMPTS && isUniqueViolation(err)) {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(40, 2 * attempt)));
          continue;
        }
        throw err;
      }
      if (outcome === undefined) throw new Error('the append statement returned no row');
      if (!outcome.fenced) throw new LeaseLostError(key, token ?? 0);
      if (!outcome.present) throw new SessionNotFoundError(key, { where: `table ${SESSIONS_TABLE}` });
      // A gap: nothing was inserted; the same check as the other paths says what was wrong.
      if (!unique) newTranscriptLines(key, Number(outcome.stored), entries, fromLine);
      return;
    }
  }

  private defineTrash(): void {
    const place: trash.TrashPlace = {
      prisma: this.prisma,
      txOptions: this.txOptions,
      transcripts: this.transcripts,
      checkLease: (tx, name, options) => checkLeaseInTransaction(tx, this.leaseClock, name, options),
    };
    const wrap =
      <A extends unknown[], R>(operation: (...args: A) => string, fn: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        try {
          return await fn(...args);
        } catch (err) {
          throw toStorageError(err, operation(...args));
        }
      };
    const self = this as {
      -readonly [K in
        | 'moveToTrash'
        | 'listTrash'
        | 'restoreFromTrash'
        | 'purgeTrash']: PrismaSessionStorage[K];
    };
    self.moveToTrash = wrap(
      (name) => `moveToTrash("${name}")`,
      (name: string, options?: TrashOptions) => trash.moveToTrash(place, normalizeSessionName(name), options),
    );
    self.listTrash = wrap(
      () => 'listTrash()',
      (options?: TrashListOptions) => trash.listTrash(place, options),
    );
    self.restoreFromTrash = wrap(
      (id) => `restoreFromTrash("${id}")`,
      (id: string, options?: TrashRestoreOptions) => trash.restoreFromTrash(place, id, options),
    );
    self.purgeTrash = wrap(
      () => 'purgeTrash()',
      (options?: TrashPurgeOptions) => trash.purgeTrash(place, options),
    );
  }

  /**
   * Stores the state in one transaction (see the class comment). With `options.lease`, the lease row is
   * checked and locked first.
   *
   * @throws SessionConflictError; LeaseLostError (nothing written); StorageUnavailableError.
   */
  async save(state: SessionState, name?: string, options?: WriteOptions): Promise<string> {
    const key = resolveSaveName(state, name);
    try {
      await this.prisma.$transaction(async (tx) => {
        await checkLeaseInTransaction(tx, this.leaseClock, key, options);
        await this.writeSession(tx, key, state);
      }, this.txOptions);
    } catch (err) {
      throw toStorageError(err, `save("${key}")`);
    }
    state.revision += 1;
    return key;
  }

  private async writeSession(tx: ModelClient, key: string, state: SessionState): Promise<void> {
    const stored = await tx.channelCoderSession.findUnique({
      where: { name: key },
      select: { revision: true, messageCount: true, lastMessageId: true },
    });
    assertRevision(key, stored?.revision, state);
    const row = sessionRow(key, state, this.byProject);
    if (stored === null) {
      try {
        await tx.channelCoderSession.create({ data: row, select: { name: true } });
      } catch (err) {
        // Another writer created the session between our read and this insert.
        if (isUniqueViolation(err)) throw new SessionConflictError(key, state.revision, 1);
        throw err;
      }
      await insertMessages(tx, key, state, 0);
      return;
    }
    const plan = planMessageWrite(
      { messageCount: stored.messageCount ?? 0, lastMessageId: stored.lastMessageId ?? undefined },
      state,
    );
    const { name: _name, ...changes } = row;
    const updated = await tx.channelCoderSession.updateMany({
      where: { name: key, revision: state.revision },
      data: changes,
    });
    if (updated.count !== 1) {
      const now = await tx.channelCoderSession.findUnique({
        where: { name: key },
        select: { revision: true },
      });
      throw new SessionConflictError(key, state.revision, now?.revision ?? 0);
    }
    if (plan.mode === 'rewrite') await tx.channelCoderMessage.deleteMany({ where: { sessionName: key } });
    await insertMessages(tx, key, state, plan.mode === 'append' ? plan.from : 0);
  }

  /**
   * On PostgreSQL one statement (one snapshot, see postgres-sql.ts): on the adapter's pg pool, the head and
   * the messages in chunks of 512 joined texts, each parsed once; through Prisma, the head and the messages
   * joined into one JSON array text, parsed at once. Elsewhere, or when those texts show a damaged row, the
   * head and the messages are read in one transaction at `readIsolationLevel`, each message parsed alone.
   */
  async load(name: string): Promise<SessionState> {
    const key = normalizeSessionName(name);
    const ctx = { name: key, location: rowPath(key) };
    let found: { head: string; messages: unknown[] } | undefined;
    try {
      if (this.sql !== undefined && this.pool !== undefined) {
        const text = this.sql.loadChunks;
        const { rows } = await this.pool.query({
          name: this.named(text),
          text,
          values: [key],
          rowMode: 'array',
        });
        const head = rows.find((row) => (row as unknown[])[0] === -1) as [number, number, string] | undefined;
        if (head === undefined) throw new SessionNotFoundError(key, { where: `table ${SESSIONS_TABLE}` });
        const messages = placeChunks(rows, Number(head[1]));
        // Parsed here for this load alone: the state may keep those objects.
        if (messages !== undefined) return assembleState(head[2], messages, ctx, OWNED);
      } else if (this.sql !== undefined) {
        const [row] = await (this.prisma as unknown as RawQueryClient).$queryRawUnsafe<
          Array<{ head: string; count: number; body: string }>
        >(this.sql.load, key);
        if (row === undefined) throw new SessionNotFoundError(key, { where: `table ${SESSIONS_TABLE}` });
        const messages = parseJoined(row.body, Number(row.count));
        if (messages !== undefined) return assembleState(row.head, messages, ctx, OWNED);
      }
      found = await this.prisma.$transaction(async (tx) => {
        const row = await tx.channelCoderSession.findUnique({ where: { name: key }, select: { head: true } });
        if (row === null || typeof row.head !== 'string') return undefined;
        const messages = await tx.channelCoderMessage.findMany({
          where: { sessionName: key },
          orderBy: { sequence: 'asc' },
          select: { content: true },
        });
        return { head: row.head, messages: messages.map((m) => m.content ?? '') };
      }, this.readOptions);
    } catch (err) {
      throw toStorageError(err, `load("${key}")`);
    }
    if (found === undefined) throw new SessionNotFoundError(key, { where: `table ${SESSIONS_TABLE}` });
    return assembleState(found.head, found.messages, ctx);
  }

  /** The stored revision (one column of the head row, never the head or the messages), or `null`. */
  async readRevision(name: string): Promise<number | null> {
    const key = normalizeSessionName(name);
    try {
      const row = await this.prisma.channelCoderSession.findUnique({
        where: { name: key },
        select: { revision: true },
      });
      return row === null ? null : Number(row.revision);
    } catch (err) {
      throw toStorageError(err, `readRevision("${key}")`);
    }
  }

  /**
   * Session rows only (never messages): newest `lastActive` first, ties by name, paged in the database
   * with a keyset cursor on `(last_active, name)`.
   *
   * The prefix is a range of the primary key, `name >= prefix AND name < prefix || '~'` ('~' sorts after
   * every character a session name may contain, compared bytewise: the column's collation is "C" on
   * PostgreSQL, BINARY on SQLite), so the database reads that project's rows through the primary key and
   * never the rows of other prefixes; with an empty prefix the same range leaves out the trashed rows
   * (`~trash~…`). An exact `startsWith` check on each name follows all the same. A prefix with a character
   * no session name can contain (`%`, `*`, `\`, …) matches nothing and never reaches the database.
   */
  async list(options?: ListOptions): Promise<SessionInfo[]> {
    const { limit, after, prefix, projectKey: requested } = readListOptions(options);
    if (limit === 0 || !NAME_ALPHABET.test(prefix)) return [];
    // Without the column the option is not declared (listFilters) and, as the contract says, ignored.
    const projectKey = this.byProject ? requested : undefined;
    if (projectKey !== undefined) {
      if (this.sql !== undefined && this.pool !== undefined) {
        // On the pool: the check for rows stored before project_key comes with the listing's first page,
        // in one statement; only when there are such rows are they filled in and the listing read again.
        const first = await this.projectPageOnPool(this.sql, this.pool, prefix, after, limit, projectKey);
        if (!first.pending) return this.collect(prefix, after, limit, projectKey, first.rows);
      }
      await this.fillProjectKeys();
    }
    return this.collect(prefix, after, limit, projectKey);
  }

  /**
   * The first page of a project listing on the pool (what {@link collect} asks for first), and whether any
   * row still has no `project_key`, in one statement (PostgresStatements.projectListing).
   */
  private async projectPageOnPool(
    sql: PostgresStatements,
    pool: PgPool,
    prefix: string,
    after: ListPosition | undefined,
    take: number | undefined,
    projectKey: string,
  ): Promise<{ pending: boolean; rows: ListRow[] }> {
    const text = sql.projectListing({ after: after !== undefined, limit: take !== undefined });
    const values: unknown[] = [prefix, prefix + NAME_END, projectKey];
    // UTC text: `timestamp(3)` holds UTC, and the pool would send a Date in this process's time zone.
    if (after !== undefined) values.push(new Date(after.lastActive).toISOString(), after.name);
    if (take !== undefined) values.push(take);
    try {
      const result = await pool.query({ name: this.named(text), text, values, rowMode: 'array' });
      const rows = result.rows as Array<[boolean, string | null, string | null, number | null]>;
      const out: ListRow[] = [];
      for (const [, name, head, at] of rows)
        if (name !== null) out.push({ name, head: head ?? '', lastActive: new Date(Number(at)) });
      return { pending: rows[0]?.[0] === true, rows: out };
    } catch (err) {
      throw toStorageError(err, 'list({ projectKey })');
    }
  }

  /** The listing's entries, page by page until `limit` entries are found or the rows run out. */
  private async collect(
    prefix: string,
    after: ListPosition | undefined,
    limit: number | undefined,
    projectKey: string | undefined,
    /** The first page, when already read (same `after` and `limit`). */
    firstPage?: ListRow[],
  ): Promise<SessionInfo[]> {
    const entries: SessionInfo[] = [];
    let position = after;
    let given = firstPage;
    for (;;) {
      const want = limit === undefined ? undefined : limit - entries.length;
      const rows = given ?? (await this.listRows(prefix, position, want, projectKey));
      given = undefined;
      for (const row of rows) if (row.name.startsWith(prefix)) entries.push(listEntry(row));
      const last = rows.at(-1);
      if (want === undefined || last === undefined || rows.length < want || entries.length >= (limit ?? 0))
        break;
      position = { lastActive: last.lastActive.getTime(), name: last.name };
    }
    return entries;
  }

  /**
   * Fills in `project_key` of rows stored before that column (NULL) from their heads, a batch of rows per
   * round (one read, then one UPDATE per project found), until none is left; a save racing with it wrote
   * its own value, which the `project_key IS NULL` condition keeps. Once filled, this is one read of the
   * project index's NULL range per listing by project.
   */
  private async fillProjectKeys(): Promise<void> {
    try {
      for (;;) {
        const rows = await this.prisma.channelCoderSession.findMany({
          where: { projectKey: null },
          select: { name: true, head: true },
          take: PROJECT_FILL_BATCH,
        });
        const byKey = new Map<string, string[]>();
        for (const row of rows) {
          const key = projectKeyOfHead(row.name ?? '', row.head ?? '');
          byKey.set(key, [...(byKey.get(key) ?? []), row.name ?? '']);
        }
        for (const [projectKey, names] of byKey) {
          await this.prisma.channelCoderSession.updateMany({
            where: { name: { in: names }, projectKey: null },
            data: { projectKey },
          });
        }
        if (rows.length < PROJECT_FILL_BATCH) return;
      }
    } catch (err) {
      throw toStorageError(err, 'list({ projectKey })');
    }
  }

  private async listRows(
    prefix: string,
    after: ListPosition | undefined,
    take: number | undefined,
    projectKey?: string,
  ): Promise<ListRow[]> {
    if (this.sql !== undefined && this.pool !== undefined)
      return this.listRowsOnPool(this.sql, this.pool, prefix, after, take, projectKey);
    // Trashed sessions' rows (`~trash~<id>`, see trash.ts) sort after every name: outside every range.
    const filters: Record<string, unknown>[] = [{ name: { gte: prefix, lt: prefix + NAME_END } }];
    if (projectKey !== undefined) filters.push({ projectKey });
    if (after !== undefined) {
      const at = new Date(after.lastActive);
      filters.push({ OR: [{ lastActive: { lt: at } }, { lastActive: at, name: { gt: after.name } }] });
    }
    try {
      return (await this.prisma.channelCoderSession.findMany({
        where: { AND: filters },
        orderBy: [{ lastActive: 'desc' }, { name: 'asc' }],
        select: { name: true, head: true, lastActive: true },
        ...(take === undefined ? {} : { take }),
      })) as ListRow[];
    } catch (err) {
      throw toStorageError(err, 'list()');
    }
  }

  /** listRows as one prepared statement on the pool (see PostgresStatements.listing). */
  private async listRowsOnPool(
    sql: PostgresStatements,
    pool: PgPool,
    prefix: string,
    after: ListPosition | undefined,
    take: number | undefined,
    projectKey: string | undefined,
  ): Promise<ListRow[]> {
    const text = sql.listing({
      project: projectKey !== undefined,
      after: after !== undefined,
      limit: take !== undefined,
    });
    const values: unknown[] = [prefix, prefix + NAME_END];
    if (projectKey !== undefined) values.push(projectKey);
    // UTC text: `timestamp(3)` holds UTC, and the pool would send a Date in this process's time zone.
    if (after !== undefined) values.push(new Date(after.lastActive).toISOString(), after.name);
    if (take !== undefined) values.push(take);
    try {
      const { rows } = await pool.query({ name: this.named(text), text, values, rowMode: 'array' });
      return (rows as Array<[string, string, number]>).map(([name, head, at]) => ({
        name,
        head,
        lastActive: new Date(Number(at)),
      }));
    } catch (err) {
      throw toStorageError(err, 'list()');
    }
  }

  async remove(name: string): Promise<boolean> {
    const key = normalizeSessionName(name);
    try {
      return await this.prisma.$transaction(async (tx) => {
        if (this.transcripts) await deleteTranscriptLines(tx, key);
        await tx.channelCoderMessage.deleteMany({ where: { sessionName: key } });
        const { count } = await tx.channelCoderSession.deleteMany({ where: { name: key } });
        return count > 0;
      }, this.txOptions);
    } catch (err) {
      throw toStorageError(err, `remove("${key}")`);
    }
  }

  async exists(name: string): Promise<boolean> {
    const key = normalizeSessionName(name);
    try {
      const row = await this.prisma.channelCoderSession.findUnique({
        where: { name: key },
        select: { name: true },
      });
      return row !== null;
    } catch (err) {
      throw toStorageError(err, `exists("${key}")`);
    }
  }

  /** Nothing to release: the PrismaClient belongs to the caller, who disconnects it. */
  async close(): Promise<void> {}
}
