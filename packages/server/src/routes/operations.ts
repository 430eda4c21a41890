/** Health, readiness, metrics and the OpenAPI document. */
import type { FastifyInstance } from 'fastify';
import { problemOf } from '../errors.js';
import type { ServiceState } from './service-state.js';

export function operationRoutes(app: FastifyInstance, svc: ServiceState, readyTimeoutMs: number): void {
  app.get('/healthz', { schema: { summary: 'The process is up', tags: ['operations'] } }, async () => ({
    status: 'ok',
  }));

  app.get(
    '/readyz',
    { schema: { summary: 'The storage answers (503 when it does not)', tags: ['operations'] } },
    async (_request, reply) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          svc.storage.list({ limit: 1 }),
          new Promise((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`the storage did not answer within ${readyTimeoutMs} ms`)),
              readyTimeoutMs,
            );
          }),
        ]);
        return { status: 'ready' };
      } catch (err) {
        const problem = problemOf(err);
        const detail = err instanceof Error ? err.message : String(err);
        return reply
          .code(503)
          .type('application/problem+json')
          .send({
            ...problem,
            status: 503,
            code: 'STORAGE_UNAVAILABLE',
            title: 'Service Unavailable',
            detail,
          });
      } finally {
        clearTimeout(timer);
      }
    },
  );

  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus metrics (text format)', tags: ['operations'] } },
    async (_request, reply) => {
      const text = await svc.metrics.registry.metrics();
      return reply.type(svc.metrics.registry.contentType).send(text);
    },
  );

  app.get(
    '/openapi.json',
    { schema: { summary: 'This OpenAPI 3.1 document', tags: ['operations'] } },
    async () => app.swagger(),
  );
}
