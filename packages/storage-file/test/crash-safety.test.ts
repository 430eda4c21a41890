import { describe, expect, it } from 'vitest';
import { FileSessionStorage } from '../src/index.js';
import { requireBuiltPackage, startFixture } from './child-process.js';
import { useTempDirs } from './helpers.js';

const tempDir = useTempDirs();
const KILLS = 50;

/** The highest `ack <count>` a child printed: every message up to it was acknowledged as saved. */
function acknowledged(lines: readonly string[]): number {
  return Math.max(0, ...lines.filter((l) => l.startsWith('ack ')).map((l) => Number(l.slice(4))));
}

describe('FileSessionStorage crash safety', () => {
  it(`keeps every acknowledged message when the writer is SIGKILLed at random moments (${KILLS} times)`, async () => {
    requireBuiltPackage();
    const root = tempDir();
    const storage = new FileSessionStorage(root);
    let everAcknowledged = 0;

    for (let run = 0; run < KILLS; run++) {
      const child = startFixture('autosave-child.mjs', [root, 'crash']);
      await child.waitForLine((l) => l.startsWith('ack '));
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 30));
      child.process.kill('SIGKILL');
      expect(await child.exited).toBeNull();
      const acked = acknowledged(child.lines);
      everAcknowledged = Math.max(everAcknowledged, acked);

      const loaded = await storage.load('crash'); // validates the whole session or throws
      expect(loaded.messages.length).toBeGreaterThanOrEqual(everAcknowledged);
      // Exactly the turns 1..n in order: nothing torn, lost, duplicated or reordered.
      const turns = loaded.messages.length / 2;
      expect(loaded.messages.map((m) => m.content.split(' ').slice(0, 2).join(' '))).toEqual(
        Array.from({ length: turns }, (_, i) => [`prompt ${i + 1}`, `answer ${i + 1}`]).flat(),
      );
      expect(loaded.revision).toBeGreaterThan(0);
    }
    expect(everAcknowledged).toBeGreaterThan(KILLS);
  }, 120_000);
});
