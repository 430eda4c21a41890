/**
 * The browser viewer: time from navigation to the first rows of the sessions list in headless Chromium
 * (loopback), with 100 and with 10,000 sessions in one run (the ratio is the figure), and the gzip size of
 * the shipped assets. Run after `pnpm build`: `node bench/ui.bench.mjs`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createSessionState, MemorySessionStorage, recordTurn } from '@channelcoder/session-core';
import { chromium } from 'playwright-core';
import { createSessionServer } from '../dist/index.js';

const TOKEN = 'bench-token-0123456789abcdef';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--no-first-run',
];

async function seeded(count) {
  const storage = new MemorySessionStorage();
  for (let i = 0; i < count; i++) {
    const name = `s-${String(i).padStart(5, '0')}`;
    const state = recordTurn(createSessionState({ name, tags: [i % 2 ? 'alpha' : 'beta'] }), {
      prompt: `question ${i}`,
      result: { sessionId: `id-${i}`, text: `answer ${i}`, costUsd: 0.01, durationMs: 1000 },
    });
    await storage.save(state, name);
  }
  return storage;
}

async function firstPaint(browser, count, runs = 5) {
  const server = await createSessionServer({ storage: await seeded(count), port: 0, tokens: [TOKEN] });
  const url = await server.listen();
  const times = [];
  for (let r = 0; r < runs; r++) {
    const page = await browser.newPage();
    await page.goto(`${url}/#token=${TOKEN}`);
    await page.waitForSelector('[data-testid=sessions] tbody tr');
    times.push(await page.evaluate(() => performance.now()));
    await page.close();
  }
  await server.close();
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const dir = new URL('../dist/ui/', import.meta.url).pathname;
const files = (d) =>
  readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? files(join(d, f)) : [join(d, f)]));
const shipped = files(dir).filter((f) => !f.endsWith('.gz'));
const gzip = shipped.reduce((sum, f) => sum + gzipSync(readFileSync(f), { level: 9 }).length, 0);
const raw = shipped.reduce((sum, f) => sum + statSync(f).size, 0);

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
try {
  const small = await firstPaint(browser, 100);
  const large = await firstPaint(browser, 10_000);
  console.log(`assets: ${(raw / 1024).toFixed(1)} KB, ${(gzip / 1024).toFixed(1)} KB gzip (target < 300 KB)`);
  console.log(
    `list page, first rows: 100 sessions ${small.toFixed(0)} ms, 10,000 sessions ${large.toFixed(0)} ms (median of 5; target < 1 s)`,
  );
  console.log(`ratio 10,000 / 100: ${(large / small).toFixed(2)}`);
} finally {
  await browser.close();
}
