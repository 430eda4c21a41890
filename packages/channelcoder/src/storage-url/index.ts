export {
  type ModuleImporter,
  type OpenedStorage,
  type OpenStorageOptions,
  openStorageUrl,
  StorageAdapterNotInstalledError,
} from './open.js';
export {
  parseStorageUrl,
  redactUrl,
  type StorageSpec,
  StorageUrlError,
  urlCredentials,
} from './parse.js';
