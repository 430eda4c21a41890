/**
 * The session-core README's "Using ChannelCoder storage with the Claude Agent SDK" example, run with the
 * real SDK and claude CLI on file storage: machine A asks, machine B (another config dir and HOME) resumes.
 */
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSessionStorage } from '@channelcoder/storage-file';
import { claudeBinary } from '@channelcoder/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { reviewThenBranch } from '../examples/agent-sdk-helpers.js';
import { askWithStorage } from '../examples/agent-sdk-store.js';
import { MockAnthropicServer, makeMachine } from './support/machines.js';

let mock: MockAnthropicServer;
let root: string;
beforeAll(async () => {
  mock = await MockAnthropicServer.start();
  root = realpathSync(mkdtempSync(join(tmpdir(), 'cc-sdk-readme-')));
});
afterAll(async () => {
  await mock.close();
  rmSync(root, { recursive: true, force: true });
});

it('the README shows the example file as it is', () => {
  const readme = readFileSync(new URL('../../session-core/README.md', import.meta.url), 'utf8');
  const example = readFileSync(new URL('../examples/agent-sdk-store.ts', import.meta.url), 'utf8');
  expect(readme).toContain(`## Using ChannelCoder storage with the Claude Agent SDK`);
  expect(readme).toContain(`\`\`\`ts\n${example}\`\`\``);
  const helpers = readFileSync(new URL('../examples/agent-sdk-helpers.ts', import.meta.url), 'utf8');
  expect(readme).toContain(`\`\`\`ts\n${helpers}\`\`\``);
});

it('asks on machine A and resumes on machine B through one FileSessionStorage', async () => {
  const project = join(root, 'project');
  mkdirSync(project);
  const storage = new FileSessionStorage({ dir: join(root, 'sessions') });
  const [a, b] = [makeMachine('readme-a', mock), makeMachine('readme-b', mock)];
  try {
    const on = (env: Record<string, string | undefined>) => ({
      cwd: project,
      env: { ...process.env, ...env },
      pathToClaudeCodeExecutable: claudeBinary(),
    });
    const first = await askWithStorage(storage, 'hello', on(a.env));
    expect(first.text).toBe('turn 1: hello');
    expect(first.sessions).toEqual([first.sessionId]);
    const second = await askWithStorage(storage, 'again', { ...on(b.env), resume: first.sessionId });
    expect(second).toMatchObject({ sessionId: first.sessionId, text: 'turn 2: again' });
    expect(mock.lastMessageRequest()?.userTurns).toBe(2);
  } finally {
    a.sandbox.remove();
    b.sandbox.remove();
  }
}, 120_000);

it('a session made by session() is listed with its name, tags and cost, read and forked by the SDK', async () => {
  const project = join(root, 'reviewed');
  mkdirSync(project);
  const storage = new FileSessionStorage({ dir: join(root, 'sessions-2') });
  const machine = makeMachine('readme-helpers', mock);
  try {
    const out = await reviewThenBranch(storage, project, { env: machine.env });
    const stored = await storage.load('shop-review');
    expect(out).toMatchObject({
      title: 'shop-review',
      tag: `review · $${stored.usage.totalCostUsd.toFixed(4)}`,
      messages: 4,
    });
    const [fork] = (await storage.list()).filter((s) => s.name.startsWith('sdk-'));
    expect(fork?.currentSessionId).toBe(out.fork);
    expect((await storage.load(fork!.name)).metadata.parent).toMatchObject({
      name: 'shop-review',
      sessionId: stored.currentSessionId,
    });
  } finally {
    machine.sandbox.remove();
  }
}, 120_000);
