#!/usr/bin/env node
// The CLI in three commands: start a named session, continue it, list sessions.
//
// With ANTHROPIC_API_KEY (or a logged-in `claude`) and CHANNELCODER_DEMO_MOCK unset, it talks to the real
// Anthropic API through the real `claude` CLI. Otherwise it starts the in-repo mock Anthropic API
// (@channelcoder/testkit) and runs the real `claude` CLI against that, offline, and says so.
// Sessions go to $CHANNELCODER_HOME/sessions (default: a new temporary directory, printed below and kept).
// Every folder it creates is printed; the mock run's Claude Code folder (config, home) is removed at the end.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.cjs');
const env = { ...process.env };
const createdHome = env.CHANNELCODER_HOME === undefined;
env.CHANNELCODER_HOME ??= mkdtempSync(join(tmpdir(), 'channelcoder-demo-'));
const useMock =
  env.CHANNELCODER_DEMO_MOCK === '1' || (!env.ANTHROPIC_API_KEY && !env.CLAUDE_CODE_OAUTH_TOKEN);

let mock;
let sandbox;
if (useMock) {
  const testkit = await import('@channelcoder/testkit');
  mock = await testkit.MockAnthropicServer.start();
  sandbox = testkit.makeClaudeSandbox('channelcoder-demo-claude');
  Object.assign(
    env,
    testkit.offlineClaudeEnv({
      baseUrl: mock.url,
      configDir: sandbox.configDir,
      home: sandbox.home,
      base: env,
    }),
  );
  env.CLAUDE_BIN ??= testkit.claudeBinary();
  console.log(
    `No Anthropic credentials (or CHANNELCODER_DEMO_MOCK=1): using the in-repo mock API at ${mock.url}.`,
  );
  console.log(
    `Claude Code's config and home for this run: ${sandbox.root} (created now, removed at the end).`,
  );
} else {
  console.log('Using the Anthropic API with your credentials.');
}
console.log(
  `Sessions are stored in ${join(env.CHANNELCODER_HOME, 'sessions')}${createdHome ? ' (created now, kept)' : ''}.\n`,
);

const name = `demo-${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '')}`;
const steps = [
  ['run', 'Start a TODO app in TypeScript. Answer in one sentence.', '--session', name],
  ['run', '-p', 'Now add user authentication. One sentence.', '--load-session', name],
  ['session', 'list'],
];
let status = 0;
for (const args of steps) {
  console.log(`$ channelcoder ${args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
  // Asynchronous on purpose: the mock API answers from this process's event loop.
  const code = await new Promise((resolve) => {
    spawn(process.execPath, [cli, ...args], { env, stdio: 'inherit' }).once('close', resolve);
  });
  console.log();
  if (code !== 0) {
    status = code ?? 1;
    break;
  }
}
await mock?.close();
if (sandbox !== undefined) {
  sandbox.remove();
  console.log(`Removed ${sandbox.root}.`);
}
if (createdHome) {
  console.log(
    `Kept ${env.CHANNELCODER_HOME}: the demo's sessions (list them with CHANNELCODER_HOME=${env.CHANNELCODER_HOME} ` +
      `channelcoder session list; remove the folder when done).`,
  );
}
process.exit(status);
