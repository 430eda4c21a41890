/**
 * What a command loads. The executable carries its own copy of the session core and the file storage, so
 * the modules a command loads are the CLI's own files; their source maps say which sources they were built
 * from. The quick commands run from CommonJS files without setting up Node's ES module loader.
 * `--help` loads the dispatcher and the help texts; `session list` on the file storage loads the list
 * command, the argument parser, the storage URL parser, the file storage's listing and the session model —
 * nothing of `run`, `serve`, the templates, the help texts, `session()`, the Claude runner, transcript
 * adoption, or the file storage's writer, leases, transcripts, search index and trash.
 * Modules are recorded by a loader hook in the real process, so this checks the shipped executable's
 * structure, not its timing (the timing is in `pnpm bench` and the CI benchmark gate).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_PATH } from './support/cli-world.js';

const TRACE = join(import.meta.dirname, 'support', 'trace-modules.cjs');
const TRACE_BUILTINS = join(import.meta.dirname, 'support', 'trace-builtins.cjs');
const PACKAGES = resolve(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'cc-cli-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Loaded {
  /** Whether an ES module was loaded (or, on Node 20, Node's ES module loader set up); see trace-modules.cjs. */
  esm: boolean;
  /** `name` of the package.json nearest above each loaded file. */
  packages: Set<string>;
  /** The sources the loaded files were built from, as `<package folder>/src/...`. */
  sources: Set<string>;
}

