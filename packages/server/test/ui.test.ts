/**
 * The browser viewer in a real browser: `channelcoder ui` (the built CLI, loopback, a token made for the
 * run) over a file storage holding 30 sessions, driven in Debian's headless Chromium by playwright-core.
 * Seven sessions get their turns through the service from the real `claude` binary against the mock API
 * (a tool call, a failed turn, a fork, markup in prompt and answer, the searched word); the other 22 are
 * written through the storage API (running 30 sessions' turns through the CLI would take about a minute on
 * two cores). axe-core runs in each page.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  createSessionState,
  recordTurn,
  type SessionState,
  type SessionStorage,
} from '@channelcoder/session-core';
import { FileSessionStorage } from '@channelcoder/storage-file';
import { claudeBinary, lastToolResult, offlineClaudeEnv } from '@channelcoder/testkit';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, holdLeaseElsewhere, PACKAGE_DIR, readEvents, startWorld } from './support/service.js';

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
const OUTPUT = process.env.CHANNELCODER_TEST_OUTPUT ?? join(PACKAGE_DIR, '.tmp', 'ui-test');
const DOCS = join(PACKAGE_DIR, 'docs');
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const SCRIPT_PROMPT = 'Explain <script>window.pwned = 1</script> please';
const IMG_ANSWER = 'Here: <img src="x" onerror="window.pwned = 2"> and **bold** text';
const run = promisify(execFile);
// Generous: the machines running this are shared, and a page's data may take seconds to arrive.
const poll = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 30_000, interval: 100 });

describe('the browser viewer', () => {
  let world: Awaited<ReturnType<typeof startWorld>>;
  let storageDir: string;
  let ui: ChildProcess;
  let address: string;
  let base: string;
  let token: string;
  let browser: Browser;
  let page: Page;

  const api = async (path: string, init: { method?: string; json?: unknown; accept?: string } = {}) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (init.json !== undefined) headers['content-type'] = 'application/json';
    if (init.accept !== undefined) headers.accept = init.accept;
    return fetch(`${base}${path}`, {
      method: init.method ?? (init.json === undefined ? 'GET' : 'POST'),
      headers,
      ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
    });
  };
  const task = async (name: string, prompt: string) => {
    const r = await api(`/sessions/${name}/tasks`, { json: { prompt } });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  const axe = async (label: string) => {
    await page.addScriptTag({ path: AXE });
    const violations = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] })
      .then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })))`)) as Array<{
      id: string;
      impact: string;
    }>;
    const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(bad, `${label}: ${JSON.stringify(bad)}`).toEqual([]);
  };
  const shot = async (file: string, docs = true) => {
    const png = await page.screenshot({ fullPage: true });
    writeFileSync(join(OUTPUT, file), png);
    if (docs) writeFileSync(join(DOCS, file), png);
  };

  beforeAll(async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
    mkdirSync(OUTPUT, { recursive: true });
    world = await startWorld({
      reply: (ctx) => {
        if (lastToolResult(ctx.body.messages) !== undefined) return 'The notes mention a quokka.';
        const text = ctx.lastUserText;
        if (text.includes('read the notes'))
          return [
            'Let me read the notes.',
            { type: 'tool_use', name: 'Read', input: { file_path: join(world.project, 'notes.txt') } },
          ];
        if (text.includes('<script>')) return IMG_ANSWER;
        if (text.includes('secret word')) return 'The secret word is marmalade.';
        return `turn ${ctx.userTurns}: ${text}`;
      },
    });
    writeFileSync(join(world.project, 'notes.txt'), 'A quokka lives here.\n');
    storageDir = join(world.sandbox.root, 'sessions');

    // 22 sessions written through the storage API, over the last ten days, tagged alpha or beta or both.
    const storage = new FileSessionStorage(storageDir);
    for (let i = 0; i < 22; i++) {
      const tags = i % 3 === 0 ? ['alpha'] : i % 3 === 1 ? ['beta'] : ['alpha', 'beta'];
      let state: SessionState = createSessionState({ name: `stored-${String(i).padStart(2, '0')}`, tags });
      for (let t = 0; t <= i % 3; t++) {
        state = recordTurn(state, {
          prompt: `question ${t} of stored session ${i}`,
          result: {
            sessionId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
            text: `answer ${t} of stored session ${i}`,
            costUsd: 0.01 * (i + 1) + 0.001 * t,
            durationMs: 900 + i * 10,
            inputTokens: 100 + i,
            outputTokens: 20 + t,
          },
          at: new Date(Date.now() - (i % 10) * 86_400_000 - t * 60_000),
        });
      }
      await storage.save(state, state.metadata.name);
    }

    const env: NodeJS.ProcessEnv = {
      ...offlineClaudeEnv({
        baseUrl: world.mock.url,
        configDir: world.sandbox.configDir,
        home: world.sandbox.home,
      }),
      CLAUDE_BIN: claudeBinary(),
    };
    delete env.CHANNELCODER_STORAGE;
    delete env.CHANNELCODER_SERVER_TOKENS;
    delete env.DISPLAY;
    delete env.WAYLAND_DISPLAY;
    ui = spawn(
      process.execPath,
      [CLI, 'ui', '--storage', `file://${storageDir}`, '--allow-root', world.sandbox.root],
      { cwd: PACKAGE_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    ui.stderr?.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    address = await new Promise<string>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`ui did not print its address:\n${stderr}`)), 60_000);
      ui.stdout?.on('data', (b: Buffer) => {
        stdout += b.toString();
        const match = /(http:\/\/127\.0\.0\.1:\d+)\/#token=([\w-]+)/.exec(stdout);
        if (match) {
          clearTimeout(timer);
          base = match[1] as string;
          token = match[2] as string;
          ok(match[0]);
        }
      });
      ui.on('exit', (code) => fail(new Error(`ui exited with ${code}:\n${stderr}`)));
    });

    // Seven sessions whose turns the real claude binary runs through the service.
    const create = (name: string, tags: string[]) =>
      api('/sessions', { json: { name, tags, workingDirectory: world.project } });
    expect((await create('tools', ['alpha'])).status).toBe(201);
    expect((await task('tools', 'Please read the notes.')).status).toBe(200);
    expect((await create('failing', ['beta'])).status).toBe(201);
    expect((await task('failing', 'first question')).status).toBe(200);
    world.mock.failNext(1, { status: 500, message: 'the model is on fire' });
    expect((await task('failing', 'second question')).status).toBeGreaterThanOrEqual(500);
    expect((await create('markup', ['alpha'])).status).toBe(201);
    expect((await task('markup', SCRIPT_PROMPT)).status).toBe(200);
    expect((await create('searchable', [])).status).toBe(201);
    expect((await task('searchable', 'What is the secret word?')).status).toBe(200);
    expect((await create('parent', ['beta'])).status).toBe(201);
    expect((await task('parent', 'parent question')).status).toBe(200);
    expect((await api('/sessions/parent/fork', { json: { name: 'child' } })).status).toBe(201);
    expect((await task('child', 'child question')).status).toBe(200);
    expect((await create('talk', ['alpha'])).status).toBe(201);
    expect((await task('talk', 'hello there')).status).toBe(200);
    expect((await create('ended', [])).status).toBe(201);
    expect((await api('/sessions/ended/end', { json: {} })).status).toBe(200);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    // CSP off only so that axe-core can be injected; message markup is shown as text by the page itself.
    page = await browser.newPage({ viewport: { width: 1200, height: 900 }, bypassCSP: true });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    if (ui !== undefined && ui.exitCode === null) {
      const exited = new Promise((r) => ui.once('exit', r));
      ui.kill('SIGTERM');
      await exited;
    }
    await world?.close();
  });

  it('lists the sessions with the token taken from the fragment, filters by tag, and searches', async () => {
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(address);
    const rows = page.locator('[data-testid=sessions] tbody tr');
    await poll(() => rows.count()).toBe(30);
    // The token left the address bar (and so the history and any shared link).
    expect(page.url()).not.toContain(token);
    expect(await page.evaluate('sessionStorage.getItem("channelcoder.token")')).toBe(token);
    await poll(() => page.locator('tr[data-session=failing] .tag').innerText()).toBe('beta');
    await axe('sessions');
    await shot('sessions.png');

    await page.getByLabel('Tag').selectOption('beta');
    await page.getByRole('button', { name: 'Apply' }).click();
    await poll(() => rows.count()).toBe(17); // 14 stored (beta or both) + failing, parent and its fork
    for (const tags of await page.locator('[data-testid=sessions] tbody tr td:nth-child(5)').allInnerTexts())
      expect(tags).toContain('beta');

    await page.getByLabel('Tag').selectOption('');
    await page.getByLabel('Search messages').fill('marmalade');
    await page.getByRole('button', { name: 'Apply' }).click();
    await poll(() => page.getByTestId('result-count').innerText()).toContain('1 session mention');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().locator('mark').innerText()).toBe('marmalade');
    await shot('search.png', false);
    await rows.first().getByRole('link', { name: 'searchable' }).click();
    await poll(() => page.locator('#conversation-title').innerText()).toBe('searchable');
    expect(await page.locator('.answer').innerText()).toContain('The secret word is marmalade.');
    expect(errors).toEqual([]);
  });

  it('shows a conversation: tool call with its input and result, failed turn, fork links', async () => {
    await page.goto(`${base}/#/s/tools`);
    await poll(() => page.locator('#conversation-title').innerText()).toBe('tools');
    const tool = page.getByTestId('tool-call');
    await poll(() => tool.count()).toBe(1);
    expect(await tool.locator('.tool-input').isVisible()).toBe(false);
    await tool.locator('summary').focus();
    await page.keyboard.press('Enter'); // keyboard opens it
    expect(await tool.locator('.tool-input').innerText()).toContain('notes.txt');
    expect(await tool.locator('.tool-result').innerText()).toContain('A quokka lives here.');
    expect(await page.locator('.answer').innerText()).toContain('The notes mention a quokka.');
    expect(await page.locator('.turn .meta').innerText()).toMatch(/took \d/);
    await axe('conversation');
    await shot('conversation.png');

    await page.goto(`${base}/#/s/failing`);
    await poll(() => page.locator('#conversation-title').innerText()).toBe('failing');
    await poll(() => page.getByTestId('turn').count()).toBe(2);
    expect(await page.locator('[data-testid=turn][data-status=failed]').count()).toBe(1);
    expect(await page.getByTestId('turn-error').innerText()).toMatch(/fire|500|API Error/i);

    await page.goto(`${base}/#/s/child`);
    await poll(() => page.getByTestId('parent-link').innerText()).toBe('parent');
    await page.getByTestId('parent-link').click();
    await poll(() => page.getByTestId('fork-link').innerText()).toBe('child');
  });

  it('renders markup in messages as text and runs none of it', async () => {
    await page.goto(`${base}/#/s/markup`);
    await poll(() => page.locator('#conversation-title').innerText()).toBe('markup');
    await poll(() => page.getByTestId('turn').count()).toBe(1);
    const text = await page.locator('main').innerText();
    expect(text).toContain('<script>window.pwned = 1</script>');
    expect(text).toContain('<img src="x" onerror="window.pwned = 2">');
    expect(await page.locator('main script, main img').count()).toBe(0);
    expect(await page.locator('.answer strong').innerText()).toBe('bold'); // Markdown still renders
    expect(await page.evaluate('typeof window.pwned')).toBe('undefined');
  });

  it('charts cost per day with the total of `session stats`', async () => {
    await page.goto(`${base}/#/cost`);
    const total = page.getByTestId('cost-total');
    await poll(() => total.count()).toBe(1);
    const shown = Number(await total.getAttribute('data-cost-usd'));
    const { stdout } = await run(process.execPath, [
      CLI,
      'session',
      'stats',
      '--json',
      '--storage',
      `file://${storageDir}`,
    ]);
    const stats = JSON.parse(stdout) as { total: { costUsd: number; turns: number } };
    expect(stats.total.costUsd).toBeGreaterThan(0);
    expect(shown).toBeCloseTo(stats.total.costUsd, 9);
    expect(await total.innerText()).toContain(`over ${stats.total.turns} turns`);
    expect(await page.locator('svg.chart rect').count()).toBeGreaterThan(0);
    await axe('cost');
    await shot('cost.png');
  });

  it('continues a session from the page with the answer streamed in, and refuses an ended one', async () => {
    await page.goto(`${base}/#/s/talk`);
    await poll(() => page.locator('#conversation-title').innerText()).toBe('talk');
    const count = page.getByTestId('message-count');
    await poll(() => count.innerText()).toBe('2');
    await page.getByLabel('Prompt').fill('tell me more');
    await page.getByRole('button', { name: /Send/ }).click();
    const streamed = page.getByTestId('streamed');
    await expect.poll(() => streamed.getAttribute('data-status'), { timeout: 90_000 }).toBe('done');
    expect(await streamed.innerText()).toContain('turn 2: tell me more');
    await poll(() => count.innerText()).toBe('4');
    expect(await page.getByTestId('turn').count()).toBe(2);
    await axe('continue');
    await shot('continue.png');

    await page.goto(`${base}/#/s/ended`);
    await poll(() => page.locator('#conversation-title').innerText()).toBe('ended');
    await poll(() => page.getByTestId('continue-disabled').innerText()).toContain('was ended');
    expect(await page.getByLabel('Prompt').isDisabled()).toBe(true);
  });

  // With a file storage that can read a lease without taking it (`peekLease`).
  it.runIf(typeof (FileSessionStorage.prototype as SessionStorage).peekLease === 'function')(
    'disables the continue box, naming the holder, while another process holds the session',
    async () => {
      const holder = `terminal-turn-${process.pid}`;
      const lease = await holdLeaseElsewhere(`file://${storageDir}`, 'parent', holder);
      try {
        await page.goto(`${base}/#/s/parent`);
        await poll(() => page.locator('#conversation-title').innerText()).toBe('parent');
        const reason = page.getByTestId('continue-disabled');
        await poll(() => reason.innerText()).toContain(holder);
        expect(await reason.innerText()).toContain('Another process holds this session');
        expect(await page.getByLabel('Prompt').isDisabled()).toBe(true);
        await axe('continue, busy');
        await shot('continue-busy.png', false);
      } finally {
        await lease.release();
      }
      await page.reload();
      await poll(() => page.locator('#conversation-title').innerText()).toBe('parent');
      await poll(() => page.getByLabel('Prompt').isDisabled()).toBe(false);
      expect(await page.getByTestId('continue-disabled').count()).toBe(0);
    },
  );

  it('is readable on a phone-sized screen, and the API refuses requests without the token', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/#/`);
    await poll(() => page.locator('[data-testid=sessions] tbody tr').count()).toBe(30);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await shot('sessions-phone.png', false);
    const bare = await fetch(`${base}/sessions`);
    expect(bare.status).toBe(401);
    const events = await readEvents(
      await api('/sessions/talk/tasks', { json: { prompt: 'once more' }, accept: 'text/event-stream' }),
    );
    expect(events.at(-1)?.event).toBe('result');
    expect(readFileSync(join(DOCS, 'sessions.png')).length).toBeGreaterThan(1000);
  });
});
