// Opens the storage a StorageSpec (support/backends.ts) describes, with its own client, as another
// process or machine would.
import { S3Client } from '@aws-sdk/client-s3';
import { FileSessionStorage } from '@channelcoder/storage-file';
import { openPrismaSessionStorage } from '@channelcoder/storage-prisma';
import { RedisSessionStorage } from '@channelcoder/storage-redis';
import { S3SessionStorage } from '@channelcoder/storage-s3';
import { Redis } from 'ioredis';

export async function openStorage(spec) {
  switch (spec.kind) {
    case 'redis': {
      const client = new Redis(spec.url, { maxRetriesPerRequest: 0 });
      return {
        storage: new RedisSessionStorage({ client, prefix: spec.prefix }),
        close: () => client.quit(),
      };
    }
    case 's3': {
      const client = new S3Client({
        endpoint: spec.endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
      const storage = new S3SessionStorage({ client, bucket: spec.bucket, prefix: spec.prefix });
      return { storage, close: async () => client.destroy() };
    }
    case 'postgresql': {
      const opened = await openPrismaSessionStorage({ url: spec.url, poolSize: 2 });
      return { storage: opened.storage, close: opened.close };
    }
    case 'file':
      return { storage: new FileSessionStorage({ dir: spec.dir }), close: async () => {} };
    default:
      throw new Error(`unknown storage kind ${spec.kind}`);
  }
}
