/** The session service: a Fastify app over one storage, and its lifecycle (listen, graceful shutdown). */

import type { IncomingMessage } from 'node:http';
import { hostname } from 'node:os';
import {
  ChannelCoderError,
  InvalidArgumentError,
  type SessionRunOptions,
  type SessionStorage,
} from '@channelcoder/session-core';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { createTokenCheck } from './auth.js';
import { problemOf, ServiceError } from './errors.js';
import { SessionExclusivity } from './exclusive.js';
import { createMetrics } from './metrics.js';
import { resolveRoots } from './paths.js';
import { PlanService } from './plans.js';
import { operationRoutes } from './routes/operations.js';
import type { ServiceState } from './routes/service-state.js';
import { sessionRoutes } from './routes/sessions.js';
import { taskRoutes } from './routes/tasks.js';
import { isViewerPath, viewerRoutes } from './routes/ui.js';
import { viewerDataRoutes } from './routes/viewer-data.js';
import { TaskService } from './tasks.js';

/** Options of {@link createSessionServer}. */
export interface SessionServerOptions {
  /** Where sessions live (any adapter; the server never closes it). */
  storage: SessionStorage;
  /** Interface to bind (default `127.0.0.1`). Any non-loopback address needs `tokens`. */
  host?: string;
  /** Port (default 7420; 0 picks a free one). */
  port?: number;
  /** Accepted bearer tokens; none: no authentication (allowed on loopback only). */
  tokens?: readonly string[];
  /** Working directories of sessions and tasks must lie under one of these (default: this process's cwd). */
  allowedRoots?: readonly string[];
  /** Largest request body in bytes (default 1 MiB); larger → 413. */
  bodyLimit?: number;
  /** Options every turn gets: the CLI's environment (`env`), its binary (`claudeBin`), …. */
  runOptions?: SessionRunOptions;
  /** Lease time of a running task, renewed every third of it (default 30 s). */
  leaseTtlMs?: number;
  /** How long a task waits for a busy session when the request does not say (default 5 minutes). */
  defaultWaitMs?: number;
  /** At shutdown, running tasks get this long to finish before they are interrupted (default 30 s). */
  shutdownGraceMs?: number;
  /** Bound of `/readyz`'s storage probe (default 2 s). */
  readyTimeoutMs?: number;
  /** Fastify's logger option (default off). */
  logger?: boolean;
}

