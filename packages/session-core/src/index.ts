/**
 * `@channelcoder/session-core`: session state and its chain of Claude session ids, the `SessionStorage`
 * contract, typed errors, `MemorySessionStorage`, `session()` and the functions that run the `claude` CLI.
 * What only storage adapters need is in `@channelcoder/session-core/storage-kit`.
 */
export {
  clearSession,
  conversationCost,
  type ForkOptions,
  fork,
  needsFork,
  type RecordTurnInput,
  recordTurn,
  resumeTarget,
  setCurrentSessionId,
  type TurnOutcome,
  turnCost,
} from './chain.js';
export {
  CapabilityError,
  ChannelCoderError,
  type ChannelCoderErrorCode,
  ClaudeNotFoundError,
  ClaudeRunError,
  InvalidArgumentError,
  InvalidSessionNameError,
  LeaseLostError,
  ResumeNotFoundError,
  SessionBusyError,
  SessionConflictError,
  type SessionConflictReason,
  SessionCorruptError,
  SessionNotFoundError,
  SessionSaveError,
  StorageUnavailableError,
  TranscriptError,
  UnsupportedFormatError,
} from './errors.js';
export type {
  LeaseOptions,
  LeaseStorage,
  SessionLease,
  WriteOptions,
} from './lease.js';
export {
  type MemoryRecord,
  MemorySessionStorage,
} from './memory-storage.js';
export {
  generateSessionName,
  isValidSessionName,
  normalizeSessionName,
  SESSION_NAME_PATTERN,
} from './names.js';
export {
  DockerBuildError,
  DockerNotAvailableError,
  NotAGitRepositoryError,
  WorktreeBranchInUseError,
  WorktreeError,
} from './run-mode-errors.js';
export { privateLogFolder } from './runner/detached.js';
export { DEFAULT_DOCKER_IMAGE, type DockerOptions } from './runner/docker.js';
export { WITHHELD_FROM_CHILD } from './runner/flags.js';
export {
  type ClaudeFunction,
  type ClaudeResult,
  type ClaudeRunner,
  type ClaudeStream,
  claude,
  cliRunner,
  type DetachedLogState,
  type DetachedOptions,
  type DetachedRun,
  detached,
  type InteractiveResult,
  interactive,
  type PermissionMode,
  type RunOptions,
  readDetachedLog,
  run,
  type StreamChunk,
  type StreamOptions,
  stream,
  type TokenUsage,
  type WaitForDetachedOptions,
  waitForDetached,
} from './runner/index.js';
export { closestName, UnknownOptionError } from './runner/options-check.js';
export {
  interruptedBy,
  STOP_SIGNALS,
  settleInterruption,
  signalExitCode,
  stopRunsOnSignals,
} from './runner/process-group.js';
export type { StreamEvent } from './runner/stream-json.js';
export { claudeConfigDir } from './runner/transcript.js';
export {
  type EnsureWorktreeOptions,
  ensureWorktree,
  type WorktreeLocation,
} from './runner/worktree.js';
export {
  FORBIDDEN_KEYS,
  findForbiddenKey,
  isForbiddenKey,
} from './safety/own-properties.js';
export {
  BUILT_IN_REDACTION_RULES,
  createRedactor,
  type RedactionRule,
  type RedactOptions,
  type Redactor,
  type RedactSetting,
  redactDeep,
  redactingStorage,
} from './safety/redact.js';
export {
  type SearchProgress,
  searchByScan,
  searchSessions,
} from './search/scan.js';
export {
  type ClaudeFunctionOf,
  createSessionFactory,
  type LoadOptions,
  loadSession,
  type SaveOutcome,
  type SaveRecord,
  type Session,
  type SessionDetachedOptions,
  type SessionDetachedRun,
  type SessionFactory,
  type SessionFactoryDefaults,
  type SessionOptions,
  type SessionRemoveOptions,
  type SessionRestoreOptions,
  type SessionRunOptions,
  type StorageOption,
  saveSession,
  session,
  sessionExists,
} from './session/index.js';
export { reconcileWithStored } from './session/reconcile.js';
export {
  recoverTurns,
  type TranscriptTurn,
  transcriptTurnsAfter,
} from './session/recovery.js';
export { DEFAULT_BUSY_TIMEOUT_MS } from './session/session.js';
export type {
  OnBusy,
  TurnLeaseOptions,
} from './session/types.js';
export {
  type CreateSessionStateOptions,
  cloneSessionState,
  createSessionState,
  FORMAT_VERSION,
  type ForkParent,
  type Message,
  type PendingTurn,
  type SessionMetadata,
  type SessionRunSettings,
  type SessionState,
  type TurnDetails,
  type UsageLedger,
} from './state.js';
export {
  type DeleteTranscriptOptions,
  type LeaseInfo,
  type ListFilter,
  type ListOptions,
  type SearchOptions,
  type SearchResult,
  type SearchSnippet,
  type SessionInfo,
  type SessionStorage,
  type StorageCapabilities,
  storageCapabilities,
  TRASH_METHODS,
  type TranscriptAppendMode,
  type TranscriptAppendOptions,
  type TranscriptStorage,
  type TrashEntry,
  type TrashListOptions,
  type TrashOptions,
  type TrashPurgeOptions,
  type TrashReason,
  type TrashRestoreOptions,
} from './storage.js';
export {
  ADOPTED_TAG,
  type AdoptOutcome,
  adoptTranscripts,
} from './transcripts/adopt-sessions.js';
export {
  adoptedSessionName,
  type FoundTranscript,
  findClaudeTranscripts,
  summarizeTranscript,
  type TranscriptSummary,
} from './transcripts/adoption.js';
export { MTIME_RESOLUTION_MS } from './transcripts/agent-session-store.js';
export {
  type ConversationItem,
  conversationItemText,
  readConversation,
} from './transcripts/conversation.js';
export {
  loadSessionConversation,
  type SessionConversation,
} from './transcripts/conversation-source.js';
export {
  type AgentSessionEntry,
  type AgentSessionKey,
  type AgentSessionStore,
  type AgentSessionStoreOptions,
  agentKeySegment,
  agentSessionName,
  projectFolderName,
  toAgentSessionStore,
} from './transcripts/index.js';
export { DEFAULT_TRASH_RETENTION_MS } from './trash.js';
