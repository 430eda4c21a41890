// `pnpm bench`: load() of 20,000 messages vs JSON.parse of the same lines, and the first page of list() at
// 20,000 sessions vs 1,000 (see measure.mjs), with their targets. Wall-time ratios are what a caller
// waits; CPU-time ratios are what the CI gate compares (waits for a CPU on a loaded machine excluded).
// The data lives under $CHANNELCODER_BENCH_DIR, else /dev/shm where there is one (21,000 session folders on a
// busy disk take minutes to create), else the OS temp dir, and is removed afterwards.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIRST_PAGE_TARGET, LOAD_TARGET, measureLoad, prepareFirstPage } from './measure.mjs';

const base = mkdtempSync(
  join(
    process.env.CHANNELCODER_BENCH_DIR ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir()),
    'cc-bench-load-list-',
  ),
);
const verdict = (ratio, target) =>
  ratio <= target ? `target <= ${target}: met` : `target <= ${target}: MISSED`;
const fmt = (ms) => `${ms.toFixed(2)} ms`;
try {
  const load = await measureLoad(join(base, 'load'), { messages: 20_000, rounds: 9 });
  const firstPage = await (await prepareFirstPage(join(base, 'list'), { small: 1_000, large: 20_000 }))();
  console.log(
    [
      `\n@channelcoder/storage-file load and first page (node ${process.version}, ${cpus().length} CPUs, load ${loadavg()[0].toFixed(2)}; interleaved rounds, fastest run of each side)`,
      `load() of ${load.messages.toLocaleString('en')} messages (${load.megabytes.toFixed(1)} MB): ${fmt(load.loadMs)}; JSON.parse of the same lines: ${fmt(load.parseMs)}; ` +
        `ratio ${load.ratio.toFixed(2)} (CPU ${load.cpuRatio.toFixed(2)}) ${verdict(load.ratio, LOAD_TARGET)}`,
      `  read + split + parse of the same file: ${fmt(load.readParseMs)}; load() / that ${load.readRatio.toFixed(2)}`,
      `list({ limit: ${firstPage.page} }) at ${firstPage.large.toLocaleString('en')} sessions: ${fmt(firstPage.largeMs)}; at ${firstPage.small.toLocaleString('en')}: ${fmt(firstPage.smallMs)}; ` +
        `ratio ${firstPage.ratio.toFixed(2)} (CPU ${firstPage.cpuRatio.toFixed(2)}) ${verdict(firstPage.ratio, FIRST_PAGE_TARGET)}`,
    ].join('\n'),
  );
} finally {
  rmSync(base, { recursive: true, force: true });
}
