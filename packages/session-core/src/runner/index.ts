export {
  type DetachedOptions,
  type DetachedRun,
  detached,
  isExecutable,
  privateLogFolder,
} from './detached.js';
export {
  DetachedLogReader,
  type DetachedLogState,
  EXIT_MARKER_TYPE,
  readDetachedLog,
  type WaitForDetachedOptions,
  waitForDetached,
} from './detached-log.js';
export { executeClaude } from './execute.js';
export {
  buildClaudeArgs,
  childEnv,
  PRINT_ARGS,
  resolveClaudeBinary,
  WITHHELD_FROM_CHILD,
} from './flags.js';
export { type InteractiveResult, interactive } from './interactive.js';
export { type RunEnd, settleRun } from './outcome.js';
export {
  interruptedBy,
  STOP_SIGNALS,
  settleInterruption,
  signalExitCode,
  stopRunsOnSignals,
} from './process-group.js';
export { type ClaudeFunction, claude, isTemplateCall, promptFromCall, run } from './run.js';
export { type ClaudeRunner, cliRunner } from './runner.js';
export { type ClaudeStream, chunkOf, createChunkStream, type StreamOptions, stream } from './stream.js';
export {
  type AssistantEvent,
  type InvalidLineEvent,
  parseStreamJson,
  type ResultEvent,
  type StreamEvent,
  StreamJsonParser,
  type SystemEvent,
  streamJsonEvents,
  type TextDeltaEvent,
  toClaudeResult,
  toEvent,
  type UnknownEvent,
  type UserEvent,
} from './stream-json.js';
export {
  claudeConfigDir,
  findTranscript,
  readTranscriptOutcome,
  type TranscriptOutcome,
} from './transcript.js';
export type { ClaudeResult, PermissionMode, RunOptions, StreamChunk, TokenUsage } from './types.js';
