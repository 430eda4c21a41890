/**
 * Read endpoints the browser viewer needs beside the core API: a session's turns with their tool calls,
 * its forks, full-text search, and cost per day.
 */
import { claudeConfigDir, loadSessionConversation, searchSessions } from '@channelcoder/session-core';
import type { FastifyInstance } from 'fastify';
import { type Static, Type } from 'typebox';
import { ServiceError } from '../errors.js';
import { ConversationReply, NameParams } from '../schemas.js';
import { conversationTurns } from '../viewer/conversation-view.js';
import { costReport, dayOf } from '../viewer/cost-series.js';
import type { ServiceState } from './service-state.js';
import { busyOf, sessionSummary, sessionView } from './sessions.js';

const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD (UTC)' });

const SearchQuery = Type.Object(
  {
    q: Type.String({ minLength: 1, maxLength: 500, description: 'A phrase, matched case-insensitively' }),
    limit: Type.Optional(
      Type.String({ pattern: '^(?:[1-9]\\d{0,2}|1000)$', description: '1-1000 (default 50)' }),
    ),
    tag: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    prefix: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  },
  { additionalProperties: false },
);

const CostQuery = Type.Object(
  {
    by: Type.Optional(Type.Union([Type.Literal('tag'), Type.Literal('session')])),
    from: Type.Optional(Day),
    to: Type.Optional(Day),
  },
  { additionalProperties: false },
);

/** Longest range of the cost chart, in days. */
const MAX_RANGE_DAYS = 366;
/** At most this many sessions are read to find a session's forks. */
const FORK_SCAN_LIMIT = 5000;

export function viewerDataRoutes(app: FastifyInstance, svc: ServiceState): void {
  const { storage } = svc;

  app.get(
    '/sessions/:name/conversation',
    {
      schema: {
        summary: "A session's turns with their tool calls, tool results and thinking",
        description:
          'Turns come from the stored messages (cost, duration, failure); tool calls come from the stored ' +
          "Claude transcripts, else the server's local ones. `transcripts` says where each was found.",
        tags: ['sessions'],
        params: NameParams,
        response: { 200: ConversationReply },
      },
    },
    async (request) => {
      const { name } = request.params as Static<typeof NameParams>;
      const state = await storage.load(name);
      const location = { configDir: claudeConfigDir(process.env), cwd: state.metadata.cwd ?? process.cwd() };
      const { items, sources } = await loadSessionConversation(storage, name, state, location);
      return {
        session: sessionView(state, svc, await busyOf(svc, name)),
        turns: conversationTurns(state.messages, items, state.metadata.parent?.messageCount ?? 0),
        transcripts: sources,
        ...(state.metadata.transcriptError === undefined
          ? {}
          : { transcriptError: state.metadata.transcriptError }),
      };
    },
  );

  app.get(
    '/sessions/:name/forks',
    {
      schema: {
        summary: 'Sessions forked from this one',
        description: `Reads the sessions created after this one (at most ${FORK_SCAN_LIMIT}).`,
        tags: ['sessions'],
        params: NameParams,
      },
    },
    async (request) => {
      const { name } = request.params as Static<typeof NameParams>;
      const state = await storage.load(name);
      const created = state.metadata.created.getTime();
      const forks: Array<ReturnType<typeof sessionSummary>> = [];
      let read = 0;
      for (const info of await storage.list()) {
        if (info.error !== undefined || info.name === name || info.created.getTime() < created) continue;
        if (++read > FORK_SCAN_LIMIT) break;
        const child = await storage.load(info.name);
        if (child.metadata.parent?.name === name) forks.push(sessionSummary(info));
      }
      return { forks };
    },
  );

  app.get(
    '/search',
    {
      schema: {
        summary: 'Sessions whose messages or transcripts contain a phrase, newest first',
        description: "The storage's own full-text search when it has one, else a scan of every session.",
        tags: ['sessions'],
        querystring: SearchQuery,
      },
    },
    async (request) => {
      const q = request.query as Static<typeof SearchQuery>;
      const results = await searchSessions(storage, q.q, {
        limit: q.limit === undefined ? 50 : Number(q.limit),
        ...(q.tag === undefined ? {} : { tags: [q.tag] }),
        ...(q.prefix === undefined ? {} : { prefix: q.prefix }),
      });
      return {
        native: typeof storage.search === 'function',
        results: results.map((r) => ({ ...sessionSummary(r), snippets: r.snippets })),
      };
    },
  );

  app.get(
    '/stats/daily',
    {
      schema: {
        summary: 'Cost and tokens per day, stacked by tag or session',
        description:
          'Days are UTC; default range: the 30 days up to today. Totals count each turn once (a session ' +
          "with two tags shows in both stacks); a fork's copied turns count with its parent.",
        tags: ['stats'],
        querystring: CostQuery,
      },
    },
    async (request) => {
      const q = request.query as Static<typeof CostQuery>;
      const to = q.to ?? dayOf(new Date());
      const from = q.from ?? dayOf(new Date(Date.parse(`${to}T00:00:00Z`) - 29 * 86_400_000));
      for (const [field, value] of [
        ['from', from],
        ['to', to],
      ] as const) {
        if (Number.isNaN(Date.parse(`${value}T00:00:00Z`)))
          throw new ServiceError('INVALID_ARGUMENT', 400, `query.${field} is not a date: ${value}.`, {
            field: `query.${field}`,
          });
      }
      const span = (Date.parse(to) - Date.parse(from)) / 86_400_000 + 1;
      if (span < 1)
        throw new ServiceError('INVALID_ARGUMENT', 400, 'query.from must not be after query.to.', {
          field: 'query.from',
        });
      if (span > MAX_RANGE_DAYS)
        throw new ServiceError(
          'INVALID_ARGUMENT',
          400,
          `The range spans ${span} days; ask for at most ${MAX_RANGE_DAYS}.`,
          { field: 'query.from' },
        );
      const sessions = [];
      for (const info of await storage.list()) {
        if (info.error !== undefined) continue;
        sessions.push({ name: info.name, state: await storage.load(info.name) });
      }
      return costReport(sessions, { by: q.by ?? 'tag', from, to });
    },
  );
}
