// Search benchmark of FileSessionStorage, measured in one run (run `pnpm bench`; the package is built first):
// 10,000 sessions × 20 messages; `search()` through the search index (the first search of a process of its own,
// as the CLI runs it; the first search of a new storage object in this process, which reads the whole index;
// a repeated one, which reads only what was appended; a common word with a limit) vs a naive search that
// loads every session and greps it (core's `searchByScan`). Targets: >= 20x faster and under 100 ms.
// BENCH_SEARCH_SESSIONS overrides the count. The data lives under $CHANNELCODER_BENCH_DIR (default: the OS
// temp dir) and is removed afterwards.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createSessionState, recordTurn, searchByScan } from '@channelcoder/session-core';
import { FileSessionStorage } from '@channelcoder/storage-file';

const SESSIONS = Number(process.env.BENCH_SEARCH_SESSIONS ?? 10_000);
const MESSAGES = 20;
const WORDS = ['lake', 'river', 'forest', 'mountain', 'desert', 'valley', 'island', 'meadow'];
const RARE = 4242 % SESSIONS;

const root = mkdtempSync(join(process.env.CHANNELCODER_BENCH_DIR ?? tmpdir(), 'cc-search-bench-'));
try {
  const writer = new FileSessionStorage({ dir: root, fsync: false });
  const made = performance.now();
  const batch = [];
  for (let s = 0; s < SESSIONS; s++) {
    let state = createSessionState({ name: `s-${s}`, now: new Date(Date.UTC(2026, 0, 1) + s * 1000) });
    for (let m = 0; m < MESSAGES / 2; m++) {
      const said = s === RARE && m === 3 ? 'the rare quetzal appears' : WORDS[(s + m) % WORDS.length];
      state = recordTurn(state, {
        prompt: `question ${m} about the ${WORDS[(s * 7 + m) % WORDS.length]} number ${s * 31 + m}`,
        result: {
          sessionId: `c-${s}`,
          text: `an answer of some length mentioning the ${said} and more text, item ${s}-${m}`,
          costUsd: 0.001,
        },
        at: new Date(Date.UTC(2026, 0, 1) + s * 1000 + m),
      });
    }
    batch.push(writer.save(state, `s-${s}`));
    if (batch.length === 50) await Promise.all(batch.splice(0));
  }
  await Promise.all(batch);
  const setupMs = performance.now() - made;

  const time = async (fn) => {
    const started = performance.now();
    const value = await fn();
    return { ms: performance.now() - started, value };
  };
  // The first search of a process of its own, as `channelcoder session search` runs (before the naive
  // search below fills this process's heap): its time inside that process.
  const child = `import { FileSessionStorage } from '@channelcoder/storage-file';
    const s = new FileSessionStorage({ dir: process.argv[1] });
    const t = performance.now(); await s.search('rare quetzal');
    process.stdout.write(String(performance.now() - t));`;
  const ownProcess = [0, 1, 2].map(() =>
    Number(
      execFileSync(process.execPath, ['--input-type=module', '-e', child, root], {
        cwd: new URL('..', import.meta.url),
        encoding: 'utf8',
      }),
    ),
  );
  const ownProcessMs = ownProcess.sort((a, b) => a - b)[1];
  const naive = await time(() => searchByScan(new FileSessionStorage({ dir: root }), 'rare quetzal'));
  const fresh = new FileSessionStorage({ dir: root });
  const cold = await time(() => fresh.search('rare quetzal'));
  const warm = [];
  for (let i = 0; i < 5; i++) warm.push((await time(() => fresh.search('rare quetzal'))).ms);
  warm.sort((a, b) => a - b);
  const warmMs = warm[2];
  const common = await time(() => fresh.search('meadow', { limit: 20 }));
  const commonRuns = [];
  for (let i = 0; i < 5; i++) commonRuns.push((await time(() => fresh.search('meadow', { limit: 20 }))).ms);
  commonRuns.sort((a, b) => a - b);
  const commonNaive = await time(() =>
    searchByScan(new FileSessionStorage({ dir: root }), 'meadow', { limit: 20 }),
  );

  const shape = (results) => JSON.stringify(results.map((r) => [r.name, r.snippets]));
  const same = shape(naive.value) === shape(cold.value) && shape(commonNaive.value) === shape(common.value);
  const rows = [
    ['naive: load + grep every session', naive.ms.toFixed(0), '1.0', String(naive.value.length)],
    [
      'search index, new process (median of 3)',
      ownProcessMs.toFixed(1),
      (naive.ms / ownProcessMs).toFixed(1),
      '',
    ],
    [
      'search index, first search (reads index)',
      cold.ms.toFixed(1),
      (naive.ms / cold.ms).toFixed(1),
      String(cold.value.length),
    ],
    [
      'search index, repeated (median of 5)',
      warmMs.toFixed(1),
      (naive.ms / warmMs).toFixed(1),
      String(cold.value.length),
    ],
    ['naive, common word, --limit 20', commonNaive.ms.toFixed(0), '1.0', String(commonNaive.value.length)],
    [
      'search index, common word, --limit 20',
      common.ms.toFixed(1),
      (commonNaive.ms / common.ms).toFixed(1),
      String(common.value.length),
    ],
    [
      'same, repeated (median of 5)',
      commonRuns[2].toFixed(1),
      (commonNaive.ms / commonRuns[2]).toFixed(1),
      String(common.value.length),
    ],
  ];
  console.log(
    `\n@channelcoder/storage-file search: ${SESSIONS} sessions × ${MESSAGES} messages (setup ${(setupMs / 1000).toFixed(0)} s, fsync off)`,
  );
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} on ${cpus().length} cores`,
  );
  for (const row of [['variant', 'ms', 'ratio', 'hits'], ...rows]) {
    console.log(`  ${row[0].padEnd(44)} ${row[1].padStart(8)} ${row[2].padStart(7)} ${row[3].padStart(5)}`);
  }
  console.log(`  same results as the naive search: ${same}; target: ratio >= 20 and < 100 ms`);
  if (!same) process.exitCode = 1;
} finally {
  rmSync(root, { recursive: true, force: true });
}
