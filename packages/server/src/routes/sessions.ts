/** `/sessions`: create, get (with stats), list, end, delete, fork; messages. */
import {
  createSessionState,
  fork,
  generateSessionName,
  SessionConflictError,
  type SessionInfo,
  SessionNotFoundError,
  type SessionState,
  storageCapabilities,
} from '@channelcoder/session-core';
import { requireCapability } from '@channelcoder/session-core/storage-kit';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { ServiceError } from '../errors.js';
import { allowedDirectory } from '../paths.js';
import { withoutPlans } from '../plan-record.js';
import {
  CreateSessionBody,
  DeleteQuery,
  ForkBody,
  ListQuery,
  MessagesQuery,
  NameParams,
  SessionListReply,
  SessionViewReply,
} from '../schemas.js';
import { endedAt, runDefaults, serviceTags, userTags, withEnded, withoutEnded } from '../service-tags.js';
import { sessionStats } from '../stats.js';
import type { ServiceState } from './service-state.js';

/** Who holds a session's lease (or, without leases, runs a task in it here) and until when. */
export interface Busy {
  holder: string;
  /** When the lease runs out unless renewed; null for a hold in this process (storage without leases). */
  expiresAt: string | null;
}

/**
 * Whether the session is busy: its current lease, read with the storage's `peekLease` (a CLI turn, a task on
 * any replica), never taking it; without that capability, a task running on this server.
 */
export async function busyOf(svc: ServiceState, name: string): Promise<Busy | null> {
  const { storage } = svc;
  if (typeof storage.peekLease === 'function') {
    const lease = await storage.peekLease(name);
    return lease === null ? null : { holder: lease.holder, expiresAt: lease.expiresAt.toISOString() };
  }
  const running = svc.tasks.running.get(name);
  return running === undefined ? null : { holder: running.holder, expiresAt: null };
}

/** `busyOf` for a page of listed sessions (null for all without `peekLease`). */
export async function busyOfAll(svc: ServiceState, names: readonly string[]): Promise<Array<Busy | null>> {
  return Promise.all(names.map((name) => busyOf(svc, name)));
}

/** The API's view of a stored session; `busy` as read by `busyOf` (null where the answer needs none). */
export function sessionView(state: SessionState, svc: ServiceState, busy: Busy | null = null) {
  const name = state.metadata.name as string;
  const ended = endedAt(state.metadata.tags);
  const running = svc.tasks.running.get(name);
  return {
    name,
    metadata: {
      created: state.metadata.created.toISOString(),
      lastActive: state.metadata.lastActive.toISOString(),
      ...(state.metadata.cwd === undefined ? {} : { workingDirectory: state.metadata.cwd }),
      tags: userTags(state.metadata.tags),
      defaults: runDefaults(state.metadata.tags),
      status: ended === undefined ? 'active' : 'ended',
      ...(ended === undefined ? {} : { endedAt: ended }),
      ...(state.metadata.parent === undefined ? {} : { parent: state.metadata.parent }),
      claudeSessionId: state.currentSessionId ?? null,
      messageCount: state.messages.length,
      revision: state.revision,
    },
    stats: sessionStats(state),
    running:
      running === undefined ? null : { startedAt: running.startedAt.toISOString(), holder: running.holder },
    busy,
  };
}

/** A listing entry as the API shows it. */
export function sessionSummary(info: SessionInfo, busy: Busy | null = null) {
  const ended = endedAt(info.tags);
  return {
    name: info.name,
    created: info.created.toISOString(),
    lastActive: info.lastActive.toISOString(),
    messageCount: info.messageCount,
    costUsd: info.totalCostUsd ?? 0,
    tags: userTags(info.tags),
    status: ended === undefined ? 'active' : 'ended',
    busy,
    ...(info.error === undefined ? {} : { error: info.error }),
    ...(info.transcriptError === undefined ? {} : { transcriptError: info.transcriptError }),
  };
}

