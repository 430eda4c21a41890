/**
 * `session show --full` and `session export --format md|html`: the whole conversation read from the
 * transcript of a real `claude` turn that thinks, calls a tool and answers (mock Anthropic API), with the
 * HTML page opened in headless Chromium.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { lastToolResult } from '@channelcoder/testkit';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliWorld, startCliWorld } from './support/cli-world.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const SCRIPT_ANSWER = "Done. <script>document.title='pwned';window.pwned=true</script> <b>not bold</b>";
const LONG_LINE = 'x'.repeat(3000);

describe('the whole conversation of a session with tool calls', () => {
  let world: CliWorld;
  const cli = (...args: string[]) => world.cli(args);

  beforeAll(async () => {
    world = await startCliWorld({
      reply: (ctx) => {
        const result = lastToolResult(ctx.body.messages);
        if (result !== undefined) return SCRIPT_ANSWER;
        return [
          { type: 'thinking', thinking: 'The notes file should tell me.' },
          'Let me read the notes.',
          { type: 'tool_use', name: 'Read', input: { file_path: join(world.sandbox.cwd, 'notes.txt') } },
        ];
      },
    });
    writeFileSync(join(world.sandbox.cwd, 'notes.txt'), `quokka lives here\n${LONG_LINE}\n`);
    const r = await cli('run', 'What do the notes say?', '--session', 'notes', '--allowed-tools', 'Read');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('pwned');
  });
  afterAll(async () => {
    await world?.close();
  });

  it('show --full prints prompt, thinking, the tool call with its input, the result (cut, marked) and the answer', async () => {
    const r = await cli('session', 'show', 'notes', '--full');
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout;
    const order = [
      'What do the notes say?',
      'The notes file should tell me.',
      'Let me read the notes.',
      'tool call: Read',
      '"file_path":',
      'quokka lives here',
      SCRIPT_ANSWER,
    ].map((needle) => out.indexOf(needle));
    expect(
      order.every((at) => at >= 0),
      out,
    ).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(out).toMatch(/more characters truncated; --no-truncate shows all/);
    expect(out).not.toContain(LONG_LINE);

    const full = await cli('session', 'show', 'notes', '--full', '--no-truncate');
    expect(full.stdout).toContain(LONG_LINE);
    expect(full.stdout).not.toContain('truncated');
  });

  it('show --full --json gives the conversation entries', async () => {
    const r = await cli('session', 'show', 'notes', '--full', '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { source: string; items: Array<Record<string, unknown>> };
    expect(doc.source).toBe('transcript');
    expect(doc.items.map((i) => i.kind)).toEqual([
      'prompt',
      'thinking',
      'answer',
      'tool_call',
      'tool_result',
      'answer',
    ]);
    expect(doc.items[3]).toMatchObject({
      name: 'Read',
      input: { file_path: join(world.sandbox.cwd, 'notes.txt') },
    });
    expect(doc.items[4]?.toolUseId).toBe(doc.items[3]?.id);
  });

  it('reads the stored transcript when the local one is gone (another machine)', async () => {
    const other = await world.cli(['session', 'show', 'notes', '--full', '--json'], {
      env: { CLAUDE_CONFIG_DIR: join(world.sandbox.root, 'empty-config') },
    });
    expect(other.code, other.stderr).toBe(0);
    expect((JSON.parse(other.stdout) as { items: unknown[] }).items).toHaveLength(6);
  });

  it('export --format md renders the tool call and its result in code blocks', async () => {
    const r = await cli('session', 'export', 'notes', '--format', 'md');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^# Session notes\n/);
    expect(r.stdout).toContain('## User\n\nWhat do the notes say?');
    expect(r.stdout).toMatch(
      /\*\*Tool call: Read\*\*\n\n```json\n\{\n {2}"file_path": "[^"]+notes\.txt"\n\}\n```/,
    );
    expect(r.stdout).toMatch(/\*\*Tool result\*\*\n\n```\n1\tquokka lives here/);
    expect(r.stdout).toContain(`## Assistant\n\n${SCRIPT_ANSWER}`);
  });

  it('export --format json is the portable document', async () => {
    const r = await cli('session', 'export', 'notes', '--format', 'json');
    expect(JSON.parse(r.stdout)).toMatchObject({ type: 'channelcoder.session', name: 'notes' });
    const bad = await cli('session', 'export', 'notes', '--format', 'pdf');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--format must be one of json, md, html');
  });

  // scripts/services.sh installs Debian's chromium; a machine without it fails here rather than skipping.
  it('export --format html displays in Chromium, with a <script> message shown as text and not run', async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
    const file = join(world.sandbox.root, 'notes.html');
    const r = await cli('session', 'export', 'notes', file, '--format', 'html');
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).not.toMatch(/<script/i);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      await page.goto(pathToFileURL(file).href);
      expect(await page.title()).toBe('Session notes');
      // The rendered text (what a reader sees), not the DOM's: markup in a message must show as characters.
      const text = String(await page.evaluate("document.querySelector('main').innerText"));
      expect(text).toContain('What do the notes say?');
      expect(text).toContain('Tool call: Read'.toUpperCase());
      expect(text).toContain('quokka lives here');
      expect(text).toContain("<script>document.title='pwned';window.pwned=true</script>");
      expect(text).toContain('<b>not bold</b>');
      expect(await page.evaluate('typeof globalThis.pwned')).toBe('undefined');
      expect(await page.locator('main script, main b').count()).toBe(0);
      expect(await page.locator('section.item').count()).toBe(6);
      expect(await page.locator('section.tool_call').isVisible()).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
