/** Exit codes of the `channelcoder` CLI. */
import { ChannelCoderError, ClaudeRunError, signalExitCode } from '@channelcoder/session-core';

export const EXIT = {
  /** The command did what it was asked. */
  ok: 0,
  /** Claude could not run the turn (CLI missing, API error, unknown conversation, non-zero exit). */
  run: 1,
  /** The command line is wrong: unknown flag, bad value, bad storage URL, unknown or existing session name. */
  usage: 2,
  /**
   * The storage failed: unreachable, corrupt data, a concurrent writer, a missing capability, or the save
   * after a completed turn (the answer is still printed on stdout).
   */
  storage: 3,
  /** The session is busy: another process runs a turn of it (`--no-wait`, or `--wait` ran out). */
  busy: 4,
  /** Interrupted by Ctrl-C (SIGINT); SIGTERM gives 143 and SIGHUP 129. The turn is recorded as interrupted. */
  interrupted: 130,
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