export function sessionRoutes(app: FastifyInstance, svc: ServiceState): void {
  const { storage } = svc;

  app.post(
    '/sessions',
    { schema: { summary: 'Create a session', tags: ['sessions'], body: CreateSessionBody } },
    async (request, reply) => {
      const body = request.body as Static<typeof CreateSessionBody>;
      const cwd =
        body.workingDirectory === undefined
          ? undefined
          : await allowedDirectory(body.workingDirectory, svc.roots, 'body.workingDirectory');
      const name = body.name ?? generateSessionName();
      const state = createSessionState({
        name,
        ...(cwd === undefined ? {} : { cwd }),
        tags: serviceTags(body.tags ?? [], body.defaults),
      });
      try {
        await storage.save(state, name);
      } catch (err) {
        if (SessionConflictError.is(err))
          throw new ServiceError('SESSION_CONFLICT', 409, `A session named "${name}" exists already.`, {
            field: 'body.name',
          });
        throw err;
      }
      const stored = await storage.load(name);
      return reply.code(201).send(sessionView(stored, svc));
    },
  );

  app.get(
    '/sessions',
    {
      schema: {
        summary: 'List sessions, newest first',
        tags: ['sessions'],
        querystring: ListQuery,
        response: { 200: SessionListReply },
      },
    },
    async (request) => {
      const q = request.query as Static<typeof ListQuery>;
      const limit = q.limit === undefined ? 50 : Number(q.limit);
      const found: SessionInfo[] = [];
      let cursor = q.cursor;
      let lastSeen: string | undefined;
      // Tags are not indexed by every storage: with a tag, pages are read until `limit` entries match.
      for (;;) {
        const page = await storage.list({
          limit: q.tag === undefined ? limit : Math.max(limit, 200),
          ...(cursor === undefined ? {} : { cursor }),
          ...(q.prefix === undefined ? {} : { prefix: q.prefix }),
        });
        for (const info of page) {
          lastSeen = info.cursor;
          if (q.tag === undefined || info.tags?.includes(q.tag)) found.push(info);
          if (found.length === limit) break;
        }
        if (found.length === limit || page.length === 0 || q.tag === undefined) break;
        cursor = page.at(-1)?.cursor;
      }
      const full = found.length === limit;
      const busy = await busyOfAll(
        svc,
        found.map((info) => info.name),
      );
      return {
        sessions: found.map((info, i) => sessionSummary(info, busy[i] ?? null)),
        nextCursor: full ? (q.tag === undefined ? (found.at(-1)?.cursor ?? null) : (lastSeen ?? null)) : null,
      };
    },
  );

  app.get(
    '/sessions/:name',
    {
      schema: {
        summary: 'A session with its stats',
        description: '`busy` says who holds the session now (any process, when the storage can tell).',
        tags: ['sessions'],
        params: NameParams,
        response: { 200: SessionViewReply },
      },
    },
    async (request) => {
      const { name } = request.params as Static<typeof NameParams>;
      const state = await storage.load(name);
      return sessionView(state, svc, await busyOf(svc, name));
    },
  );

  app.post(
    '/sessions/:name/end',
    { schema: { summary: 'End a session: it takes no more tasks', tags: ['sessions'], params: NameParams } },
    async (request) => {
      const { name } = request.params as Static<typeof NameParams>;
      await storage.load(name); // 404 before waiting for the session
      // Held like a task: a running turn (here or on another replica) finishes and is stored first, and
      // its save is never made to conflict by this one.
      return svc.holdForWrite(name, 'end', async (saveOptions) => {
        const state = await storage.load(name);
        if (endedAt(state.metadata.tags) !== undefined) return sessionView(state, svc);
        state.metadata.tags = withEnded(state.metadata.tags, new Date());
        await storage.save(state, name, saveOptions);
        return sessionView(await storage.load(name), svc);
      });
    },
  );

  app.delete(
    '/sessions/:name',
    {
      schema: {
        summary: 'Delete a session: into the trash when the storage keeps one, unless purge=true',
        tags: ['sessions'],
        params: NameParams,
        querystring: DeleteQuery,
      },
    },
    async (request, reply) => {
      const { name } = request.params as Static<typeof NameParams>;
      const { purge } = request.query as Static<typeof DeleteQuery>;
      const toTrash = purge !== 'true' && storageCapabilities(storage).trash;
      const remove = toTrash ? undefined : requireCapability(storage, 'remove');
      const moveToTrash = toTrash ? requireCapability(storage, 'moveToTrash') : undefined;
      await storage.load(name); // 404 before waiting for the session
      // Held like a task: a turn running meanwhile finishes, is stored and answered before the removal.
      const removed = await svc.holdForWrite(name, 'delete', async (saveOptions) =>
        moveToTrash !== undefined
          ? (await moveToTrash(name, { ...saveOptions, reason: 'removed' })) !== undefined
          : (remove as (n: string) => Promise<boolean>)(name),
      );
      if (!removed) throw new SessionNotFoundError(name);
      return reply.code(204).send();
    },
  );

  app.post(
    '/sessions/:name/fork',
    {
      schema: {
        summary: 'Fork a session: a new session continuing a copy of the conversation',
        tags: ['sessions'],
        params: NameParams,
        body: ForkBody,
      },
    },
    async (request, reply) => {
      const { name } = request.params as Static<typeof NameParams>;
      const body = (request.body ?? {}) as Static<typeof ForkBody>;
      const source = await storage.load(name);
      const forkName = body.name ?? generateSessionName();
      const copy = fork(source, { name: forkName });
      copy.metadata.tags = withoutPlans(withoutEnded(copy.metadata.tags));
      try {
        await storage.save(copy, forkName);
      } catch (err) {
        if (SessionConflictError.is(err))
          throw new ServiceError('SESSION_CONFLICT', 409, `A session named "${forkName}" exists already.`, {
            field: 'body.name',
          });
        throw err;
      }
      return reply.code(201).send(sessionView(await storage.load(forkName), svc));
    },
  );

  app.get(
    '/sessions/:name/messages',
    {
      schema: {
        summary: 'The conversation, paged (or its stored Claude transcript)',
        tags: ['sessions'],
        params: NameParams,
        querystring: MessagesQuery,
      },
    },
    async (request) => {
      const { name } = request.params as Static<typeof NameParams>;
      const q = request.query as Static<typeof MessagesQuery>;
      const limit = q.limit === undefined ? 100 : Number(q.limit);
      const offset = q.offset === undefined ? 0 : Number(q.offset);
      const state = await storage.load(name);
      if (q.transcript === 'true') {
        const load = requireCapability(storage, 'loadTranscript');
        const lines: unknown[] = [];
        for (const id of state.sessionChain) lines.push(...((await load(name, id)) ?? []));
        const page = lines.slice(offset, offset + limit);
        return {
          entries: page,
          total: lines.length,
          nextOffset: offset + page.length < lines.length ? offset + page.length : null,
        };
      }
      const page = state.messages.slice(offset, offset + limit).map((m) => ({
        id: m.id,
        role: m.role,
        content: m.content,
        timestamp: m.timestamp.toISOString(),
        claudeSessionId: m.sessionId,
        ...(m.turn === undefined ? {} : { turn: m.turn }),
      }));
      const total = state.messages.length;
      return {
        messages: page,
        total,
        nextOffset: offset + page.length < total ? offset + page.length : null,
      };
    },
  );
}
