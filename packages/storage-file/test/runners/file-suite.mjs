// FileSessionStorage under the runner-neutral suite (node:test and Bun). The vitest run (../conformance.test.ts)
// adds the backdoor for the corruption and format-upgrade concerns; here they are skipped and say why.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sessionStorageConformance } from '@channelcoder/storage-conformance';
import { FileSessionStorage } from '@channelcoder/storage-file';

/** @param {import('@channelcoder/storage-conformance').ConformanceRunner} runner */
export function fileSuite(runner, label) {
  sessionStorageConformance(
    runner,
    label,
    () => new FileSessionStorage({ dir: mkdtempSync(join(tmpdir(), 'cc-conformance-')) }),
    {
      destroy: async (storage) => {
        await storage.close();
        rmSync(storage.root, { recursive: true, force: true });
      },
      skip: {
        corruption: 'the backdoor is TypeScript; the vitest run covers it',
        formatUpgrade: 'the backdoor is TypeScript; the vitest run covers it',
      },
    },
  );
}
