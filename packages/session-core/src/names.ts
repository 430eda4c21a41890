import { InvalidSessionNameError } from './errors.js';

/** What a session name may look like (after a trailing `.json` is removed). */
export const SESSION_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Validates a session name and returns its canonical form: a trailing `.json` is stripped (names from the
 * seed-era file storage). Every adapter calls this before it touches its backend, so no name can reach
 * outside the adapter's root, prefix, key space or table.
 *
 * @throws InvalidSessionNameError for anything else: empty, too long, path separators, NUL, `..`,
 *   a leading `.`/`-`/`_`, or a non-string.
 */
export function normalizeSessionName(name: unknown): string {
  if (typeof name !== 'string') throw new InvalidSessionNameError(name, 'a name must be a string');
  const base = name.endsWith('.json') ? name.slice(0, -'.json'.length) : name;
  if (base.length === 0) throw new InvalidSessionNameError(name, 'the name is empty');
  if (base.length > 128)
    throw new InvalidSessionNameError(name, `it is ${base.length} characters long (max 128)`);
  if (base.includes('..')) throw new InvalidSessionNameError(name, 'it contains ".."');
  if (!SESSION_NAME_PATTERN.test(base)) {
    const bad = [...base].find((c, i) => (i === 0 ? !/[A-Za-z0-9]/.test(c) : !/[A-Za-z0-9._-]/.test(c)));
    const shown = bad === undefined ? '' : JSON.stringify(bad);
    throw new InvalidSessionNameError(
      name,
      bad !== undefined && base.indexOf(bad) === 0
        ? `it starts with ${shown}`
        : `it contains the character ${shown}`,
    );
  }
  return base;
}

/** True when `normalizeSessionName` would accept the name. */
export function isValidSessionName(name: unknown): boolean {
  try {
    normalizeSessionName(name);
    return true;
  } catch {
    return false;
  }
}

/** A fresh, valid, sortable name for a session saved without one: `session-<yyyymmdd-hhmmss>-<random>`. */
export function generateSessionName(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const random = globalThis.crypto.randomUUID().slice(0, 8);
  return `session-${stamp}-${random}`;
}
