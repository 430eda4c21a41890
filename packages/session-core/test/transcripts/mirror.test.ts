/** TranscriptMirror without the CLI: a hand-written local transcript and a MemorySessionStorage. */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../../testkit/src/index.js';
import { StorageUnavailableError, TranscriptError } from '../../src/errors.js';
import { MemorySessionStorage } from '../../src/memory-storage.js';
import { createSessionState } from '../../src/state.js';
import {
  type TranscriptLocation,
  transcriptPathFor,
  writeTranscriptAtomically,
} from '../../src/transcripts/local-transcript.js';
import { TranscriptMirror } from '../../src/transcripts/mirror.js';

const ID = '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b';
const line = (n: number) => ({ type: n % 2 ? 'assistant' : 'user', n });
const jsonl = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `${JSON.stringify(line(from + i))}\n`).join('');

let dir: TempDir;
let location: TranscriptLocation;
let storage: MemorySessionStorage;
beforeEach(async () => {
  dir = makeTempDir('cc-mirror');
  location = { configDir: join(dir.path, 'config'), cwd: '/srv/app' };
  storage = new MemorySessionStorage();
  await storage.save(createSessionState({ name: 'own' }));
  await storage.save(createSessionState({ name: 'parent' }));
});
afterEach(() => dir.remove());

describe('TranscriptMirror', () => {
  it('sends only new lines; a missing local transcript is "not found", not an error', async () => {
    const mirror = new TranscriptMirror(storage);
    expect(await mirror.mirror('own', ID, location)).toEqual({
      found: false,
      lines: 0,
      fromLine: 0,
      bytes: 0,
    });
    const path = transcriptPathFor(location, ID);
    await writeTranscriptAtomically(path, []);
    appendFileSync(path, jsonl(0, 3));
    expect(await mirror.mirror('own', ID, location)).toMatchObject({ found: true, lines: 3, fromLine: 0 });
    expect(await mirror.mirror('own', ID, location)).toMatchObject({ lines: 0, fromLine: 3, bytes: 0 });
    appendFileSync(path, jsonl(3, 5));
    const report = await mirror.mirror('own', ID, location);
    expect(report).toMatchObject({ lines: 2, fromLine: 3 });
    expect(report.bytes).toBe(Buffer.byteLength(jsonl(3, 5)) - 2);
    expect(await storage.loadTranscript('own', ID)).toEqual([0, 1, 2, 3, 4].map(line));
  });

  it('restores from the first source that stores the id (own name, then the fork parent)', async () => {
    await storage.appendTranscript('parent', ID, [line(0), line(1)], 0);
    const mirror = new TranscriptMirror(storage);
    const sources = [
      { name: 'own', claudeSessionId: ID },
      { name: 'parent', claudeSessionId: ID },
    ];
    expect(await mirror.restore(sources, location, 'own')).toBe(true);
    expect(readFileSync(transcriptPathFor(location, ID), 'utf8')).toBe(jsonl(0, 2));
    expect(await mirror.restore(sources, location, 'own')).toBe(false); // present and as long as stored
    expect(await mirror.restore([{ name: 'own', claudeSessionId: 'unknown' }], location, 'own')).toBe(false);
  });

  it('keeps a local transcript that is ahead of the storage, and mirrors its extra lines next', async () => {
    await storage.appendTranscript('own', ID, [line(0), line(1)], 0);
    await writeTranscriptAtomically(transcriptPathFor(location, ID), [0, 1, 2, 3].map(line));
    const mirror = new TranscriptMirror(storage);
    expect(await mirror.restore([{ name: 'own', claudeSessionId: ID }], location, 'own')).toBe(false);
    expect(await mirror.mirror('own', ID, location)).toMatchObject({ lines: 2, fromLine: 2 });
    expect(await storage.loadTranscript('own', ID)).toEqual([0, 1, 2, 3].map(line));
  });

  it('after finding the local transcript as long as the stored one, mirrors on from its end', async () => {
    await storage.appendTranscript('own', ID, [line(0), line(1)], 0);
    const path = transcriptPathFor(location, ID);
    await writeTranscriptAtomically(path, [line(0), line(1)]);
    const mirror = new TranscriptMirror(storage);
    expect(await mirror.restore([{ name: 'own', claudeSessionId: ID }], location, 'own')).toBe(false);
    // The bytes already counted are not read again: split the first line in place (same size), which a
    // count from the start would see as lines it cannot parse, then let the CLI append its next line.
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, `${text.slice(0, 5)}\n${text.slice(6)}`);
    appendFileSync(path, jsonl(2, 3));
    expect(await mirror.mirror('own', ID, location)).toMatchObject({ lines: 1, fromLine: 2 });
    expect(await storage.loadTranscript('own', ID)).toEqual([0, 1, 2].map(line));
  });

  it('replaces a local transcript shorter than the stored one, in its own folder', async () => {
    await storage.appendTranscript('own', ID, [0, 1, 2].map(line), 0);
    const elsewhere = { ...location, cwd: '/other/place' };
    await writeTranscriptAtomically(transcriptPathFor(elsewhere, ID), [line(0)]);
    const mirror = new TranscriptMirror(storage);
    expect(await mirror.restore([{ name: 'own', claudeSessionId: ID }], location, 'own')).toBe(true);
    expect(readFileSync(transcriptPathFor(elsewhere, ID), 'utf8')).toBe(jsonl(0, 3));
  });

  it('reports storage and file-system failures as TranscriptError with the cause', async () => {
    const failing = Object.assign(new MemorySessionStorage(), {
      loadTranscript: async () => {
        throw new StorageUnavailableError('memory', 'loadTranscript', new Error('down'));
      },
    });
    const err = await new TranscriptMirror(failing)
      .restore([{ name: 'own', claudeSessionId: ID }], location, 'own')
      .catch((e: unknown) => e);
    expect(TranscriptError.is(err) && err.operation).toBe('restore');
    expect(StorageUnavailableError.is((err as Error).cause)).toBe(true);

    await storage.appendTranscript('own', ID, [line(0)], 0);
    const blocked = join(dir.path, 'not-a-dir');
    writeFileSync(blocked, 'file in the way');
    const writeErr = await new TranscriptMirror(storage)
      .restore([{ name: 'own', claudeSessionId: ID }], { configDir: blocked, cwd: '/srv/app' }, 'own')
      .catch((e: unknown) => e);
    expect(TranscriptError.is(writeErr) && writeErr.operation).toBe('restore');
    expect(((writeErr as Error).cause as NodeJS.ErrnoException).code).toBe('ENOTDIR');
  });
});
