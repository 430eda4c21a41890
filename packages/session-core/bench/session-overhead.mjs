/**
 * Overhead of the session layer per turn: the same 3-turn conversation, same prompt, same mock, through
 * `session().claude()` with durable file autosave (one fsync'd JSON file per session) and through the bare
 * runner (`run()` with `--resume` done by hand). Turns run in back-to-back pairs (alternating which goes
 * first); the ratio is the median of the per-pair ratios, which cancels most of the load other processes
 * put on the machine.
 * Also measures the session layer alone (a runner that answers instantly), which is what the ratio costs.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createJsonFileStorage } from '../test/session/support/json-file-storage.mjs';
import { core, kit, median, testkit } from './support.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const TURNS = 3;
const PROMPT = 'Summarise the design of the session layer in one sentence.';

export async function benchSessionOverhead() {
  const mock = await testkit.MockAnthropicServer.start();
  const sandbox = testkit.makeClaudeSandbox('cc-bench');
  const env = {
    ...testkit.offlineClaudeEnvOverlay({
      baseUrl: mock.url,
      configDir: sandbox.configDir,
      home: sandbox.home,
    }),
    CLAUDE_BIN: testkit.claudeBinary(),
  };
  const storage = createJsonFileStorage({ ...core, ...kit }, join(sandbox.root, 'sessions'));
  const options = { env, cwd: sandbox.cwd };
  const sessionTurns = [];
  const bareTurns = [];
  const pairRatios = [];
  try {
    const timed = async (fn) => {
      const start = performance.now();
      await fn();
      return performance.now() - start;
    };
    const warm = await core.run(PROMPT, options); // first start of the binary: file caches
    await core.run(PROMPT, { ...options, resume: warm.sessionId });
    for (let r = 0; r < ROUNDS; r++) {
      // One session and one bare conversation advance turn by turn, back to back, alternating which goes
      // first, so load from other processes hits both alike; each pair gives one ratio.
      const s = core.session({ storage, cwd: sandbox.cwd, defaults: { env } });
      let bareId;
      const sessionTurn = () => s.claude(PROMPT);
      const bareTurn = async () => {
        const result = await core.run(
          PROMPT,
          bareId === undefined ? options : { ...options, resume: bareId },
        );
        bareId = result.sessionId;
      };
      for (let t = 0; t < TURNS; t++) {
        let sessionMs;
        let bareMs;
        if ((r + t) % 2 === 0) {
          sessionMs = await timed(sessionTurn);
          bareMs = await timed(bareTurn);
        } else {
          bareMs = await timed(bareTurn);
          sessionMs = await timed(sessionTurn);
        }
        sessionTurns.push(sessionMs);
        bareTurns.push(bareMs);
        pairRatios.push(sessionMs / bareMs);
      }
    }
  } finally {
    await mock.close();
  }

  // The session layer alone: record + autosave around a runner that answers at once.
  const instant = {
    run: async (prompt, o) => ({
      text: `echo ${prompt}`,
      sessionId: o.resume ?? o.sessionId,
      totalCostUsd: 0.001,
      usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheCreationTokens: 0 },
      durationMs: 1,
      numTurns: 1,
      isError: false,
      raw: {},
    }),
  };
  const layer = [];
  for (let r = 0; r < 30; r++) {
    const s = core.session({ storage, runner: instant });
    for (let t = 0; t < TURNS; t++) {
      const start = performance.now();
      await s.claude(PROMPT);
      layer.push(performance.now() - start);
    }
  }
  sandbox.remove();

  const sessionMedian = median(sessionTurns);
  const bareMedian = median(bareTurns);
  const layerMedian = median(layer);
  return {
    storage:
      'durable temp-file JSON storage (write, fsync, rename; test/session/support/json-file-storage.mjs)',
    turns: sessionTurns.length,
    sessionMedian,
    bareMedian,
    ratio: median(pairRatios),
    layerMedian,
    layerRatio: (bareMedian + layerMedian) / bareMedian,
  };
}
