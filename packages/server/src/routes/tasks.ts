/** `/sessions/{name}/tasks`: run one turn (JSON or Server-Sent Events); read stored tasks. Plans. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Static } from 'typebox';
import { problemOf, ServiceError } from '../errors.js';
import { NameParams, PlanBody, PlanParams, TaskBody, TaskParams } from '../schemas.js';
import { tasksOf } from '../stats.js';
import type { TaskOutcome } from '../tasks.js';
import type { ServiceState } from './service-state.js';

function resultView(outcome: TaskOutcome) {
  const r = outcome.result;
  return {
    task: outcome.task,
    ...(r === undefined
      ? {}
      : {
          result: {
            text: r.text,
            claudeSessionId: r.sessionId,
            costUsd: outcome.task.costUsd ?? null,
            durationMs: r.durationMs ?? null,
            usage: r.usage,
          },
        }),
  };
}

function wantsEvents(accept: string | undefined): boolean {
  return accept?.split(',').some((a) => a.trim().startsWith('text/event-stream')) === true;
}

export function taskRoutes(app: FastifyInstance, svc: ServiceState): void {
  app.post(
    '/sessions/:name/tasks',
    {
      schema: {
        summary: 'Run one task (a turn) in the session',
        description:
          'Answers with the result when the turn ends, or, with `Accept: text/event-stream`, streams ' +
          'Server-Sent Events: `start`, `text` (chunks), `tool` (tool calls and results), then `result` or `error`.',
        tags: ['tasks'],
        params: NameParams,
        body: TaskBody,
      },
    },
    async (request, reply) => {
      const { name } = request.params as Static<typeof NameParams>;
      const body = request.body as Static<typeof TaskBody>;
      const prepared = await svc.tasks.prepare(name, body);
      if (wantsEvents(request.headers.accept)) return streamTask(reply, prepared);
      const outcome = await prepared.run();
      if (outcome.error !== undefined) {
        const problem = problemOf(outcome.error);
        return reply
          .code(problem.status)
          .type('application/problem+json')
          .send({ ...problem, taskId: outcome.task.id, task: outcome.task });
      }
      return resultView(outcome);
    },
  );

  app.get(
    '/sessions/:name/tasks',
    { schema: { summary: 'The tasks of a session, in order', tags: ['tasks'], params: NameParams } },
    async (request) => {
      const { name } = request.params as Static<typeof NameParams>;
      const state = await svc.storage.load(name);
      return { tasks: tasksOf(state.messages) };
    },
  );

  app.get(
    '/sessions/:name/tasks/:taskId',
    { schema: { summary: 'One stored task', tags: ['tasks'], params: TaskParams } },
    async (request) => {
      const { name, taskId } = request.params as Static<typeof TaskParams>;
      const state = await svc.storage.load(name);
      const task = tasksOf(state.messages).find((t) => t.id === taskId);
      if (task === undefined)
        throw new ServiceError('TASK_NOT_FOUND', 404, `Session "${name}" has no task "${taskId}".`);
      return task;
    },
  );

  app.post(
    '/sessions/:name/plans',
    {
      schema: {
        summary: 'Start a plan: tasks run in order in this session',
        description:
          'Answers 202 with the plan; poll `GET /plans/{planId}` (on any replica) for its progress. A plan ' +
          'whose replica stopped is continued by the next replica asked about it.',
        tags: ['plans'],
        params: NameParams,
        body: PlanBody,
      },
    },
    async (request, reply) => {
      const { name } = request.params as Static<typeof NameParams>;
      const body = request.body as Static<typeof PlanBody>;
      // Unknown or ended sessions are refused now rather than as the plan's first failure.
      const state = await svc.storage.load(name);
      const view = await svc.plans.start(state.metadata.name ?? name, body);
      return reply.code(202).header('location', `/plans/${view.id}`).send(view);
    },
  );

  app.get(
    '/plans/:planId',
    {
      schema: {
        summary: "A plan's progress",
        description:
          'Any replica answers: plans are stored with their session. A running plan whose replica stopped is ' +
          'taken over by the replica answering and continued.',
        tags: ['plans'],
        params: PlanParams,
      },
    },
    async (request) => {
      const { planId } = request.params as Static<typeof PlanParams>;
      const view = await svc.plans.get(planId);
      if (view === undefined)
        throw new ServiceError(
          'PLAN_NOT_FOUND',
          404,
          `No plan "${planId}": plan ids are "<session>~<uuid>" as returned by POST /sessions/{name}/plans.`,
        );
      return view;
    },
  );
}

async function streamTask(
  reply: FastifyReply,
  prepared: Awaited<ReturnType<ServiceState['tasks']['prepare']>>,
): Promise<void> {
  const raw = reply.raw;
  let open = false;
  const send = (event: string, data: unknown) => {
    if (!raw.writableEnded) raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  // The stream opens once the turn holds the session: a busy or ended session is still a plain 409.
  const begin = () => {
    if (open) return;
    open = true;
    reply.hijack();
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    send('start', { session: prepared.session, holder: prepared.holder });
  };
  let outcome: TaskOutcome;
  try {
    // The turn goes on when the client leaves: it is paid for, so it is recorded either way.
    outcome = await prepared.run({
      onStart: begin,
      onText: (content) => {
        begin();
        send('text', { content });
      },
      onTool: (activity) => {
        begin();
        send('tool', activity);
      },
    });
  } catch (err) {
    if (!open) throw err;
    send('error', problemOf(err));
    raw.end();
    return;
  }
  begin();
  if (outcome.error !== undefined)
    send('error', { ...problemOf(outcome.error), taskId: outcome.task.id, task: outcome.task });
  else send('result', resultView(outcome));
  raw.end();
}
