import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A temporary directory and its removal. */
export interface TempDir {
  readonly path: string;
  /** Removes the directory and everything in it (idempotent). */
  remove(): void;
}

/** Creates a fresh directory under the OS temp dir, named `<prefix>-XXXXXX`. */
export function makeTempDir(prefix = 'channelcoder-test'): TempDir {
  const path = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Fresh `CLAUDE_CONFIG_DIR`, `HOME` and working directory for one offline CLI run, under one root. */
export interface ClaudeSandbox {
  readonly root: string;
  readonly configDir: string;
  readonly home: string;
  readonly cwd: string;
  remove(): void;
}

/** Creates a {@link ClaudeSandbox}: `<root>/config`, `<root>/home`, `<root>/work`. */
export function makeClaudeSandbox(prefix = 'channelcoder-claude'): ClaudeSandbox {
  const dir = makeTempDir(prefix);
  const sandbox = {
    root: dir.path,
    configDir: join(dir.path, 'config'),
    home: join(dir.path, 'home'),
    cwd: join(dir.path, 'work'),
    remove: dir.remove,
  };
  for (const path of [sandbox.configDir, sandbox.home, sandbox.cwd]) mkdirSync(path, { recursive: true });
  return sandbox;
}
