/**
 * This storage as it was before it kept per-prefix and per-project markers (the commit below, the last
 * one without them), built from the repository's history into `.tmp/old-version/`, for child processes
 * that write a store the way an older version does while the current one lists it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The last commit of this package without the markers (they keep only the list index's log). */
export const OLD_VERSION_COMMIT = '79bf221de87e6d026201339c82e46be4d98ce779';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const repoDir = fileURLToPath(new URL('../../..', import.meta.url));

/** The path of the old version's bundle (built once); throws naming what is missing. */
export function oldVersionModule(): string {
  const out = join(packageDir, '.tmp', 'old-version', OLD_VERSION_COMMIT.slice(0, 12), 'index.mjs');
  if (existsSync(out)) return out;
  const scratch = mkdtempSync(join(tmpdir(), 'storage-file-old-'));
  try {
    let archive: Buffer;
    try {
      archive = execFileSync(
        'git',
        ['-C', repoDir, 'archive', OLD_VERSION_COMMIT, 'packages/storage-file/src'],
        {
          maxBuffer: 64 * 1024 * 1024,
        },
      );
    } catch (err) {
      throw new Error(
        `the older version (commit ${OLD_VERSION_COMMIT}) is not in this clone's history: fetch it (git fetch --unshallow)`,
        { cause: err },
      );
    }
    execFileSync('tar', ['-x', '-C', scratch], { input: archive });
    const requireFromTsup = createRequire(createRequire(import.meta.url).resolve('tsup'));
    const esbuild = requireFromTsup('esbuild') as {
      buildSync(options: Record<string, unknown>): unknown;
    };
    mkdirSync(join(out, '..'), { recursive: true });
    esbuild.buildSync({
      entryPoints: [join(scratch, 'packages/storage-file/src/index.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: ['@channelcoder/session-core', '@channelcoder/session-core/*'],
      outfile: out,
      logLevel: 'silent',
    });
    return out;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
