/** Clients, isolated prefixes, cleanup, request counting and the conformance backdoor, shared by tests. */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { deserializeState, fromWireHead } from '@channelcoder/session-core/storage-kit';
import type { StorageBackdoor } from '@channelcoder/storage-conformance';
import { indexedHeadOf, indexKeyFor, parseIndexKey, unverifiedIndexKey } from '../../src/index-entry.js';
import { KeyLayout } from '../../src/keys.js';
import type { S3SessionStorage } from '../../src/S3SessionStorage.js';

/** A client configured the way the README tells s3rver / MinIO users to. */
export function makeClient(endpoint: string, extra: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 2_000, requestTimeout: 10_000 },
    ...extra,
  });
}

let counter = 0;

/** A prefix no other test (in this or another file or process) uses. */
export function uniquePrefix(label = 't'): string {
  counter += 1;
  return `cc-test/${label}-${process.pid}-${Date.now().toString(36)}-${counter}/`;
}

export async function listAll(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const out = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token === undefined ? {} : { ContinuationToken: token }),
      }),
    );
    for (const o of out.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys;
}

export async function deletePrefix(client: S3Client, bucket: string, prefix: string): Promise<void> {
  for (const key of await listAll(client, bucket, prefix)) {
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  }
}

export async function getText(client: S3Client, bucket: string, key: string): Promise<string> {
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await out.Body?.transformToString('utf8')) ?? '';
}

export async function putText(client: S3Client, bucket: string, key: string, text: string): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from(text, 'utf8') }));
}

/** Counts the HTTP requests (retries included) and the request body bytes a client sends. */
export function countRequests(client: S3Client): {
  requests: { method: string; path: string }[];
  bytes: () => number;
  reset: () => void;
} {
  const requests: { method: string; path: string; bytes: number }[] = [];
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { method?: string; path?: string; body?: unknown };
      const body = request.body;
      const bytes =
        typeof body === 'string' ? Buffer.byteLength(body) : body instanceof Uint8Array ? body.byteLength : 0;
      requests.push({ method: request.method ?? '?', path: decodeURIComponent(request.path ?? ''), bytes });
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'countRequests' },
  );
  return {
    requests,
    bytes: () => requests.reduce((sum, r) => sum + r.bytes, 0),
    reset: () => {
      requests.length = 0;
    },
  };
}

/** Writes straight to the objects, the way the conformance suite needs to damage or plant sessions. */
export function backdoor(client: S3Client, storage: S3SessionStorage): StorageBackdoor {
  const { bucket } = storage;
  const keys = new KeyLayout(storage.prefix);
  const folder = keys.indexFolder();
  const entriesOf = async (name: string) =>
    (await listAll(client, bucket, folder)).filter((k) => parseIndexKey(folder, k)?.name === name);
  return {
    // Damages the head and makes its index entry one that list() must verify against the head.
    async corrupt(name) {
      await putText(client, bucket, keys.headKey(name), '{"formatVersion":1,"revision":');
      for (const key of await entriesOf(name)) {
        const entry = parseIndexKey(folder, key);
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
        if (entry !== undefined)
          await putText(client, bucket, unverifiedIndexKey(folder, name, entry.lastActive), '');
      }
    },
    async corruptMessages(name) {
      const head = JSON.parse(await getText(client, bucket, keys.headKey(name))) as {
        parts: { id: string }[];
      };
      const first = head.parts[0];
      if (first === undefined) throw new Error(`corruptMessages: ${name} has no parts`);
      await putText(client, bucket, keys.partKey(name, first.id), '{"id":42}\n');
    },
    // Stores the whole document as the head (the inline layout) and indexes it as a save would.
    async plant(name, document) {
      for (const key of await entriesOf(name)) {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      }
      await putText(client, bucket, keys.headKey(name), document);
      let entry: string;
      try {
        const state = deserializeState(document, { name });
        entry = indexKeyFor(folder, name, indexedHeadOf(state, state.messages.length));
      } catch {
        let lastActive = new Date(0);
        try {
          lastActive = fromWireHead(document, { name }).metadata.lastActive;
        } catch {
          // unreadable: listed at the epoch
        }
        entry = unverifiedIndexKey(folder, name, lastActive);
      }
      await putText(client, bucket, entry, '');
    },
  };
}
