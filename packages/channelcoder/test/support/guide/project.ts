/**
 * A user's project outside the workspace: the packed `channelcoder` packages installed with pnpm into an
 * ESM project (`"type": "module"`, TypeScript 5.9 strict), a git repository, `claude` (the real CLI) and
 * a recording `docker` on PATH, HOME and CLAUDE_CONFIG_DIR of its own, and the Anthropic API answered by
 * the in-repo mock. Packs once and installs once per test file.
 */
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claudeBinary, makeRecordingDocker, offlineClaudeEnv } from '@channelcoder/testkit';
import { openTerminal, type Terminal } from '../tmux.js';
import { DATABASE_FIXTURE } from './fixtures.js';
import { StoredSessions } from './stored-sessions.js';

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The packages a guide user installs (`channelcoder` and what it depends on from this workspace). */
const PACKED = ['session-core', 'storage-file', 'channelcoder'];

export class GuideProject {
  /** The project folder (a git repository; worktrees land beside it, inside `root`). */
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly configDir: string;
  readonly dockerLog: string;
  /** What the programs stored, read with the project's installed `channelcoder` (set up by `create`). */
  sessions!: StoredSessions;
  private readonly home: string;

  private constructor(
    readonly root: string,
    mockUrl: string,
  ) {
    this.dir = join(root, 'app');
    const home = join(root, 'home');
    this.home = home;
    this.configDir = join(root, 'claude-config');
    const bin = join(root, 'bin');
    for (const d of [this.dir, home, this.configDir, bin]) mkdirSync(d, { recursive: true });
    symlinkSync(claudeBinary(), join(bin, 'claude'));
    this.dockerLog = join(root, 'docker-calls.jsonl');
    makeRecordingDocker(root, claudeBinary()); // writes <root>/bin/docker, logging to <root>/docker-calls.jsonl
    const env = offlineClaudeEnv({ baseUrl: mockUrl, configDir: this.configDir, home });
    for (const name of [
      'CLAUDE_BIN',
      'CHANNELCODER_HOME',
      'CHANNELCODER_STORAGE',
      'FORCE_COLOR',
      'NODE_OPTIONS',
    ]) {
      delete env[name];
    }
    for (const name of Object.keys(env))
      if (name.startsWith('VITEST') || name.startsWith('npm_')) delete env[name];
    env.PATH = `${bin}:${join(this.dir, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`;
    this.env = env;
  }

