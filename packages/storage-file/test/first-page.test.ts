import {
  appendFileSync,
  cpSync,
  lstatSync,
  readFileSync,
  rmSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSessionStorage } from '../src/index.js';
import { requireBuiltPackage, startFixture } from './child-process.js';
import { message, stateWith, useTempDirs } from './helpers.js';

const tempDir = useTempDirs();
const orderFile = (root: string) => join(root, '.list-order', 'order.jsonl');
const indexFile = (root: string) => join(root, '.list-index.jsonl');

async function populate(root: string, count: number): Promise<FileSessionStorage> {
  const storage = new FileSessionStorage({ dir: root, fsync: false });
  for (let i = 0; i < count; i++) {
    const state = stateWith(1, `s${i}`);
    state.metadata.lastActive = new Date(Date.UTC(2026, 0, 1, 0, i));
    state.usage.totalCostUsd = i / 100;
    await storage.save(state);
  }
  return storage;
}

/**
 * Makes the root's last change an hour old (as it is for a root nobody created a session in lately),
 * then lists everything, which writes the first-page order.
 */
async function settle(storage: FileSessionStorage): Promise<void> {
  await storage.list(); // the first listing creates the order's folder, which moves the root
  const hourAgo = new Date(Date.now() - 3_600_000);
  utimesSync(storage.root, hourAgo, hourAgo);
  await storage.list();
}

/**
 * Replaces every cost in the order with 999, keeping each entry's head stamp: a page entry showing 999
 * came from the order, one showing the real cost was read from its head.
 */
function markOrder(root: string): void {
  const [header, ...entries] = readFileSync(orderFile(root), 'utf8').split('\n').filter(Boolean);
  const marked = entries.map((l) => l.replace(/"totalCostUsd":[0-9.e-]+/, '"totalCostUsd":999'));
  writeFileSync(orderFile(root), `${[header, ...marked].join('\n')}\n`);
}

const costs = (page: { name: string; totalCostUsd?: number }[]) =>
  page.map((i) => `${i.name}:${i.totalCostUsd}`);

