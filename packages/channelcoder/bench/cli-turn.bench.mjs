// One CLI turn against one bare Claude Code turn, measured in one run on this machine (`pnpm bench`;
// packages built first). Both sides run the real `claude` CLI against the in-repo mock API, each on a
// conversation of its own that grows the same way:
//   bare:  claude -p PROMPT --resume ID --output-format json       (what a user would run by hand)
//   CLI:   channelcoder run PROMPT --load-session NAME             (file storage: lease, load, the same
//          claude turn, save, transcript mirroring)
// The two run back to back in each pair, the order alternating from pair to pair; the figure is the median
// of the pairs' wall-time ratios (CLI / bare), beside the ratio of the medians. Target: <= 1.05.
// Each pair also times `node -e 0`, Node's own start-up, which any CLI written for Node pays before its
// first line runs and a bare `claude` does not: (node -e 0 + bare) / bare is the floor no such CLI can go
// below, printed beside the figure, with what the CLI adds beyond that floor.
// BENCH_TURN_PAIRS (default 15) sets the pairs measured, after 2 unmeasured ones.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  claudeBinary,
  MockAnthropicServer,
  makeClaudeSandbox,
  offlineClaudeEnv,
} from '@channelcoder/testkit';

const CLI = join(import.meta.dirname, '..', 'dist', 'cli.cjs');
const PAIRS = Number(process.env.BENCH_TURN_PAIRS ?? 15);
const WARMUP = 2;
const TARGET = 1.05;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Runs `command ...args` to its end; resolves with its stdout and wall time, rejects on a non-zero exit. */
function timed(command, args, env, cwd) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr += d;
    });
    child.once('error', reject);
    child.once('close', (code) => {
      const ms = performance.now() - start;
      if (code === 0) resolve({ stdout, ms });
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr}`));
    });
  });
}

const mock = await MockAnthropicServer.start();
const sandbox = makeClaudeSandbox('cc-bench-cli-turn');
try {
  const claude = claudeBinary();
  const env = {
    ...offlineClaudeEnv({ baseUrl: mock.url, configDir: sandbox.configDir, home: sandbox.home }),
    CLAUDE_BIN: claude,
    CHANNELCODER_HOME: join(sandbox.root, 'channelcoder'),
    CHANNELCODER_STORAGE: `file://${join(sandbox.root, 'sessions')}`,
  };
  delete env.NODE_OPTIONS;
  mkdirSync(env.CHANNELCODER_HOME, { recursive: true });

  // Each side's conversation, started once.
  const first = await timed(claude, ['-p', 'bare start', '--output-format', 'json'], env, sandbox.cwd);
  const bareId = JSON.parse(first.stdout).session_id;
  await timed(process.execPath, [CLI, 'run', 'cli start', '--session', 'bench'], env, sandbox.cwd);

  const bare = (i) =>
    timed(claude, ['-p', `bare turn ${i}`, '--resume', bareId, '--output-format', 'json'], env, sandbox.cwd);
  const cli = (i) =>
    timed(process.execPath, [CLI, 'run', `cli turn ${i}`, '--load-session', 'bench'], env, sandbox.cwd);

  const nodeStart = () => timed(process.execPath, ['-e', '0'], env, sandbox.cwd);

  const ratios = [];
  const floors = [];
  const bareMs = [];
  const cliMs = [];
  const nodeMs = [];
  for (let i = 0; i < PAIRS + WARMUP; i++) {
    let b;
    let c;
    let n;
    if (i % 2 === 0) {
      n = await nodeStart();
      b = await bare(i);
      c = await cli(i);
    } else {
      c = await cli(i);
      b = await bare(i);
      n = await nodeStart();
    }
    if (i < WARMUP) continue;
    bareMs.push(b.ms);
    cliMs.push(c.ms);
    nodeMs.push(n.ms);
    ratios.push(c.ms / b.ms);
    floors.push((n.ms + b.ms) / b.ms);
  }
  const ratio = median(ratios);
  const floor = median(floors);
  console.log(
    [
      `One turn: channelcoder run --load-session vs claude -p --resume (real claude, mock API; ${PAIRS} pairs, ` +
        `order alternating; Node ${process.version}, ${cpus().length} cores, load ${loadavg()[0].toFixed(2)})`,
      `  claude -p --resume            median ${median(bareMs).toFixed(0).padStart(5)} ms`,
      `  node -e 0                     median ${median(nodeMs).toFixed(0).padStart(5)} ms`,
      `  channelcoder run              median ${median(cliMs).toFixed(0).padStart(5)} ms`,
      `  median of pair ratios  ${ratio.toFixed(3)}  (ratio of medians ${(median(cliMs) / median(bareMs)).toFixed(3)}; ` +
        `pairs ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})  ` +
        `target <= ${TARGET}: ${ratio <= TARGET ? 'met' : 'MISSED'}`,
      `  floor (node -e 0 + bare) / bare  ${floor.toFixed(3)}  (median of pairs; a CLI on Node cannot go below it)` +
        `  the CLI beyond the floor: ${(ratio / floor).toFixed(3)}, ${(median(cliMs) - median(bareMs) - median(nodeMs)).toFixed(0)} ms`,
    ].join('\n'),
  );
} finally {
  await mock.close();
  sandbox.remove();
}
