export { FileSessionStorage } from './FileSessionStorage.js';
export { defaultSessionsRoot, type FileSessionStorageOptions } from './options.js';
