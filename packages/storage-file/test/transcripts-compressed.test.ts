import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isCompressedTranscriptChunk } from '@channelcoder/session-core/storage-kit';
import { describe, expect, it } from 'vitest';
import { FileSessionStorage } from '../src/index.js';
import { stateWith, useTempDirs } from './helpers.js';

const tempDir = useTempDirs();
const ID = '0c6f2a4e-7d1b-4c55-9e0a-3f8d2b1c9a77';
const entry = (i: number) => ({
  type: i % 2 ? 'assistant' : 'user',
  uuid: `u${i}`,
  text: `line ${i} ✓ \u2028 🎉`,
});

async function withSession(): Promise<{ storage: FileSessionStorage; root: string; dir: string }> {
  const root = tempDir();
  const storage = new FileSessionStorage(root);
  await storage.save(stateWith(2), 'portable');
  return { storage, root, dir: join(root, 'portable', 'transcripts') };
}

/** A transcript as the storage wrote it before compression: plain lines, the head naming them. */
function plantPlain(dir: string, lines: unknown[], uuids?: 'all' | 'none'): void {
  const text = lines.map((l) => `${JSON.stringify(l)}\n`).join('');
  writeFileSync(join(dir, `${ID}.1.jsonl`), `${text}{"torn`);
  const head: Record<string, unknown> = {
    file: `${ID}.1.jsonl`,
    lines: lines.length,
    bytes: Buffer.byteLength(text),
  };
  if (uuids === 'all') {
    const index = lines.map((l) => `${JSON.stringify((l as { uuid: string }).uuid)}\n`).join('');
    writeFileSync(join(dir, `${ID}.uuids`), index);
    head.uuids = { bytes: Buffer.byteLength(index), at: head.bytes };
  } else if (uuids === 'none') {
    writeFileSync(join(dir, `${ID}.uuids`), '');
    head.uuids = { bytes: 0, at: 0 };
  }
  writeFileSync(join(dir, `${ID}.head.json`), JSON.stringify(head));
}

/** The frames of a `.ccz` file: each a 4-byte length and a CCZ1 chunk. */
function frames(path: string): Buffer[] {
  const bytes = readFileSync(path);
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const length = bytes.readUInt32BE(at);
    out.push(bytes.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return out;
}

describe('compressed transcripts', () => {
  it('stores each append as one compressed frame after the committed bytes, never rewriting them', async () => {
    const { storage, dir } = await withSession();
    await storage.appendTranscript('portable', ID, [entry(0), entry(1)], 0);
    const file = join(dir, `${ID}.1.ccz`);
    const before = readFileSync(file);
    await storage.appendTranscript('portable', ID, [entry(2)], 2);
    await storage.appendTranscript('portable', ID, [entry(2), entry(3)], 0, { dedupe: 'uuid' });
    expect(readFileSync(file).subarray(0, before.length).equals(before)).toBe(true);
    const chunks = frames(file);
    expect(chunks).toHaveLength(3);
    expect(chunks.every((c) => isCompressedTranscriptChunk(c))).toBe(true);
    expect(readFileSync(file).includes('line 0')).toBe(false);
    expect(await storage.loadTranscript('portable', ID)).toEqual([0, 1, 2, 3].map(entry));
  });

  it('reads a transcript stored before compression (plain lines), torn tail ignored', async () => {
    const { storage, dir } = await withSession();
    await storage.appendTranscript('portable', 'other', [entry(9)], 0); // makes the folder
    plantPlain(dir, [entry(0), entry(1)]);
    expect(await storage.loadTranscript('portable', ID)).toEqual([entry(0), entry(1)]);
  });

  it('the first append to a plain transcript moves it into a compressed generation, positional', async () => {
    const { storage, dir } = await withSession();
    await storage.appendTranscript('portable', 'other', [entry(9)], 0);
    plantPlain(dir, [entry(0), entry(1)]);
    await storage.appendTranscript('portable', ID, [entry(1), entry(2)], 1);
    expect(await storage.loadTranscript('portable', ID)).toEqual([0, 1, 2].map(entry));
    expect(existsSync(join(dir, `${ID}.1.jsonl`))).toBe(false);
    expect(frames(join(dir, `${ID}.2.ccz`))).toHaveLength(2);
    await storage.appendTranscript('portable', ID, [entry(3)], 3);
    expect(await storage.loadTranscript('portable', ID)).toEqual([0, 1, 2, 3].map(entry));
    expect(
      readdirSync(dir)
        .filter((f) => f.startsWith(ID))
        .sort(),
    ).toEqual([`${ID}.2.ccz`, `${ID}.head.json`]);
  });

  for (const uuids of ['all', 'none', undefined] as const) {
    it(`dedupe uuid keeps working across the move (plain transcript, uuid index: ${uuids ?? 'absent'})`, async () => {
      const { storage, dir } = await withSession();
      await storage.appendTranscript('portable', 'other', [entry(9)], 0);
      plantPlain(dir, [entry(0), entry(1)], uuids);
      await storage.appendTranscript('portable', ID, [entry(1), entry(2)], 0, { dedupe: 'uuid' });
      await storage.appendTranscript('portable', ID, [entry(3)], 3);
      await storage.appendTranscript('portable', ID, [entry(0), entry(3), entry(4)], 0, { dedupe: 'uuid' });
      expect(await storage.loadTranscript('portable', ID)).toEqual([0, 1, 2, 3, 4].map(entry));
    });
  }

  it('a positional append to a plain transcript with a full uuid index keeps the index exact', async () => {
    const { storage, dir } = await withSession();
    await storage.appendTranscript('portable', 'other', [entry(9)], 0);
    plantPlain(dir, [entry(0), entry(1)], 'all');
    await storage.appendTranscript('portable', ID, [entry(2)], 2);
    await storage.appendTranscript('portable', ID, [entry(2), entry(1), entry(3)], 0, { dedupe: 'uuid' });
    expect(await storage.loadTranscript('portable', ID)).toEqual([0, 1, 2, 3].map(entry));
    const index = readFileSync(join(dir, `${ID}.uuids`), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(index).toEqual(['u0', 'u1', 'u2', 'u3']);
  });

  it('search reads compressed transcript lines, and a plain transcript once appended to', async () => {
    const { storage, dir } = await withSession();
    const state = await storage.load('portable');
    state.sessionChain = [ID, 'other'];
    await storage.save(state);
    const said = (uuid: string, content: string) => ({
      type: 'user',
      uuid,
      message: { role: 'user', content },
    });
    await storage.appendTranscript('portable', 'other', [said('a', 'zebracompressed here')], 0);
    plantPlain(dir, [said('p', 'okapi plain')]);
    await storage.appendTranscript('portable', ID, [said('q', 'quokkaconverted there')], 1);
    for (const word of ['zebracompressed', 'quokkaconverted']) {
      const found = await storage.search(word);
      expect(found.map((r) => r.name)).toEqual(['portable']);
      expect(found[0]!.snippets.map((s) => s.text).join(' ')).toContain(word);
    }
  });
});
