// Installs the packed tarballs into a project OUTSIDE the workspace with plain `npm install`, the way a
// user installs core plus a chosen adapter, and runs a script that saves, loads and lists a session from
// both ESM and CommonJS. Set CONSUMER_RUNTIME=bun to run the scripts under Bun instead of Node.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pack, publicPackages, root } from './packages.mjs';

const wanted = ['@channelcoder/session-core', '@channelcoder/storage-file'];
const packages = publicPackages().filter((p) => wanted.includes(p.manifest.name));
const project = mkdtempSync(join(tmpdir(), 'channelcoder-consumer-'));
const runtime = process.env.CONSUMER_RUNTIME ?? 'node';
try {
  const tarballs = packages.map((p) => pack(p, join(project, 'tarballs')));
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }),
  );
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs], {
    cwd: project,
    stdio: 'inherit',
  });
  const sessions = join(project, 'sessions');
  writeFileSync(
    join(project, 'esm.mjs'),
    `import { createSessionState, recordTurn, SessionNotFoundError } from '@channelcoder/session-core';
import { FileSessionStorage } from '@channelcoder/storage-file';
const storage = new FileSessionStorage(${JSON.stringify(sessions)});
let state = createSessionState({ name: 'consumer-esm' });
state = recordTurn(state, { prompt: 'hello', result: { sessionId: 'c0ffee00-0000-4000-8000-000000000001', text: 'hi', totalCostUsd: 0.01 } });
const name = await storage.save(state);
const loaded = await storage.load(name);
if (loaded.messages.length !== 2 || !(loaded.metadata.created instanceof Date)) throw new Error('round trip failed');
const listed = await storage.list();
if (!listed.some((i) => i.name === 'consumer-esm' && i.messageCount === 2)) throw new Error('list failed: ' + JSON.stringify(listed));
const missing = await storage.load('nope').catch((e) => e);
if (!SessionNotFoundError.is(missing)) throw new Error('expected SessionNotFoundError');
console.log('esm ok:', name, loaded.messages.length, 'messages,', listed.length, 'listed');
`,
  );
  writeFileSync(
    join(project, 'cjs.cjs'),
    `const { createSessionState } = require('@channelcoder/session-core');
const { FileSessionStorage } = require('@channelcoder/storage-file');
(async () => {
  const storage = new FileSessionStorage(${JSON.stringify(sessions)});
  const name = await storage.save(createSessionState({ name: 'consumer-cjs' }));
  const listed = await storage.list();
  if (!listed.some((i) => i.name === name)) throw new Error('cjs list failed');
  console.log('cjs ok:', listed.map((i) => i.name).join(', '));
})().catch((e) => { console.error(e); process.exit(1); });
`,
  );
  for (const script of ['esm.mjs', 'cjs.cjs']) {
    execFileSync(runtime, [script], { cwd: project, stdio: 'inherit' });
  }
  console.log(`consumer install test passed (${runtime}, outside the workspace: ${project})`);
} finally {
  if (!process.env.KEEP_CONSUMER) rmSync(project, { recursive: true, force: true });
}
void root;
