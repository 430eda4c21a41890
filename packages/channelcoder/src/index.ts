/**
 * `channelcoder`: Claude Code sessions from TypeScript. The seed API (`session`, `claude`, `stream`, `run`,
 * `interactive`, `detached`, `FileSessionStorage`), prompt templates, and every core type and error.
 */
export * from '@channelcoder/session-core';
export {
  defaultSessionsRoot,
  FileSessionStorage,
  type FileSessionStorageOptions,
} from '@channelcoder/storage-file';
export { defaultFileStorage } from './default-storage.js';
export * from './portable/document.js';
export { session } from './session.js';
export * from './storage-url/index.js';
export * from './templates/index.js';
