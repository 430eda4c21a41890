/**
 * One check per fenced code block of a README, for any test runner (see README "README code blocks").
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { claudeBinary, offlineClaudeEnv } from '../claude-env.js';
import { MockAnthropicServer } from '../mock-anthropic/server.js';
import { makeClaudeSandbox } from '../temp-dir.js';
import { type ReadmeBlock, readmeBlocks } from './blocks.js';
import { CODE_LANGS, type CompiledBlock, compileBlocks, linkWorkspace, runProcess } from './code.js';
import { classifyCommand, SHELL_LANGS, shellCommands } from './shell.js';
import { findWorkspace } from './workspace.js';

/** Languages of shown output: nothing to run, nothing to compare (the README says what produced it). */
export const OUTPUT_LANGS = new Set(['text', 'txt', 'output']);
/** Data blocks that must parse (a JSON fragment `"key": value` is parsed inside braces). */
const JSON_LANGS = new Set(['json', 'jsonc']);

export interface ReadmeCheckOptions {
  /** Code put before a TypeScript/JavaScript block (imports and values it uses but does not declare). */
  prelude?: (block: ReadmeBlock) => string | undefined;
  /** Extra environment for runs (blocks and `channelcoder` commands), e.g. a test server's URL. */
  env?: Record<string, string>;
  /** Rewrites a `channelcoder` command line before it runs (only to point a shown address at a test server). */
  rewriteCommand?: (argv: string[]) => string[];
  /** Files copied into the working directory of every run: name there → path of the source. */
  files?: Record<string, string | URL>;
  /** Per-run time limit (default 180 s: a busy machine slows the CLI down). */
  timeoutMs?: number;
}

export interface ReadmeBlockCheck {
  block: ReadmeBlock;
  /** `README.md:12 ts`, plus what is done with it. */
  title: string;
  /** Why the block is not run (its `not run` marker), when it is skipped. */
  skip?: string;
  run(): Promise<void>;
}

export interface ReadmeCheck {
  file: string;
  blocks: ReadmeBlockCheck[];
  /** Stops the mock API and removes the temporary projects. */
  close(): Promise<void>;
}

