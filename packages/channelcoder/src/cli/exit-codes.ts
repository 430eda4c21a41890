/** Exit codes of the `channelcoder` CLI. */
import { ChannelCoderError } from '@channelcoder/session-core';

export const EXIT = {
  /** The command did what it was asked. */
  ok: 0,
  /** Claude could not run the turn (CLI missing, API error, unknown conversation, non-zero exit). */
  run: 1,
  /** The command line is wrong: unknown flag, bad value, bad storage URL, unknown or existing session name. */
  usage: 2,
  /** The storage failed: unreachable, corrupt data, a concurrent writer, a missing capability. */
  storage: 3,
} as const;

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
};

/** The exit code for an error that ended a command. Errors that are not ChannelCoder's count as run failures. */
export function exitCodeOf(err: unknown): number {
  if (ChannelCoderError.is(err)) return BY_CODE[err.code] ?? EXIT.run;
  return EXIT.run;
}
