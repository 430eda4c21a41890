/** Exit codes of the `channelcoder` CLI. */
import { ChannelCoderError, ClaudeRunError, signalExitCode } from '@channelcoder/session-core';
import { EXIT } from './exit-status.js';

export { EXIT };

const BY_CODE: Record<string, number> = {
  INVALID_ARGUMENT: EXIT.usage,
  INVALID_SESSION_NAME: EXIT.usage,
  SESSION_NOT_FOUND: EXIT.usage,
  CLAUDE_NOT_FOUND: EXIT.run,
  CLAUDE_RUN_FAILED: EXIT.run,
  RESUME_NOT_FOUND: EXIT.run,
  STORAGE_UNAVAILABLE: EXIT.storage,
  SESSION_CORRUPT: EXIT.storage,
  UNSUPPORTED_FORMAT: EXIT.storage,
  SESSION_CONFLICT: EXIT.storage,
  CAPABILITY_MISSING: EXIT.storage,
  SESSION_SAVE_FAILED: EXIT.storage,
  LEASE_LOST: EXIT.storage,
  SESSION_BUSY: EXIT.busy,
};

/** The exit code for an error that ended a command. Errors that are not ChannelCoder's count as run failures. */
export function exitCodeOf(err: unknown): number {
  if (ClaudeRunError.is(err) && err.interruptedBy !== undefined)
    return signalExitCode(err.interruptedBy as NodeJS.Signals);
  if (ChannelCoderError.is(err)) return BY_CODE[err.code] ?? EXIT.run;
  return EXIT.run;
}
