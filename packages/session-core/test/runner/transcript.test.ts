import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  claudeConfigDir,
  countTranscriptLines,
  findTranscript,
  readTranscriptOutcome,
} from '../../src/runner/transcript.js';

const ID = '1eb53098-1974-4d11-a337-095d92a1fa3d';
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cc-transcript-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const user = (content: unknown, extra: Record<string, unknown> = {}) => ({
  type: 'user',
  message: { role: 'user', content },
  ...extra,
});
const assistant = (...texts: string[]) => ({
  type: 'assistant',
  message: { role: 'assistant', content: texts.map((text) => ({ type: 'text', text })) },
});

function writeTranscript(entries: unknown[]): string {
  const folder = join(dir, 'projects', '-some-cwd');
  mkdirSync(folder, { recursive: true });
  const path = join(folder, `${ID}.jsonl`);
  writeFileSync(path, `${entries.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join('\n')}\n`);
  return path;
}

describe('reading the CLI transcript', () => {
  it('finds a transcript in any folder under projects/ of the config dir', () => {
    const path = writeTranscript([user('hi')]);
    expect(findTranscript(ID, { CLAUDE_CONFIG_DIR: dir })).toBe(path);
    expect(
      findTranscript('00000000-0000-0000-0000-000000000000', { CLAUDE_CONFIG_DIR: dir }),
    ).toBeUndefined();
    expect(claudeConfigDir({ CLAUDE_CONFIG_DIR: undefined, HOME: '/home/x' })).toBe('/home/x/.claude');
  });

  it('pairs typed prompts with the text answers, skipping tool results, meta and command echoes', async () => {
    const path = writeTranscript([
      { type: 'queue-operation', operation: 'enqueue' },
      user('first question'),
      { type: 'attachment', attachment: {} },
      assistant('let me look'),
      { type: 'assistant', message: { content: [{ type: 'tool_use', id: 't', name: 'Bash' }] } },
      user([{ type: 'tool_result', tool_use_id: 't', content: 'ok' }]),
      assistant('found it'),
      user('<command-name>/cost</command-name>'),
      user('caveat', { isMeta: true }),
      'not json at all',
      user([{ type: 'text', text: 'second question' }]),
      assistant('second ', 'answer'),
      { type: 'cost-state', totalCostUSD: 0.5 },
    ]);
    expect(await readTranscriptOutcome(path)).toEqual({
      exchanges: [
        { prompt: 'first question', text: 'let me lookfound it' },
        { prompt: 'second question', text: 'second answer' },
      ],
      totalCostUsd: 0.5,
    });
  });

  it('reads only what a resumed run appended, and starts a fork at its own first prompt', async () => {
    const path = writeTranscript([
      user('old'),
      assistant('old answer'),
      user('new'),
      assistant('new answer'),
    ]);
    expect(await countTranscriptLines(path)).toBe(4);
    expect((await readTranscriptOutcome(path, { fromLine: 2 })).exchanges).toEqual([
      { prompt: 'new', text: 'new answer' },
    ]);
    expect((await readTranscriptOutcome(path, { firstPrompt: 'new' })).exchanges).toEqual([
      { prompt: 'new', text: 'new answer' },
    ]);
  });
});
