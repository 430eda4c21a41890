export { FileSessionStorage } from './FileSessionStorage.js';
export { listFileSessions } from './list-only.js';
export { defaultSessionsRoot, type FileSessionStorageOptions } from './options.js';
