/**
 * The backends of the guide's Redis and S3 storage examples: the test file's Redis (keys under a prefix of
 * their own, deleted at the end) and a private s3rver holding the guide's bucket, with readers of what the
 * examples stored there (read directly: the guide's S3Storage lists nothing).
 */
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import { startS3rver } from '../../../../storage-s3/test/support/s3rver-launcher.mjs';
import type { StoredSession } from './stored-sessions.js';

export interface ExampleBackends {
  /** Variables the examples' preludes read: GUIDE_REDIS_URL, GUIDE_REDIS_PREFIX, GUIDE_S3_ENDPOINT. */
  env: Record<string, string>;
  /** Readers of the sessions stored in Redis and S3. */
  sources: Array<() => Promise<StoredSession[]>>;
  stop(): Promise<void>;
}

/** The bucket the guide's S3 example names. */
const S3_BUCKET = 'my-sessions-bucket';

export async function startExampleBackends(redisUrl: string): Promise<ExampleBackends> {
  const prefix = `guide-${process.pid}-${Date.now()}:`;
  const s3 = await startS3rver({ bucket: S3_BUCKET });
  const s3Client = new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const redis = new Redis(redisUrl, { keyPrefix: prefix });

  /** Sessions the guide's RedisStorage wrote (its `sessions:all` set and one key per session). */
  const redisStored = async (): Promise<StoredSession[]> => {
    const out: StoredSession[] = [];
    for (const key of await redis.smembers('sessions:all')) {
      const data = await redis.get(key);
      if (data !== null) out.push(fromStateJson('redis', key, data));
    }
    return out;
  };

  /** Sessions the guide's S3Storage wrote (`sessions/<name>` objects). */
  const s3Stored = async (): Promise<StoredSession[]> => {
    const listed = await s3Client.send(new ListObjectsV2Command({ Bucket: S3_BUCKET, Prefix: 'sessions/' }));
    const out: StoredSession[] = [];
    for (const object of listed.Contents ?? []) {
      const got = await s3Client.send(new GetObjectCommand({ Bucket: S3_BUCKET, Key: object.Key }));
      const key = (object.Key ?? '').slice('sessions/'.length);
      out.push(fromStateJson('s3', key, (await got.Body?.transformToString()) ?? ''));
    }
    return out;
  };

  return {
    env: { GUIDE_REDIS_URL: redisUrl, GUIDE_REDIS_PREFIX: prefix, GUIDE_S3_ENDPOINT: s3.endpoint },
    sources: [redisStored, s3Stored],
    stop: async () => {
      // keyPrefix does not apply to KEYS' answer: strip it before deleting through the prefixed client.
      const keys = (await redis.keys('*')).map((k) => k.slice(prefix.length));
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
      s3Client.destroy();
      await s3.stop();
    },
  };
}

function fromStateJson(where: string, key: string, json: string): StoredSession {
  const state = JSON.parse(json) as {
    sessionChain?: string[];
    messages?: Array<{ role: string; content: string; sessionId?: string }>;
    metadata?: { name?: string };
  };
  return {
    where,
    name: state.metadata?.name ?? key,
    chain: state.sessionChain ?? [],
    messages: (state.messages ?? []).map((m) => ({
      role: m.role,
      content: m.content,
      sessionId: m.sessionId ?? '',
    })),
  };
}
