/**
 * Parser throughput of what ships: `readDetachedLog()` (the public reader of a detached run's stream-json
 * log: the file read in chunks through the runner's stream-json parser, as from a pipe) vs a bare read of
 * the same file and `JSON.parse` of every line. The input is recorded from the real CLI against the mock
 * (multi-block replies, so assistant lines are many), repeated to a multi-megabyte file.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { core, median, testkit } from './support.mjs';

const TARGET_BYTES = 16 * 1024 * 1024;

async function recordStream(sandbox) {
  const paragraph = 'The session layer records each turn through the chain logic and saves it once. ';
  const mock = await testkit.MockAnthropicServer.start({
    reply: (c) => Array.from({ length: 8 }, (_, i) => `${i}: ${paragraph.repeat(4 + c.userTurns)}`),
  });
  try {
    const env = testkit.offlineClaudeEnv({
      baseUrl: mock.url,
      configDir: sandbox.configDir,
      home: sandbox.home,
    });
    let text = '';
    let id;
    for (let turn = 0; turn < 3; turn++) {
      const args = ['-p', '--output-format', 'stream-json', '--verbose', ...(id ? ['--resume', id] : [])];
      text += await capture(testkit.claudeBinary(), args, { env, cwd: sandbox.cwd }, `turn ${turn}`);
      id = JSON.parse(text.trim().split('\n').at(-1)).session_id;
    }
    return text;
  } finally {
    await mock.close();
  }
}

/** Runs a command (the mock lives in this process, so it must not block) and returns its stdout. */
function capture(command, args, options, input) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, options);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`claude failed while recording: ${err}`)),
    );
    child.stdin.end(input);
  });
}

export async function benchParser() {
  const sandbox = testkit.makeClaudeSandbox('cc-bench-parser');
  try {
    const recorded = await recordStream(sandbox);
    const file = join(sandbox.root, 'recorded.jsonl');
    writeFileSync(file, recorded.repeat(Math.ceil(TARGET_BYTES / recorded.length)));
    const bytes = readFileSync(file);
    const lineCount = bytes
      .toString('utf8')
      .split('\n')
      .filter((line) => line.length > 0).length;

    const parse = async () => {
      const state = await core.readDetachedLog(file);
      if (state.sessionId === undefined || state.invalidLines.length > 0)
        throw new Error('readDetachedLog did not read the recorded stream');
    };
    const bare = async () => {
      let lines = 0;
      for (const line of (await readFile(file, 'utf8')).split('\n')) {
        if (line.length > 0) {
          JSON.parse(line);
          lines++;
        }
      }
      if (lines !== lineCount) throw new Error('the baseline read the wrong number of lines');
    };
    const time = async (fn) => {
      const start = performance.now();
      await fn();
      return performance.now() - start;
    };
    const parserMs = [];
    const bareMs = [];
    for (let i = 0; i < 7; i++) {
      parserMs.push(await time(parse));
      bareMs.push(await time(bare));
    }
    const mb = bytes.length / (1024 * 1024);
    const parserMBs = mb / (median(parserMs) / 1000);
    const bareMBs = mb / (median(bareMs) / 1000);
    return { megabytes: mb, lines: lineCount, parserMBs, bareMBs, ratio: parserMBs / bareMBs };
  } finally {
    sandbox.remove();
  }
}
