// TEST-ONLY: makes s3rver behave like real S3 where the adapter's correctness depends on it.
// 1. Conditional writes. s3rver ignores `If-Match` / `If-None-Match` on PutObject (it answers 200 and
//    overwrites); real S3 answers 412 PreconditionFailed when the condition does not hold, and 404 NoSuchKey
//    for `If-Match` on a missing key.
// 2. Atomic replacement. Real S3 readers see the old object or the new one, never a mix; s3rver truncates and
//    rewrites the file in place, so a GET racing a PUT could read half a file.
// Every request on one object key runs under one lock per key (a GET keeps it until its body is read), so two
// conditional writes cannot both pass and no read sees a write in progress.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const S3Error = require('s3rver/lib/models/error');

/** @param {{ store: { getMetadata(bucket: string, key: string): Promise<{ etag: string }> } }} server */
export function enforceConditionalWrites(server) {
  /** @type {Map<string, Promise<void>>} */
  const locks = new Map();

  async function withLock(lockKey, fn) {
    const previous = locks.get(lockKey) ?? Promise.resolve();
    let release = () => {};
    const current = new Promise((resolve) => {
      release = resolve;
    });
    const chained = previous.then(() => current);
    locks.set(lockKey, chained);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (locks.get(lockKey) === chained) locks.delete(lockKey);
    }
  }

  return async function s3ObjectSemantics(ctx, next) {
    const [, bucket, ...rest] = ctx.path.split('/');
    const key = rest.map(decodeURIComponent).join('/');
    if (!bucket || key === '') return next();

    return withLock(`${bucket}/${key}`, async () => {
      if (ctx.method === 'PUT') checkConditions(ctx, key, await currentEtag(server.store, bucket, key));
      await next();
      if (ctx.body && typeof ctx.body.pipe === 'function') {
        // Read the object while holding the lock, so a later PUT cannot rewrite the file under this read.
        const chunks = [];
        for await (const chunk of ctx.body) chunks.push(chunk);
        const length = ctx.length;
        ctx.body = Buffer.concat(chunks);
        if (length !== undefined) ctx.length = length;
      }
    });
  };
}

function checkConditions(ctx, key, etag) {
  const ifMatch = ctx.get('if-match');
  const ifNoneMatch = ctx.get('if-none-match');
  if (ifNoneMatch !== '' && etag !== undefined && (ifNoneMatch === '*' || sameEtag(ifNoneMatch, etag))) {
    throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', {
      Condition: 'If-None-Match',
    });
  }
  if (ifMatch !== '') {
    if (etag === undefined) throw new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: key });
    if (ifMatch !== '*' && !sameEtag(ifMatch, etag)) {
      throw new S3Error(
        'PreconditionFailed',
        'At least one of the pre-conditions you specified did not hold',
        {
          Condition: 'If-Match',
        },
      );
    }
  }
}

async function currentEtag(store, bucket, key) {
  try {
    return (await store.getMetadata(bucket, key)).etag;
  } catch (err) {
    if (err && err.code === 'ENOENT') return undefined;
    throw err;
  }
}

function sameEtag(a, b) {
  const bare = (e) => e.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
  return bare(a) === bare(b);
}