describe('FileSessionStorage first page from the list order (O(page), never trusted wrongly)', () => {
  it('serves the first page from the order and reads only the sessions changed since', async () => {
    const root = tempDir();
    const storage = await populate(root, 30);
    await settle(storage);
    markOrder(root);
    expect(costs(await storage.list({ limit: 3 }))).toEqual(['s29:999', 's28:999', 's27:999']);

    const other = new FileSessionStorage({ dir: root, fsync: false }); // a second writer on the root
    const state = await other.load('s5');
    state.metadata.lastActive = new Date(Date.UTC(2027, 0, 1));
    state.messages.push(message('m9'));
    await other.save(state);
    const page = await storage.list({ limit: 3 });
    expect(costs(page)).toEqual(['s5:0.05', 's29:999', 's28:999']);
    expect(page[0]?.messageCount).toBe(2);
    // The same page a listing of every head gives (which also replaces the marked order).
    expect(costs((await storage.list()).slice(0, 3))).toEqual(['s5:0.05', 's29:0.29', 's28:0.28']);
  });

  it('a session folder copied in or deleted by hand: the root moved, so every head is read', async () => {
    const root = tempDir();
    const storage = await populate(root, 10);
    const elsewhere = tempDir();
    const outside = new FileSessionStorage({ dir: elsewhere, fsync: false });
    const copied = stateWith(1, 'copied');
    copied.metadata.lastActive = new Date(Date.UTC(2027, 0, 1));
    await outside.save(copied);
    await settle(storage);
    markOrder(root);

    cpSync(join(elsewhere, 'copied'), join(root, 'copied'), { recursive: true });
    expect((await storage.list({ limit: 2 })).map((i) => i.name)).toEqual(['copied', 's9']);
    await settle(storage);
    rmSync(join(root, 's9'), { recursive: true });
    expect((await storage.list({ limit: 2 })).map((i) => i.name)).toEqual(['copied', 's8']);
  });

  it('a head edited by hand on the page is read again', async () => {
    const root = tempDir();
    const storage = await populate(root, 5);
    await settle(storage);
    markOrder(root);
    const head = join(root, 's4', 'head.json');
    writeFileSync(head, readFileSync(head, 'utf8').replace('"totalCostUsd":0.04', '"totalCostUsd":0.5'));
    expect(costs(await storage.list({ limit: 2 }))).toEqual(['s4:0.5', 's3:999']);
  });

  it('a save that died after publishing its head but before recording it is still seen', async () => {
    const root = tempDir();
    const storage = await populate(root, 5);
    await settle(storage);
    markOrder(root);
    const state = await storage.load('s1');
    state.metadata.lastActive = new Date(Date.UTC(2027, 0, 1));
    const before = lstatSync(indexFile(root)).size;
    await storage.save(state);
    // What a process killed between the head's rename and its listing line leaves: only the intent.
    const added = readFileSync(indexFile(root)).subarray(before).toString('utf8');
    expect(added).toMatch(/^\n\{"p":"s1"\}\n\{"n":"s1"/);
    truncateSync(indexFile(root), before + '\n{"p":"s1"}'.length);
    expect(costs(await storage.list({ limit: 2 }))).toEqual(['s1:0.01', 's4:999']);
  });

  it('a torn order file or a torn index line is read around, and the order is rebuilt', async () => {
    const root = tempDir();
    const storage = await populate(root, 20);
    await settle(storage);
    const whole = readFileSync(orderFile(root), 'utf8');
    truncateSync(orderFile(root), whole.indexOf('"s18"') + 4); // a crash mid-write of the second entry
    const expected = ['s19', 's18', 's17'];
    expect((await storage.list({ limit: 3 })).map((i) => i.name)).toEqual(expected);
    expect(readFileSync(orderFile(root), 'utf8')).toBe(whole); // rebuilt by that listing
    markOrder(root);
    expect(costs(await storage.list({ limit: 1 }))).toEqual(['s19:999']);

    appendFileSync(indexFile(root), '\n{"n":"s3","s'); // a line being written, or torn
    expect(costs(await storage.list({ limit: 1 }))).toEqual(['s19:0.19']);
    markOrder(root);
    expect(costs(await storage.list({ limit: 1 }))).toEqual(['s19:999']); // the new order starts after it

    rmSync(orderFile(root));
    expect((await storage.list({ limit: 3 })).map((i) => i.name)).toEqual(expected);
    writeFileSync(orderFile(root), 'not an order\n');
    expect((await storage.list({ limit: 3 })).map((i) => i.name)).toEqual(expected);
  });

  it('an order from another boot or over another index file is not trusted', async () => {
    const root = tempDir();
    const storage = await populate(root, 5);
    await settle(storage);
    const text = readFileSync(orderFile(root), 'utf8');
    writeFileSync(orderFile(root), text.replace(/"boot":"[^"]*"/, '"boot":"another-boot"'));
    markOrder(root);
    expect(costs(await storage.list({ limit: 1 }))).toEqual(['s4:0.04']);
    const lines = readFileSync(orderFile(root), 'utf8').split('\n').slice(1).join('\n');
    markOrder(root);
    rmSync(indexFile(root));
    writeFileSync(indexFile(root), lines); // the same listing lines in another file
    expect(costs(await storage.list({ limit: 1 }))).toEqual(['s4:0.04']);
  });

  it('processes saving while pages are listed: every page is ordered, and the last one is exact', async () => {
    requireBuiltPackage();
    const root = tempDir();
    const storage = await populate(root, 40);
    await settle(storage);
    const writers = [0, 1, 2].map((w) => startFixture('list-writer.mjs', [root, 's', '40', String(w), '25']));
    const done = Promise.all(writers.map((c) => c.exited));
    let running = true;
    void done.then(() => {
      running = false;
    });
    let pages = 0;
    while (running || pages === 0) {
      const page = await storage.list({ limit: 10 });
      expect(page).toHaveLength(10);
      const times = page.map((i) => i.lastActive.getTime());
      expect(times).toEqual([...times].sort((a, b) => b - a));
      expect(new Set(page.map((i) => i.name)).size).toBe(10);
      pages += 1;
      await new Promise((resolve) => setImmediate(resolve)); // a fresh page costs no I/O wait: let exits in
    }
    expect(await done, writers.map((c) => c.stderr()).join('\n')).toEqual([0, 0, 0]);
    const page = await storage.list({ limit: 10 });
    // A page that read the index while a writer was mid-line falls back to reading every head and writes a
    // new order (safe, only slower); the page must be exact either way.
    const everything = await storage.list();
    expect(page).toEqual(everything.slice(0, 10));
    expect(everything.reduce((n, i) => n + i.messageCount, 0)).toBe(40 + 3 * 25);
  }, 60_000);
});
