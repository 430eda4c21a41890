/**
 * Redis for the CLI tests: CI's server (CHANNELCODER_TEST_REDIS_URL) when set, else a private redis-server
 * started here and stopped by PID at the end. Tests read it with `inject('redisUrl')`.
 */

import { type PrivateRedis, startPrivateRedis } from '@channelcoder/testkit';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

let server: PrivateRedis | undefined;

export async function setup(project: TestProject): Promise<void> {
  const shared = process.env.CHANNELCODER_TEST_REDIS_URL;
  if (shared !== undefined && shared !== '') {
    project.provide('redisUrl', shared);
    return;
  }
  server = await startPrivateRedis();
  project.provide('redisUrl', server.url);
}

export async function teardown(): Promise<void> {
  await server?.destroy();
}
