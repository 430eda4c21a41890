import { S3SessionStorage } from '@channelcoder/storage-s3';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { awsClient, compatibleClient } from '../examples/clients.js';
import { quickstart } from '../examples/quickstart.js';
import { appendNote } from '../examples/retry-on-conflict.js';
import { deletePrefix, uniquePrefix } from './support/fixtures.js';

const conditional = inject('s3Conditional');
// The README's MinIO / R2 client settings, pointed at s3rver (which accepts only the S3RVER key pair).
const client = compatibleClient(conditional.endpoint, 'S3RVER', 'S3RVER');
afterAll(async () => {
  await deletePrefix(client, conditional.bucket, 'myapp/');
  client.destroy();
});

describe('examples (s3rver + test middleware emulating real S3 conditional writes)', () => {
  it('quickstart saves, loads, lists and removes a session', async () => {
    const { loaded, firstPage, nextPage } = await quickstart(client, conditional.bucket);
    expect(loaded.revision).toBe(1);
    expect(loaded.messages.map((m) => m.content)).toEqual(['Summarise the open issues']);
    expect(firstPage.map((i) => i.name)).toEqual(['support-bot']);
    expect(nextPage).toEqual([]);
  });

  it('retry-on-conflict: concurrent writers each append their note exactly once', async () => {
    const storage = new S3SessionStorage({
      client,
      bucket: conditional.bucket,
      prefix: uniquePrefix('examples'),
    });
    const notes = Array.from({ length: 5 }, (_, i) => `note ${i}`);
    await Promise.all(notes.map((note) => appendNote(storage, 'shared-log', note)));
    const stored = await storage.load('shared-log');
    expect(stored.messages.map((m) => m.content).sort()).toEqual(notes);
    await deletePrefix(client, conditional.bucket, storage.prefix);
  });

  it('the AWS client has bounded retries and timeouts', async () => {
    const aws = awsClient();
    expect(await aws.config.maxAttempts()).toBe(4);
    aws.destroy();
  });
});
