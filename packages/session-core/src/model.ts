/**
 * `@channelcoder/session-core/model`: the session model without the machinery that runs it: session state
 * and its types, the `SessionStorage` contract's types, the typed errors, session names and the small
 * helpers around them. It loads no runner, no `session()`, no transcript adoption and no search, so a
 * storage adapter or a command that only reads and lists sessions starts quickly. Everything here is also
 * exported, identical, from `@channelcoder/session-core`.
 */
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
export { closestName } from './runner/options-check.js';
export {
  FORBIDDEN_KEYS,
  findForbiddenKey,
  isForbiddenKey,
} from './safety/own-properties.js';
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
export { DEFAULT_TRASH_RETENTION_MS } from './trash.js';