/** Builds the checks of every fenced block of the Markdown file at `url`. */
export function readmeCheck(url: URL | string, options: ReadmeCheckOptions = {}): ReadmeCheck {
  const file = resolve(typeof url === 'string' ? url : fileURLToPath(url));
  const workspace = findWorkspace(dirname(file));
  const label = relative(workspace.root, file);
  const blocks = readmeBlocks(readFileSync(file, 'utf8'));
  const timeoutMs = options.timeoutMs ?? 180_000;
  const cleanups: (() => Promise<void> | void)[] = [];

  let mock: Promise<MockAnthropicServer> | undefined;
  const startMock = () => {
    mock ??= MockAnthropicServer.start().then((m) => {
      cleanups.push(() => m.close());
      return m;
    });
    return mock;
  };
  /** A fresh sandbox (cwd, HOME, CLAUDE_CONFIG_DIR, CHANNELCODER_HOME) and the environment to run in it. */
  const world = async () => {
    const m = await startMock();
    const sandbox = makeClaudeSandbox('cc-readme');
    cleanups.push(() => sandbox.remove());
    for (const [name, source] of Object.entries(options.files ?? {}))
      copyFileSync(source, join(sandbox.cwd, name));
    const env = {
      ...offlineClaudeEnv({ baseUrl: m.url, configDir: sandbox.configDir, home: sandbox.home }),
      CLAUDE_BIN: claudeBinary(),
      CHANNELCODER_HOME: join(sandbox.root, 'channelcoder'),
      ...options.env,
    };
    return { cwd: sandbox.cwd, env };
  };

  const codeBlocks = blocks.filter((b) => CODE_LANGS[b.lang] && b.notRun === undefined && !b.example);
  let compiled: Promise<{ dir: string; results: Map<ReadmeBlock, CompiledBlock> }> | undefined;
  const compile = () => {
    compiled ??= Promise.resolve().then(() => {
      const dir = mkdtempSync(join(tmpdir(), 'cc-readme-code-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      linkWorkspace(workspace, dir);
      const sources = codeBlocks.map((block) => ({
        block,
        file: `line-${block.line}.${CODE_LANGS[block.lang] === 'ts' ? 'ts' : 'mjs'}`,
        prelude: options.prelude?.(block) ?? '',
      }));
      return { dir, results: compileBlocks(workspace, dir, sources) };
    });
    return compiled;
  };

  const checks = blocks.map((block): ReadmeBlockCheck => {
    const at = `${label}:${block.line}${block.lang ? ` ${block.lang}` : ''}`;
    if (block.notRun !== undefined) {
      const reason = block.notRun;
      return {
        block,
        title: `${at} (not run: ${reason || 'no reason given'})`,
        skip: reason || undefined,
        run: async () => {
          if (!reason) throw new Error(`${at}: a "not run" marker needs its reason: <!-- not run: why -->`);
        },
      };
    }
    if (block.example) {
      const example = block.example;
      return {
        block,
        title: `${at} is ${example}, which a test runs`,
        run: async () => checkExample(block, join(dirname(file), example), workspace.root, at),
      };
    }
    if (CODE_LANGS[block.lang]) {
      return {
        block,
        title: `${at} compiles (tsc --strict) and runs`,
        run: async () => {
          const { results } = await compile();
          const result = results.get(block);
          if (!result) throw new Error(`${at}: not compiled`);
          if (result.errors.length)
            throw new Error(`${at} does not compile:\n${result.errors.join('\n')}\n\n${block.code}`);
          const { cwd, env } = await world();
          const r = await runProcess(process.execPath, [result.output], { cwd, env, timeoutMs });
          if (r.code !== 0)
            throw new Error(
              `${at} exited with ${r.code ?? r.signal}:\n${r.stderr || r.stdout}\n\n(block)\n${block.code}`,
            );
        },
      };
    }
    if (SHELL_LANGS.has(block.lang)) {
      const commands = shellCommands(block.code).map((argv) => classifyCommand(argv, workspace));
      const runs = commands.some((c) => c.kind === 'run');
      return {
        block,
        title: `${at} ${runs ? 'runs' : 'names'} what exists`,
        run: async () => {
          const unknown = commands.filter((c) => c.kind === 'unknown').map((c) => c.text);
          if (unknown.length)
            throw new Error(
              `${at}: cannot run or check ${unknown.map((u) => `\`${u}\``).join(', ')}; ` +
                'make the command checkable or mark the block with <!-- not run: <reason> -->',
            );
          const problems = commands.flatMap((c) => (c.kind === 'checked' && c.problem ? [c.problem] : []));
          if (problems.length) throw new Error(`${at}: ${problems.join('; ')}`);
          if (!runs) return;
          const { cwd, env } = await world();
          const cli = join(workspace.root, 'packages', 'channelcoder', 'dist', 'cli.cjs');
          for (const c of commands) {
            if (c.kind !== 'run') continue;
            const argv = options.rewriteCommand?.(c.argv) ?? c.argv;
            const r = await runProcess(process.execPath, [cli, ...argv], { cwd, env, timeoutMs });
            if (r.code !== 0)
              throw new Error(
                `${at}: \`${c.text}\` exited with ${r.code ?? r.signal}:\n${r.stderr || r.stdout}`,
              );
          }
        },
      };
    }
    if (OUTPUT_LANGS.has(block.lang)) {
      return { block, title: `${at} is shown output (nothing to run)`, run: async () => {} };
    }
    if (JSON_LANGS.has(block.lang)) {
      return {
        block,
        title: `${at} parses`,
        run: async () => {
          try {
            JSON.parse(block.code);
          } catch {
            try {
              JSON.parse(`{${block.code}}`);
            } catch (err) {
              throw new Error(`${at} is not JSON (nor a JSON member): ${(err as Error).message}`);
            }
          }
        },
      };
    }
    return {
      block,
      title: `${at} has no check`,
      run: async () => {
        throw new Error(
          `${at}: a \`${block.lang || 'plain'}\` block can neither run nor be checked; point it at the file ` +
            'it shows with <!-- example: path --> or mark it with <!-- not run: <reason> -->',
        );
      },
    };
  });

  return {
    file,
    blocks: checks,
    close: async () => {
      for (const clean of cleanups.splice(0).reverse()) await clean();
    },
  };
}

