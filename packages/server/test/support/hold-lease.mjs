// Holds a session's lease from another process, as a CLI turn would: `node hold-lease.mjs <storage URL>
// <session> <holder>`. Prints `held <expiresAt ISO>` once it holds the lease, renews it, and releases it and
// exits when its stdin closes.
import { openStorageUrl } from 'channelcoder';

const [url, name, holder] = process.argv.slice(2);
const { storage, close } = await openStorageUrl(url);
const lease = await storage.lease(name, { holder, ttlMs: 30_000, waitMs: 0 });
const renewal = setInterval(() => lease.renew().catch(() => undefined), 10_000);
process.stdout.write(`held ${lease.expiresAt.toISOString()}\n`);
process.stdin.resume();
process.stdin.on('end', async () => {
  clearInterval(renewal);
  await lease.release();
  await close();
  process.exit(0);
});