/** A created server. */
export interface SessionServer {
  readonly app: FastifyInstance;
  /** `http://host:port` once listening. */
  readonly url: string;
  listen(): Promise<string>;
  /**
   * Graceful shutdown: stops accepting requests (new ones get 503 `SHUTTING_DOWN`), lets running tasks and
   * plans finish within `shutdownGraceMs`, then interrupts the rest (each is recorded as a failed,
   * interrupted turn), and closes the listener. Resolves with how many tasks were interrupted.
   */
  close(): Promise<{ interrupted: number }>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

const PUBLIC_PATHS = new Set(['/healthz', '/readyz', '/openapi.json']);

/**
 * Creates the service (not yet listening).
 * @throws InvalidArgumentError for a non-loopback host without tokens, or an allowed root that does not exist.
 */
export async function createSessionServer(options: SessionServerOptions): Promise<SessionServer> {
  const host = options.host ?? '127.0.0.1';
  const tokens = options.tokens ?? [];
  if (!LOOPBACK.has(host) && tokens.length === 0)
    throw new InvalidArgumentError(
      `Refusing to listen on ${host} without authentication: give bearer tokens (--token-file or ` +
        'CHANNELCODER_SERVER_TOKENS), or bind 127.0.0.1.',
    );
  let roots: string[];
  try {
    roots = await resolveRoots(options.allowedRoots ?? [process.cwd()]);
  } catch (err) {
    throw new InvalidArgumentError(`An allowed root does not exist: ${(err as Error).message}`);
  }
  const checkToken = tokens.length > 0 ? createTokenCheck(tokens) : undefined;
  const storage = options.storage;
  const metrics = createMetrics();
  const shutdown = new AbortController();
  const drain = new AbortController();
  const exclusivity = new SessionExclusivity(storage);
  const holderPrefix = `${hostname()}:${process.pid}`;
  const leaseTtlMs = options.leaseTtlMs ?? 30_000;
  const defaultWaitMs = options.defaultWaitMs ?? 300_000;
  const tasks = new TaskService({
    storage,
    exclusivity,
    roots,
    metrics,
    runOptions: options.runOptions ?? {},
    holderPrefix,
    leaseTtlMs,
    defaultWaitMs,
    shutdown: shutdown.signal,
  });
  const plans = new PlanService(tasks, {
    storage,
    exclusivity,
    metrics,
    holderPrefix,
    leaseTtlMs,
    defaultWaitMs,
    shutdown: shutdown.signal,
    drain: drain.signal,
  });
  let writes = 0;
  const svc: ServiceState = {
    storage,
    roots,
    tasks,
    plans,
    metrics,
    holdForWrite: (name, purpose, write) =>
      exclusivity.write(
        name,
        { holder: `${holderPrefix}:${purpose}-${++writes}`, waitMs: defaultWaitMs, ttlMs: leaseTtlMs },
        write,
      ),
  };

  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // Ajv's defaults coerce "2" to 2 and drop unknown keys even with additionalProperties:false; a
    // malformed body must be a 400 instead.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    forceCloseConnections: 'idle',
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'ChannelCoder session service',
        version: '0.1.0',
        description:
          'Claude Code sessions over HTTP: sessions, tasks, plans and stats on any session storage.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });

  let draining = false;
  app.addHook('onRequest', async (request) => {
    const path = request.url.split('?')[0] as string;
    const isPublic = PUBLIC_PATHS.has(path) || isViewerPath(path);
    if (draining && !isPublic)
      throw new ServiceError(
        'SHUTTING_DOWN',
        503,
        'The server is shutting down; send the request to another replica.',
      );
    if (checkToken !== undefined && !isPublic) checkToken(request.headers.authorization);
  });

  const bodyLimit = options.bodyLimit ?? 1024 * 1024;
  app.setErrorHandler(async (error: FastifyError & { validation?: unknown }, request, reply) => {
    const problem = problemOf(toServiceError(error));
    // A body refused by its size is still arriving: read it to the end (up to a bound) before answering, so
    // the client gets its 413 instead of a broken pipe on a connection closed under its upload.
    if (problem.status === 413 && !(await drainRequest(request.raw, 16 * bodyLimit, 10_000)))
      reply.header('connection', 'close');
    return reply.code(problem.status).type('application/problem+json').send(problem);
  });
  app.setNotFoundHandler((request, reply) => {
    const problem = problemOf(
      new ServiceError('ROUTE_NOT_FOUND', 404, `No route ${request.method} ${request.url.split('?')[0]}.`),
    );
    return reply.code(404).type('application/problem+json').send(problem);
  });

  sessionRoutes(app, svc);
  taskRoutes(app, svc);
  operationRoutes(app, svc, options.readyTimeoutMs ?? 2000);
  viewerDataRoutes(app, svc);
  await app.register(viewerRoutes);

  let url = '';
  return {
    app,
    get url() {
      return url;
    },
    async listen() {
      url = await app.listen({ host, port: options.port ?? 7420 });
      const address = app.server.address();
      if (address !== null && typeof address === 'object')
        url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
      return url;
    },
    async close() {
      draining = true;
      drain.abort();
      const running = [...tasks.running.values()];
      const grace = options.shutdownGraceMs ?? 30_000;
      const settled = Promise.allSettled([...running.map((t) => t.finished), ...plans.runningPlans()]);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        settled.then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), grace))),
      ]);
      clearTimeout(timer);
      let interrupted = 0;
      if (timedOut) {
        interrupted = tasks.running.size;
        // Interrupted turns are recorded as failed by session(); wait until they are saved.
        shutdown.abort(new ServiceError('SHUTTING_DOWN', 503, 'The server shut down while the task ran.'));
        await Promise.allSettled([...tasks.running.values()].map((t) => t.finished));
        await Promise.race([
          Promise.allSettled(plans.runningPlans()),
          new Promise((r) => setTimeout(r, 5000)),
        ]);
      }
      await app.close();
      return { interrupted };
    },
  };
}

/** Fastify's own errors (validation, body size, media type) as ServiceErrors naming the field. */
function toServiceError(error: FastifyError & { validation?: unknown; validationContext?: string }): unknown {
  if (Array.isArray(error.validation) && error.validation.length > 0) {
    const first = error.validation[0] as {
      instancePath?: string;
      message?: string;
      params?: { missingProperty?: string; additionalProperty?: string };
    };
    const context = error.validationContext === 'querystring' ? 'query' : (error.validationContext ?? 'body');
    const path = (first.instancePath ?? '').split('/').filter(Boolean);
    if (first.params?.missingProperty) path.push(first.params.missingProperty);
    if (first.params?.additionalProperty) path.push(first.params.additionalProperty);
    const field = [context, ...path].join('.');
    const why = first.params?.additionalProperty ? 'is not a known field' : (first.message ?? 'is invalid');
    return new ServiceError('INVALID_ARGUMENT', 400, `${field} ${why}.`, { field });
  }
  if (error.statusCode === 413)
    return new ServiceError('PAYLOAD_TOO_LARGE', 413, `The request body is too large: ${error.message}`);
  if (!ChannelCoderError.is(error) && typeof error.statusCode === 'number' && error.statusCode < 500)
    return new ServiceError('INVALID_ARGUMENT', error.statusCode, error.message, { field: 'body' });
  return error;
}

/**
 * Reads and discards what is left of a request body. True when it ended within `maxBytes` and `timeoutMs`;
 * false when it was cut short (the caller then closes the connection after answering).
 */
function drainRequest(raw: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<boolean> {
  if (raw.complete || raw.readableEnded || raw.destroyed) return Promise.resolve(raw.complete);
  return new Promise((resolve) => {
    let seen = 0;
    const finish = (ended: boolean) => {
      clearTimeout(timer);
      raw.off('data', onData);
      raw.off('end', onEnd);
      raw.off('error', onEnd);
      raw.off('close', onEnd);
      resolve(ended);
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > maxBytes) {
        raw.pause();
        finish(false);
      }
    };
    const onEnd = () => finish(raw.complete);
    const timer = setTimeout(() => finish(false), timeoutMs);
    timer.unref();
    raw.on('data', onData);
    raw.once('end', onEnd);
    raw.once('error', onEnd);
    raw.once('close', onEnd);
    raw.resume();
  });
}
