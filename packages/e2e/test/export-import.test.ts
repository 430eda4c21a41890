/**
 * Proof 4 of issue 8: a session exported on machine A with the `channelcoder` CLI (to a file), imported on
 * machine B into B's file storage with the CLI, continues on B with the REAL claude CLI: the transcript
 * travels inside the exported document, and B restores it before the resume.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { session } from '@channelcoder/session-core';
import { FileSessionStorage } from '@channelcoder/storage-file';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type Machine, MockAnthropicServer, makeMachine } from './support/machines.js';

const cliEntry = join(
  dirname(createRequire(import.meta.url).resolve('channelcoder/package.json')),
  'dist',
  'cli.cjs',
);

async function channelcoder(args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [cliEntry, ...args]);
  return stdout;
}

let mock: MockAnthropicServer;
let a: Machine;
let b: Machine;
beforeEach(async () => {
  mock = await MockAnthropicServer.start();
  a = makeMachine('a', mock);
  b = makeMachine('b', mock);
});
afterEach(async () => {
  await mock.close();
  a.sandbox.remove();
  b.sandbox.remove();
});

it('4. export on A to a file, import on B into its file storage, continue on B', async () => {
  const dirA = join(a.sandbox.root, 'sessions');
  const dirB = join(b.sandbox.root, 'sessions');
  const onA = session({
    name: 'moved-by-hand',
    storage: new FileSessionStorage({ dir: dirA }),
    cwd: a.sandbox.cwd,
    defaults: { env: a.env },
  });
  await onA.claude('one');
  await onA.claude('two');

  const file = join(a.sandbox.root, 'moved-by-hand.json');
  await channelcoder(['session', 'export', 'moved-by-hand', file, '--storage', dirA]);
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { transcripts?: Record<string, unknown[]> };
  expect(Object.keys(doc.transcripts ?? {})).toEqual([onA.id()]);

  await channelcoder(['session', 'import', file, '--storage', dirB]);
  expect(b.transcripts()).toEqual([]);
  const onB = await session.load('moved-by-hand', {
    storage: new FileSessionStorage({ dir: dirB }),
    cwd: b.sandbox.cwd,
    defaults: { env: b.env },
  });
  const third = await onB.claude('three');
  expect(third.text).toBe('turn 3: three');
  expect(third.sessionId).toBe(onA.id());
  expect(mock.lastMessageRequest()?.userTurns).toBe(3);
});
