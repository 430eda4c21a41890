/**
 * The CLI's cold start next to Node's own: `channelcoder --help` and `channelcoder session list` (file
 * storage, a folder of 20 sessions) against `node -e 0`, each a fresh process of the built executable
 * (dist/cli.cjs, what the package's `bin` runs). The three run back to back in each round, in an order that
 * rotates from round to round, and each figure is the ratio of fastest runs (a command's / node's): on a
 * loaded machine a start is only ever slowed by other processes, so the fastest of interleaved runs is
 * each side's own cost. `clock: 'wall'` times whole processes (what a user waits); `clock: 'cpu'` takes
 * the CPU time the process used (user + system, all its threads, as bash's `times` reports a finished
 * child), which waits for a CPU on a loaded machine do not inflate (the CI gate's choice).
 * Target: <= 1.3 for both. Used by `pnpm bench` (cli-start.bench.mjs) and the CI gate (scripts/bench-gate.mjs).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createSessionState } from '@channelcoder/session-core';
import { FileSessionStorage } from '@channelcoder/storage-file';

const CLI = join(import.meta.dirname, '..', 'dist', 'cli.cjs');

/** The target ratio of each command's start to `node -e 0`. */
export const CLI_START_TARGET = 1.3;

/**
 * Measures `rounds` rounds (after 2 unmeasured ones), with the sessions in a folder under `base`. Returns the
 * fastest times (ms, of `clock`) and their ratios of `--help` and `session list` to `node -e 0`.
 */
export async function measureCliStart({ rounds = 21, sessions = 20, base = tmpdir(), clock = 'wall' } = {}) {
  const dir = mkdtempSync(join(base, 'cc-bench-cli-'));
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
      const child =
        clock === 'cpu'
          ? spawnSync('bash', ['-c', '"$@"; s=$?; times >&2; exit $s', 'bash', process.execPath, ...args], {
              env,
              stdio: ['ignore', 'pipe', 'pipe'],
            })
          : spawnSync(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const ms = performance.now() - start;
      if (child.status !== 0) {
        throw new Error(`node ${args.join(' ')} exited with ${child.status}: ${child.stderr.toString()}`);
      }
      if (clock !== 'cpu') return ms;
      // The last line of `times`: the user and system time of the shell's finished children (0m0.041s).
      const children = child.stderr.toString().trim().split('\n').at(-1) ?? '';
      const times = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map(
        ([, m, sec]) => Number(m) * 60_000 + Number(sec) * 1000,
      );
      if (times.length !== 2) throw new Error(`unexpected output of bash's times: ${children}`);
      return times[0] + times[1];
    };
    const names = Object.keys(commands);
    const times = { node: [], help: [], list: [] };
    for (let round = 0; round < rounds + 2; round++) {
      const took = {};
      for (let i = 0; i < names.length; i++) {
        const name = names[(round + i) % names.length];
        took[name] = run(commands[name]);
      }
      if (round < 2) continue; // warm the file caches (and Node's compile cache where it has one)
      for (const name of names) times[name].push(took[name]);
    }
    const fastest = (name) => Math.min(...times[name]);
    return {
      rounds,
      nodeMs: fastest('node'),
      helpMs: fastest('help'),
      listMs: fastest('list'),
      helpRatio: fastest('help') / fastest('node'),
      listRatio: fastest('list') / fastest('node'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
