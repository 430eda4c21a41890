/**
 * Object keys of one storage (see the layout in `S3SessionStorage`). Names reach this module only after
 * `normalizeSessionName`, so a key can never leave `<prefix>sessions/<name>/` or `<prefix>index/`.
 */
import { projectSegment } from './index-entry.js';

/** A part id: `<sequence, 10 digits>-<8 hex>`; the sequence is the revision whose save wrote the part. */
const PART_ID = /^(\d{10})-([0-9a-f]{8})$/;

export interface PartRef {
  /** `<sequence>-<nonce>`, relative to the session's `parts/` folder. */
  id: string;
  /** How many messages the part holds. */
  count: number;
}

export class KeyLayout {
  constructor(readonly prefix: string) {}

  /** Everything stored for one session except its index entry. */
  sessionFolder(name: string): string {
    return `${this.prefix}sessions/${name}/`;
  }

  headKey(name: string): string {
    return `${this.sessionFolder(name)}head.json`;
  }

  partsFolder(name: string): string {
    return `${this.sessionFolder(name)}parts/`;
  }

  partKey(name: string, id: string): string {
    return `${this.partsFolder(name)}${id}.jsonl`;
  }

  /** One Claude session id's transcript: one numbered part per append (see transcripts.ts). */
  transcriptFolder(name: string, claudeSessionId: string): string {
    return `${this.sessionFolder(name)}transcripts/${claudeSessionId}/`;
  }

  /** The part of append number `seq` (from 1), created with `If-None-Match: *` (see transcripts.ts). */
  transcriptSeqKey(name: string, claudeSessionId: string, seq: number | string): string {
    const digits = typeof seq === 'number' ? String(seq).padStart(10, '0') : seq;
    return `${this.transcriptFolder(name, claudeSessionId)}${digits}.part`;
  }

  indexFolder(): string {
    return `${this.prefix}index/`;
  }

  /** Name-ordered listing entries of every session (see index-entry.ts). */
  namesFolder(): string {
    return `${this.prefix}by-name/`;
  }

  /** Name-ordered listing entries of the sessions of every project, one folder per project. */
  projectsFolder(): string {
    return `${this.prefix}by-project/`;
  }

  /** The entries of the sessions whose `metadata.cwd` maps to `projectKey`. */
  projectFolder(projectKey: string): string {
    return `${this.projectsFolder()}${projectSegment(projectKey)}/`;
  }

  /**
   * Written once every session stored before the name-ordered entries existed has been copied into them
   * (see session-listing.ts): from then on a filtered listing reads only its own folder.
   */
  indexStateKey(): string {
    return `${this.prefix}listing-indexes.json`;
  }

  /** One small JSON object per trash entry (see trash.ts). */
  trashEntriesFolder(): string {
    return `${this.prefix}trash-entries/`;
  }

  trashEntryKey(id: string): string {
    return `${this.trashEntriesFolder()}${id}.json`;
  }

  /** The copies of a trashed session's objects: `<p>trash/<id>/` + their path under the session folder. */
  trashFolder(id: string): string {
    return `${this.prefix}trash/${id}/`;
  }
}

/**
 * Every kind of object the storage writes, in the order of the README's key-layout table: each built by
 * {@link KeyLayout} from placeholders (a test compares the table with this list, and the keys a workload of
 * every operation leaves in a bucket with {@link KEY_PLACEHOLDERS}).
 */
export const KEY_LAYOUT: readonly ((keys: KeyLayout) => string)[] = [
  (k) => k.headKey('<name>'),
  (k) => k.partKey('<name>', '<seq>-<nonce>'),
  (k) => `${k.indexFolder()}<17 digits>!<name>!/<metadata>`,
  (k) => `${k.namesFolder()}<name path>!<17 digits>/<metadata>`,
  (k) => `${k.projectsFolder()}<project>/<name path>!<17 digits>/<metadata>`,
  (k) => k.indexStateKey(),
  (k) => k.transcriptSeqKey('<name>', '<claude id>', '<seq>'),
  (k) => k.trashEntryKey('<id>'),
  (k) => `${k.trashFolder('<id>')}…`,
];

/** What each placeholder of {@link KEY_LAYOUT} stands for in a stored key (regular expression sources). */
export const KEY_PLACEHOLDERS: Readonly<Record<string, string>> = {
  '<name>': '[A-Za-z0-9][A-Za-z0-9._-]{0,127}',
  '<seq>': '\\d{10}',
  '<nonce>': '[0-9a-f]{8}',
  '<17 digits>': '\\d{17}',
  '<metadata>': '(?:~|[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)*)',
  '<name path>': '[A-Za-z0-9][A-Za-z0-9._/-]{0,255}',
  '<project>': '(?:[A-Za-z0-9-]{1,240}|~[0-9a-f]{64})',
  '<claude id>': '[A-Za-z0-9._-]+',
  '<id>': '\\d{8}T\\d{9}Z-[0-9a-f]{12}',
  '…': '(?:head\\.json|parts/.+|transcripts/.+)',
};

/** A fresh part id for a part written by the save that creates `revision`. */
export function newPartId(revision: number): string {
  const nonce = globalThis.crypto.randomUUID().replace(/-/g, '').slice(0, 8);
  return `${String(revision).padStart(10, '0')}-${nonce}`;
}

export function isPartId(id: string): boolean {
  return PART_ID.test(id);
}

/** The sequence number of a part id (the revision that wrote it), or undefined for a foreign key. */
export function partSequence(id: string): number | undefined {
  const match = PART_ID.exec(id);
  return match === null ? undefined : Number(match[1]);
}

/** The part id of a key under a session's `parts/` folder, or undefined for anything else. */
export function partIdOfKey(partsFolder: string, key: string): string | undefined {
  if (!key.startsWith(partsFolder) || !key.endsWith('.jsonl')) return undefined;
  const id = key.slice(partsFolder.length, -'.jsonl'.length);
  return isPartId(id) ? id : undefined;
}
