import { readFileSync, statSync } from 'node:fs';
import { relative } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Seconds per test file from a full run (`scripts/test-durations.json`, written by
 * `node scripts/test-durations.mjs .tmp/vitest-report.json`), keyed by path from the repository root.
 */
function recordedDurations(): Record<string, number> {
  try {
    const file = new URL('./scripts/test-durations.json', import.meta.url);
    return JSON.parse(readFileSync(file, 'utf8')).files ?? {};
  } catch {
    return {};
  }
}

/**
 * Longest files first, across all projects, so that the two workers finish at about the same time
 * instead of one running a long file alone at the end. vitest's own order groups files by project and
 * knows durations only from an earlier run on the same machine (a fresh CI clone has none), so this order
 * takes the durations recorded in the repository. A file with no recorded time (a new one) counts as
 * `UNKNOWN_SECONDS`, between the long and the short files; among files of equal weight the larger runs first.
 */
const UNKNOWN_SECONDS = 10;

class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const recorded = recordedDurations();
    const root = this.ctx.config.root;
    const cache = this.ctx.cache;
    const weight = new Map<TestSpecification, [number, number]>();
    for (const spec of files) {
      const path = relative(root, spec.moduleId);
      // A result of this machine's own earlier run (vitest's cache) is the better guess when there is one.
      const cached = cache.getFileTestResults(`${spec.project.name}:${path}`);
      const seconds = cached ? cached.duration / 1000 : (recorded[path] ?? UNKNOWN_SECONDS);
      let size = 0;
      try {
        size = statSync(spec.moduleId).size;
      } catch {
        // a virtual module: size 0
      }
      weight.set(spec, [seconds, size]);
    }
    const groupOrder = (spec: TestSpecification) => spec.project.config.sequence.groupOrder ?? 0;
    return [...files].sort((a, b) => {
      const byGroup = groupOrder(a) - groupOrder(b);
      if (byGroup !== 0) return byGroup;
      const [secondsA, sizeA] = weight.get(a) as [number, number];
      const [secondsB, sizeB] = weight.get(b) as [number, number];
      return secondsB - secondsA || sizeB - sizeA;
    });
  }
}

export default defineConfig({
  test: {
    projects: ['packages/*', 'examples'],
    // Most test files spend their time waiting on child processes (claude, servers, backends), so two files
    // at once on a 2-core machine keeps both cores busy; vitest's default would be one.
    maxWorkers: 2,
    sequence: { sequencer: LongestFirstSequencer },
  },
});
