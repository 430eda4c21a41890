/**
 * The CLI's cold start next to Node's own: `channelcoder --help` and `channelcoder session list` (file
 * storage, a folder of 20 sessions) against `node -e 0`, each a fresh process of the built executable
 * (dist/cli.js, what the package's `bin` runs). The three run back to back in each round, in an order that
 * rotates from round to round; each round gives one ratio per command (its time / node's time in that
 * round) and the figure is the median of those ratios, so load from other processes hits both sides alike.
 * Target: <= 1.3 for both. Used by `pnpm bench` (cli-start.bench.mjs) and the CI gate (scripts/bench-gate.mjs).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createSessionState } from '@channelcoder/session-core';
import { FileSessionStorage } from '@channelcoder/storage-file';

const CLI = join(import.meta.dirname, '..', 'dist', 'cli.js');

/** The target ratio of each command's start to `node -e 0`. */
export const CLI_START_TARGET = 1.3;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * Measures `rounds` rounds (after 2 unmeasured ones). Returns the median times (ms) and the median per-round
 * ratios of `--help` and `session list` to `node -e 0`.
 */
export async function measureCliStart({ rounds = 21, sessions = 20 } = {}) {
  const dir = mkdtempSync(join(process.env.CHANNELCODER_BENCH_DIR ?? tmpdir(), 'cc-bench-cli-'));
  try {
    const storage = new FileSessionStorage({ dir, fsync: false });
    for (let i = 0; i < sessions; i++) {
      const state = createSessionState({ name: `session-${i}` });
      state.messages.push({ id: `m${i}`, role: 'user', content: 'hello', timestamp: new Date() });
      await storage.save(state);
    }
    const env = { ...process.env, CHANNELCODER_STORAGE: `file://${dir}`, NO_COLOR: '1' };
    delete env.NODE_OPTIONS; // a preloaded module would be timed on every side but only distort the ratio
    const commands = {
      node: ['-e', '0'],
      help: [CLI, '--help'],
      list: [CLI, 'session', 'list', '--limit', '10'],
    };
    const run = (args) => {
      const start = performance.now();
      const child = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const ms = performance.now() - start;
      if (child.status !== 0) {
        throw new Error(`node ${args.join(' ')} exited with ${child.status}: ${child.stderr.toString()}`);
      }
      return ms;
    };
    const names = Object.keys(commands);
    const times = { node: [], help: [], list: [] };
    const ratios = { help: [], list: [] };
    for (let round = 0; round < rounds + 2; round++) {
      const took = {};
      for (let i = 0; i < names.length; i++) {
        const name = names[(round + i) % names.length];
        took[name] = run(commands[name]);
      }
      if (round < 2) continue; // warm the file caches (and Node's compile cache where it has one)
      for (const name of names) times[name].push(took[name]);
      ratios.help.push(took.help / took.node);
      ratios.list.push(took.list / took.node);
    }
    return {
      rounds,
      nodeMs: median(times.node),
      helpMs: median(times.help),
      listMs: median(times.list),
      helpRatio: median(ratios.help),
      listRatio: median(ratios.list),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
