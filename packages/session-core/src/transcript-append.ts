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

/** The entry's own identity: its `uuid` field when that is a non-empty string (the CLI's and SDK's entries). */
export function transcriptEntryUuid(entry: unknown): string | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const uuid = (entry as { uuid?: unknown }).uuid;
  return typeof uuid === 'string' && uuid !== '' ? uuid : undefined;
}

/**
 * The entries of an `appendTranscript(…, { dedupe: 'uuid' })` call a storage must write: those whose
 * `uuid` is not `stored` yet and did not occur earlier in the batch (entries without a uuid always stay).
 * `stored` is told about every uuid kept, so callers can pass the set they then persist.
 *
 * @throws InvalidArgumentError when `entries` is not an array or `fromLine` is not a whole number ≥ 0.
 */
export function uniqueTranscriptEntries<T>(
  name: string,
  entries: readonly T[],
  fromLine: number,
  stored: { has(uuid: string): boolean; add(uuid: string): unknown },
): T[] {
  if (!Array.isArray(entries))
    throw new InvalidArgumentError(`appendTranscript("${name}"): entries must be an array`);
  if (!Number.isInteger(fromLine) || fromLine < 0)
    throw new InvalidArgumentError(
      `appendTranscript("${name}"): fromLine must be a whole number of 0 or more, got ${String(fromLine)}`,
    );
  return entries.filter((entry) => {
    const uuid = transcriptEntryUuid(entry);
    if (uuid === undefined) return true;
    if (stored.has(uuid)) return false;
    stored.add(uuid);
    return true;
  });
}
