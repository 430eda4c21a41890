/**
 * The first-page order: `<root>/.list-order/order.jsonl`, every session's listing entry sorted newest
 * first, written by a full listing. `list({ limit })` without a cursor reads only its beginning, so a
 * page costs O(page) however many sessions there are, as long as the order is fresh.
 *
 * Its first line says what it was built from:
 * - `log`: the inode of the list index and its size when the listing began. Every change made through the
 *   storage appends a line naming its session to the index before it is published (list-index.ts), so
 *   the sessions changed since are exactly those named after that offset, plus `pending` (changes that
 *   had begun before it). Those few are read from their heads; everything else comes from the order.
 * - `root`: the root folder's change time (nanoseconds), which moves when a session folder or a 3.x file
 *   is created, removed or renamed by anyone, so a session copied in or deleted by hand is noticed. Not
 *   recorded when it was less than {@link SETTLED_MS} old (a change in the same clock tick would not move it).
 * - `boot`: the machine's boot id. Index appends are never fsync'd; only a crash of the machine loses
 *   them, and that changes the boot id.
 *
 * Each entry shown is checked against its head file's stat (inode, change time, size), so a head edited
 * by hand is read again. Whenever anything does not fit (no order, another boot, another index file, a
 * long tail, a moved root, an unreadable line), the listing reads every head instead and writes a new
 * order. Torn, missing or foreign order files are thereby only slower, never wrong.
 *
 * Not noticed until the next full listing: a head edited by hand in place (no rename of the folder) for
 * a session that is not on the page.
 */
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bootId } from './boot-id.js';
import { DIR_MODE, FILE_MODE } from './durable-fs.js';
import { NAMES, type StorageLayout } from './layout.js';
import { type IndexLine, indexStart, isIndexLine, type ListIndex } from './list-index.js';
import { NOFOLLOW, realDirectory } from './no-follow.js';

const ORDER_DIR = NAMES.listOrder;
const ORDER_FILE = NAMES.listOrderFile;
/** A root change younger than this is not trusted to be seen by its change time. */
export const SETTLED_MS = 2_000;
/** Index bytes after the order's offset beyond which a full listing (and a new order) is cheaper. */
export const MAX_TAIL_BYTES = 256 * 1024;
const CHUNK = 64 * 1024;

export interface OrderHeader {
  v: 1;
  boot: string;
  /** [index inode, index bytes] when the listing that wrote the order began. */
  log: [number, number];
  /** The index file's birth time and first bytes (base64): an inode number alone may be reused. */
  logId: [number, string];
  /** The root folder's mtime in ns (a decimal string), or null when it was too recent to rely on. */
  root: string | null;
  /** Sessions with a change begun before `log` and not recorded in the index before it. */
  pending: string[];
}

/**
 * One session: `{ n, s, f }` as in the index for a readable head; `{ n, x: 1, a }` (lastActive in ms)
 * for an entry that is read afresh whenever it is on the page (a 3.x file, a corrupt entry).
 */
export type OrderEntry = IndexLine | { n: string; x: 1; a: number };

function orderDir(layout: StorageLayout): string {
  return join(layout.root, ORDER_DIR);
}

function orderPath(layout: StorageLayout): string {
  return join(orderDir(layout), ORDER_FILE);
}

/** The root's change time as recorded in an order, or null when it changed too recently to rely on. */
export function settledRootTime(layout: StorageLayout): string | null {
  const stats = lstatSync(layout.root, { bigint: true });
  const ageMs = Date.now() - Number(stats.mtimeMs);
  return ageMs >= SETTLED_MS ? stats.mtimeNs.toString() : null;
}

/** Creates the order's folder before a listing takes the root's change time (creating it moves it). */
export function prepareOrderDir(layout: StorageLayout): void {
  try {
    mkdirSync(orderDir(layout), { mode: DIR_MODE });
  } catch {
    // There already, or the root is missing or read-only: the order is a cache, the listing goes on.
  }
}

/** The header an order written now would carry. */
export function orderHeader(index: ListIndex, root: string | null): OrderHeader {
  return {
    v: 1,
    boot: bootId(),
    log: [index.file?.ino ?? 0, index.file?.bytes ?? 0],
    logId: [index.file?.born ?? 0, index.file?.start ?? ''],
    root,
    pending: [...index.pending],
  };
}

