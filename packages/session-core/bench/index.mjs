/** `pnpm bench`: both benchmarks, printed as tables with their targets. */
import { benchParser } from './parser-throughput.mjs';
import { benchSessionOverhead } from './session-overhead.mjs';
import { printTable } from './support.mjs';

const parser = await benchParser();
printTable(
  `Parser throughput (${parser.megabytes.toFixed(1)} MB recorded stream-json, ${parser.lines} lines, median of 7)`,
  ['reader', 'MB/s', 'ratio', 'target'],
  [
    ['bare JSON.parse per line', parser.bareMBs.toFixed(1), '1.00', ''],
    ['StreamJsonParser (64 KB chunks)', parser.parserMBs.toFixed(1), parser.ratio.toFixed(2), '>= 0.5'],
  ],
);

const overhead = await benchSessionOverhead();
printTable(
  `Session layer overhead per turn (real claude CLI + mock API, ${overhead.turns} turn pairs; ratio = median of pair ratios)`,
  ['variant', 'ms/turn', 'ratio', 'target'],
  [
    ['bare runner (run + --resume)', overhead.bareMedian.toFixed(1), '1.00', ''],
    [
      'session().claude() + file autosave',
      overhead.sessionMedian.toFixed(1),
      overhead.ratio.toFixed(3),
      '<= 1.02',
    ],
    [
      'session layer alone (instant runner)',
      overhead.layerMedian.toFixed(3),
      overhead.layerRatio.toFixed(4),
      '<= 1.02',
    ],
  ],
);
console.log(`storage: ${overhead.storage}`);

const failures = [];
if (parser.ratio < 0.5) failures.push(`parser ratio ${parser.ratio.toFixed(2)} < 0.5`);
if (overhead.layerRatio > 1.02) failures.push(`session layer ratio ${overhead.layerRatio.toFixed(4)} > 1.02`);
if (failures.length > 0) {
  console.error(`\nTargets missed: ${failures.join('; ')}`);
  process.exitCode = 1;
}
