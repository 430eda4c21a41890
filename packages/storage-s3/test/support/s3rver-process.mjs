// A local S3 emulator for tests and benchmarks, run as its own process:
//   NODE_OPTIONS=--openssl-legacy-provider node s3rver-process.mjs --dir <path> --bucket <name> [--port N]
//     [--enforce-conditional-writes]
// Prints one line `READY <port>` on stdout once it listens on 127.0.0.1. Stop it with SIGTERM.
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { enforceConditionalWrites } from './conditional-writes.mjs';
import { flushPutsBeforeAnswering } from './flushed-puts.mjs';

const require = createRequire(import.meta.url);
const S3rver = require('s3rver');

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    bucket: { type: 'string', default: 'channelcoder-test' },
    port: { type: 'string', default: '0' },
    'enforce-conditional-writes': { type: 'boolean', default: false },
  },
});
if (values.dir === undefined) throw new Error('s3rver-process: --dir is required');

const server = new S3rver({
  address: '127.0.0.1',
  port: Number(values.port),
  directory: values.dir,
  silent: true,
  configureBuckets: [{ name: values.bucket }],
});
flushPutsBeforeAnswering(server.store);
if (values['enforce-conditional-writes']) server.middleware.unshift(enforceConditionalWrites(server));

const address = await server.run();
process.stdout.write(`READY ${address.port}\n`);

const stop = () => {
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
