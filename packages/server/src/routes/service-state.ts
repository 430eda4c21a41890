import type { SessionStorage } from '@channelcoder/session-core';
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
}
