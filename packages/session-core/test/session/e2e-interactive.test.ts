/**
 * End-to-end: session().interactive() with the real claude terminal UI, driven in a tmux terminal. The
 * config dir is pre-seeded past onboarding (see CLAUDE-CLI.md); the test types `/exit` once the answer is
 * on screen, then checks what the session recorded from the CLI's transcript.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RealClaude, startRealClaude } from './support/real-claude.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const distEntry = join(here, '../../dist/index.js');
const hasTmux = (() => {
  try {
    execFileSync('tmux', ['-V']);
    return true;
  } catch {
    return false;
  }
})();

let cli: RealClaude;
let terminal: string | undefined;
beforeEach(async () => {
  cli = await startRealClaude();
});
afterEach(async () => {
  if (terminal !== undefined) {
    try {
      tmux('kill-session', '-t', terminal);
    } catch {
      // already ended with the driver
    }
    terminal = undefined;
  }
  await cli.close();
});

// A tmux server of our own (its own socket), so no other tmux user on the machine is touched.
const SOCKET = `cc-e2e-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { stdio: 'pipe' });

const screen = (name: string) => {
  try {
    return tmux('capture-pane', '-p', '-t', name).toString();
  } catch {
    return '';
  }
};

describe('session().interactive() with the real claude terminal UI', { timeout: 60_000 }, () => {
  it.skipIf(!hasTmux)(
    'records every prompt typed and its answer when the user leaves (needs tmux)',
    async () => {
      expect(existsSync(distEntry), 'build first: pnpm --filter @channelcoder/session-core build').toBe(true);
      const { sandbox, env } = cli;
      const key = env.ANTHROPIC_API_KEY ?? '';
      writeFileSync(
        join(sandbox.configDir, '.claude.json'),
        JSON.stringify({
          hasCompletedOnboarding: true,
          customApiKeyResponses: { approved: [key.slice(-20)], rejected: [] },
          projects: { [sandbox.cwd]: { hasTrustDialogAccepted: true } },
        }),
      );
      const output = join(sandbox.root, 'interactive.json');
      const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
      const script = [
        '#!/bin/sh',
        ...Object.entries(env).map(([k, v]) => (v === undefined ? `unset ${k}` : `export ${k}=${quote(v)}`)),
        `cd ${quote(sandbox.cwd)}`,
        `exec ${[process.execPath, join(here, 'support', 'interactive-driver.mjs'), pathToFileURL(distEntry).href, join(sandbox.root, 'sessions'), 'pairing', 'hello from a terminal', output].map(quote).join(' ')}`,
      ].join('\n');
      const scriptFile = join(sandbox.root, 'interactive.sh');
      writeFileSync(scriptFile, `${script}\n`, { mode: 0o755 });

      terminal = `interactive-${Date.now()}`;
      tmux('new-session', '-d', '-s', terminal, '-x', '160', '-y', '40', scriptFile);
      await expect
        .poll(() => screen(terminal ?? ''), { timeout: 30_000, interval: 200 })
        .toContain('turn 1: hello from a terminal');
      // A second question typed in the terminal is recorded too.
      tmux('send-keys', '-t', terminal, 'and a follow-up');
      await expect
        .poll(() => screen(terminal ?? ''), { timeout: 5000, interval: 100 })
        .toContain('and a follow-up');
      tmux('send-keys', '-t', terminal, 'Enter');
      await expect
        .poll(() => screen(terminal ?? ''), { timeout: 30_000, interval: 200 })
        .toContain('turn 2: and a follow-up');
      tmux('send-keys', '-t', terminal, '/exit');
      await expect.poll(() => screen(terminal ?? ''), { timeout: 5000, interval: 100 }).toContain('/exit');
      tmux('send-keys', '-t', terminal, 'Enter');
      await expect.poll(() => existsSync(output), { timeout: 20_000, interval: 200 }).toBe(true);

      const recorded = JSON.parse(readFileSync(output, 'utf8')) as {
        ok: boolean;
        id: string;
        messages: Array<{ role: string; content: string; sessionId: string }>;
        usage: { turns: number; totalCostUsd: number };
      };
      expect(recorded.ok).toBe(true);
      expect(recorded.messages.map((m) => `${m.role}:${m.content}`)).toEqual([
        'user:hello from a terminal',
        'assistant:turn 1: hello from a terminal',
        'user:and a follow-up',
        'assistant:turn 2: and a follow-up',
      ]);
      // The id was given up front and is the one the CLI used on the wire.
      expect(cli.mock.lastMessageRequest()?.claudeSessionId).toBe(recorded.id);
      expect(recorded.messages.every((m) => m.sessionId === recorded.id)).toBe(true);
      expect(recorded.usage.turns).toBe(2);
      expect(recorded.usage.totalCostUsd).toBeGreaterThan(0);
    },
  );
});
