/**
 * Object keys of one storage (see the layout in `S3SessionStorage`). Names reach this module only after
 * `normalizeSessionName`, so a key can never leave `<prefix>sessions/<name>/` or `<prefix>index/`.
 */

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

  indexFolder(): string {
    return `${this.prefix}index/`;
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
