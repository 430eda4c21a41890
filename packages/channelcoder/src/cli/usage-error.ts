/** A command line that cannot be run as given (exit code 2). */
import { InvalidArgumentError } from '@channelcoder/session-core/model';

const USAGE = Symbol.for('channelcoder.usage-error');

export class UsageError extends InvalidArgumentError {
  /** The command whose `--help` explains the right usage (`run`, `session list`, …), if any. */
  readonly command: string | undefined;
  readonly [USAGE] = true;
  constructor(message: string, command?: string) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }

  /**
   * True for a usage error, also one made by another copy of this module: `session list` is built as a
   * module of its own, with its own copy (see ./commands/session-list.ts).
   */
  static override is(err: unknown): err is UsageError {
    return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[USAGE] === true;
  }
}
