// The suite on MemorySessionStorage under node:test: `node --test test/runners/memory.node-test.mjs`
// (after `pnpm build`). The same suite runs under vitest (../memory.test.ts) and Bun (memory.bun-test.mjs).
import { afterEach, describe, it } from 'node:test';
import { MemorySessionStorage } from '@channelcoder/session-core';
import { sessionStorageConformance } from '@channelcoder/storage-conformance';
import { memoryBackdoor } from './memory-backdoor.mjs';

sessionStorageConformance(
  { describe, it, afterEach },
  'MemorySessionStorage (node:test)',
  () => new MemorySessionStorage(),
  {
    backdoor: memoryBackdoor,
  },
);
