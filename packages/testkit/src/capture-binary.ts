/**
 * Binaries for tests at a process boundary. A capture binary stands in for `claude`: it records its argv,
 * environment, working directory and stdin (one JSON line per call, to a file fixed when it is written,
 * so no variable can redirect it) and answers like `claude -p --output-format stream-json` does.
 * An evil binary only leaves a marker file behind: a test asserts it never ran.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One recorded start of the capture binary. */
export interface CapturedCall {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  stdin: string;
}

export interface CaptureBinary {
  /** The executable (pass it as CLAUDE_BIN or claudeBin). */
  path: string;
  /** Every start so far, oldest first. */
  calls(): CapturedCall[];
}

/** Writes a capture binary into `dir`. Its reply text is `captured`; its session id is fixed. */
export function makeCaptureBinary(dir: string, name = 'claude-capture'): CaptureBinary {
  const path = join(dir, name);
  const log = join(dir, `${name}.calls.jsonl`);
  const script = `#!${process.execPath}
const fs = require('node:fs');
let stdin = '';
const record = () => {
  fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ argv: process.argv.slice(2), env: { ...process.env }, cwd: process.cwd(), stdin }) + '\\n');
  const id = '11111111-2222-4333-8444-555555555555';
  process.stdout.write(JSON.stringify({ type: 'system', subtype: 'init', session_id: id }) + '\\n');
  process.stdout.write(JSON.stringify({ type: 'result', subtype: 'success', is_error: false, result: 'captured', session_id: id, total_cost_usd: 0, duration_ms: 1, num_turns: 1, usage: { input_tokens: 1, output_tokens: 1 } }) + '\\n');
};
if (process.argv.includes('-p')) {
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (d) => { stdin += d; });
  process.stdin.on('end', record);
} else record();
`;
  writeFileSync(path, script, { mode: 0o755 });
  chmodSync(path, 0o755);
  return {
    path,
    calls: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .split('\n')
            .filter((l) => l !== '')
            .map((l) => JSON.parse(l) as CapturedCall)
        : [],
  };
}

export interface EvilBinary {
  path: string;
  /** True once it was started. */
  ran(): boolean;
}

/** Writes an executable into `dir` that only creates a marker file when started. */
export function makeEvilBinary(dir: string, name = 'evil.sh'): EvilBinary {
  const path = join(dir, name);
  const marker = join(dir, `${name}.ran`);
  writeFileSync(path, `#!/bin/sh\ntouch '${marker}'\n`, { mode: 0o755 });
  chmodSync(path, 0o755);
  return { path, ran: () => existsSync(marker) };
}
