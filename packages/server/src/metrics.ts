/** Prometheus metrics of the service (prom-client, one registry per server). */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ServiceMetrics {
  readonly registry: Registry;
  /** Tasks that ended, by outcome (`completed`, `failed`, `busy`). */
  readonly tasks: Counter<'outcome'>;
  readonly running: Gauge;
  readonly duration: Histogram;
  readonly costUsd: Counter;
  readonly plans: Counter<'outcome'>;
}

export function createMetrics(): ServiceMetrics {
  const registry = new Registry();
  return {
    registry,
    tasks: new Counter({
      name: 'channelcoder_tasks_total',
      help: 'Tasks (turns) run by this server, by outcome.',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    running: new Gauge({
      name: 'channelcoder_tasks_running',
      help: 'Tasks running on this server now.',
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'channelcoder_task_duration_seconds',
      help: 'Wall time of tasks on this server, from the lease to the saved turn.',
      buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600],
      registers: [registry],
    }),
    costUsd: new Counter({
      name: 'channelcoder_task_cost_usd_total',
      help: 'Cost of the turns run by this server, in US dollars.',
      registers: [registry],
    }),
    plans: new Counter({
      name: 'channelcoder_plans_total',
      help: 'Plans that ended on this server, by outcome.',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  };
}
