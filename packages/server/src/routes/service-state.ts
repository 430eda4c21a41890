import type { SessionStorage, WriteOptions } from '@channelcoder/session-core';
import type { ServiceMetrics } from '../metrics.js';
import type { PlanService } from '../plans.js';
import type { TaskService } from '../tasks.js';

/** What the routes share. */
export interface ServiceState {
  storage: SessionStorage;
  roots: readonly string[];
  tasks: TaskService;
  plans: PlanService;
  metrics: ServiceMetrics;
  /**
   * Runs a head write outside a task while holding the session (its lease across replicas, else this
   * process's hold), so it never lands between a running turn's saves; waits like a task does.
   */
  holdForWrite<T>(
    name: string,
    purpose: string,
    write: (saveOptions: WriteOptions) => Promise<T>,
  ): Promise<T>;
}
