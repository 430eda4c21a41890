export {
  type CaptureBinary,
  type CapturedCall,
  type EvilBinary,
  makeCaptureBinary,
  makeEvilBinary,
} from './capture-binary.js';
export {
  claudeBinary,
  type OfflineClaudeEnvOptions,
  offlineClaudeEnv,
  offlineClaudeEnvOverlay,
} from './claude-env.js';
export { git } from './git.js';
export {
  countUserTurns,
  defaultReply,
  lastToolResult,
  lastUserText,
  promptText,
} from './mock-anthropic/replies.js';
export { MockAnthropicServer, type ReplyHold } from './mock-anthropic/server.js';
export type {
  InjectedError,
  MockAnthropicOptions,
  MockUsage,
  RecordedRequest,
  ReplyBlock,
  ReplyContext,
  ReplyText,
  ThinkingReplyBlock,
  ToolUseReplyBlock,
} from './mock-anthropic/types.js';
export { type ReadmeBlock, readmeBlocks } from './readme/blocks.js';
export {
  describeReadme,
  OUTPUT_LANGS,
  preludeOf,
  type ReadmeBlockCheck,
  type ReadmeCheck,
  type ReadmeCheckOptions,
  type ReadmeTestRunner,
  readmeCheck,
} from './readme/check.js';
export {
  makeRecordingDocker,
  type RecordedDockerCall,
  type RecordingDocker,
  type RecordingDockerOptions,
} from './recording-docker.js';
export { freePort } from './servers/free-port.js';
export {
  type PostgresServer,
  type PostgresServerOptions,
  startPostgresServer,
} from './servers/postgres-server.js';
export {
  assertRedisServerInstalled,
  type PrivateRedis,
  type PrivateRedisOptions,
  startPrivateRedis,
} from './servers/redis-server.js';
export { type ClaudeSandbox, makeClaudeSandbox, makeTempDir, type TempDir } from './temp-dir.js';
