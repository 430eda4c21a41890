/** The storage `session()` uses when given none: one shared FileSessionStorage per process. */
import { FileSessionStorage } from '@channelcoder/storage-file';

let shared: FileSessionStorage | undefined;

/**
 * The process-wide default storage: `FileSessionStorage` at `$CHANNELCODER_HOME/sessions`, else
 * `~/.channelcoder/sessions`. Created on first use, so `CHANNELCODER_HOME` set before the first call counts.
 */
export function defaultFileStorage(): FileSessionStorage {
  shared ??= new FileSessionStorage();
  return shared;
}
