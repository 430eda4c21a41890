/**
 * What a command loads: `--help` nothing but the CLI's own help texts, `session list` on the file storage
 * only the session core and the file storage (no storage adapter, backend client, server or template
 * parser). Modules are recorded by a loader hook in the real process, so this checks the shipped
 * executable's structure, not its timing (the timing is in `pnpm bench`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_PATH } from './support/cli-world.js';

const TRACE = join(import.meta.dirname, 'support', 'trace-modules.mjs');
const dir = mkdtempSync(join(tmpdir(), 'cc-cli-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The packages whose modules `channelcoder ...args` loaded, by package name. */
function packagesLoaded(args: string[]): Set<string> {
  const trace = join(dir, `trace-${args.join('-')}.txt`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CHANNELCODER_HOME: join(dir, 'home'),
    CHANNELCODER_TRACE_MODULES: trace,
  };
  delete env.CHANNELCODER_STORAGE;
  delete env.NODE_OPTIONS;
  const child = spawnSync(process.execPath, ['--import', TRACE, CLI_PATH, ...args], {
    env,
    encoding: 'utf8',
  });
  expect(child.stderr).toBe('');
  expect(child.status).toBe(0);
  const names = new Set<string>();
  for (const url of readFileSync(trace, 'utf8').split('\n').filter(Boolean)) {
    if (url === new URL(`file://${TRACE}`).href) continue;
    names.add(packageOf(fileURLToPath(url)));
  }
  return names;
}

/** `name` of the package.json nearest above a file. */
function packageOf(file: string): string {
  let folder = join(file, '..');
  for (;;) {
    try {
      return (JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { name: string }).name;
    } catch {
      const parent = join(folder, '..');
      if (parent === folder) return file;
      folder = parent;
    }
  }
}

describe('the CLI loads only what the command uses', () => {
  it('--help loads the CLI alone', () => {
    expect([...packagesLoaded(['--help'])]).toEqual(['channelcoder']);
  });

  it('session list on the file storage loads the session core and the file storage, nothing else', () => {
    expect([...packagesLoaded(['session', 'list'])].sort()).toEqual([
      '@channelcoder/session-core',
      '@channelcoder/storage-file',
      'channelcoder',
    ]);
  });
});
