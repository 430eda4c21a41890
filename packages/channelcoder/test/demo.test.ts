import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
    // The folder it creates for Claude Code is named, then removed; the given CHANNELCODER_HOME is not its own.
    const claudeDir =
      /Claude Code's config and home for this run: (\S+) \(created now, removed at the end\)/.exec(
        stdout,
      )?.[1];
    expect(claudeDir).toBeDefined();
    expect(stdout).toContain(`Removed ${claudeDir}.`);
    expect(existsSync(claudeDir as string)).toBe(false);
    expect(stdout).not.toContain('(created now, kept)');
  } finally {
    home.remove();
  }
});

it('without CHANNELCODER_HOME it names the sessions folder it creates and keeps, and leaves nothing else', async () => {
  // Its own TMPDIR, so every folder the demo creates can be counted.
  const tmp = mkdtempSync(join(tmpdir(), 'cc-demo-tmp-'));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, CHANNELCODER_DEMO_MOCK: '1', TMPDIR: tmp };
    delete env.CHANNELCODER_HOME;
    const { stdout } = await run(process.execPath, [join(import.meta.dirname, '..', 'scripts', 'demo.mjs')], {
      env,
    });
    const home = /Sessions are stored in (\S+)\/sessions \(created now, kept\)\./.exec(stdout)?.[1];
    expect(home).toBeDefined();
    expect(stdout).toContain(`Kept ${home}: the demo's sessions`);
    expect(readdirSync(join(home as string, 'sessions')).some((n) => n.startsWith('demo-'))).toBe(true);
    // What is left in TMPDIR: the kept sessions folder and nothing the demo did not name. (`claude-<uid>` and
    // `cc-socks` are Claude Code's own shared folders, which every `claude` run creates or reuses.)
    const left = readdirSync(tmp).filter((n) => !/^claude-\d+$|^cc-socks$/.test(n));
    expect(left.map((n) => join(tmp, n))).toEqual([home]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
