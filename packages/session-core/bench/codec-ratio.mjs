/**
 * What the transcript codec stores against the raw JSON lines, for a session recorded from the real
 * `claude` CLI (bench/fixtures/transcript-turns.json, see record-transcript.mjs): each turn's batch of
 * lines is encoded on its own, as an adapter's `appendTranscript` does. Figures: stored bytes / raw bytes
 * over the whole session (target <= 0.25), and over the turns after the first (the first carries the
 * CLI's one-off system prompt and listings, which compress far better than the lines of a turn).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { kit } from './support.mjs';

const fixture = fileURLToPath(new URL('./fixtures/transcript-turns.json', import.meta.url));

export function benchCodecRatio() {
  const { cli, batches } = JSON.parse(readFileSync(fixture, 'utf8'));
  const totals = { raw: 0, stored: 0, laterRaw: 0, laterStored: 0, lines: 0 };
  const methods = {};
  batches.forEach((lines, turn) => {
    const raw = Buffer.byteLength(`${lines.join('\n')}\n`);
    const chunk = kit.encodeTranscriptChunk(lines);
    const decoded = kit.decodeTranscriptChunk(chunk);
    if (decoded.length !== lines.length || decoded.some((l, i) => l !== lines[i]))
      throw new Error(`turn ${turn + 1}: the codec did not return the lines it was given`);
    methods[chunk[4]] = (methods[chunk[4]] ?? 0) + 1;
    totals.raw += raw;
    totals.stored += chunk.length;
    totals.lines += lines.length;
    if (turn > 0) {
      totals.laterRaw += raw;
      totals.laterStored += chunk.length;
    }
  });
  return {
    cli,
    turns: batches.length,
    lines: totals.lines,
    rawBytes: totals.raw,
    storedBytes: totals.stored,
    ratio: totals.stored / totals.raw,
    laterRatio: totals.laterStored / totals.laterRaw,
    methods,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(benchCodecRatio(), null, 2));
}
