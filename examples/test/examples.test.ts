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
