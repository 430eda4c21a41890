/**
 * `@channelcoder/storage-file/list`: the file storage's listing alone, for a process that only lists (the
 * CLI's `session list`). It loads none of the writer, the lease, the transcript codec, the search index or
 * the trash; `listFileSessions(dir, options)` lists what `new FileSessionStorage(dir).list(options)` lists.
 */
export { listFileSessions } from './list-only.js';
export { defaultSessionsRoot, type FileSessionStorageOptions } from './options.js';
