// The example in README.md, kept as a test so the README cannot drift from the code.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { claudeBinary, MockAnthropicServer, makeClaudeSandbox, offlineClaudeEnv } from '../src/index.js';

let mock: MockAnthropicServer;
const sandbox = makeClaudeSandbox();
beforeAll(async () => {
  mock = await MockAnthropicServer.start();
});
afterAll(async () => {
  await mock.close();
  sandbox.remove();
});

function claudeP(prompt: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(claudeBinary(), ['-p', '--output-format', 'json'], { env, cwd: sandbox.cwd });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('close', () => resolve(out));
    child.stdin.end(prompt);
  });
}

it('runs the real claude CLI offline against the mock', { timeout: 60_000 }, async () => {
  const env = offlineClaudeEnv({ baseUrl: mock.url, configDir: sandbox.configDir, home: sandbox.home });
  const result = JSON.parse(await claudeP('hello', env)) as { result: string; session_id: string };
  expect(result.result).toBe('turn 1: hello');
  expect(mock.lastMessageRequest()?.claudeSessionId).toBe(result.session_id);

  mock.failNext(1, { status: 529 });
  const failed = JSON.parse(await claudeP('again', env)) as { is_error: boolean; api_error_status: number };
  expect(failed).toMatchObject({ is_error: true, api_error_status: 529 });
});