/** Writes a new order (temp file + rename inside its own folder, so the root's change time stays). */
export async function writeOrder(
  layout: StorageLayout,
  header: OrderHeader,
  entries: readonly OrderEntry[],
  nonce: string,
): Promise<void> {
  await realDirectory(orderDir(layout)); // never written through a link
  const temp = join(orderDir(layout), `.${nonce}.tmp`);
  const text = [header, ...entries].map((l) => `${JSON.stringify(l)}\n`).join('');
  await writeFile(temp, text, { mode: FILE_MODE, flag: 'wx' });
  await rename(temp, orderPath(layout));
}

/** Drops the order (when a change could not be announced in the index); a failure here is the caller's. */
export async function withdrawOrder(layout: StorageLayout): Promise<void> {
  await rm(orderPath(layout), { force: true });
}

/** An open order: its header and a reader of its entries in order. */
export interface OrderReader {
  header: OrderHeader;
  /** The next entry, undefined at the end; throws on a line that is not an entry (torn or foreign). */
  next(): OrderEntry | undefined;
  close(): void;
}

/** Opens the order; undefined when there is none, or its header is unreadable or not this version. */
export function openOrder(layout: StorageLayout): OrderReader | undefined {
  let fd: number;
  try {
    fd = openSync(orderPath(layout), constants.O_RDONLY | NOFOLLOW);
  } catch {
    return undefined;
  }
  let position = 0;
  let pending = '';
  let ended = false;
  const chunk = Buffer.alloc(CHUNK);
  const nextLine = (): string | undefined => {
    for (;;) {
      const end = pending.indexOf('\n');
      if (end >= 0) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 1);
        return line;
      }
      if (ended) return pending === '' ? undefined : tornLine();
      const read = readSync(fd, chunk, 0, CHUNK, position);
      position += read;
      if (read === 0) ended = true;
      // A multi-byte character split across chunks would be mangled: decode on line boundaries only.
      else pending += chunk.toString('latin1', 0, read);
    }
  };
  const parse = (line: string): unknown => JSON.parse(Buffer.from(line, 'latin1').toString('utf8'));
  try {
    if (!fstatSync(fd).isFile()) throw new Error('not a file');
    const first = nextLine();
    const header = first === undefined ? undefined : parse(first);
    if (!isHeader(header)) throw new Error('no header');
    return {
      header,
      next() {
        const line = nextLine();
        if (line === undefined) return undefined;
        const entry = parse(line);
        if (!isOrderEntry(entry)) throw new Error(`${orderPath(layout)} has a line that is no entry`);
        return entry;
      },
      close: () => closeSync(fd),
    };
  } catch {
    closeSync(fd);
    return undefined;
  }
}

function tornLine(): never {
  throw new Error('the list order ends in a torn line');
}

function isHeader(value: unknown): value is OrderHeader {
  if (typeof value !== 'object' || value === null) return false;
  const h = value as Partial<OrderHeader>;
  return (
    h.v === 1 &&
    typeof h.boot === 'string' &&
    Array.isArray(h.log) &&
    h.log.length === 2 &&
    h.log.every((x) => Number.isSafeInteger(x)) &&
    Array.isArray(h.logId) &&
    typeof h.logId[0] === 'number' &&
    typeof h.logId[1] === 'string' &&
    (h.root === null || typeof h.root === 'string') &&
    Array.isArray(h.pending) &&
    h.pending.every((p) => typeof p === 'string')
  );
}

function isOrderEntry(value: unknown): value is OrderEntry {
  if (isIndexLine(value)) return true;
  if (typeof value !== 'object' || value === null) return false;
  const e = value as { n?: unknown; x?: unknown; a?: unknown };
  return typeof e.n === 'string' && e.x === 1 && Number.isFinite(e.a);
}

/** The index bytes after `offset` (of the inode the order names); undefined when that is not possible. */
export function readIndexTail(layout: StorageLayout, header: OrderHeader): string | undefined {
  let fd: number;
  try {
    fd = openSync(join(layout.root, NAMES.listIndex), constants.O_RDONLY | NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const stats = fstatSync(fd);
    const [ino, offset] = header.log;
    if (!stats.isFile() || stats.ino !== ino || stats.size < offset) return undefined;
    if (stats.birthtimeMs !== header.logId[0] || stats.size - offset > MAX_TAIL_BYTES) return undefined;
    const start = Buffer.alloc(Math.min(160, stats.size));
    readSync(fd, start, 0, start.length, 0);
    if (indexStart(start) !== header.logId[1]) return undefined;
    const tail = Buffer.alloc(stats.size - offset);
    let done = 0;
    while (done < tail.length) {
      const read = readSync(fd, tail, done, tail.length - done, offset + done);
      if (read === 0) break;
      done += read;
    }
    return tail.subarray(0, done).toString('utf8');
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
