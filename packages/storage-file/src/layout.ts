/**
 * Where everything lives under the storage root. Session names are validated by session-core before
 * they get here (letters, digits, `.`, `_`, `-`, no leading `.`, no `..`), so a name is always a single
 * path segment inside the root, and names never collide with the dot-entries the storage keeps for itself.
 *
 * Every path the storage writes is listed in {@link FILE_LAYOUT} below (and the README's on-disk tree).
 */
import { join, sep } from 'node:path';

/** The fixed names the storage keeps under the root and in session folders (the modules build paths from them). */
export const NAMES = {
  head: 'head.json',
  headTemp: '.head.json.tmp',
  transcripts: 'transcripts',
  listIndex: '.list-index.jsonl',
  listOrder: '.list-order',
  listOrderFile: 'order.jsonl',
  listGroups: '.list-groups',
  listGroupsStamp: 'log-stamp.json',
  listProjects: '.projects',
  listSeen: '.seen',
  searchIndex: '.search-index.jsonl',
  searchCompactMark: '.search-index.compact',
  locks: '.locks',
  removedPrefix: '.removed-',
  trash: '.trash',
  trashEntry: 'entry.json',
  trashSession: 'session',
  trashLegacy: 'legacy.json',
  purgePrefix: '.purge-',
} as const;

export const HEAD_FILE = NAMES.head;
const HEAD_TEMP_FILE = NAMES.headTemp;
const LOCKS_DIR = NAMES.locks;
const MESSAGES_FILE = /^messages-(\d{1,15})\.jsonl$/;

export class StorageLayout {
  constructor(readonly root: string) {}

  sessionDir(name: string): string {
    return join(this.root, name);
  }

  headPath(name: string): string {
    // Plain concatenation: list() builds one per session, and path.join's normalisation is not needed
    // for a validated single-segment name.
    return `${this.root}${sep}${name}${sep}${HEAD_FILE}`;
  }

  headTempPath(name: string): string {
    return join(this.root, name, HEAD_TEMP_FILE);
  }

  messagesPath(name: string, file: string): string {
    return join(this.root, name, file);
  }

  /** The single-file location of the ChannelCoder 3.x file storage. */
  legacyPath(name: string): string {
    return join(this.root, `${name}.json`);
  }

  locksDir(): string {
    return join(this.root, LOCKS_DIR);
  }

  lockPath(name: string): string {
    return join(this.root, LOCKS_DIR, `${name}.lock`);
  }

  /** The lease record of a session: holder, expiry and the last fencing token issued. */
  leasePath(name: string): string {
    return join(this.root, LOCKS_DIR, `${name}.lease`);
  }

  /** Where a removed session is moved before it is deleted (a dot-entry: never listed). */
  trashPath(name: string, nonce: string): string {
    return join(this.root, `${NAMES.removedPrefix}${nonce}-${name}`);
  }
}

/** The messages file of a generation: a new generation starts on every rewrite (after clear()). */
export function messagesFileName(generation: number): string {
  return `messages-${generation}.jsonl`;
}

/** True for names `messagesFileName` produces; a head naming anything else is corrupt. */
export function isMessagesFileName(file: string): boolean {
  return MESSAGES_FILE.test(file);
}

/**
 * Every file and folder the storage creates, writes or renames something to (folders end in `/`), in the
 * order of the README's on-disk tree. The temporary names exist only while an operation runs. A test
 * compares the README tree with this list, and every path a workload of every operation writes with it.
 */
export const FILE_LAYOUT: readonly string[] = [
  '<root>/',
  '<root>/<name>/',
  `<root>/<name>/${NAMES.head}`,
  `<root>/<name>/${NAMES.headTemp}`,
  '<root>/<name>/messages-<gen>.jsonl',
  `<root>/<name>/${NAMES.transcripts}/`,
  `<root>/<name>/${NAMES.transcripts}/<claude id>.head.json`,
  `<root>/<name>/${NAMES.transcripts}/.<claude id>.head.json.tmp`,
  `<root>/<name>/${NAMES.transcripts}/.<claude id>.head.json.deleted`,
  `<root>/<name>/${NAMES.transcripts}/<claude id>.<gen>.ccz`,
  `<root>/<name>/${NAMES.transcripts}/<claude id>.uuids`,
  '<root>/<name>.json',
  `<root>/${NAMES.listIndex}`,
  `<root>/${NAMES.listIndex}.<uuid>.tmp`,
  `<root>/${NAMES.listOrder}/`,
  `<root>/${NAMES.listOrder}/${NAMES.listOrderFile}`,
  `<root>/${NAMES.listOrder}/.<uuid>.tmp`,
  `<root>/${NAMES.listGroups}/`,
  `<root>/${NAMES.listGroups}/<group>/`,
  `<root>/${NAMES.listGroups}/<group>/<name>`,
  `<root>/${NAMES.listGroups}/${NAMES.listProjects}/`,
  `<root>/${NAMES.listGroups}/${NAMES.listProjects}/<project>/`,
  `<root>/${NAMES.listGroups}/${NAMES.listProjects}/<project>/<name>`,
  `<root>/${NAMES.listGroups}/${NAMES.listSeen}/`,
  `<root>/${NAMES.listGroups}/${NAMES.listSeen}/<name>`,
  `<root>/${NAMES.listGroups}/${NAMES.listGroupsStamp}`,
  `<root>/${NAMES.listGroups}/.${NAMES.listGroupsStamp}.<uuid>.tmp`,
  `<root>/${NAMES.searchIndex}`,
  `<root>/${NAMES.searchIndex}.<pid>.<time>.tmp`,
  `<root>/${NAMES.searchCompactMark}`,
  `<root>/${NAMES.locks}/`,
  `<root>/${NAMES.locks}/<name>.lock`,
  `<root>/${NAMES.locks}/<name>.lock.breaker`,
  `<root>/${NAMES.locks}/<name>.lease`,
  `<root>/${NAMES.trash}/`,
  `<root>/${NAMES.trash}/<id>/`,
  `<root>/${NAMES.trash}/<id>/${NAMES.trashEntry}`,
  `<root>/${NAMES.trash}/<id>/${NAMES.trashSession}/`,
  `<root>/${NAMES.trash}/<id>/${NAMES.trashLegacy}`,
  `<root>/${NAMES.trash}/${NAMES.purgePrefix}<id>-<8 hex>/`,
  `<root>/${NAMES.removedPrefix}<8 hex>-<name>/`,
];

/** What each placeholder of {@link FILE_LAYOUT} stands for in a path (regular expression sources). */
export const LAYOUT_PLACEHOLDERS: Readonly<Record<string, string>> = {
  '<name>': '[A-Za-z0-9][A-Za-z0-9._-]{0,127}',
  '<gen>': '\\d{1,15}',
  '<group>': '(?:[A-Za-z0-9][A-Za-z0-9_-]*\\.|\\.p-[A-Za-z0-9][A-Za-z0-9._-]{0,7})',
  '<project>': '[A-Za-z0-9-]{1,230}',
  '<claude id>': '(?:[A-Za-z0-9][A-Za-z0-9_-]{0,127}|~[A-Za-z0-9_-]+)',
  '<uuid>': '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}',
  '<pid>': '\\d+',
  '<time>': '[0-9a-z]+',
  '<id>': '\\d{8}T\\d{9}Z-[0-9a-f]{12}',
  '<8 hex>': '[0-9a-f]{8}',
};
