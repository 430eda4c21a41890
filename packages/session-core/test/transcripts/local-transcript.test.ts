import { appendFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../../testkit/src/index.js';
import { TranscriptError } from '../../src/errors.js';
import {
  findLocalTranscript,
  readTranscriptLines,
  type TranscriptLocation,
  transcriptPathFor,
  writeTranscriptAtomically,
} from '../../src/transcripts/local-transcript.js';

const ID = '0b6c2f4e-1d2a-4c3b-9e8f-7a6b5c4d3e2f';
let dir: TempDir;
let location: TranscriptLocation;
beforeEach(() => {
  dir = makeTempDir('cc-transcripts');
  location = { configDir: join(dir.path, 'config'), cwd: '/srv/app' };
});
afterEach(() => dir.remove());

const jsonl = (entries: unknown[]) => entries.map((e) => `${JSON.stringify(e)}\n`).join('');

describe('locating a transcript', () => {
  it("is <configDir>/projects/<cwd's folder>/<id>.jsonl for a new one", () => {
    expect(transcriptPathFor(location, ID)).toBe(
      join(dir.path, 'config', 'projects', '-srv-app', `${ID}.jsonl`),
    );
  });

  it("finds an existing one in the cwd's folder first, else in any folder under projects/", async () => {
    expect(await findLocalTranscript(location, ID)).toBeUndefined();
    const other = join(location.configDir, 'projects', '-elsewhere');
    mkdirSync(other, { recursive: true });
    writeFileSync(join(other, `${ID}.jsonl`), '{}\n');
    expect(await findLocalTranscript(location, ID)).toBe(join(other, `${ID}.jsonl`));
    await writeTranscriptAtomically(transcriptPathFor(location, ID), [{}]);
    expect(await findLocalTranscript(location, ID)).toBe(transcriptPathFor(location, ID));
    // Directly in projects/ does not count (the CLI does not look there).
    writeFileSync(join(location.configDir, 'projects', 'x.jsonl'), '{}\n');
    expect(await findLocalTranscript(location, 'x')).toBeUndefined();
  });
});

describe('reading lines from a position', () => {
  it('returns the lines after a line offset, and a position that continues by byte offset', async () => {
    const path = join(dir.path, 't.jsonl');
    writeFileSync(path, `${jsonl([{ n: 1 }, { n: 2, text: 'é✨' }])}\n`);
    const all = await readTranscriptLines(path, ID);
    expect(all.entries).toEqual([{ n: 1 }, { n: 2, text: 'é✨' }]);
    expect(all.end).toEqual({ line: 2, byte: Buffer.byteLength(readFileSync(path, 'utf8')) });

    appendFileSync(path, jsonl([{ n: 3 }, { n: 4 }]));
    expect((await readTranscriptLines(path, ID, all.end)).entries).toEqual([{ n: 3 }, { n: 4 }]);
    expect((await readTranscriptLines(path, ID, { line: 3 })).entries).toEqual([{ n: 4 }]);
  });

  it('takes a last line without newline only when it is complete JSON', async () => {
    const path = join(dir.path, 't.jsonl');
    writeFileSync(path, `${jsonl([{ n: 1 }])}{"n":2}`);
    expect((await readTranscriptLines(path, ID)).entries).toEqual([{ n: 1 }, { n: 2 }]);
    writeFileSync(path, `${jsonl([{ n: 1 }])}{"n":`);
    const partial = await readTranscriptLines(path, ID);
    expect(partial.entries).toEqual([{ n: 1 }]);
    appendFileSync(path, '2}\n');
    expect((await readTranscriptLines(path, ID, partial.end)).entries).toEqual([{ n: 2 }]);
  });

  it('streams a file far larger than one read chunk, lines split across chunks', async () => {
    const path = join(dir.path, 'big.jsonl');
    const entries = Array.from({ length: 3000 }, (_, i) => ({ i, pad: 'x'.repeat(i % 700) }));
    writeFileSync(path, jsonl(entries));
    const slice = await readTranscriptLines(path, ID, { line: 1000 });
    expect(slice.entries).toEqual(entries.slice(1000));
    expect(slice.end.line).toBe(3000);
  });

  it('fails with TranscriptError on a complete line that is not JSON, or a file shorter than the offset', async () => {
    const path = join(dir.path, 't.jsonl');
    writeFileSync(path, '{"n":1}\nnot json\n{"n":3}\n');
    await expect(readTranscriptLines(path, ID)).rejects.toSatisfy(
      (e: unknown) => TranscriptError.is(e) && /Line 2 of/.test((e as Error).message),
    );
    writeFileSync(path, jsonl([{ n: 1 }]));
    await expect(readTranscriptLines(path, ID, { line: 5 })).rejects.toThrow(/has 1 lines, fewer than the 5/);
  });
});

describe('writing a restored transcript', () => {
  it('creates the folder, writes one JSON line per entry and leaves no temporary file', async () => {
    const path = transcriptPathFor(location, ID);
    const entries = [
      { type: 'user', text: 'line\u2028sep' },
      { type: 'assistant', n: [1, 2] },
    ];
    const end = await writeTranscriptAtomically(path, entries);
    expect(readFileSync(path, 'utf8')).toBe(jsonl(entries));
    expect(end).toEqual({ line: 2, byte: Buffer.byteLength(jsonl(entries)) });
    expect(readdirSync(join(path, '..'))).toEqual([`${ID}.jsonl`]);
    expect((await readTranscriptLines(path, ID)).entries).toEqual(entries);
  });

  it('replaces an existing file as a whole', async () => {
    const path = transcriptPathFor(location, ID);
    await writeTranscriptAtomically(path, [{ old: 1 }, { old: 2 }, { old: 3 }]);
    await writeTranscriptAtomically(path, [{ fresh: true }]);
    expect(readFileSync(path, 'utf8')).toBe(jsonl([{ fresh: true }]));
  });
});
