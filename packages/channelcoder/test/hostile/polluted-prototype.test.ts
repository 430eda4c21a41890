/**
 * A polluted Object.prototype in the host process changes nothing the `claude` child receives: not the
 * binary, its flags, its working directory nor its environment. The pollution happens in a separate Node
 * process (it would leak into the test runner otherwise), which drives the built package through every
 * print mode and `session()`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeCaptureBinary, makeEvilBinary } from '@channelcoder/testkit';
import { afterAll, describe, expect, it } from 'vitest';

const DIST = fileURLToPath(import.meta.resolve('@channelcoder/session-core'));
const dir = realpathSync(mkdtempSync(join(tmpdir(), 'cc-pollution-')));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const INJECTED_FLAGS = ['--dangerously-skip-permissions', '--add-dir', '--permission-mode', '--model'];

describe('a polluted Object.prototype reaches no child', () => {
  it('run(), stream(), detached() and session().claude() start the configured binary with only what was asked', () => {
    const capture = makeCaptureBinary(dir);
    const evil = makeEvilBinary(dir);
    const work = join(dir, 'work');
    rmSync(work, { recursive: true, force: true });
    writeFileSync(join(dir, 'placeholder'), '');
    const script = `
      import { mkdirSync } from 'node:fs';
      const core = await import(${JSON.stringify(DIST)});
      mkdirSync(${JSON.stringify(work)}, { recursive: true });
      const evil = ${JSON.stringify(evil.path)};
      const pollution = {
        claudeBin: evil, CLAUDE_BIN: evil, shell: evil, argv0: evil,
        permissionMode: 'bypassPermissions', model: 'evil-model', systemPrompt: 'evil',
        extraArgs: ['--dangerously-skip-permissions', '--add-dir', '/'],
        allowedTools: ['Bash'], env: { INJECTED_BY_PROTO: '1', CLAUDE_BIN: evil },
        cwd: '/', sessionId: 'evil', forkSession: true, runner: { run: () => { throw new Error('evil runner'); } },
        INJECTED_VARIABLE: 'polluted',
      };
      for (const [key, value] of Object.entries(pollution)) Object.prototype[key] = value;
      const options = { env: { CLAUDE_BIN: ${JSON.stringify(capture.path)} }, cwd: ${JSON.stringify(work)} };
      const results = [];
      results.push((await core.run('one', options)).text);
      const s = core.stream('two', options);
      for await (const _ of s) {}
      results.push((await s.result).text);
      const d = await core.detached('three', { ...options, logFile: ${JSON.stringify(join(dir, 'detached.jsonl'))} });
      results.push((await d.wait()).text);
      const session = core.session({ storage: new core.MemorySessionStorage(), cwd: ${JSON.stringify(work)} });
      results.push((await session.claude('four', { env: options.env })).text);
      results.push((await session.claude('five', { env: options.env })).text);
      for (const key of Object.keys(pollution)) delete Object.prototype[key];
      process.stdout.write(JSON.stringify(results));
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: dir },
      timeout: 60_000,
    });
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual(['captured', 'captured', 'captured', 'captured', 'captured']);

    expect(evil.ran()).toBe(false);
    const calls = capture.calls();
    expect(calls.map((c) => c.stdin)).toEqual(['one', 'two', 'three', 'four', 'five']);
    for (const call of calls) {
      expect(call.cwd).toBe(work);
      for (const flag of INJECTED_FLAGS) expect(call.argv).not.toContain(flag);
      expect(call.argv.join(' ')).not.toMatch(/evil|Bash|bypassPermissions/);
      expect(Object.keys(call.env)).not.toContain('INJECTED_BY_PROTO');
      expect(Object.keys(call.env)).not.toContain('INJECTED_VARIABLE');
      expect(call.env.CLAUDE_BIN).toBe(capture.path);
    }
    // The session's second turn resumes the conversation the first one started, nothing else.
    expect(calls[4]?.argv).toContain('--resume');
    expect(calls[4]?.argv[calls[4].argv.indexOf('--resume') + 1]).toBe(
      '11111111-2222-4333-8444-555555555555',
    );
  });
});
