export {
  claudeBinary,
  type OfflineClaudeEnvOptions,
  offlineClaudeEnv,
  offlineClaudeEnvOverlay,
} from './claude-env.js';
export { countUserTurns, defaultReply, lastUserText, promptText } from './mock-anthropic/replies.js';
export { MockAnthropicServer, type ReplyHold } from './mock-anthropic/server.js';
export type {
  InjectedError,
  MockAnthropicOptions,
  MockUsage,
  RecordedRequest,
  ReplyContext,
  ReplyText,
} from './mock-anthropic/types.js';
export { type ClaudeSandbox, makeClaudeSandbox, makeTempDir, type TempDir } from './temp-dir.js';
