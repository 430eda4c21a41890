/**
 * Servers for the proofs: CI's Redis and PostgreSQL (CHANNELCODER_TEST_REDIS_URL /
 * CHANNELCODER_TEST_DATABASE_URL) when set, else private ones started here; always a private s3rver
 * (with conditional writes enforced, like real S3). Each private server is stopped by its PID at the end.
 * Redis and PostgreSQL come from @channelcoder/testkit; s3rver from the S3 adapter's test support.
 */

import {
  type PostgresServer,
  type PrivateRedis,
  startPostgresServer,
  startPrivateRedis,
} from '@channelcoder/testkit';
import type { TestProject } from 'vitest/node';
import { type RunningS3rver, startS3rver } from '../../../storage-s3/test/support/s3rver-launcher.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    databaseUrl: string;
    s3: { endpoint: string; bucket: string };
  }
}

let redis: PrivateRedis | undefined;
let postgres: PostgresServer | undefined;
let s3: RunningS3rver | undefined;

export async function setup(project: TestProject): Promise<void> {
  const redisUrl = process.env.CHANNELCODER_TEST_REDIS_URL;
  const databaseUrl = process.env.CHANNELCODER_TEST_DATABASE_URL;
  const [r, p, s] = await Promise.all([
    redisUrl ? undefined : startPrivateRedis(),
    databaseUrl ? undefined : startPostgresServer(),
    startS3rver({ enforceConditionalWrites: true }),
  ]);
  redis = r;
  postgres = p;
  s3 = s;
  project.provide('redisUrl', redisUrl || (r as PrivateRedis).url);
  project.provide('databaseUrl', databaseUrl || (p as PostgresServer).url);
  project.provide('s3', { endpoint: s.endpoint, bucket: s.bucket });
}

export async function teardown(): Promise<void> {
  await Promise.all([redis?.destroy(), postgres?.destroy(), s3?.stop()]);
}
