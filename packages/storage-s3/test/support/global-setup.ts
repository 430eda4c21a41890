/**
 * Starts two private s3rver processes for this test run (on 127.0.0.1, free ports, temp directories) and
 * stops them by PID at the end:
 * - `s3Plain`: s3rver as it is (it ignores If-Match / If-None-Match), with one harness fix: a PUT is answered
 *   only once the object is flushed (see flushed-puts.mjs).
 * - `s3Conditional`: s3rver behind a test-only middleware emulating real S3: conditional writes enforced
 *   (412 PreconditionFailed) and objects replaced atomically (see conditional-writes.mjs).
 */
import type { TestProject } from 'vitest/node';
import { type RunningS3rver, startS3rver } from './s3rver-launcher.mjs';

export interface S3Endpoint {
  endpoint: string;
  bucket: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    s3Plain: S3Endpoint;
    s3Conditional: S3Endpoint;
  }
}

const servers: RunningS3rver[] = [];

export async function setup(project: TestProject): Promise<void> {
  const [plain, conditional] = await Promise.all([
    startS3rver(),
    startS3rver({ enforceConditionalWrites: true }),
  ]);
  servers.push(plain, conditional);
  project.provide('s3Plain', { endpoint: plain.endpoint, bucket: plain.bucket });
  project.provide('s3Conditional', { endpoint: conditional.endpoint, bucket: conditional.bucket });
}

export async function teardown(): Promise<void> {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
}
