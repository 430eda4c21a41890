// `node --test test/runners/file.node-test.mjs` (after `pnpm build`).
import { afterEach, describe, it } from 'node:test';
import { fileSuite } from './file-suite.mjs';

fileSuite({ describe, it, afterEach }, 'FileSessionStorage (node:test)');
