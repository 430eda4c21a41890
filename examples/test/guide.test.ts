/**
 * The session guide's examples (examples/guide-*.mjs), run unchanged through the `channelcoder` package
 * with the real `claude` CLI against the in-repo mock Anthropic API, under Node and under Bun. Each example
 * gets a fresh CHANNELCODER_HOME (its file storage), CLAUDE_CONFIG_DIR and HOME.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { createSessionState, recordTurn } from '@channelcoder/session-core';
import { FileSessionStorage } from '@channelcoder/storage-file';
import {
  type ClaudeSandbox,
  claudeBinary,
  MockAnthropicServer,
  makeClaudeSandbox,
  offlineClaudeEnv,
} from '@channelcoder/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const examples = join(import.meta.dirname, '..');

let mock: MockAnthropicServer;
let sandbox: ClaudeSandbox;

beforeAll(async () => {
  mock = await MockAnthropicServer.start();
});
afterAll(async () => {
  await mock?.close();
});
afterEach(() => {
  sandbox?.remove();
});

/** Bun from the workspace's `bun` dev dependency (its platform package: pnpm skips bun's postinstall). */
function bunBinary(): string {
  const wrapper = createRequire(import.meta.url).resolve('bun/package.json');
  const platform = `@oven/bun-${process.platform}-${process.arch}`;
  for (const name of [platform, `${platform}-baseline`, `${platform}-musl`]) {
    try {
      const binary = join(dirname(createRequire(wrapper).resolve(`${name}/package.json`)), 'bin', 'bun');
      if (existsSync(binary)) return binary;
    } catch {
      // try the next variant
    }
  }
  throw new Error(`Bun's binary is missing (${platform}): run \`pnpm install\` at the workspace root.`);
}

const runtimes = [
  { runtime: 'Node', binary: () => process.execPath },
  { runtime: 'Bun', binary: bunBinary },
];

function world(binary: string) {
  sandbox = makeClaudeSandbox('cc-guide');
  const home = join(sandbox.root, 'channelcoder');
  const env = {
    ...offlineClaudeEnv({ baseUrl: mock.url, configDir: sandbox.configDir, home: sandbox.home }),
    CLAUDE_BIN: claudeBinary(),
    CHANNELCODER_HOME: home,
  };
  return {
    home,
    storage: () => new FileSessionStorage({ dir: join(home, 'sessions'), fsync: false }),
    example: async (file: string, args: string[] = []) =>
      (await run(binary, [join(examples, file), ...args], { env, cwd: sandbox.cwd })).stdout,
  };
}

describe.each(runtimes)('session guide examples under $runtime', ({ binary }) => {
  it('guide-basic-usage.mjs: context carries across turns, save, load and continue', async () => {
    const w = world(binary());
    const out = await w.example('guide-basic-usage.mjs');
    expect(out).toContain('1: turn 1: What is TypeScript?');
    // The mock answers with the number of user turns it saw: the second and third turns carry the history.
    expect(out).toContain('2: turn 2: Show me an example');
    expect(out).toContain('3: turn 3: What about generics?');
    expect(out).toMatch(/saved as "learning-typescript": 6 messages, Claude session [0-9a-f-]{36}/);
    const names = (await w.storage().list()).map((i) => i.name);
    expect(names).toEqual(['learning-typescript']);
  });

  it('guide-save-load.mjs: day 1, 2 and 3 continue one conversation', async () => {
    const w = world(binary());
    const out = await w.example('guide-save-load.mjs');
    expect(out).toContain('day 1: 4 messages');
    expect(out).toContain('day 2: 8 messages, last reply: turn 4: Implement rate limiting');
    expect(out).toContain('day 3: 12 messages, last reply: turn 6: Write API documentation');
    expect(out).toContain('exists: 12 messages');
    expect(out).toContain('missing exists: false');
  });

  it('guide-list-metadata.mjs: list shows name, counts, dates and path, newest first', async () => {
    const w = world(binary());
    const out = await w.example('guide-list-metadata.mjs');
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^bug-12345: 4 messages, created \S+Z, last active \S+Z, path .+sessions\/bug-12345/,
    );
    expect(lines[1]).toMatch(/^feature-auth: 2 messages, /);
  });

  it('guide-auto-save.mjs: every turn is saved into one entry', async () => {
    const w = world(binary());
    const out = await w.example('guide-auto-save.mjs');
    expect(out).toMatch(/autosaved as "[^"]+" in .+\/sessions: 4 messages/);
    expect(out).toContain('entries: 1');
  });

  it('guide-hygiene.mjs: removes sessions idle for more than 30 days, keeps the rest', async () => {
    const w = world(binary());
    const storage = w.storage();
    const day = 24 * 60 * 60 * 1000;
    for (const [name, age] of [
      ['old-project', 45],
      ['ancient', 400],
      ['recent', 2],
    ] as const) {
      const when = new Date(Date.now() - age * day);
      let state = createSessionState({ name, now: when });
      state = recordTurn(state, {
        prompt: 'hi',
        result: { sessionId: `id-${name}`, text: 'hello' },
        at: when,
      });
      state.metadata.lastActive = when;
      await storage.save(state);
    }
    const out = await w.example('guide-hygiene.mjs');
    expect(out).toContain('removed ancient');
    expect(out).toContain('removed old-project');
    expect(out).toContain('kept: recent');
    expect((await storage.list()).map((i) => i.name)).toEqual(['recent']);
  });

  it('guide-fresh-summary.mjs: a long session hands a summary to a fresh one', async () => {
    const w = world(binary());
    const out = await w.example('guide-fresh-summary.mjs');
    expect(out).toContain('long session: 8 messages');
    // The fresh conversation starts at turn 1 with the summary in its prompt.
    expect(out).toContain(
      'fresh session: 2 messages, first reply: turn 1: Continue from: turn 4: Summarize our progress',
    );
    expect(out).toContain('different Claude conversations: true');
    expect((await w.storage().list()).map((i) => i.name).sort()).toEqual(['auth-system', 'payment-system']);
  });

  it('guide-streaming.mjs: streams the text and records the turn', async () => {
    const w = world(binary());
    const out = await w.example('guide-streaming.mjs');
    expect(out).toContain('turn 1: Write comprehensive docs\nrecorded: 2 messages');
  });
});
