import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SessionCorruptError } from '../src/errors.js';
import {
  decodeTranscriptChunk,
  encodeTranscriptChunk,
  isCompressedTranscriptChunk,
} from '../src/transcript-codec.js';

function line(i: number, text: string): string {
  return JSON.stringify({
    parentUuid: i === 0 ? null : `00000000-0000-4000-8000-${String(i - 1).padStart(12, '0')}`,
    isSidechain: false,
    userType: 'external',
    cwd: '/work/project',
    sessionId: '2b1c9a54-6a57-4a43-9d0e-4e3f6c1f0d11',
    version: '2.1.330',
    type: i % 2 === 0 ? 'user' : 'assistant',
    message: { role: i % 2 === 0 ? 'user' : 'assistant', content: [{ type: 'text', text }] },
    uuid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    timestamp: new Date(Date.UTC(2026, 11, 3, 8, 0, i)).toISOString(),
  });
}

describe('transcript chunk codec', () => {
  it('returns exactly the encoded lines for small (dictionary) and large (Brotli) batches', () => {
    const small = [line(0, 'hello'), line(1, 'héllo — “quoted” \\n and \u0000 and 😀')];
    const large = Array.from({ length: 200 }, (_, i) => line(i, `answer ${i} `.repeat(i % 7)));
    for (const lines of [small, large]) {
      const chunk = encodeTranscriptChunk(lines);
      expect(isCompressedTranscriptChunk(chunk)).toBe(true);
      expect(decodeTranscriptChunk(chunk)).toEqual(lines);
    }
    expect(encodeTranscriptChunk(small)[4]).toBe(2);
    expect(Buffer.byteLength(large.join('\n'))).toBeGreaterThan(64 * 1024);
    expect(encodeTranscriptChunk(large)[4]).toBe(1);
  });

  it('writes a batch between 8 and 64 KiB with whichever of method 2 and Brotli is smaller', () => {
    const lines = Array.from({ length: 60 }, (_, i) => line(i, `answer ${i} `.repeat(i % 5)));
    const bytes = Buffer.byteLength(lines.join('\n'));
    expect(bytes).toBeGreaterThan(8 * 1024);
    expect(bytes).toBeLessThan(64 * 1024);
    const chunk = encodeTranscriptChunk(lines);
    expect([1, 2]).toContain(chunk[4]);
    expect(decodeTranscriptChunk(chunk)).toEqual(lines);
    const deflated = deflateRawSync(Buffer.from(`${lines.join('\n')}\n`), { level: 9 });
    // The chosen method is never larger than deflate without any dictionary.
    expect(chunk.length - 5).toBeLessThanOrEqual(deflated.length);
  });

  it('still reads chunks stored with method 0 (the first dictionary) as they were written', () => {
    const stored = Buffer.from(
      'Q0NaMQCjirPK0dxVrIuUFoiPoIxMpVp4lJTqGirVclXjibRSXSNUcwmmmYzUnJx8pdrY2louAA==',
      'base64',
    );
    expect(stored[4]).toBe(0);
    expect(decodeTranscriptChunk(stored)).toEqual([
      '{"parentUuid":null,"isSidechain":false,"userType":"external","cwd":"/w","sessionId":"s-1","type":"user","message":{"role":"user","content":"hi"},"uuid":"u-1"}',
      '{"type":"assistant","uuid":"u-2","message":{"content":[{"type":"text","text":"hello"}]}}',
    ]);
  });

  it('compresses typical transcript lines well even one small batch at a time', () => {
    const lines = Array.from({ length: 40 }, (_, i) => line(i, `The answer to question ${i} is ${i * 7}.`));
    const raw = lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
    let stored = 0;
    for (let i = 0; i < lines.length; i += 2) stored += encodeTranscriptChunk(lines.slice(i, i + 2)).length;
    expect(stored / raw).toBeLessThan(0.35);
  });

  it('round-trips an empty batch', () => {
    expect(decodeTranscriptChunk(encodeTranscriptChunk([]))).toEqual([]);
  });

  it('tells plain JSON lines from chunks and refuses damaged chunks with a typed error', () => {
    expect(isCompressedTranscriptChunk(Buffer.from('{"type":"user"}\n'))).toBe(false);
    const chunk = encodeTranscriptChunk([line(0, 'x')]);
    const damaged = Buffer.from(chunk);
    damaged.fill(0xff, 6);
    const error = (() => {
      try {
        decodeTranscriptChunk(damaged, { sessionName: 's1', location: '/tmp/x.chunks' });
      } catch (e) {
        return e;
      }
    })();
    expect(SessionCorruptError.is(error)).toBe(true);
    expect((error as Error).message).toMatch(/s1.*\/tmp\/x\.chunks.*does not decompress/);
    const unknown = Buffer.from(chunk);
    unknown[4] = 9;
    expect(() => decodeTranscriptChunk(unknown)).toThrow(/method 9/);
    expect(() => decodeTranscriptChunk(Buffer.from('{}'))).toThrow(/no CCZ1 header/);
  });
});
