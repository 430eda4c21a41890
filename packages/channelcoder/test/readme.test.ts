/**
 * Every code block of README.md, compiled and run or checked (testkit's README check): the SDK quick start
 * and the CLI commands run with the real `claude` CLI against the mock API, the Redis URL of the import
 * pointed at the test server.
 */
import { randomUUID } from 'node:crypto';
import { describeReadme } from '@channelcoder/testkit';
import { afterAll, describe, inject, it } from 'vitest';

const redis = new URL(inject('redisUrl'));
redis.searchParams.set('prefix', `cc-readme-${randomUUID().slice(0, 8)}:`);

describeReadme({ describe, it, afterAll }, new URL('../README.md', import.meta.url), {
  files: { 'continue-task.md': new URL('../examples/continue-task.md', import.meta.url) },
  rewriteCommand: (argv) => argv.map((a) => (a === 'redis://localhost:6379/0' ? redis.toString() : a)),
});
