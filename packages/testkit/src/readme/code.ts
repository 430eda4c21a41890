/**
 * TypeScript and JavaScript README blocks: compiled together with `tsc --strict` against the built
 * workspace packages (a throwaway project whose node_modules link to them), then each run with Node.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ReadmeBlock } from './blocks.js';
import { installedPackageDir, type Workspace } from './workspace.js';

export const CODE_LANGS: Record<string, 'ts' | 'js'> = {
  ts: 'ts',
  typescript: 'ts',
  js: 'js',
  javascript: 'js',
  mjs: 'js',
};

export interface CompiledBlock {
  /** Diagnostics of this block, mapped to README lines; empty when it compiled. */
  errors: string[];
  /** The emitted JavaScript file. */
  output: string;
}

/** Links every workspace package and every dependency they declare into `<dir>/node_modules`. */
export function linkWorkspace(workspace: Workspace, dir: string): void {
  const linked = new Set<string>();
  const link = (name: string, target: string) => {
    if (linked.has(name)) return;
    linked.add(name);
    const path = join(dir, 'node_modules', name);
    mkdirSync(join(path, '..'), { recursive: true });
    symlinkSync(target, path, 'dir');
  };
  for (const pkg of workspace.packages) link(pkg.name, pkg.dir);
  for (const pkg of workspace.packages)
    for (const dep of pkg.dependencies) {
      const found = installedPackageDir(dep, pkg.dir);
      if (found) link(dep, found);
    }
  const types = installedPackageDir('@types/node', workspace.root);
  if (types) link('@types/node', types);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
}

/**
 * Compiles the blocks (each with its prelude) as ES modules in one program: strict, NodeNext, Node types.
 * `sources` are written to `dir`; the JavaScript goes to `dir/out`.
 */
export function compileBlocks(
  workspace: Workspace,
  dir: string,
  sources: { block: ReadmeBlock; file: string; prelude: string }[],
): Map<ReadmeBlock, CompiledBlock> {
  const require = createRequire(join(workspace.root, 'package.json'));
  const ts = require('typescript') as typeof import('typescript');
  for (const s of sources) writeFileSync(join(dir, s.file), `${s.prelude}${s.block.code}\n`);
  const options: import('typescript').CompilerOptions = {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: ['node'],
    typeRoots: [join(dir, 'node_modules', '@types')],
    skipLibCheck: true,
    allowJs: true,
    checkJs: true,
    outDir: join(dir, 'out'),
    rootDir: dir,
    noEmitOnError: false,
  };
  const program = ts.createProgram(
    sources.map((s) => join(dir, s.file)),
    options,
  );
  program.emit();
  const diagnostics = ts.getPreEmitDiagnostics(program);
  const result = new Map<ReadmeBlock, CompiledBlock>();
  for (const s of sources) {
    const path = join(dir, s.file);
    const preludeLines = s.prelude.split('\n').length - 1;
    const errors = diagnostics
      .filter((d) => d.file?.fileName === path)
      .map((d) => {
        const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
        const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
        const line = at - preludeLines;
        return line >= 0 ? `README line ${s.block.line + 1 + line}: ${text}` : `(prelude): ${text}`;
      });
    const output = join(dir, 'out', s.file.replace(/\.ts$/, '.js'));
    result.set(s.block, { errors, output });
  }
  return result;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `command args` and collects its output; kills it after `timeoutMs`. */
export function runProcess(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
