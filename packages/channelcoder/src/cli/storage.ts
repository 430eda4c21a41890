/** The storage a command works on: `--storage URL`, else `$CHANNELCODER_STORAGE`, else the file storage. */
import { defaultSessionsRoot } from '@channelcoder/storage-file';
import { type OpenedStorage, openStorageUrl } from '../storage-url/open.js';
import { parseStorageUrl, type StorageSpec } from '../storage-url/parse.js';
import { type ParsedValues, stringOption } from './args.js';
import type { CliIo } from './io.js';

/** Parses the storage choice (usage errors surface before anything is opened or run). */
export function storageSpecOf(values: ParsedValues, io: CliIo): StorageSpec {
  const url = stringOption(values, 'storage') ?? nonEmpty(io.env.CHANNELCODER_STORAGE);
  if (url === undefined) return { kind: 'file', dir: defaultSessionsRoot(io.env) };
  const spec = parseStorageUrl(url, io.cwd);
  if (spec.kind === 'file' && spec.dir === undefined)
    return { kind: 'file', dir: defaultSessionsRoot(io.env) };
  return spec;
}

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

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
