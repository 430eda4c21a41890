// The lines one real turn of the claude CLI writes to its transcript, run against the in-repo mock API
// (offline), so the byte ratio is measured on what the CLI really writes. Resolves undefined when the CLI or
// the testkit cannot run here (the bench then uses CLI-shaped generated entries and says so).
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export async function recordTurnLines() {
  let testkit;
  let core;
  try {
    testkit = await import('@channelcoder/testkit');
    core = await import('@channelcoder/session-core');
  } catch {
    return undefined;
  }
  const sandbox = testkit.makeClaudeSandbox('cc-s3-bench-turn');
  const mock = await testkit.MockAnthropicServer.start();
  try {
    const env = {
      ...process.env,
      ...testkit.offlineClaudeEnvOverlay({
        baseUrl: mock.url,
        configDir: sandbox.configDir,
        home: sandbox.home,
      }),
      CLAUDE_BIN: testkit.claudeBinary(),
    };
    const turn = await core.run('Describe the project layout.', { env, cwd: sandbox.cwd });
    const projects = join(sandbox.configDir, 'projects');
    for (const folder of readdirSync(projects)) {
      try {
        const text = readFileSync(join(projects, folder, `${turn.sessionId}.jsonl`), 'utf8');
        return text.split('\n').filter((l) => l.trim() !== '');
      } catch {
        // another folder
      }
    }
    return undefined;
  } catch (err) {
    console.log(`   (recording a real CLI turn failed: ${err instanceof Error ? err.message : String(err)})`);
    return undefined;
  } finally {
    await mock.close();
    rmSync(sandbox.root, { recursive: true, force: true });
  }
}

/** `count` entries made of the recorded lines turn after turn, each with a fresh uuid chained by parentUuid. */
export function entriesFromTurn(lines, count, sessionId) {
  const entries = [];
  let parent = null;
  for (let i = 0; i < count; i++) {
    const entry = JSON.parse(lines[i % lines.length]);
    if (typeof entry.uuid === 'string') {
      entry.uuid = randomUUID();
      if ('parentUuid' in entry) entry.parentUuid = parent;
      parent = entry.uuid;
    }
    if (typeof entry.sessionId === 'string') entry.sessionId = sessionId;
    entries.push(entry);
  }
  return entries;
}
