/** After a detached turn is recorded, its default log (prompt answer, tool output) has no reason to stay. */
import type { DetachedRun } from '../runner/detached.js';
import { ownValue } from '../safety/own-properties.js';
import type { SessionDetachedOptions } from './types.js';

/**
 * Removes the run's log and stderr files, unless the caller chose the log file (then it is theirs).
 * Call it only once the turn was recorded: a turn that could not be saved keeps its log.
 */
export function removeRecordedLogs(
  handle: DetachedRun | undefined,
  options: SessionDetachedOptions | undefined,
): void {
  if (handle === undefined || ownValue(options, 'logFile') !== undefined) return;
  // A custom runner's handle may have nothing to remove.
  if (typeof handle.removeLogs === 'function') handle.removeLogs();
}
