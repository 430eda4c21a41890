/**
 * Which storage a command works on: `--storage URL`, else `$CHANNELCODER_STORAGE`, else the file storage.
 * Parsing only (nothing opened, no adapter loaded), so a command can choose how to reach the storage.
 */
import { defaultSessionsRoot } from '@channelcoder/storage-file/list';
import { parseStorageUrl, type StorageSpec, urlCredentials } from '../storage-url/parse.js';
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

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/**
 * Environment overrides that keep storage credentials away from the `claude` child: every variable of this
 * process whose value holds a secret of the storage URL in use (`--storage` or `CHANNELCODER_STORAGE`) is
 * removed (`CHANNELCODER_STORAGE` itself is always withheld by the runner).
 */
export function withheldStorageEnv(values: ParsedValues, io: CliIo): Record<string, undefined> {
  const url = stringOption(values, 'storage') ?? nonEmpty(io.env.CHANNELCODER_STORAGE);
  const secrets = url === undefined ? [] : urlCredentials(url);
  const withheld: Record<string, undefined> = {};
  if (secrets.length === 0) return withheld;
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && secrets.some((secret) => value.includes(secret))) withheld[key] = undefined;
  }
  return withheld;
}
