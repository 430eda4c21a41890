/**
 * Runs the built `channelcoder` executable as a user would: the real `claude` CLI against the in-repo mock
 * Anthropic API, with a temporary CLAUDE_CONFIG_DIR, HOME and CHANNELCODER_HOME.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ClaudeSandbox,
  claudeBinary,
  type MockAnthropicOptions,
  MockAnthropicServer,
  makeClaudeSandbox,
  offlineClaudeEnv,
} from '@channelcoder/testkit';

export const CLI_PATH = join(import.meta.dirname, '..', '..', 'dist', 'cli.cjs');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliWorld {
  mock: MockAnthropicServer;
  sandbox: ClaudeSandbox;
  env: NodeJS.ProcessEnv;
  /** `CHANNELCODER_HOME` of this world (the default file storage is `<home>/sessions`). */
  channelcoderHome: string;
  /** Runs `channelcoder ...args` in the sandbox's working directory. */
  cli(
    args: string[],
    options?: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
  ): Promise<CliResult>;
  close(): Promise<void>;
}

export async function startCliWorld(mockOptions: MockAnthropicOptions = {}): Promise<CliWorld> {
  if (!existsSync(CLI_PATH)) {
    throw new Error(`${CLI_PATH} is missing: build the package first (pnpm --filter channelcoder build).`);
  }
  const mock = await MockAnthropicServer.start(mockOptions);
  const sandbox = makeClaudeSandbox('cc-cli');
  const channelcoderHome = join(sandbox.root, 'channelcoder');
  const env: NodeJS.ProcessEnv = {
    ...offlineClaudeEnv({ baseUrl: mock.url, configDir: sandbox.configDir, home: sandbox.home }),
    CLAUDE_BIN: claudeBinary(),
    CHANNELCODER_HOME: channelcoderHome,
  };
  delete env.CHANNELCODER_STORAGE;
  delete env.FORCE_COLOR;
  return {
    mock,
    sandbox,
    env,
    channelcoderHome,
    cli: (args, options = {}) =>
      runCli(args, { ...env, ...options.env }, sandbox.cwd, options.input, options.timeoutMs),
    close: async () => {
      await mock.close();
      sandbox.remove();
    },
  };
}

export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  input?: string,
  /** The run is killed after this long (default 50 s, under the tests' 60 s). */
  timeoutMs = 50_000,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.stdin.end(input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
