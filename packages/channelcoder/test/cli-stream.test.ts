/** `channelcoder stream` prints Claude's text while the turn is still running, and records the turn once, at the end. */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CLI_PATH, type CliWorld, startCliWorld } from './support/cli-world.js';

let world: CliWorld;
beforeAll(async () => {
  world = await startCliWorld({ reply: () => ['First block. ', 'Second block.'] });
});
afterAll(async () => {
  await world?.close();
});

it('text reaches stdout before the reply is complete; the turn is recorded only when it is', async () => {
  // The mock streams both text blocks, then holds the end of the reply until released.
  const hold = world.mock.holdNextReply();
  const child = spawn(process.execPath, [CLI_PATH, 'stream', 'Go', '--session', 'streamed'], {
    env: world.env,
    cwd: world.sandbox.cwd,
  });
  child.stdin.end();
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
  await hold.reached;
  const deadline = Date.now() + 30_000;
  while (!stdout.includes('Second block.') && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));

  expect(stdout).toBe('First block. Second block.');
  // Before the CLI started, only the pending turn was stored (so a crash now leaves a record of it).
  const during = JSON.parse((await world.cli(['session', 'show', 'streamed', '--json'])).stdout);
  expect(during.messages).toEqual([]);
  expect(during.pendingTurn?.prompt).toBe('Go');

  hold.release();
  expect(await closed).toBe(0);
  expect(stdout).toBe('First block. Second block.\n');
  const saved = JSON.parse((await world.cli(['session', 'show', 'streamed', '--json'])).stdout);
  // Recorded once; the assistant message is the CLI's result, its final text block (what `claude -p` prints).
  expect(saved.messages.map((m: { content: string }) => m.content)).toEqual(['Go', 'Second block.']);
  expect(saved.pendingTurn).toBeUndefined();
});
