import { describeSessionStorage } from '@channelcoder/storage-conformance/vitest';
import { afterAll, inject } from 'vitest';
import { S3SessionStorage } from '../src/index.js';
import { backdoor, deletePrefix, makeClient, uniquePrefix } from './support/fixtures.js';

const plain = inject('s3Plain');
const conditional = inject('s3Conditional');
const plainClient = makeClient(plain.endpoint);
const conditionalClient = makeClient(conditional.endpoint);
afterAll(() => {
  plainClient.destroy();
  conditionalClient.destroy();
});

describeSessionStorage(
  'S3SessionStorage on plain s3rver',
  () => new S3SessionStorage({ client: plainClient, bucket: plain.bucket, prefix: uniquePrefix('plain') }),
  {
    backdoor: (storage) => backdoor(plainClient, storage),
    destroy: async (storage) => {
      await storage.close();
      await deletePrefix(plainClient, storage.bucket, storage.prefix);
    },
    skip: {
      concurrency:
        'plain s3rver ignores If-Match / If-None-Match, so racing writers cannot be told apart; ' +
        'covered by the run against the conditional-write middleware below',
      lease:
        'plain s3rver ignores If-Match / If-None-Match, so two holders could both take the lease; ' +
        'covered by the run against the conditional-write middleware below',
      trash:
        'plain s3rver ignores If-Match, which commits a move to the trash against a racing save or move; ' +
        'covered by the run against the conditional-write middleware below',
    },
    skipAgentConcurrency:
      'plain s3rver ignores If-Match, which orders racing transcript appends; ' +
      'covered by the run against the conditional-write middleware below',
  },
);

describeSessionStorage(
  'S3SessionStorage on s3rver + test middleware emulating real S3 conditional writes (If-Match/If-None-Match → 412)',
  () =>
    new S3SessionStorage({
      client: conditionalClient,
      bucket: conditional.bucket,
      prefix: uniquePrefix('conditional'),
      compactAfterParts: 3,
    }),
  {
    backdoor: (storage) => backdoor(conditionalClient, storage),
    sibling: (storage) =>
      new S3SessionStorage({ client: conditionalClient, bucket: storage.bucket, prefix: storage.prefix }),
    destroy: async (storage) => {
      await storage.close();
      await deletePrefix(conditionalClient, storage.bucket, storage.prefix);
    },
  },
);
