import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeTempDir } from '@channelcoder/testkit';
import { expect, it } from 'vitest';

const run = promisify(execFile);

it('the demo starts a named session, continues it and lists it (mock API when asked)', async () => {
  const home = makeTempDir('cc-demo');
  try {
    const { stdout } = await run(process.execPath, [join(import.meta.dirname, '..', 'scripts', 'demo.mjs')], {
      env: { ...process.env, CHANNELCODER_DEMO_MOCK: '1', CHANNELCODER_HOME: home.path },
    });
    expect(stdout).toContain('using the in-repo mock API');
    expect(stdout).toMatch(
      /\$ channelcoder run "Start a TODO app[^\n]+--session demo-\d+\nturn 1: Start a TODO app/,
    );
    expect(stdout).toMatch(/--load-session demo-\d+\nturn 2: Now add user authentication/);
    expect(stdout).toMatch(/\$ channelcoder session list\nNAME\s+MESSAGES[^\n]+\ndemo-\d+\s+4\s+just now/);
  } finally {
    home.remove();
  }
});
