import { InvalidArgumentError } from './errors.js';

/**
 * The part of an `appendTranscript(name, id, entries, fromLine)` call a storage must write, given that
 * `stored` lines are stored: lines already stored stay as they are (a retried or overlapping append is a
 * no-op for them), so the result is the entries from line `stored` on.
 *
 * @throws InvalidArgumentError when `entries` is not an array, or `fromLine` is not an integer from 0 to
 *   `stored` (anything past `stored` would leave a gap).
 */
export function newTranscriptLines<T>(
  name: string,
  stored: number,
  entries: readonly T[],
  fromLine: number,
): T[] {
  if (!Array.isArray(entries))
    throw new InvalidArgumentError(`appendTranscript("${name}"): entries must be an array`);
  if (!Number.isInteger(fromLine) || fromLine < 0 || fromLine > stored) {
    throw new InvalidArgumentError(
      `appendTranscript("${name}"): fromLine ${String(fromLine)} leaves a gap or is invalid: ${stored} lines are ` +
        'stored, so appends must start at a line from 0 to that count.',
    );
  }
  return entries.slice(stored - fromLine);
}
