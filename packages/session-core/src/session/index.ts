export type { ClaudeFunctionOf } from './claude-function.js';
export {
  createSessionFactory,
  defaultMemoryStorage,
  type SessionFactoryDefaults,
  session,
} from './factory.js';
export { loadSession, type SaveOutcome, type SaveRecord, saveSession, sessionExists } from './persistence.js';
export { reconcileWithStored } from './reconcile.js';
export { recoverTurns, type TranscriptTurn, transcriptTurnsAfter } from './recovery.js';
export { ClaudeSession, DEFAULT_BUSY_TIMEOUT_MS, type SessionConfig } from './session.js';
export { failureOutcome, successOutcome } from './turn-outcome.js';
export { planTurn, type TurnPlan } from './turn-plan.js';
export type {
  LoadOptions,
  OnBusy,
  Session,
  SessionDetachedOptions,
  SessionDetachedRun,
  SessionFactory,
  SessionOptions,
  SessionRemoveOptions,
  SessionRestoreOptions,
  SessionRunOptions,
  StorageOption,
  TurnLeaseOptions,
} from './types.js';
