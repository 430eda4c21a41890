export type { ClaudeFunctionOf } from './claude-function.js';
export {
  createSessionFactory,
  defaultMemoryStorage,
  type SessionFactoryDefaults,
  session,
} from './factory.js';
export { loadSession, type SaveOutcome, type SaveRecord, saveSession, sessionExists } from './persistence.js';
export { ClaudeSession, type SessionConfig } from './session.js';
export { failureOutcome, successOutcome } from './turn-outcome.js';
export { planTurn, type TurnPlan } from './turn-plan.js';
export type {
  LoadOptions,
  Session,
  SessionDetachedOptions,
  SessionDetachedRun,
  SessionFactory,
  SessionOptions,
  SessionRunOptions,
  StorageOption,
} from './types.js';
