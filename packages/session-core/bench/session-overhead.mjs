/**
 * Overhead of the session layer per turn, with the storages that ship: the same 3-turn conversation, same
 * prompt, same mock, through `session().claude()` on FileSessionStorage (durable saves, and the turn's
 * transcript mirrored into the storage after each turn), on RedisSessionStorage when a Redis is given
 * (CHANNELCODER_TEST_REDIS_URL), and through the bare runner (`run()` with `--resume` done by hand). Each
 * round advances every variant by one turn, back to back in an order that rotates; each variant's ratio is
 * the median of its per-round ratios to the bare turn, which cancels most of the load other processes put
 * on the machine.
 * Also measures the session layer alone on FileSessionStorage (a runner that answers instantly), which is
 * what the ratio costs.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { core, importBuilt, median, testkit } from './support.mjs';
import { openRedis } from './transcripts.mjs';

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
  const { FileSessionStorage } = await importBuilt(
    '../../storage-file/dist/index.js',
    '@channelcoder/storage-file',
  );
  const storages = { file: new FileSessionStorage({ dir: join(sandbox.root, 'sessions') }) };
  const redis = await openRedis();
  if (redis !== undefined) storages.redis = redis.storage;
  const options = { env, cwd: sandbox.cwd };
  const variants = [...Object.keys(storages), 'bare'];
  const turns = Object.fromEntries(variants.map((v) => [v, []]));
  const ratios = Object.fromEntries(Object.keys(storages).map((v) => [v, []]));
  try {
    const timed = async (fn) => {
      const start = performance.now();
      await fn();
      return performance.now() - start;
    };
    const warm = await core.run(PROMPT, options); // first start of the binary: file caches
    await core.run(PROMPT, { ...options, resume: warm.sessionId });
    for (let r = 0; r < ROUNDS; r++) {
      // One session per storage and one bare conversation advance turn by turn, back to back, in an order
      // that rotates, so load from other processes hits all alike; each round gives one ratio per storage.
      const sessions = Object.fromEntries(
        Object.entries(storages).map(([v, storage]) => [
          v,
          core.session({ storage, cwd: sandbox.cwd, defaults: { env } }),
        ]),
      );
      let bareId;
      const turn = {
        bare: async () => {
          const result = await core.run(
            PROMPT,
            bareId === undefined ? options : { ...options, resume: bareId },
          );
          bareId = result.sessionId;
        },
      };
      for (const v of Object.keys(sessions)) turn[v] = () => sessions[v].claude(PROMPT);
      for (let t = 0; t < TURNS; t++) {
        const took = {};
        for (let i = 0; i < variants.length; i++) {
          const v = variants[(r * TURNS + t + i) % variants.length];
          took[v] = await timed(turn[v]);
        }
        for (const v of variants) turns[v].push(took[v]);
        for (const v of Object.keys(storages)) ratios[v].push(took[v] / took.bare);
      }
      for (const [v, s] of Object.entries(sessions)) {
        const { transcriptError } = s.state().metadata;
        if (transcriptError !== undefined)
          throw new Error(`${v}: the transcript was not mirrored: ${transcriptError}`);
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
    const s = core.session({ storage: storages.file, runner: instant });
    for (let t = 0; t < TURNS; t++) {
      const start = performance.now();
      await s.claude(PROMPT);
      layer.push(performance.now() - start);
    }
  }
  await redis?.close();
  sandbox.remove();

  const bareMedian = median(turns.bare);
  const layerMedian = median(layer);
  return {
    turns: turns.bare.length,
    bareMedian,
    storages: Object.keys(storages).map((v) => ({
      name: v === 'file' ? 'FileSessionStorage' : 'RedisSessionStorage',
      median: median(turns[v]),
      ratio: median(ratios[v]),
    })),
    redisSkipped: redis === undefined,
    layerMedian,
    layerRatio: (bareMedian + layerMedian) / bareMedian,
  };
}
