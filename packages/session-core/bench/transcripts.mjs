/**
 * Portable sessions: what mirroring a turn's transcript costs as the session grows, and how long a restore
 * of a 10 MB transcript takes.
 * - Mirroring: one real turn of the claude CLI (against the mock API) gives the lines a turn adds; a
 *   transcript then grows by those lines per turn, and after each turn the session's TranscriptMirror sends
 *   the new lines to a MemorySessionStorage. Bytes sent and time are compared at turn 5 and turn 200
 *   (median of the 5 turns ending there). Only new lines move, so the ratio should stay near 1.
 * - Restore: a 10 MB transcript in the storage, written into an empty config dir (median of 5).
 */
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { core, median, testkit } from './support.mjs';

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
        return readFileSync(path, 'utf8')
          .split('\n')
          .filter((l) => l.trim() !== '');
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
    const turnLines = await sampleTurnLines(sandbox, {});
    const turnBytes = turnLines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);

    // Mirroring, turn after turn.
    const location = { configDir: join(sandbox.root, 'mirror-config'), cwd: sandbox.cwd };
    const id = globalThis.crypto.randomUUID();
    const path = core.transcriptPathFor(location, id);
    mkdirSync(join(path, '..'), { recursive: true });
    const storage = new core.MemorySessionStorage();
    await storage.save(core.createSessionState({ name: 'bench' }));
    const mirror = new core.TranscriptMirror(storage);
    // Warm-up on another transcript, so turn 5 is not measured while the JIT is still cold.
    const warmId = globalThis.crypto.randomUUID();
    const warmPath = core.transcriptPathFor(location, warmId);
    for (let turn = 1; turn <= 30; turn++) {
      appendFileSync(warmPath, `${turnLines.join('\n')}\n`);
      await mirror.mirror('bench', warmId, location);
    }
    const perTurn = [];
    for (let turn = 1; turn <= TURNS; turn++) {
      appendFileSync(path, `${turnLines.join('\n')}\n`);
      const start = performance.now();
      const report = await mirror.mirror('bench', id, location);
      perTurn.push({ ms: performance.now() - start, bytes: report.bytes, lines: report.lines });
    }
    const window = (end) => perTurn.slice(end - 5, end);
    const early = window(5);
    const late = window(TURNS);
    const mirrorEarly = { ms: median(early.map((t) => t.ms)), bytes: median(early.map((t) => t.bytes)) };
    const mirrorLate = { ms: median(late.map((t) => t.ms)), bytes: median(late.map((t) => t.bytes)) };
    const stored = (await storage.loadTranscript('bench', id))?.length ?? 0;

    // Restore of a 10 MB transcript.
    const big = [];
    let bigBytes = 0;
    for (let i = 0; bigBytes < 10 * 1024 * 1024; i++) {
      const entry = JSON.parse(turnLines[i % turnLines.length]);
      big.push(entry);
      bigBytes += Buffer.byteLength(JSON.stringify(entry)) + 1;
    }
    const bigId = globalThis.crypto.randomUUID();
    await storage.appendTranscript('bench', bigId, big, 0);
    const restoreMs = [];
    for (let round = 0; round < 5; round++) {
      const target = { configDir: join(sandbox.root, `restore-${round}`), cwd: sandbox.cwd };
      const fresh = new core.TranscriptMirror(storage);
      const start = performance.now();
      const restored = await fresh.restore([{ name: 'bench', claudeSessionId: bigId }], target, 'bench');
      restoreMs.push(performance.now() - start);
      if (!restored) throw new Error('restore did nothing');
      rmSync(target.configDir, { recursive: true, force: true });
    }
    return {
      turns: TURNS,
      turnLines: turnLines.length,
      turnBytes,
      storedLines: stored,
      mirrorEarly,
      mirrorLate,
      timeRatio: mirrorLate.ms / mirrorEarly.ms,
      bytesRatio: mirrorLate.bytes / mirrorEarly.bytes,
      restore: { megabytes: bigBytes / (1024 * 1024), lines: big.length, ms: median(restoreMs) },
    };
  } finally {
    sandbox.remove();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await benchTranscripts(), null, 2));
}
