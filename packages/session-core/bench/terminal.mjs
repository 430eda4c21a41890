/**
 * For the person at the terminal: adopting the CLI's own transcripts (per-transcript time over 1,000), and
 * search by scan (the fallback every storage has) over 10,000 sessions × 20 messages in memory.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { core } from './support.mjs';

const PADDING = 'x'.repeat(24_000); // the CLI records request shapes and the system prompt: ~100 KB per turn

/** A transcript shaped like the CLI's: per turn a prompt, an attachment, a request shape, answers, cost. */
function transcriptLines(id, turns) {
  const lines = [];
  let total = 0;
  for (let t = 0; t < turns; t++) {
    const at = new Date(Date.UTC(2026, 10, 1, 10, t)).toISOString();
    lines.push({ type: 'queue-operation', operation: 'enqueue', sessionId: id, content: `prompt ${t}` });
    lines.push({
      type: 'user',
      uuid: `${id}-u${t}`,
      timestamp: at,
      cwd: '/work/app',
      sessionId: id,
      message: { role: 'user', content: `Please look at task ${t} of ${id}` },
    });
    lines.push({
      type: 'attachment',
      uuid: `${id}-x${t}`,
      attachment: { type: 'prompt_snapshot', systemPrompt: [PADDING] },
    });
    lines.push({
      type: 'api-request-shape',
      sessionId: id,
      shape: { system: [{ type: 'text', text: PADDING }] },
    });
    for (const [i, text] of ['Looking.', `Done with task ${t}.`].entries()) {
      lines.push({
        type: 'assistant',
        uuid: `${id}-a${t}-${i}`,
        timestamp: at,
        message: {
          id: `msg_${id}_${t}`,
          role: 'assistant',
          model: 'claude-x',
          content: [{ type: 'text', text }],
          usage: { input_tokens: 1200, output_tokens: 80 },
        },
      });
    }
    total += 0.0123;
    lines.push({ type: 'cost-state', sessionId: id, totalCostUSD: total });
  }
  return lines;
}

export async function benchAdopt(count = 1000, turns = 2) {
  const dir = join(tmpdir(), `cc-adopt-bench-${process.pid}`);
  const folder = join(dir, 'projects', '-work-app');
  mkdirSync(folder, { recursive: true });
  try {
    let bytes = 0;
    for (let i = 0; i < count; i++) {
      const id = `${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`;
      const text = `${transcriptLines(id, turns)
        .map((l) => JSON.stringify(l))
        .join('\n')}\n`;
      bytes += text.length;
      writeFileSync(join(folder, `${id}.jsonl`), text);
    }
    const storage = new core.MemorySessionStorage();
    const started = performance.now();
    const found = await core.findClaudeTranscripts(dir);
    const outcomes = await core.adoptTranscripts(storage, found);
    const ms = performance.now() - started;
    const again = performance.now();
    const second = await core.adoptTranscripts(storage, await core.findClaudeTranscripts(dir));
    const secondMs = performance.now() - again;
    const added = outcomes.filter((o) => o.action === 'added').length;
    const unchanged = second.filter((o) => o.action === 'unchanged').length;
    return {
      count,
      turns,
      megabytes: bytes / 1e6,
      ms,
      perTranscriptMs: ms / count,
      added,
      secondMs,
      unchanged,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchSearchScan(sessions = 10_000, messages = 20) {
  const storage = new core.MemorySessionStorage();
  const words = ['lake', 'river', 'forest', 'mountain', 'desert', 'valley', 'island', 'meadow'];
  for (let s = 0; s < sessions; s++) {
    let state = core.createSessionState({ name: `s-${s}`, now: new Date(Date.UTC(2026, 0, 1) + s * 1000) });
    for (let m = 0; m < messages / 2; m++) {
      const said = s === 4242 && m === 3 ? 'the rare quetzal appears' : words[(s + m) % words.length];
      state = core.recordTurn(state, {
        prompt: `question ${m} about the ${words[(s * 7 + m) % words.length]}`,
        result: {
          sessionId: `c-${s}`,
          text: `an answer of some length mentioning the ${said} and more text`,
          costUsd: 0.001,
        },
        at: new Date(Date.UTC(2026, 0, 1) + s * 1000 + m),
      });
    }
    await storage.save(state, `s-${s}`);
  }
  const started = performance.now();
  const results = await core.searchByScan(storage, 'rare quetzal');
  const ms = performance.now() - started;
  return { sessions, messages, ms, hits: results.length };
}
