import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const examples = join(import.meta.dirname, '..');

function exampleEnv() {
  return { ...process.env, CHANNELCODER_HOME: mkdtempSync(join(tmpdir(), 'cc-example-')) };
}

describe('examples', () => {
  it('claude-session.mjs runs three turns through the real claude CLI (mock API), reloading the session', async () => {
    const env = exampleEnv();
    for (const name of ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN'])
      delete env[name];
    const { stdout } = await run(process.execPath, [join(examples, 'claude-session.mjs')], { env });
    expect(stdout).toContain('No Anthropic credentials found: using the in-repo MOCK Anthropic API');
    expect(stdout).toContain('turn 2: Show me a one-line example.');
    // The reloaded session resumed the conversation: the mock was sent all three user turns.
    expect(stdout).toContain('turn 3: And generics, in one line?');
    expect(stdout).toMatch(
      /listed: demo-[\d-]+ — 6 messages, 3 turns, \$\d+\.\d{4}, chain \["[0-9a-f-]{36}"\]/,
    );
  });

  it('file-session.mjs saves, lists, reloads and continues a session in the file storage', async () => {
    const env = exampleEnv();
    const { stdout } = await run(process.execPath, [join(examples, 'file-session.mjs')], { env });
    expect(stdout).toMatch(/saved "example-\d+" \(revision 1, 4 messages\)/);
    expect(stdout).toMatch(/listed: example-\d+ — 4 messages, \$0\.0047/);
    expect(stdout).toMatch(
      /reloaded and continued: 6 messages, chain \["6a1f3c52-[^"]+"\], cost \$0\.0071, revision 2/,
    );
    expect(readdirSync(join(env.CHANNELCODER_HOME, 'sessions')).length).toBeGreaterThan(0);
  });
});
