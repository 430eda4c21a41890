/**
 * Portable sessions, through `session()` as a program uses it: what mirroring a turn's transcript costs as
 * the session grows, and how long a restore of a 10 MB transcript takes.
 * - Mirroring: one real turn of the claude CLI (against the mock API) gives the lines a turn adds. Then a
 *   scripted runner stands in for the CLI: each turn it appends those lines (fresh uuids) to the
 *   conversation's transcript and answers at once, and the session saves the turn and mirrors the new lines
 *   into its storage: MemorySessionStorage, FileSessionStorage, and RedisSessionStorage when
 *   CHANNELCODER_TEST_REDIS_URL is set. A turn's time (save + mirror) is compared at turn 5 and turn 200
 *   (median of the 5 turns ending there); only new lines move, so the ratio should stay near 1.
 * - Restore: a session whose 10 MB transcript is only in the storage is loaded and given a turn; the
 *   transcript is written into the empty config dir before the (scripted) CLI resumes it (median of 5).
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { core, importBuilt, median, testkit } from './support.mjs';

const TURNS = Number(process.env.BENCH_TRANSCRIPT_TURNS ?? 200);

async function sampleTurnLines(sandbox, env) {
  const mock = await testkit.MockAnthropicServer.start();
  try {
    const overlay = {
      ...testkit.offlineClaudeEnvOverlay({
        baseUrl: mock.url,
        configDir: sandbox.configDir,
        home: sandbox.home,
      }),
      CLAUDE_BIN: testkit.claudeBinary(),
    };
    Object.assign(env, overlay);
    const first = await core.run('Describe the project layout.', { env, cwd: sandbox.cwd });
    const projects = join(sandbox.configDir, 'projects');
    for (const folder of readdirSync(projects)) {
      const path = join(projects, folder, `${first.sessionId}.jsonl`);
      try {
        const lines = readFileSync(path, 'utf8')
          .split('\n')
          .filter((l) => l.trim() !== '');
        return { lines, folder };
      } catch {
        // another folder
      }
    }
    throw new Error('the CLI wrote no transcript');
  } finally {
    await mock.close();
  }
}

export async function benchTranscripts() {
  const sandbox = testkit.makeClaudeSandbox('cc-bench-transcripts');
  try {
    const env = {};
    const { lines: turnLines, folder } = await sampleTurnLines(sandbox, env);
    const turnBytes = turnLines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
    const { FileSessionStorage } = await importBuilt(
      '../../storage-file/dist/index.js',
      '@channelcoder/storage-file',
    );
    const mirrors = [
      { name: 'MemorySessionStorage', storage: new core.MemorySessionStorage() },
      { name: 'FileSessionStorage', storage: new FileSessionStorage({ dir: join(sandbox.root, 'file') }) },
    ];
    const redis = await openRedis();
    if (redis !== undefined) mirrors.push({ name: 'RedisSessionStorage', storage: redis.storage });
    try {
      for (const [i, m] of mirrors.entries()) {
        const configDir = join(sandbox.root, `mirror-config-${i}`);
        Object.assign(m, await mirrorGrowth(m.storage, turnLines, { configDir, folder, cwd: sandbox.cwd }));
      }
    } finally {
      await redis?.close();
    }
    const restore = await restoreBig(turnLines, { folder, sandbox });
    return {
      turns: TURNS,
      turnLines: turnLines.length,
      turnBytes,
      mirrors: mirrors.map(({ name, early, late, storedLines }) => ({
        name,
        early,
        late,
        storedLines,
        timeRatio: late / early,
      })),
      redisSkipped: redis === undefined,
      restore,
    };
  } finally {
    sandbox.remove();
  }
}

/**
 * A runner standing in for the CLI: each turn appends `turnLines` (with fresh uuids) to the conversation's
 * transcript under `configDir` and answers at once.
 */
function scriptedRunner(turnLines, { configDir, folder }) {
  const dir = join(configDir, 'projects', folder);
  mkdirSync(dir, { recursive: true });
  return {
    run: async (prompt, o) => {
      const sessionId = o.resume ?? o.sessionId ?? globalThis.crypto.randomUUID();
      const lines = turnLines.map((line) => {
        const entry = JSON.parse(line);
        if (typeof entry.uuid === 'string') entry.uuid = globalThis.crypto.randomUUID();
        if ('sessionId' in entry) entry.sessionId = sessionId;
        return JSON.stringify(entry);
      });
      if (lines.length > 0) appendFileSync(join(dir, `${sessionId}.jsonl`), `${lines.join('\n')}\n`);
      return {
        text: `echo ${prompt}`,
        sessionId,
        totalCostUsd: 0.001,
        usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheCreationTokens: 0 },
        durationMs: 1,
        numTurns: 1,
        isError: false,
        raw: {},
      };
    },
  };
}

