/**
 * This storage as it was before it kept per-prefix and per-project markers (commit 79bf221, the last one
 * without them), bundled from that commit's `packages/storage-file/src` into a fixture, for child processes
 * that write a store the way an older version does while the current one lists it. The bundle imports
 * `@channelcoder/session-core` from the workspace, as an older adapter installed beside a newer core would.
 */
import { fileURLToPath } from 'node:url';

/** The last commit of this package without the markers (they keep only the list index's log). */
export const OLD_VERSION_COMMIT = '79bf221de87e6d026201339c82e46be4d98ce779';

/** The path of the older version's bundle. */
export function oldVersionModule(): string {
  return fileURLToPath(new URL('./fixtures/storage-file-79bf221.mjs', import.meta.url));
}
