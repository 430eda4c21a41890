/**
 * Secrets stay where the user put them: storage URL credentials are redacted in every message, the
 * `claude` child never sees the storage URL or its password, detached logs are private and removed once
 * recorded, folders are 0700, and `--redact` / `session({ redact })` mask planted tokens in what is
 * stored. The last test scans every file the project wrote for a planted token.
 */

import { spawnSync } from 'node:child_process';
import { type Dirent, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeHostileWorld } from './support.js';

const world = makeHostileWorld();
afterAll(() => world.remove());

const PASSWORD = 'pa/ss:w@rd-7Qx9';
const TOKEN = 'sk-ant-api03-PLANTEDplantedPLANTEDplanted0123456789';

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (at: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(at, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.push(path);
    }
  };
  walk(dir);
  return out;
}

describe('storage URL credentials', () => {
  for (const url of [
    `redis://app:${PASSWORD}@127.0.0.1:1/0`,
    `postgresql://app:${PASSWORD}@127.0.0.1:1/db`,
    `redis://app:${encodeURIComponent(PASSWORD)}@127.0.0.1:1/0?prefix=x&bogus=1`,
  ]) {
    it(`are never printed: ${url.split(':')[0]} URL (parseable or not), with debug output on`, async () => {
      const result = await world.cli(['session', 'list', '--storage', url, '--json'], {
        env: { CHANNELCODER_DEBUG: '1' },
      });
      expect(result.code).not.toBe(0);
      const shown = result.stdout + result.stderr;
      expect(shown).not.toContain(PASSWORD);
      expect(shown).not.toContain(encodeURIComponent(PASSWORD));
      expect(shown).toMatch(/app:\*\*\*@/);
    });
  }

  it('the claude child gets neither CHANNELCODER_STORAGE nor a variable holding the password', async () => {
    const url = `file://${join(world.dir, 'stored')}`;
    const result = await world.cli(['run', 'hello', '--session', 'envcheck'], {
      env: {
        CHANNELCODER_STORAGE: url,
        REDIS_PASSWORD: PASSWORD,
        OTHER: 'kept',
      },
    });
    expect(result.code).toBe(0);
    const call = world.capture.calls().at(-1);
    expect(call?.env.CHANNELCODER_STORAGE).toBeUndefined();
    expect(call?.env.OTHER).toBe('kept');
    // A file URL has no password; a URL with one withholds every variable that holds it.
    const withPassword = await world.cli(['run', 'hello'], {
      env: { CHANNELCODER_STORAGE: `redis://app:${PASSWORD}@127.0.0.1:1/0`, REDIS_PASSWORD: PASSWORD },
    });
    expect(withPassword.code).toBe(0);
    const env = world.capture.calls().at(-1)?.env ?? {};
    expect(Object.keys(env)).not.toContain('CHANNELCODER_STORAGE');
    expect(Object.keys(env)).not.toContain('REDIS_PASSWORD');
    expect(JSON.stringify(env)).not.toContain(PASSWORD);
  });
});

describe('detached logs and folders', () => {
  it('live in a per-user 0700 folder as 0600 files and are removed once the turn is recorded', () => {
    const core = import.meta.resolve('@channelcoder/session-core');
    const storageFile = import.meta.resolve('@channelcoder/storage-file');
    const tmp = join(world.dir, 'detached-tmp');
    mkdirSync(tmp);
    const script = `
      const core = await import(${JSON.stringify(core)});
      const { FileSessionStorage } = await import(${JSON.stringify(storageFile)});
      const fs = await import('node:fs');
      const s = core.session({ storage: new FileSessionStorage(${JSON.stringify(join(world.dir, 'detached-root'))}) });
      const run = await s.detached('background ${TOKEN}', { env: { CLAUDE_BIN: ${JSON.stringify(world.capture.path)} } });
      const folder = fs.statSync(${JSON.stringify(join(tmp, `channelcoder-${process.getuid?.() ?? 0}`, 'detached'))});
      const log = fs.statSync(run.logFile);
      await run.done;
      process.stdout.write(JSON.stringify({ folder: folder.mode & 0o777, log: log.mode & 0o777,
        left: fs.readdirSync(${JSON.stringify(join(tmp, `channelcoder-${process.getuid?.() ?? 0}`, 'detached'))}),
        messages: s.messages().length }));
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', TMPDIR: tmp, HOME: join(world.dir, 'home') },
    });
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual({ folder: 0o700, log: 0o600, left: [], messages: 2 });
  });

  it('every folder the storage created is 0700', () => {
    const root = join(world.dir, 'stored');
    const folders = [root, ...readdirSync(root).map((n) => join(root, n))].filter((p) =>
      statSync(p).isDirectory(),
    );
    expect(folders.length).toBeGreaterThan(1);
    for (const folder of folders) expect((statSync(folder).mode & 0o777).toString(8)).toBe('700');
  });
});

describe('--redact masks secrets in what is stored', () => {
  it('planted tokens are found only where the user asked for them unredacted', async () => {
    const secretEnv = { MY_SERVICE_TOKEN: 'env-secret-value-123456' };
    const asked = await world.cli(['run', `plain ${TOKEN}`, '--session', 'clear'], { env: secretEnv });
    expect(asked.code).toBe(0);
    const redacted = await world.cli(
      [
        'run',
        `masked ${TOKEN} and env-secret-value-123456 and Bearer abcdefgh12345678`,
        '--session',
        'masked',
        '--redact',
      ],
      { env: secretEnv },
    );
    expect(redacted.code).toBe(0);
    // The model still got the prompt as typed.
    expect(world.capture.calls().at(-1)?.stdin).toContain(TOKEN);
    const exported = join(world.cwd, 'masked-export.json');
    expect((await world.cli(['session', 'export', 'masked', exported])).code).toBe(0);

    const home = world.env.CHANNELCODER_HOME ?? '';
    const scanned = [...filesUnder(home), ...filesUnder(join(world.dir, 'tmp')), exported];
    const holding = scanned.filter((file) => readFileSync(file, 'utf8').includes(TOKEN));
    // Only the session stored without --redact holds the token.
    expect(holding.length).toBeGreaterThan(0);
    for (const file of holding) expect(file).toContain(join('sessions', 'clear'));
    const masked = readFileSync(exported, 'utf8');
    expect(masked).toContain('[REDACTED:anthropic-key]');
    expect(masked).toContain('[REDACTED:environment]');
    expect(masked).toContain('[REDACTED:bearer-token]');
    expect(scanned.some((f) => readFileSync(f, 'utf8').includes(PASSWORD))).toBe(false);
  });
});
