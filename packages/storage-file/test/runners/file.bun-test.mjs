// `bun test ./test/runners/file.bun-test.mjs` (after `pnpm build`).
import { afterEach, describe, it } from 'bun:test';
import { fileSuite } from './file-suite.mjs';

fileSuite({ describe, it, afterEach }, 'FileSessionStorage (bun test)');
