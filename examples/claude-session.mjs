// The main job: a multi-turn conversation through the real `claude` CLI, saved with the file storage,
// reloaded by name and continued. With Anthropic credentials in the environment (ANTHROPIC_API_KEY,
// ANTHROPIC_AUTH_TOKEN or CLAUDE_CODE_OAUTH_TOKEN) it talks to the real API; without them it starts the
// in-repo mock of the Anthropic API on 127.0.0.1 and says so. The CLI is `claude` from CLAUDE_BIN, else the
// one installed in this workspace. Sessions go to ~/.channelcoder/sessions (or $CHANNELCODER_HOME/sessions).
import { session } from '@channelcoder/session-core';
import { FileSessionStorage } from '@channelcoder/storage-file';
import {
  claudeBinary,
  MockAnthropicServer,
  makeClaudeSandbox,
  offlineClaudeEnv,
} from '@channelcoder/testkit';

const hasCredentials = ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN'].some(
  (name) => (process.env[name] ?? '') !== '',
);
process.env.CLAUDE_BIN ??= claudeBinary();

let mock;
let sandbox;
if (hasCredentials) {
  console.log('Using the Anthropic API with the credentials in your environment.');
} else {
  mock = await MockAnthropicServer.start();
  sandbox = makeClaudeSandbox('channelcoder-demo');
  Object.assign(
    process.env,
    offlineClaudeEnv({ baseUrl: mock.url, configDir: sandbox.configDir, home: sandbox.home }),
  );
  console.log(`No Anthropic credentials found: using the in-repo MOCK Anthropic API at ${mock.url}`);
  console.log('(its replies only echo the prompt and count the user turns it was sent).');
}
console.log(`claude CLI: ${process.env.CLAUDE_BIN}\n`);

try {
  const storage = new FileSessionStorage();
  const name = `demo-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}`;
  const cwd = sandbox?.cwd ?? process.cwd();

  const s = session({ name, storage, cwd });
  for (const prompt of ['What is TypeScript? One sentence.', 'Show me a one-line example.']) {
    const result = await s.claude(prompt);
    console.log(`> ${prompt}\n${result.text}\n`);
  }
  console.log(`saved "${name}" — Claude session ${s.id()}, ${s.messages().length} messages\n`);

  const restored = await session.load(name, { storage, cwd });
  const result = await restored.claude('And generics, in one line?');
  console.log(`> (reloaded "${name}") And generics, in one line?\n${result.text}\n`);

  const [info] = await session.list({ storage, prefix: name });
  const usage = restored.usage();
  console.log(
    `listed: ${info.name} — ${info.messageCount} messages, ${usage.turns} turns, $${usage.totalCostUsd.toFixed(4)}, ` +
      `chain ${JSON.stringify((await storage.load(name)).sessionChain)}`,
  );
  console.log(`stored at ${info.path}`);
} finally {
  await mock?.close();
  sandbox?.remove();
}
