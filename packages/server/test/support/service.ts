/**
 * A real `channelcoder serve` process for the tests: the built CLI, the real `claude` binary pointed at
 * testkit's mock Anthropic API, a private Claude sandbox, and a storage URL. Stopped by its PID.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type ClaudeSandbox,
  claudeBinary,
  type MockAnthropicOptions,
  MockAnthropicServer,
  makeClaudeSandbox,
  offlineClaudeEnv,
} from '@channelcoder/testkit';

const here = dirname(fileURLToPath(import.meta.url));
export const PACKAGE_DIR = resolve(here, '../..');
export const CLI = resolve(PACKAGE_DIR, '../channelcoder/dist/cli.cjs');

export interface Service {
  readonly url: string;
  readonly process: ChildProcess;
  /** What the process wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM, then wait for the exit (code). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Resolves with the exit code once the process has exited (sends nothing). */
  exited(): Promise<number | null>;
  fetch(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
}

export interface ServiceOptions {
  storageUrl: string;
  mockUrl: string;
  sandbox: ClaudeSandbox;
  args?: string[];
  env?: Record<string, string>;
  /** Sent as the bearer token by `fetch`. */
  token?: string;
}

/** Starts `channelcoder serve --port 0` and resolves once it listens. */
export async function startService(options: ServiceOptions): Promise<Service> {
  const env: NodeJS.ProcessEnv = {
    ...offlineClaudeEnv({
      baseUrl: options.mockUrl,
      configDir: options.sandbox.configDir,
      home: options.sandbox.home,
    }),
    CLAUDE_BIN: claudeBinary(),
    CHANNELCODER_ALLOWED_ROOTS: options.sandbox.root,
    ...options.env,
  };
  delete env.CHANNELCODER_STORAGE;
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--port', '0', '--storage', options.storageUrl, ...(options.args ?? [])],
    { cwd: PACKAGE_DIR, env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`serve did not start within 60 s:\n${stderr}`)), 60_000);
    child.stderr?.on('data', (text: string) => {
      stderr += text;
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        ok(match[1] as string);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`serve exited with ${code} before listening:\n${stderr}`));
    });
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    url,
    process: child,
    stderr: () => stderr,
    exited: () => exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    fetch(path, init = {}) {
      const headers = new Headers(init.headers);
      if (options.token !== undefined && !headers.has('authorization'))
        headers.set('authorization', `Bearer ${options.token}`);
      let body = init.body;
      if (init.json !== undefined) {
        headers.set('content-type', 'application/json');
        body = JSON.stringify(init.json);
      }
      return fetch(`${url}${path}`, { ...init, headers, body: body ?? null });
    },
  };
}

/** The mock API and a sandbox with a project directory under it. */
export async function startWorld(mockOptions: MockAnthropicOptions = {}) {
  const mock = await MockAnthropicServer.start(mockOptions);
  const sandbox = makeClaudeSandbox('cc-server');
  const project = join(sandbox.root, 'project');
  mkdirSync(project, { recursive: true });
  return {
    mock,
    sandbox,
    project,
    async close() {
      await mock.close();
      sandbox.remove();
    },
  };
}

/** Reads a Server-Sent Events response to its end: every event with its parsed data. */
export async function readEvents(response: Response): Promise<Array<{ event: string; data: unknown }>> {
  const text = await response.text();
  const events: Array<{ event: string; data: unknown }> = [];
  for (const block of text.split('\n\n')) {
    if (block.trim() === '') continue;
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    events.push({ event, data: JSON.parse(data.join('\n')) });
  }
  return events;
}

/** Takes the session's lease in another process; resolves once it holds it. */
export async function holdLeaseElsewhere(storageUrl: string, name: string, holder: string) {
  const child: ChildProcess = spawn(
    process.execPath,
    [join(PACKAGE_DIR, 'test', 'support', 'hold-lease.mjs'), storageUrl, name, holder],
    {
      cwd: PACKAGE_DIR,
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stderr?.on('data', (d) => (err += d));
  const expiresAt = await new Promise<string>((ok, fail) => {
    child.stdout?.on('data', (d) => {
      out += d;
      const match = /held (\S+)/.exec(out);
      if (match) ok(match[1] as string);
    });
    child.on('exit', (code) => fail(new Error(`the lease holder exited with ${code}: ${err}`)));
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    expiresAt,
    /** Closes its stdin: it releases the lease and exits. */
    async release() {
      child.stdin?.end();
      const code = await exited;
      if (code !== 0) throw new Error(`the lease holder exited with ${code}: ${err}`);
    },
  };
}
