/**
 * The exit codes' values, apart from the error mapping in `exit-codes.ts` so that `--help` loads nothing else.
 */
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
  /**
   * Interrupted by Ctrl-C (SIGINT); SIGTERM gives 143 and SIGHUP 129. The turn is recorded as interrupted,
   * or as answered when Claude had answered before the signal.
   */
  interrupted: 130,
} as const;
