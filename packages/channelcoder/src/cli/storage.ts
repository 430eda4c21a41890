/** The storage a command works on (see ./storage-spec.ts), opened for the command and closed after it. */
import { type OpenedStorage, openStorageUrl } from '../storage-url/open.js';
import type { StorageSpec } from '../storage-url/parse.js';

export { storageSpecOf, withheldStorageEnv } from './storage-spec.js';

/** Opens the storage, runs `use`, and always closes what was opened. */
export async function withStorage<T>(
  spec: StorageSpec,
  use: (opened: OpenedStorage) => Promise<T>,
): Promise<T> {
  const opened = await openStorageUrl(spec);
  try {
    return await use(opened);
  } finally {
    await opened.close();
  }
}
