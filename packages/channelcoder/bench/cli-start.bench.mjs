// `pnpm bench`: the CLI's cold start against `node -e 0` (see cli-start.mjs), with its target.
import { cpus, loadavg, tmpdir } from 'node:os';
import { CLI_START_TARGET, measureCliStart } from './cli-start.mjs';

const rounds = Number(process.env.BENCH_CLI_ROUNDS ?? 31);
const base = process.env.CHANNELCODER_BENCH_DIR ?? tmpdir();
const verdict = (ratio) =>
  ratio <= CLI_START_TARGET ? `target <= ${CLI_START_TARGET}: met` : `target <= ${CLI_START_TARGET}: MISSED`;
for (const clock of ['wall', 'cpu']) {
  const result = await measureCliStart({ rounds, base, clock });
  console.log(
    [
      `channelcoder CLI cold start, ${clock === 'wall' ? 'wall time' : 'CPU time (user + system)'} (${result.rounds} interleaved rounds; fastest run of each; ` +
        `Node ${process.version}, ${cpus().length} cores, load ${loadavg()[0].toFixed(2)})`,
      `  node -e 0                 ${result.nodeMs.toFixed(1).padStart(7)} ms  1.00`,
      `  channelcoder --help       ${result.helpMs.toFixed(1).padStart(7)} ms  ${result.helpRatio.toFixed(2)}  ${verdict(result.helpRatio)}`,
      `  channelcoder session list ${result.listMs.toFixed(1).padStart(7)} ms  ${result.listRatio.toFixed(2)}  ${verdict(result.listRatio)}`,
    ].join('\n'),
  );
}