/** Non-blank lines; code is compared without indentation, other files (YAML, Markdown) with it. */
const significantLines = (text: string, keepIndent: boolean) =>
  text
    .split('\n')
    .map((l) => (keepIndent ? l.trimEnd() : l.trim()))
    .filter((l) => l.length > 0);

/**
 * The block is the example file, or a run of its lines (compared without indentation: a README shows
 * excerpts at their own depth), and a test of the file's package names the file.
 */
function checkExample(block: ReadmeBlock, path: string, root: string, at: string): void {
  if (!existsSync(path)) throw new Error(`${at}: ${relative(root, path)} does not exist`);
  const keepIndent = !/\.(ts|mts|js|mjs)$/.test(path);
  const file = significantLines(readFileSync(path, 'utf8'), keepIndent);
  const shown = significantLines(block.code, keepIndent);
  const found =
    shown.length > 0 && file.some((_, start) => shown.every((line, k) => file[start + k] === line));
  if (!found)
    throw new Error(
      `${at}: the block is not ${relative(root, path)} (nor a run of its lines):\n${block.code}`,
    );
  const pkgDir = packageDirOf(path);
  const stem = relative(pkgDir, path).replace(/\.[^./]+$/, '');
  const tests = testFiles(join(pkgDir, 'test'));
  if (!tests.some((t) => readFileSync(t, 'utf8').includes(stem)))
    throw new Error(`${at}: no test under ${relative(root, join(pkgDir, 'test'))} names ${stem}`);
}

function packageDirOf(path: string): string {
  let dir = dirname(path);
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

function testFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return testFiles(path);
    return /\.(ts|mts|js|mjs)$/.test(name) ? [path] : [];
  });
}

export interface ReadmeTestRunner {
  describe(name: string, fn: () => void): void;
  it: ((name: string, fn: () => Promise<void>, timeout?: number) => void) & {
    skip(name: string, fn: () => Promise<void>): void;
  };
  afterAll(fn: () => Promise<void>): void;
}

/**
 * Registers one test per fenced block of the Markdown file at `url` with the runner's functions
 * (vitest: `describeReadme({ describe, it, afterAll }, new URL('../README.md', import.meta.url))`).
 */
export function describeReadme(
  runner: ReadmeTestRunner,
  url: URL | string,
  options: ReadmeCheckOptions = {},
) {
  const check = readmeCheck(url, options);
  runner.describe(`${relative(findWorkspace(dirname(check.file)).root, check.file)} code blocks`, () => {
    runner.afterAll(() => check.close());
    for (const b of check.blocks) {
      if (b.skip !== undefined) runner.it.skip(b.title, b.run);
      else runner.it(b.title, b.run, (options.timeoutMs ?? 180_000) * 2);
    }
  });
  return check;
}

/**
 * A prelude from named declarations: each one (an import or a value) goes before the blocks that use its
 * name without declaring or importing it themselves.
 */
export function preludeOf(declarations: Record<string, string>): (block: ReadmeBlock) => string {
  return (block) =>
    Object.entries(declarations)
      .filter(([name]) => {
        const word = new RegExp(`(^|[^\\w$.])${name}\\b`);
        const declared = new RegExp(
          `\\b(const|let|var|function|class)\\s+${name}\\b|import\\s[^;]*\\b${name}\\b[^;]*from`,
        );
        return word.test(block.code) && !declared.test(block.code);
      })
      .map(([, declaration]) => `${declaration}\n`)
      .join('');
}
