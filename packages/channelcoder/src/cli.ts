#!/usr/bin/env node
/** The `channelcoder` executable. */
import { readFileSync } from 'node:fs';
import module from 'node:module';
import { processIo } from './cli/io.js';
import { main } from './cli/main.js';

// Node 22.1+ keeps the compiled code of the modules a command loads in its on-disk cache (in the system's
// temporary folder; NODE_DISABLE_COMPILE_CACHE=1 turns it off), so later starts skip parsing them. Each
// command loads its modules on demand (see ./cli/main.ts).
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

// Read only for `--version` (a require() of package.json would start the CommonJS loader on every run).
const version = (): string =>
  (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
    .version;

main(process.argv.slice(2), processIo(), version).then((code) => {
  // Exit explicitly: a storage client's reconnect timers must not keep a finished command alive.
  process.stdout.write('', () => process.exit(code));
});
