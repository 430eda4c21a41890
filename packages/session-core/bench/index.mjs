/** `pnpm bench`: the benchmarks, printed as tables with their targets. */
import { benchParser } from './parser-throughput.mjs';
import { benchSessionOverhead } from './session-overhead.mjs';
import { printTable } from './support.mjs';
import { benchTranscripts } from './transcripts.mjs';

const parser = await benchParser();
printTable(
  `Parser throughput (${parser.megabytes.toFixed(1)} MB recorded stream-json, ${parser.lines} lines, median of 7)`,
  ['reader', 'MB/s', 'ratio', 'target'],
  [
    ['readFile + JSON.parse per line', parser.bareMBs.toFixed(1), '1.00', ''],
    [
      'readDetachedLog (stream-json parser, chunked reads)',
      parser.parserMBs.toFixed(1),
      parser.ratio.toFixed(2),
      '>= 0.5',
    ],
  ],
);

const overhead = await benchSessionOverhead();
printTable(
  `Session layer overhead per turn (real claude CLI + mock API, ${overhead.turns} rounds; durable saves and the transcript mirrored into the storage after each turn; ratio = median of per-round ratios)`,
  ['variant', 'ms/turn', 'ratio', 'target'],
  [
    ['bare runner (run + --resume)', overhead.bareMedian.toFixed(1), '1.00', ''],
    ...overhead.storages.map((s) => [
      `session().claude() on ${s.name}`,
      s.median.toFixed(1),
      s.ratio.toFixed(3),
      '<= 1.02',
    ]),
    [
      'session layer alone (instant runner, FileSessionStorage)',
      overhead.layerMedian.toFixed(3),
      overhead.layerRatio.toFixed(4),
      '<= 1.02',
    ],
  ],
);
if (overhead.redisSkipped)
  console.log('RedisSessionStorage skipped: set CHANNELCODER_TEST_REDIS_URL to include it');

const transcripts = await benchTranscripts();
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
printTable(
  `Session turn with transcript mirroring (scripted CLI adding ${transcripts.turnLines} transcript lines, ${kb(transcripts.turnBytes)} per turn, as one real CLI turn does; save + mirror; median of 5 turns)`,
  ['storage', 'ms at turn 5', `ms at turn ${transcripts.turns}`, 'ratio', 'target'],
  transcripts.mirrors.map((m) => [
    m.name,
    m.early.toFixed(2),
    m.late.toFixed(2),
    m.timeRatio.toFixed(2),
    m.timeRatio <= 1.5 ? '<= 1.5: met' : '<= 1.5: MISSED',
  ]),
);
if (transcripts.redisSkipped)
  console.log('RedisSessionStorage skipped: set CHANNELCODER_TEST_REDIS_URL to include it');
printTable(
  'Transcript restore (storage → empty CLAUDE_CONFIG_DIR before a resumed turn, through session.load + claude(); median of 5)',
  ['transcript', 'lines', 'ms', 'MB/s'],
  [
    [
      `${transcripts.restore.megabytes.toFixed(1)} MB`,
      String(transcripts.restore.lines),
      transcripts.restore.ms.toFixed(1),
      (transcripts.restore.megabytes / (transcripts.restore.ms / 1000)).toFixed(0),
    ],
  ],
);

const failures = [];
for (const m of transcripts.mirrors) {
  if (m.timeRatio > 1.5) failures.push(`${m.name} turn + mirror time ratio ${m.timeRatio.toFixed(2)} > 1.5`);
}
if (parser.ratio < 0.5) failures.push(`parser ratio ${parser.ratio.toFixed(2)} < 0.5`);
if (overhead.layerRatio > 1.02) failures.push(`session layer ratio ${overhead.layerRatio.toFixed(4)} > 1.02`);
if (failures.length > 0) {
  console.error(`\nTargets missed: ${failures.join('; ')}`);
  process.exitCode = 1;
}

const { benchTurnGrowth } = await import('./turn-growth.mjs');
for (const kind of ['memory', 'file']) {
  const growth = await benchTurnGrowth(kind);
  printTable(
    `A turn against the session's length (session layer alone, instant runner, ${growth.storage}; fastest of ${growth.turns} alternating turns)`,
    ['session', 'ms/turn', 'ratio (wall)', 'ratio (CPU)', 'target'],
    [
      [`${growth.small} messages`, growth.smallMs.toFixed(2), '1.00', '1.00', ''],
      [
        `${growth.large.toLocaleString('en')} messages`,
        growth.largeMs.toFixed(2),
        growth.ratio.toFixed(2),
        growth.cpuRatio.toFixed(2),
        growth.ratio <= 1.5 ? '<= 1.5: met' : '<= 1.5: MISSED',
      ],
    ],
  );
  const rssRatio = growth.rssGrowthMegabytes / growth.storedMegabytes;
  console.log(
    `peak RSS growth over the large session's turns (${growth.storage}): ${growth.rssGrowthMegabytes.toFixed(1)} MB for ${growth.storedMegabytes.toFixed(1)} MB stored: ` +
      `${rssRatio.toFixed(2)}x (target <= 2: ${rssRatio <= 2 ? 'met' : 'MISSED'})`,
  );
}

const { benchCodecRatio } = await import('./codec-ratio.mjs');
const codec = benchCodecRatio();
printTable(
  `Transcript codec: stored / raw bytes, one chunk per turn (${codec.turns} turns, ${codec.lines} lines recorded from ${codec.cli})`,
  ['turns', 'raw bytes', 'stored bytes', 'ratio', 'target'],
  [
    [
      'all',
      String(codec.rawBytes),
      String(codec.storedBytes),
      codec.ratio.toFixed(3),
      codec.ratio <= 0.25 ? '<= 0.25: met' : '<= 0.25: MISSED',
    ],
    [
      'after the first',
      '',
      '',
      codec.laterRatio.toFixed(3),
      codec.laterRatio <= 0.25 ? '<= 0.25: met' : '<= 0.25: MISSED',
    ],
  ],
);

const { benchAdopt, benchSearchScan } = await import('./terminal.mjs');
const adopt = await benchAdopt();
printTable(
  `Adopting the CLI's transcripts (${adopt.count} transcripts × ${adopt.turns} turns, ${adopt.megabytes.toFixed(0)} MB, into memory)`,
  ['run', 'total ms', 'ms / transcript', 'result'],
  [
    ['first (all new)', adopt.ms.toFixed(0), adopt.perTranscriptMs.toFixed(2), `${adopt.added} added`],
    [
      'second (nothing new)',
      adopt.secondMs.toFixed(0),
      (adopt.secondMs / adopt.count).toFixed(2),
      `${adopt.unchanged} unchanged`,
    ],
  ],
);
const scan = await benchSearchScan();
printTable(
  `Search by scan (the fallback; ${scan.sessions} sessions × ${scan.messages} messages, memory storage)`,
  ['query', 'ms', 'hits'],
  [['"rare quetzal" (one session)', scan.ms.toFixed(0), String(scan.hits)]],
);