function loadedBy(args: string[]): Loaded {
  const trace = join(dir, `trace-${args.join('-')}.txt`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CHANNELCODER_HOME: join(dir, 'home'),
    CHANNELCODER_TRACE_MODULES: trace,
  };
  delete env.CHANNELCODER_STORAGE;
  delete env.NODE_OPTIONS;
  const child = spawnSync(process.execPath, ['--require', TRACE, CLI_PATH, ...args], {
    env,
    encoding: 'utf8',
  });
  expect(child.stderr).toBe('');
  expect(child.status).toBe(0);
  const packages = new Set<string>();
  const sources = new Set<string>();
  const lines = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
  for (const line of lines) {
    if (line === 'esm-loader') continue;
    const url = line.replace(/^esm /, '');
    const file = fileURLToPath(url);
    packages.add(packageOf(file));
    const map = `${file}.map`;
    expect(existsSync(map), `${file} has a source map`).toBe(true);
    for (const source of (JSON.parse(readFileSync(map, 'utf8')) as { sources: string[] }).sources) {
      sources.add(relative(PACKAGES, resolve(join(file, '..'), source)));
    }
  }
  return { esm: lines.some((l) => l === 'esm-loader' || l.startsWith('esm ')), packages, sources };
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

/** Node's own modules (`NativeModule net`, …) a run of the CLI loads, with stdout and stderr pipes. */
function builtinsLoadedBy(args: string[]): { modules: string[]; stdout: string } {
  const trace = join(dir, `builtins-${args.join('-')}.txt`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CHANNELCODER_HOME: join(dir, 'home'),
    CHANNELCODER_TRACE_BUILTINS: trace,
  };
  delete env.CHANNELCODER_STORAGE;
  delete env.NODE_OPTIONS;
  const child = spawnSync(process.execPath, ['--require', TRACE_BUILTINS, CLI_PATH, ...args], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  expect(child.stderr).toBe('');
  expect(child.status).toBe(0);
  return { modules: readFileSync(trace, 'utf8').split('\n').filter(Boolean), stdout: child.stdout };
}

const within = (sources: Set<string>, folder: string) =>
  [...sources].filter((s) => s.startsWith(`${folder}/`)).sort();

describe('the CLI loads only what the command uses', () => {
  it('--help loads the dispatcher and the help texts, nothing else', () => {
    const { esm, packages, sources } = loadedBy(['--help']);
    expect(esm).toBe(false);
    expect([...packages]).toEqual(['channelcoder']);
    expect([...sources].filter((s) => !/\/builtin:node:/.test(s)).sort()).toEqual([
      'channelcoder/src/bin.ts',
      'channelcoder/src/cli/exit-status.ts',
      'channelcoder/src/cli/help.ts',
      'channelcoder/src/cli/io.ts',
      'channelcoder/src/cli/quick-dispatch.ts',
    ]);
  });

  it('session list loads no other package, and of the CLI only the list command and what it calls', () => {
    const { esm, packages, sources } = loadedBy(['session', 'list']);
    expect(esm).toBe(false);
    // The session core and the file storage are part of the executable: no package is resolved at start.
    expect([...packages]).toEqual(['channelcoder']);
    expect(within(sources, 'channelcoder/src')).toEqual([
      'channelcoder/src/bin.ts',
      'channelcoder/src/cli/args.ts',
      'channelcoder/src/cli/commands/session-list.ts',
      'channelcoder/src/cli/exit-status.ts',
      'channelcoder/src/cli/io.ts',
      'channelcoder/src/cli/output/format.ts',
      'channelcoder/src/cli/output/style.ts',
      'channelcoder/src/cli/quick-dispatch.ts',
      'channelcoder/src/cli/storage-spec.ts',
      'channelcoder/src/cli/usage-error.ts',
      'channelcoder/src/storage-url/parse.ts',
    ]);
    // The file storage's listing, not its writer, leases, transcripts, search index or trash.
    const file = within(sources, 'storage-file/src');
    expect(file).toContain('storage-file/src/list-sessions.ts');
    expect(file).toContain('storage-file/src/list-only.ts');
    expect(
      file.filter((s) =>
        /\/(FileSessionStorage|commit-save|session-lease|session-lock|transcript-files|search-index|trash-files)\.ts$/.test(
          s,
        ),
      ),
    ).toEqual([]);
    const core = within(sources, 'session-core/src');
    expect(core).toContain('session-core/src/errors.ts');
    expect(core).toContain('session-core/src/serialize.ts');
    // The session model and the storage kit, not the machinery that runs sessions.
    const machinery = core.filter(
      (s) =>
        s.startsWith('session-core/src/session/') ||
        (s.startsWith('session-core/src/runner/') && s !== 'session-core/src/runner/options-check.ts') ||
        s.startsWith('session-core/src/transcripts/adopt') ||
        s === 'session-core/src/transcripts/agent-session-store.ts' ||
        s === 'session-core/src/chain.ts' ||
        s === 'session-core/src/memory-storage.ts' ||
        s === 'session-core/src/safety/redact.ts',
    );
    expect(machinery).toEqual([]);
    // Besides sources, only the build's stand-ins for Node's built-in modules (see tsup.config.ts).
    expect(
      [...sources].filter(
        (s) => !/^(channelcoder|session-core|storage-file)\/src\//.test(s) && !/\/builtin:node:/.test(s),
      ),
    ).toEqual([]);
  });

  it('session list and --help print to a pipe without setting up Node streams, and list from one module', () => {
    for (const args of [['--help'], ['session', 'list']]) {
      const { modules, stdout } = builtinsLoadedBy(args);
      expect(stdout).not.toBe('');
      // process.stdout on a pipe is a socket (net, stream); the output went out by writeSync instead. A
      // built-in imported by the CLI's code is reached without Node's ESM wrapper, which would read
      // fs.ReadStream and so load the streams as well.
      expect(modules.filter((m) => /^NativeModule (net|stream|tty|internal\/fs\/streams)$/.test(m))).toEqual(
        [],
      );
    }
    // Beyond what --help loads, the list command is one module of the executable (its own build, see
    // tsup.config.ts), not a dozen shared chunks.
    const files = (args: string) =>
      readFileSync(join(dir, `trace-${args}.txt`), 'utf8')
        .split('\n')
        .map((line) => line.replace(/^esm /, ''))
        .filter((url) => url.startsWith('file:'))
        .map((url) => relative(join(CLI_PATH, '..'), fileURLToPath(url)));
    expect(files('--help')).toEqual(['cli.cjs', 'help.cjs']);
    expect(files('session-list')).toEqual(['cli.cjs', 'session-list.cjs']);
  });
});

describe('the executable and the ES module build', () => {
  const run = (cli: string, args: string[]) => {
    const env: NodeJS.ProcessEnv = { ...process.env, CHANNELCODER_HOME: join(dir, 'home'), NO_COLOR: '1' };
    delete env.CHANNELCODER_STORAGE;
    delete env.NODE_OPTIONS;
    const child = spawnSync(process.execPath, [cli, ...args], { env, encoding: 'utf8' });
    return { status: child.status, stdout: child.stdout, stderr: child.stderr };
  };
  const esmCli = join(CLI_PATH, '..', 'cli.js');

  it('other commands, and errors of the quick ones, go through the ES module build and say the same', () => {
    for (const args of [
      ['session', 'bogus'],
      ['session', 'list', '--bogus'],
      ['run', '--no-such-flag', 'hi'],
      ['help', 'serve'],
      ['--version'],
      ['session', 'list', '--limit', '3'],
    ]) {
      const shipped = run(CLI_PATH, args);
      expect(shipped, args.join(' ')).toEqual(run(esmCli, args));
      expect(shipped.stdout + shipped.stderr).not.toBe('');
    }
    const bogus = run(CLI_PATH, ['session', 'list', '--bogus']);
    expect(bogus.status).toBe(2);
    expect(bogus.stderr).toBe(
      'channelcoder: Unknown flag --bogus.\nRun `channelcoder session list --help` for usage.\n',
    );
  });

  it('the package runs the CommonJS executable', () => {
    const pkg = JSON.parse(readFileSync(join(CLI_PATH, '..', '..', 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    expect(resolve(join(CLI_PATH, '..', '..'), pkg.bin.channelcoder ?? '')).toBe(CLI_PATH);
    expect(readFileSync(CLI_PATH, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });
});
