#!/usr/bin/env node
/** The `channelcoder` executable. */
import { readFileSync } from 'node:fs';
import { processIo, processStdoutStarted } from './cli/io.js';
import { main } from './cli/main.js';

// Each command loads its modules on demand (see ./cli/main.ts). Node's on-disk compile cache exists from
// Node 22.1 (module.enableCompileCache, NODE_COMPILE_CACHE) and not at all on Node 20, which the package
// supports; it is left to the user (NODE_COMPILE_CACHE): turned on here it would write into the system's
// temporary folder unasked, and its gain could not be measured on the Node the benchmarks run on.

// Read only for `--version` (a require() of package.json would start the CommonJS loader on every run).
const version = (): string =>
  (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
    .version;

main(process.argv.slice(2), processIo(), version).then((code) => {
  // Exit explicitly: a storage client's reconnect timers must not keep a finished command alive. Output
  // written to `process.stdout` is flushed first; a command that never set it up wrote synchronously.
  if (processStdoutStarted()) process.stdout.write('', () => process.exit(code));
  else process.exit(code);
});
