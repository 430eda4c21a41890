/**
 * Overhead of the session layer per turn: the same 3-turn conversation, same prompt, same mock, through
 * `session().claude()` with durable file autosave (one fsync'd JSON file per session) and through the bare
 * runner (`run()` with `--resume` done by hand). Rounds alternate between the two to cancel drift.
 * Also measures the session layer alone (a runner that answers instantly), which is what the ratio costs.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createJsonFileStorage } from '../test/session/support/json-file-storage.mjs';
import { core, median, testkit } from './support.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
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
  const storage = createJsonFileStorage(core, join(sandbox.root, 'sessions'));
  const options = { env, cwd: sandbox.cwd };
  const sessionTurns = [];
  const bareTurns = [];
  try {
    const sessionRound = async () => {
      const s = core.session({ storage, cwd: sandbox.cwd, defaults: { env } });
      for (let t = 0; t < TURNS; t++) {
        const start = performance.now();
        await s.claude(PROMPT);
        sessionTurns.push(performance.now() - start);
      }
    };
    const bareRound = async () => {
      let id;
      for (let t = 0; t < TURNS; t++) {
        const start = performance.now();
        const result = await core.run(PROMPT, id === undefined ? options : { ...options, resume: id });
        id = result.sessionId;
        bareTurns.push(performance.now() - start);
      }
    };
    await bareRound(); // warm-up: file caches, the binary's first start
    bareTurns.length = 0;
    for (let r = 0; r < ROUNDS; r++) {
      if (r % 2 === 0) {
        await sessionRound();
        await bareRound();
      } else {
        await bareRound();
        await sessionRound();
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
    ratio: sessionMedian / bareMedian,
    layerMedian,
    layerRatio: (bareMedian + layerMedian) / bareMedian,
  };
}
