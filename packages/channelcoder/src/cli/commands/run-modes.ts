/** `--worktree BRANCH`, `--docker` and `--docker-image IMAGE`: where a turn runs. */
import type { SessionRunOptions } from '@channelcoder/session-core';
import { type ParsedValues, stringOption } from '../args.js';
import { UsageError } from '../usage-error.js';

/** The run-mode options of a turn command's flags (none when no flag is given). */
export function runModeOptions(values: ParsedValues, command: string): SessionRunOptions {
  const options: SessionRunOptions = {};
  const worktree = stringOption(values, 'worktree');
  if (worktree !== undefined) {
    if (worktree.trim() === '') throw new UsageError('--worktree needs a branch name.', command);
    options.worktree = worktree;
  }
  const image = stringOption(values, 'docker-image');
  if (image !== undefined) {
    if (image.trim() === '') throw new UsageError('--docker-image needs an image name.', command);
    options.docker = { image };
  } else if (values.docker === true) options.docker = true;
  return options;
}