  /** Packs the workspace packages, installs them in a fresh project and makes it a git repository. */
  static async create(
    workspaceRoot: string,
    mockUrl: string,
    env: Record<string, string> = {},
  ): Promise<GuideProject> {
    const project = new GuideProject(mkdtempSync(join(tmpdir(), 'cc-guide-')), mockUrl);
    Object.assign(project.env, env);
    const packs = join(project.root, 'packs');
    const tarballs: Record<string, string> = {};
    for (const folder of PACKED) {
      const dir = join(workspaceRoot, 'packages', folder);
      const name = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string }).name;
      const out = await project.exec('pnpm', ['pack', '--pack-destination', packs], {
        cwd: dir,
        env: process.env,
      });
      const tarball = out.stdout
        .trim()
        .split('\n')
        .filter((l) => l.endsWith('.tgz'))
        .at(-1);
      if (out.code !== 0 || tarball === undefined)
        throw new Error(`pnpm pack ${folder} failed:\n${out.stderr}`);
      tarballs[name] = `file:${tarball.startsWith('/') ? tarball : join(packs, tarball)}`;
    }
    const manifest = {
      name: 'guide-user',
      private: true,
      type: 'module',
      dependencies: { channelcoder: tarballs.channelcoder },
      devDependencies: {
        typescript: '5.9.3',
        '@types/node': '^20.19.0',
        // The clients the guide's Redis and S3 storage examples talk to.
        ioredis: '6.0.0',
        '@aws-sdk/client-s3': '3.1169.0',
      },
      pnpm: {
        overrides: {
          '@channelcoder/session-core': tarballs['@channelcoder/session-core'],
          '@channelcoder/storage-file': tarballs['@channelcoder/storage-file'],
        },
      },
    };
    writeFileSync(join(project.dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    writeFileSync(join(project.dir, '.gitignore'), 'node_modules\nout\n');
    const install = await project.exec(
      'pnpm',
      ['install', '--prefer-offline', '--config.confirmModulesPurge=false'],
      {
        cwd: project.dir,
        env: { ...process.env, CI: '1' },
      },
    );
    if (install.code !== 0)
      throw new Error(`pnpm install in ${project.dir} failed:\n${install.stdout}${install.stderr}`);
    mkdirSync(join(project.dir, 'fixtures'));
    writeFileSync(join(project.dir, 'fixtures', 'database.ts'), DATABASE_FIXTURE);
    for (const args of [
      ['init', '-q', '-b', 'main'],
      ['config', 'user.email', 'guide@example.invalid'],
      ['config', 'user.name', 'Guide User'],
      ['add', '-A'],
      ['commit', '-qm', 'start'],
    ]) {
      const git = await project.exec('git', args);
      if (git.code !== 0) throw new Error(`git ${args.join(' ')} failed: ${git.stderr}`);
    }
    project.sessions = await StoredSessions.open(project.dir, project.home);
    return project;
  }

  /** Runs a command in the project (async: the mock answers from this process). */
  exec(
    command: string,
    args: string[],
    options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
  ): Promise<ProcessResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, {
        cwd: options.cwd ?? this.dir,
        env: options.env ?? this.env,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => {
        stdout += d;
      });
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
      // A child may exit without reading its input; that is its answer, not an error of the test.
      child.stdin.on('error', () => {});
      child.stdin.end(options.input ?? '');
    });
  }

  /** Runs a shell command line as typed; with `terminal`, under a pseudo-terminal fed `input`. */
  shell(line: string, options: { terminal?: boolean; input?: string } = {}): Promise<ProcessResult> {
    if (options.terminal === true) {
      return this.exec('script', ['-qefc', line, '/dev/null'], { input: options.input ?? '' });
    }
    return this.exec('bash', ['-c', line]);
  }

  /**
   * Runs a command line in a real terminal (tmux), as past Claude Code's first-run screens as a returning
   * user is; `drive` types into it. Resolves with the last screen and the exit code the line printed.
   */
  async terminal(line: string, drive: (t: Terminal) => Promise<void>): Promise<ProcessResult> {
    const file = join(this.configDir, '.claude.json');
    const config = existsSync(file)
      ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)
      : {};
    const projects = (config.projects ?? {}) as Record<string, Record<string, unknown>>;
    const key = this.env.ANTHROPIC_API_KEY ?? '';
    writeFileSync(
      file,
      JSON.stringify({
        ...config,
        hasCompletedOnboarding: true,
        customApiKeyResponses: { approved: [key.slice(-20)], rejected: [] },
        projects: { ...projects, [this.dir]: { ...projects[this.dir], hasTrustDialogAccepted: true } },
      }),
    );
    const t = await openTerminal(this.dir, line, this.env);
    try {
      await drive(t);
      const done = await t.waitFor(/\[exit \d+\]/, 60_000);
      return { code: Number(/\[exit (\d+)\]/.exec(done)?.[1]), stdout: done, stderr: '' };
    } catch (err) {
      return { code: null, stdout: await t.screen(), stderr: (err as Error).message };
    } finally {
      await t.close();
    }
  }

  /**
   * Compiles the given TypeScript files (paths relative to the project) with the project's own `tsc`
   * (strict, NodeNext, ES2022) into `out/`, and returns each file's diagnostics.
   */
  async compile(files: string[]): Promise<Map<string, string[]>> {
    const tsconfig = {
      compilerOptions: {
        strict: true,
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        types: ['node'],
        skipLibCheck: true,
        outDir: 'out',
        rootDir: '.',
        noEmitOnError: false,
      },
      files,
    };
    writeFileSync(join(this.dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    const tsc = await this.exec(join(this.dir, 'node_modules', '.bin', 'tsc'), [
      '-p',
      'tsconfig.json',
      '--pretty',
      'false',
    ]);
    const errors = new Map<string, string[]>(files.map((f) => [f, []]));
    let last: string[] | undefined;
    for (const line of tsc.stdout.split('\n')) {
      const m = /^(.+?)\((\d+),\d+\): error (TS\d+: .*)$/.exec(line);
      if (m) {
        last = errors.get(m[1] ?? '');
        last?.push(`line ${m[2]}: ${m[3]}`);
      } else if (line.startsWith(' ') && last !== undefined && last.length > 0) {
        last[last.length - 1] += `\n${line}`;
      }
    }
    return errors;
  }

  /** The `docker` calls recorded so far. */
  dockerCalls(): Array<{ argv: string[] }> {
    try {
      return readFileSync(this.dockerLog, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { argv: string[] });
    } catch {
      return [];
    }
  }

  /** Deletes the project (kept, and its path printed, when GUIDE_KEEP is set: for a look after a failure). */
  remove(): void {
    if (process.env.GUIDE_KEEP) {
      console.log(`guide project kept at ${this.root}`);
      return;
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}
