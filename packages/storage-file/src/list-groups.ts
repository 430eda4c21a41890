/**
 * Per-prefix listing: `<root>/.list-groups/`, which names every session by its group, so that
 * `list({ prefix })` reads the sessions of its prefix only, not every session in the root (the Agent SDK
 * bridge lists one project's sessions, named `<namePrefix><project>.<session>`).
 *
 * ```
 * .list-groups/<group>/<name>   an empty file per session: <group> is the name up to its first `.`
 *                               (included), or `.plain` for names without one
 * .list-groups/stamp.json       { root, boot }: the root folder's change time when the groups were known
 *                               to hold every session, and the boot of the machine then
 * ```
 *
 * A session folder or 3.x file created, renamed or removed in the root (by this storage, another process,
 * a restore from the trash, or by hand) changes the root folder's change time. So the groups are trusted
 * only while the root's change time is still the stamp's (and the machine has not rebooted: marker files
 * are not fsync'd): then every session has its marker. Any other listing (`list({ prefix })` whose stamp
 * does not match, a full listing) reads the root as before and, when the root has not changed for a while
 * (see list-order.ts: a change time within the clock's resolution of a change would hide it), adds the
 * missing markers and then writes the stamp. A marker of a removed session only costs a `lstat` (its
 * folder is not found); markers are never removed, so two listings adding markers concurrently cannot
 * take away one another's.
 *
 * Everything here is a cache: a missing, damaged or foreign `.list-groups` makes `list({ prefix })` read
 * the root, never list something else.
 */
import { randomUUID } from 'node:crypto';
import {
  closeSync,
  constants,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { bootId } from './boot-id.js';
import { DIR_MODE, FILE_MODE } from './durable-fs.js';
import { NAMES, type StorageLayout } from './layout.js';
import { NOFOLLOW } from './no-follow.js';

const PLAIN_GROUP = '.plain';
const STAMP_FILE = 'stamp.json';

/** The group of a session name: up to its first `.` (included), else the group of plain names. */
export function groupOf(name: string): string {
  const dot = name.indexOf('.');
  return dot < 0 ? PLAIN_GROUP : name.slice(0, dot + 1);
}

function groupsDir(layout: StorageLayout): string {
  return join(layout.root, NAMES.listGroups);
}

/** Creates the groups folder before a listing takes the root's change time (creating it moves it). */
export function prepareGroupsDir(layout: StorageLayout): void {
  try {
    mkdirSync(groupsDir(layout), { mode: DIR_MODE });
  } catch {
    // There already, or the root is missing or read-only: the groups are a cache.
  }
}

/** True for a real folder (never a link to one): nothing is read or written through a planted link. */
function realFolder(path: string): boolean {
  const stats = lstatSync(path, { throwIfNoEntry: false });
  return stats?.isDirectory() === true;
}

function readStamp(layout: StorageLayout): { root: string; boot: string } | undefined {
  try {
    if (!realFolder(groupsDir(layout))) return undefined;
    const fd = openSync(join(groupsDir(layout), STAMP_FILE), constants.O_RDONLY | NOFOLLOW);
    let text: string;
    try {
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
    const value = JSON.parse(text) as {
      root?: unknown;
      boot?: unknown;
    };
    if (typeof value.root === 'string' && typeof value.boot === 'string')
      return { root: value.root, boot: value.boot };
  } catch {
    // missing, torn or foreign: not trusted
  }
  return undefined;
}

/**
 * The names of the sessions that may start with `prefix` (a superset: marker names of removed sessions
 * too), when the groups are known to hold every session; undefined when the root must be read instead.
 * `root` is the root's current settled change time (list-order.ts), null when it changed just now.
 */
export function namesFromGroups(
  layout: StorageLayout,
  prefix: string,
  root: string | null,
): string[] | undefined {
  if (root === null || prefix === '') return undefined;
  const stamp = readStamp(layout);
  if (stamp === undefined || stamp.root !== root || stamp.boot !== bootId()) return undefined;
  try {
    const groups = prefix.includes('.')
      ? [groupOf(prefix)]
      : [
          PLAIN_GROUP,
          ...readdirSync(groupsDir(layout)).filter((g) => g.startsWith(prefix) && g.endsWith('.')),
        ];
    const names: string[] = [];
    for (const group of groups) {
      const folder = join(groupsDir(layout), group);
      const stats = lstatSync(folder, { throwIfNoEntry: false });
      if (stats === undefined) continue; // no session in the group: its folder comes with its first marker
      if (!stats.isDirectory()) return undefined;
      const entries = readdirSync(folder);
      for (const name of entries) if (name.startsWith(prefix)) names.push(name);
    }
    return names;
  } catch {
    return undefined;
  }
}

/**
 * After a listing read the whole root: adds the markers the groups lack for `names` (every session of
 * the root as read), then stamps the groups with `root`, the root's settled change time taken before the
 * root was read (nothing is stamped when it was not settled). Best effort: the groups are a cache.
 */
export function refreshGroups(layout: StorageLayout, names: readonly string[], root: string | null): void {
  if (root === null) return;
  const stamp = readStamp(layout);
  if (stamp !== undefined && stamp.root === root && stamp.boot === bootId()) return;
  try {
    const dir = groupsDir(layout);
    if (!realFolder(dir)) return;
    const byGroup = new Map<string, string[]>();
    for (const name of names) {
      const group = groupOf(name);
      const list = byGroup.get(group);
      if (list === undefined) byGroup.set(group, [name]);
      else list.push(name);
    }
    for (const [group, members] of byGroup) {
      const folder = join(dir, group);
      let present: Set<string>;
      try {
        present = new Set(readdirSync(folder));
      } catch {
        mkdirSync(folder, { mode: DIR_MODE });
        present = new Set();
      }
      if (!realFolder(folder)) return;
      for (const name of members) {
        if (present.has(name)) continue;
        try {
          closeSync(openSync(join(folder, name), 'wx', FILE_MODE));
        } catch {
          // made meanwhile by another listing
        }
      }
    }
    const temp = join(dir, `.${STAMP_FILE}.${randomUUID()}.tmp`);
    writeFileSync(temp, JSON.stringify({ root, boot: bootId() }), { mode: FILE_MODE, flag: 'wx' });
    renameSync(temp, join(dir, STAMP_FILE));
  } catch {
    // read-only root, disk full, a link planted: prefix listings keep reading the root
  }
}
