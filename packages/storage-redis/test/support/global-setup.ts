/**
 * Uses the CI's server (CHANNELCODER_TEST_REDIS_URL) when set; otherwise starts a private redis-server for
 * this test run and stops it (by PID) at the end. Tests read the URL with `inject('redisUrl')`.
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
