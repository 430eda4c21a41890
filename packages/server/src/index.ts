/** `@channelcoder/server`: the ChannelCoder session service (DESIGN 12). */
export { MIN_TOKEN_LENGTH, readTokenFile, tokensFromEnv } from './auth.js';
export { type Problem, ServiceError, SessionEndedError } from './errors.js';
export type { PlanInput, PlanStep, PlanStepStatus, PlanView } from './plans.js';
export { type ServeHandle, type ServeOptions, serve } from './serve.js';
export { createSessionServer, type SessionServer, type SessionServerOptions } from './server.js';
export { SERVICE_TAG_PREFIX, type SessionRunDefaults } from './service-tags.js';
export type { SessionStats, TaskRecord } from './stats.js';
export type { TaskInput, ToolActivity } from './tasks.js';