/** TURNS turns of a session on `storage` (after a warm-up session); a turn's median time at turn 5 and at TURNS. */
async function mirrorGrowth(storage, turnLines, { configDir, folder, cwd }) {
  const options = {
    storage,
    cwd,
    runner: scriptedRunner(turnLines, { configDir, folder }),
    defaults: { env: { CLAUDE_CONFIG_DIR: configDir } },
  };
  // Warm-up on another session, so turn 5 is not measured while the JIT is still cold.
  const warm = core.session(options);
  for (let turn = 1; turn <= 30; turn++) await warm.claude('warm-up');
  const s = core.session(options);
  const perTurn = [];
  for (let turn = 1; turn <= TURNS; turn++) {
    const start = performance.now();
    await s.claude(`turn ${turn}`);
    perTurn.push(performance.now() - start);
  }
  const state = s.state();
  if (state.metadata.transcriptError !== undefined) throw new Error(state.metadata.transcriptError);
  const storedLines =
    (await storage.loadTranscript(state.metadata.name, state.currentSessionId))?.length ?? 0;
  if (storedLines !== TURNS * turnLines.length) throw new Error(`stored ${storedLines} transcript lines`);
  const window = (end) => median(perTurn.slice(end - 5, end));
  return { early: window(5), late: window(TURNS), storedLines };
}

/** A session whose 10 MB transcript is only in the storage, loaded and given one turn (median of 5). */
async function restoreBig(turnLines, { folder, sandbox }) {
  const storage = new core.MemorySessionStorage();
  const big = [];
  let bigBytes = 0;
  for (let i = 0; bigBytes < 10 * 1024 * 1024; i++) {
    const entry = JSON.parse(turnLines[i % turnLines.length]);
    if (typeof entry.uuid === 'string') entry.uuid = globalThis.crypto.randomUUID();
    big.push(entry);
    bigBytes += Buffer.byteLength(JSON.stringify(entry)) + 1;
  }
  const bigId = globalThis.crypto.randomUUID();
  const state = core.createSessionState({ name: 'big' });
  state.currentSessionId = bigId;
  state.sessionChain = [bigId];
  await storage.save(state);
  await storage.appendTranscript('big', bigId, big, 0);
  const restoreMs = [];
  for (let round = 0; round < 5; round++) {
    const configDir = join(sandbox.root, `restore-${round}`);
    const runner = scriptedRunner([], { configDir, folder });
    const s = await core.session.load('big', {
      storage,
      cwd: sandbox.cwd,
      runner,
      defaults: { env: { CLAUDE_CONFIG_DIR: configDir } },
    });
    const start = performance.now();
    await s.claude('go on');
    restoreMs.push(performance.now() - start);
    if (!existsSync(join(configDir, 'projects', folder, `${bigId}.jsonl`)))
      throw new Error('the transcript was not restored');
    rmSync(configDir, { recursive: true, force: true });
  }
  return { megabytes: bigBytes / (1024 * 1024), lines: big.length, ms: median(restoreMs) };
}

/** RedisSessionStorage on CHANNELCODER_TEST_REDIS_URL (its ioredis resolved from the adapter's package). */
export async function openRedis() {
  const url = process.env.CHANNELCODER_TEST_REDIS_URL;
  if (!url) return undefined;
  const { RedisSessionStorage } = await importBuilt(
    '../../storage-redis/dist/index.js',
    '@channelcoder/storage-redis',
  );
  const adapterManifest = fileURLToPath(new URL('../../storage-redis/package.json', import.meta.url));
  const { Redis } = createRequire(adapterManifest)('ioredis');
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  const prefix = `cc-bench:${process.pid}:${globalThis.crypto.randomUUID()}:`;
  return {
    storage: new RedisSessionStorage({ client, prefix }),
    close: async () => {
      const keys = await client.keys(`${prefix}*`);
      if (keys.length > 0) await client.del(...keys);
      await client.quit();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await benchTranscripts(), null, 2));
}
