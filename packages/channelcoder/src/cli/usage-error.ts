/** A command line that cannot be run as given (exit code 2). */
import { InvalidArgumentError } from '@channelcoder/session-core/model';

export class UsageError extends InvalidArgumentError {
  /** The command whose `--help` explains the right usage (`run`, `session list`, …), if any. */
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}
