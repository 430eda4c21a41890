// What `channelcoder session adopt --all` costs, measured in one run on this machine (run `pnpm bench`;
// packages built first): 1,000 Claude Code transcripts (3 turns each: prompt, thinking, a tool call and its
// result, an answer, cost lines) under a temporary CLAUDE_CONFIG_DIR, adopted into file storage with the
// functions the command runs (findClaudeTranscripts + adoptTranscripts): the first run (every transcript
// added), a second run (nothing to add), and a run after 100 of them grew by one turn. Figures are time per
// transcript and ratios to the first run; a run with nothing (or a tenth) to add re-reads every transcript
// but writes (almost) nothing, so its target is at most half the first run's time (RERUN_TARGET).
// BENCH_ADOPT_TRANSCRIPTS overrides the count.
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { adoptTranscripts, findClaudeTranscripts } from '@channelcoder/session-core';
import { FileSessionStorage } from '@channelcoder/storage-file';

const COUNT = Number(process.env.BENCH_ADOPT_TRANSCRIPTS ?? 1000);
const GROWN = Math.min(100, COUNT);
/** The target of the second and the grown run's time as a share of the first run's. */
const RERUN_TARGET = 0.5;
const verdict = (ratio) => `target <= ${RERUN_TARGET}: ${ratio <= RERUN_TARGET ? 'met' : 'MISSED'}`;

function turnLines(id, t, at) {
  const usage = { input_tokens: 120 + t, output_tokens: 40 + t };
  const stamp = new Date(at).toISOString();
  const tool = `toolu_${id.slice(0, 8)}_${t}`;
  return [
    {
      type: 'user',
      sessionId: id,
      cwd: '/work/project',
      timestamp: stamp,
      uuid: randomUUID(),
      message: { role: 'user', content: `please look at item ${t} of transcript ${id} and summarize it` },
    },
    {
      type: 'assistant',
      sessionId: id,
      timestamp: stamp,
      uuid: randomUUID(),
      message: {
        id: `msg_${id}_${t}a`,
        role: 'assistant',
        usage,
        content: [
          { type: 'thinking', thinking: `thinking about item ${t}` },
          { type: 'tool_use', id: tool, name: 'Read', input: { file_path: `/work/project/file-${t}.ts` } },
        ],
      },
    },
    {
      type: 'user',
      sessionId: id,
      timestamp: stamp,
      uuid: randomUUID(),
      message: {
        role: 'user',
        content: [
          {
            type: 'tool_result',
            tool_use_id: tool,
            content: `1\texport const item${t} = ${t};\n2\t// end of file`,
          },
        ],
      },
    },
    {
      type: 'assistant',
      sessionId: id,
      timestamp: stamp,
      uuid: randomUUID(),
      message: {
        id: `msg_${id}_${t}b`,
        role: 'assistant',
        usage,
        content: [{ type: 'text', text: `Item ${t} exports one constant; nothing else to report.` }],
      },
    },
    { type: 'cost-state', totalCostUSD: 0.01 * (t + 1) },
  ];
}

const jsonl = (lines) => lines.map((l) => `${JSON.stringify(l)}\n`).join('');

const base = mkdtempSync(join(process.env.CHANNELCODER_BENCH_DIR ?? tmpdir(), 'cc-adopt-bench-'));
try {
  const configDir = join(base, 'claude');
  const folders = ['-work-project', '-work-other', '-home-me-scratch', '-srv-app'];
  for (const f of folders) mkdirSync(join(configDir, 'projects', f), { recursive: true });
  const paths = [];
  const start = Date.UTC(2026, 10, 1);
  for (let i = 0; i < COUNT; i++) {
    const id = randomUUID();
    const path = join(configDir, 'projects', folders[i % folders.length], `${id}.jsonl`);
    writeFileSync(path, jsonl([0, 1, 2].flatMap((t) => turnLines(id, t, start + i * 60_000 + t * 1000))));
    paths.push({ id, path });
  }
  const storage = new FileSessionStorage({ dir: join(base, 'sessions'), fsync: false });

  const adopt = async () => {
    const started = performance.now();
    const found = await findClaudeTranscripts(configDir);
    const outcomes = await adoptTranscripts(storage, found);
    const ms = performance.now() - started;
    const count = (action) => outcomes.filter((o) => o.action === action).length;
    return { ms, added: count('added'), grown: count('grown'), unchanged: count('unchanged') };
  };
  const first = await adopt();
  const second = await adopt();
  for (const { id, path } of paths.slice(0, GROWN))
    appendFileSync(path, jsonl(turnLines(id, 3, start + 9e9)));
  const grown = await adopt();

  const per = (run) => (run.ms / COUNT).toFixed(2);
  console.log(`\nchannelcoder session adopt: ${COUNT} transcripts × 3 turns (file storage, fsync off)`);
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} on ${cpus().length} cores`,
  );
  const rows = [
    ['run', 'ms', 'ms/transcript', 'ratio', 'added/grown/unchanged'],
    [
      'first (all added)',
      first.ms.toFixed(0),
      per(first),
      '1.00',
      `${first.added}/${first.grown}/${first.unchanged}`,
    ],
    [
      'second (nothing new)',
      second.ms.toFixed(0),
      per(second),
      (second.ms / first.ms).toFixed(2),
      `${second.added}/${second.grown}/${second.unchanged}  ${verdict(second.ms / first.ms)}`,
    ],
    [
      `${GROWN} grown by a turn`,
      grown.ms.toFixed(0),
      per(grown),
      (grown.ms / first.ms).toFixed(2),
      `${grown.added}/${grown.grown}/${grown.unchanged}  ${verdict(grown.ms / first.ms)}`,
    ],
  ];
  for (const r of rows) {
    console.log(`  ${r[0].padEnd(22)} ${r[1].padStart(8)} ${r[2].padStart(14)} ${r[3].padStart(6)}  ${r[4]}`);
  }
  const ok =
    first.added === COUNT && second.added + second.grown === 0 && grown.grown === GROWN && grown.added === 0;
  console.log(`  idempotent and incremental: ${ok}`);
  if (!ok) process.exitCode = 1;
} finally {
  rmSync(base, { recursive: true, force: true });
}
