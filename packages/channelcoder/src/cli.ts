#!/usr/bin/env node
/** The `channelcoder` executable. */
import { createRequire } from 'node:module';
import { processIo } from './cli/io.js';
import { main } from './cli/main.js';

const version = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

main(process.argv.slice(2), processIo(), version).then((code) => {
  // Exit explicitly: a storage client's reconnect timers must not keep a finished command alive.
  process.stdout.write('', () => process.exit(code));
});
