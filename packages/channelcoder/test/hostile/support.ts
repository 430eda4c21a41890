/** A scratch world for hostile-input tests: a capture binary as `claude`, an evil binary, a canary folder. */
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  type CaptureBinary,
  type EvilBinary,
  makeCaptureBinary,
  makeEvilBinary,
} from '@channelcoder/testkit';
import { type CliResult, runCli } from '../support/cli-world.js';

export interface HostileWorld {
  dir: string;
  /** The working directory commands run in. */
  cwd: string;
  capture: CaptureBinary;
  evil: EvilBinary;
  /** A folder outside every root, with files an attack would overwrite; see `canaryDigest`. */
  canary: string;
  env: NodeJS.ProcessEnv;
  cli(args: string[], options?: { env?: NodeJS.ProcessEnv; input?: string }): Promise<CliResult>;
  remove(): void;
}

export function makeHostileWorld(prefix = 'cc-hostile-'): HostileWorld {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  const cwd = join(dir, 'cwd');
  const canary = join(dir, 'canary');
  mkdirSync(cwd);
  mkdirSync(join(canary, 'nested'), { recursive: true });
  writeFileSync(join(canary, 'secret.txt'), 'canary: do not touch\n');
  writeFileSync(join(canary, 'nested', 'data.jsonl'), '{"keep":true}\n');
  const capture = makeCaptureBinary(dir);
  const evil = makeEvilBinary(dir);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '',
    HOME: join(dir, 'home'),
    CHANNELCODER_HOME: join(dir, 'channelcoder'),
    CLAUDE_BIN: capture.path,
    TMPDIR: join(dir, 'tmp'),
  };
  mkdirSync(join(dir, 'tmp'));
  return {
    dir,
    cwd,
    capture,
    evil,
    canary,
    env,
    cli: (args, options = {}) => runCli(args, { ...env, ...options.env }, cwd, options.input),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Every file under `dir` with its content hash (and every folder), to compare before and after. */
export function canaryDigest(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      const key = relative(dir, path);
      if (entry.isDirectory()) {
        out[`${key}/`] = 'dir';
        walk(path);
      } else out[key] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  };
  walk(dir);
  return out;
}
