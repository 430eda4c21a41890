import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeSessionStorage } from '@channelcoder/storage-conformance/vitest';
import { FileSessionStorage } from '../src/index.js';
import { fileBackdoor } from './backdoor.js';

describeSessionStorage(
  'FileSessionStorage',
  () => new FileSessionStorage({ dir: mkdtempSync(join(tmpdir(), 'cc-conformance-')) }),
  {
    backdoor: fileBackdoor,
    sibling: (storage) => new FileSessionStorage({ dir: storage.root }),
    destroy: async (storage) => {
      await storage.close();
      rmSync(storage.root, { recursive: true, force: true });
    },
  },
);
