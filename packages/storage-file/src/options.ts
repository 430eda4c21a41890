import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { InvalidArgumentError } from '@channelcoder/session-core/model';

export interface FileSessionStorageOptions {
  /**
   * The storage root. Default: `$CHANNELCODER_HOME/sessions` when that variable is set, else
   * `~/.channelcoder/sessions`. A relative path is resolved against the working directory at construction.
   */
  dir?: string;
  /**
   * fsync every write (default `true`): when `save` resolves, the session survives a power loss. With
   * `false`, writes are still atomic against a crashed or killed process (nothing torn), but the last saves
   * may be lost if the machine itself goes down. Meant for tests and throwaway sessions.
   */
  fsync?: boolean;
  /** How long a save or remove waits for another writer of the same session (default 10 000 ms). */
  lockTimeoutMs?: number;
  /**
   * A lock taken on another host (shared file system) and older than this is considered abandoned
   * (default 60 000 ms). Locks of this host are judged by whether their process is alive.
   */
  staleLockMs?: number;
}

export interface ResolvedOptions {
  root: string;
  fsync: boolean;
  lockTimeoutMs: number;
  staleLockMs: number;
}

/** The root used when none is given: `$CHANNELCODER_HOME/sessions`, else `~/.channelcoder/sessions`. */
export function defaultSessionsRoot(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.CHANNELCODER_HOME;
  return home !== undefined && home !== ''
    ? join(resolve(home), 'sessions')
    : join(homedir(), '.channelcoder', 'sessions');
}

export function resolveOptions(input: string | FileSessionStorageOptions | undefined): ResolvedOptions {
  const options: FileSessionStorageOptions = typeof input === 'string' ? { dir: input } : (input ?? {});
  if (options.dir !== undefined && (typeof options.dir !== 'string' || options.dir === '')) {
    throw new InvalidArgumentError('FileSessionStorage: dir must be a non-empty path');
  }
  return {
    root: options.dir === undefined ? defaultSessionsRoot() : resolve(options.dir),
    fsync: options.fsync ?? true,
    lockTimeoutMs: milliseconds(options.lockTimeoutMs, 'lockTimeoutMs', 10_000),
    staleLockMs: milliseconds(options.staleLockMs, 'staleLockMs', 60_000),
  };
}

function milliseconds(value: number | undefined, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(
      `FileSessionStorage: ${field} must be a non-negative number of milliseconds`,
    );
  }
  return value;
}
