/**
 * `list({ limit })` without a cursor from the first-page order (list-order.ts): the order's first entries,
 * each checked against its head's stat, plus the sessions the index names as changed since the order was
 * written, read from their heads. Returns undefined whenever the order cannot be trusted; the caller then
 * lists every session (and writes a new order).
 */
import { lstatSync } from 'node:fs';
import type { ListOptions, SessionInfo } from '@channelcoder/session-core/model';
import { pageSessionInfos, readListOptions } from '@channelcoder/session-core/storage-kit';
import { bootId } from './boot-id.js';
import type { StorageLayout } from './layout.js';
import { infoFromFields, type ListIndex, parseIndexText } from './list-index.js';
import { openOrder, readIndexTail, settledRootTime } from './list-order.js';

/** Reads a session afresh (as a full listing would); undefined when it has no entry any more. */
export type ReadEntry = (name: string, index: ListIndex) => Promise<SessionInfo | undefined>;

export async function firstPageFromOrder(
  layout: StorageLayout,
  options: ListOptions,
  readEntry: ReadEntry,
): Promise<SessionInfo[] | undefined> {
  const { limit, prefix } = readListOptions(options);
  if (limit === undefined) return undefined;
  const order = openOrder(layout);
  if (order === undefined) return undefined;
  try {
    const { header } = order;
    if (header.boot !== bootId() || header.root === null) return undefined;
    if (settledRootTime(layout) !== header.root) return undefined;
    const tailText = readIndexTail(layout, header);
    if (tailText === undefined) return undefined;
    const tail = parseIndexText(tailText);
    if (tail.unreadable > 0) return undefined; // a line being written, or a foreign one: read the heads
    const changed = new Set([...header.pending, ...tail.pending, ...tail.entries.keys()]);

    const fromOrder: SessionInfo[] = [];
    while (fromOrder.length < limit) {
      const entry = order.next();
      if (entry === undefined) break;
      if (changed.has(entry.n) || !entry.n.startsWith(prefix)) continue;
      const head = 's' in entry ? lstatSync(layout.headPath(entry.n), { throwIfNoEntry: false }) : undefined;
      if ('s' in entry && head?.isFile() && sameStamp(entry.s, head)) {
        fromOrder.push(infoFromFields(entry.n, layout.headPath(entry.n), entry.f));
      } else {
        changed.add(entry.n); // edited by hand, vanished, or an entry that is always read afresh
      }
    }
    const fresh: SessionInfo[] = [];
    const tailIndex: ListIndex = { entries: tail.entries, lines: tail.lines, pending: tail.pending };
    for (const name of changed) {
      if (!name.startsWith(prefix)) continue;
      const info = await readEntry(name, tailIndex);
      if (info !== undefined) fresh.push(info);
    }
    return pageSessionInfos([...fromOrder, ...fresh], options);
  } catch {
    return undefined; // a torn or foreign order line, a file that changed under us: read the heads
  } finally {
    order.close();
  }
}

function sameStamp(stamp: readonly number[], stats: { ino: number; ctimeMs: number; size: number }): boolean {
  return stamp[0] === stats.ino && stamp[1] === stats.ctimeMs && stamp[2] === stats.size;
}
