// The suite on MemorySessionStorage under Bun: `bun test ./test/runners/memory.bun-test.mjs` (after `pnpm build`).
import { afterEach, describe, it } from 'bun:test';
import { MemorySessionStorage } from '@channelcoder/session-core';
import { sessionStorageConformance } from '@channelcoder/storage-conformance';
import { memoryBackdoor } from './memory-backdoor.mjs';

sessionStorageConformance(
  { describe, it, afterEach },
  'MemorySessionStorage (bun test)',
  () => new MemorySessionStorage(),
  {
    backdoor: memoryBackdoor,
  },
);
