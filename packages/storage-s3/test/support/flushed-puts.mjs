// TEST HARNESS FIX for s3rver 3.7.1: its filesystem store answers a PUT once the body went through its MD5
// transform, before the file is flushed, and writes the file in place. A GET right after a successful PUT can
// then read a truncated object, which real S3 (strong read-after-write consistency, atomic replacement) never
// returns. This store method writes to a temporary file, waits until it is flushed, then renames it over the
// object. It changes nothing else (conditional headers stay ignored unless conditional-writes.mjs is added).
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export function flushPutsBeforeAnswering(store) {
  store.putObject = async function putObject(object) {
    const objectPath = store.getResourcePath(object.bucket, object.key, 'object');
    await mkdir(dirname(objectPath), { recursive: true });
    const temporary = `${objectPath}.${randomUUID()}.tmp`;
    const md5 = createHash('md5');
    let size = 0;
    const source = Buffer.isBuffer(object.content) ? [object.content] : object.content;
    await pipeline(
      source,
      new Transform({
        transform(chunk, _encoding, callback) {
          md5.update(chunk);
          size += chunk.length;
          callback(null, chunk);
        },
      }),
      createWriteStream(temporary),
    );
    const digest = md5.digest('hex');
    await rename(temporary, objectPath);
    await store.putMetadata(object.bucket, object.key, object.metadata, digest);
    return { size, md5: digest };
  };
}
