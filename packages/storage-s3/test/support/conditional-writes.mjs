// TEST-ONLY: makes s3rver honour conditional PutObject the way real S3 does. s3rver ignores `If-Match` and
// `If-None-Match` (it answers 200 and overwrites); real S3 answers 412 PreconditionFailed when the condition
// does not hold, and 404 NoSuchKey for `If-Match` on a missing key. The check and the write run under one
// lock per key, so two concurrent conditional writes cannot both pass.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const S3Error = require('s3rver/lib/models/error');

/** @param {{ store: { getMetadata(bucket: string, key: string): Promise<{ etag: string }> } }} server */
export function enforceConditionalWrites(server) {
  /** @type {Map<string, Promise<void>>} */
  const locks = new Map();

  return async function conditionalWrites(ctx, next) {
    const ifMatch = ctx.get('if-match');
    const ifNoneMatch = ctx.get('if-none-match');
    if (ctx.method !== 'PUT' || (ifMatch === '' && ifNoneMatch === '')) return next();
    const [, bucket, ...rest] = ctx.path.split('/');
    const key = rest.map(decodeURIComponent).join('/');
    if (!bucket || key === '') return next();

    const lockKey = `${bucket}/${key}`;
    const previous = locks.get(lockKey) ?? Promise.resolve();
    let release = () => {};
    const current = new Promise((resolve) => {
      release = resolve;
    });
    const chained = previous.then(() => current);
    locks.set(lockKey, chained);
    await previous;
    try {
      const etag = await currentEtag(server.store, bucket, key);
      if (ifNoneMatch !== '' && etag !== undefined && (ifNoneMatch === '*' || sameEtag(ifNoneMatch, etag))) {
        throw new S3Error(
          'PreconditionFailed',
          'At least one of the pre-conditions you specified did not hold',
          {
            Condition: 'If-None-Match',
          },
        );
      }
      if (ifMatch !== '') {
        if (etag === undefined)
          throw new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: key });
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
      await next();
    } finally {
      release();
      if (locks.get(lockKey) === chained) locks.delete(lockKey);
    }
  };
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
