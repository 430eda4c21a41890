/**
 * A tiny stand-in for the `claude` CLI, written to a temp dir and used through CLAUDE_BIN. It records its
 * arguments and stdin to FAKE_CLAUDE_LOG and prints stream-json. FAKE_CLAUDE_MODE picks the behaviour:
 * - `same-id` (default): like current CLIs, `--resume X` answers with X;
 * - `new-id`: like CLIs before 1.0.124, every response has a NEW session id;
 * - `api-error`: a result line with subtype success but is_error true, exit 1;
 * - `no-conversation`: the CLI's answer to an unknown `--resume` id;
 * - `garbage`: non-JSON lines and unknown line types around a normal reply;
 * - `no-result`: prints to stderr and exits 3 without a result line;
 * - `hang`: starts a grandchild (its pid written to FAKE_CLAUDE_CHILD_PID) and waits forever.
 * Without `-p` (interactive mode) it records the call, appends to a transcript under CLAUDE_CONFIG_DIR
 * (when set) like the real CLI, and exits (2 in `api-error` mode, else 0).
 * FAKE_CLAUDE_CHUNKED=1 writes every line in 7-byte pieces with pauses (lines split across reads).
 * FAKE_CLAUDE_DELAY_MS waits that long before answering (a turn that takes a while).
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SCRIPT = String.raw`
const fs = require('node:fs');
const { randomUUID } = require('node:crypto');
const { spawn } = require('node:child_process');
const args = process.argv.slice(2);
const mode = process.env.FAKE_CLAUDE_MODE || 'same-id';
const flag = (name) => { const i = args.indexOf(name); return i === -1 ? undefined : args[i + 1]; };
let stdin = '';
if (args.includes('-p')) {
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (d) => { stdin += d; });
  process.stdin.on('end', main);
} else {
  // Interactive mode: the terminal is inherited, the prompt follows '--'; nothing is printed.
  const dash = args.indexOf('--');
  stdin = dash === -1 ? '' : args.slice(dash + 1).join(' ');
  if (process.env.FAKE_CLAUDE_LOG) {
    fs.appendFileSync(process.env.FAKE_CLAUDE_LOG, JSON.stringify({ args, stdin, cwd: process.cwd(), env: {} }) + '\n');
  }
  const id = flag('--session-id') || flag('--resume');
  if (process.env.CLAUDE_CONFIG_DIR && id && mode !== 'api-error' && !process.env.FAKE_CLAUDE_NO_TRANSCRIPT) {
    // Like the real CLI: the conversation goes to a transcript under the config dir.
    const folder = process.env.CLAUDE_CONFIG_DIR + '/projects/-fake-project';
    fs.mkdirSync(folder, { recursive: true });
    const lines = [
      { type: 'user', message: { role: 'user', content: stdin } },
      { type: 'assistant', message: { role: 'assistant', content: [{ type: 'text', text: 'typed answer to ' + stdin }] } },
      { type: 'cost-state', totalCostUSD: Number(process.env.FAKE_CLAUDE_COST || '0.01') },
    ];
    fs.appendFileSync(folder + '/' + id + '.jsonl', lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  }
  process.exit(mode === 'api-error' ? 2 : 0);
}
async function write(line) {
  const text = line + '\n';
  if (process.env.FAKE_CLAUDE_CHUNKED !== '1') { process.stdout.write(text); return; }
  for (let i = 0; i < text.length; i += 7) {
    process.stdout.write(text.slice(i, i + 7));
    await new Promise((r) => setTimeout(r, 1));
  }
}
async function main() {
  if (process.env.FAKE_CLAUDE_LOG) {
    fs.appendFileSync(process.env.FAKE_CLAUDE_LOG, JSON.stringify({ args, stdin, cwd: process.cwd(), env: { FAKE_EXTRA: process.env.FAKE_EXTRA } }) + '\n');
  }
  const resume = flag('--resume');
  const preset = flag('--session-id');
  let id;
  if (mode === 'new-id') id = randomUUID();
  else if (resume && !args.includes('--fork-session')) id = resume;
  else id = preset || randomUUID();
  if (mode === 'hang') {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    fs.writeFileSync(process.env.FAKE_CLAUDE_CHILD_PID, String(child.pid));
    setInterval(() => {}, 1000);
    return;
  }
  if (process.env.FAKE_CLAUDE_DELAY_MS) await new Promise((r) => setTimeout(r, Number(process.env.FAKE_CLAUDE_DELAY_MS)));
  if (mode === 'no-result') { process.stderr.write('fatal: something broke\n'); process.exit(3); }
  if (mode === 'no-conversation') {
    process.stderr.write('No conversation found with session ID: ' + resume + '\n');
    await write(JSON.stringify({ type: 'result', subtype: 'error_during_execution', is_error: true, session_id: randomUUID(), errors: ['No conversation found with session ID: ' + resume] }));
    process.exit(1);
  }
  await write(JSON.stringify({ type: 'system', subtype: 'init', session_id: id, cwd: process.cwd(), extra_field: { nested: true } }));
  if (mode === 'garbage') {
    await write('this is not json');
    await write('[1,2,3]');
    await write(JSON.stringify({ type: 'brand_new_line_type', session_id: id, payload: 42 }));
  }
  if (mode === 'api-error') {
    await write(JSON.stringify({ type: 'result', subtype: 'success', is_error: true, api_error_status: 500, result: 'API Error: 500 boom', session_id: id, total_cost_usd: 0, usage: { input_tokens: 0, output_tokens: 0 } }));
    process.exit(1);
  }
  const text = 'echo: ' + stdin;
  await write(JSON.stringify({ type: 'assistant', session_id: id, message: { id: 'msg_1', content: [{ type: 'text', text: 'part one|' }] } }));
  await write(JSON.stringify({ type: 'assistant', session_id: id, message: { id: 'msg_1', content: [{ type: 'text', text }] } }));
  await write(JSON.stringify({ type: 'result', subtype: 'success', is_error: false, result: text, session_id: id, total_cost_usd: Number(process.env.FAKE_CLAUDE_COST || '0.01'), duration_ms: 5, num_turns: 1, usage: { input_tokens: 3, output_tokens: 4, cache_read_input_tokens: 1, cache_creation_input_tokens: 2 } }));
}
`;

/** Writes the fake CLI into `dir` and returns its path (executable, runs on this Node). */
export function writeFakeClaude(dir: string): string {
  const path = join(dir, 'fake-claude');
  writeFileSync(path, `#!${process.execPath}\n${SCRIPT}`);
  chmodSync(path, 0o755);
  return path;
}

/** One recorded invocation of the fake CLI. */
export interface FakeInvocation {
  args: string[];
  stdin: string;
  cwd: string;
  env: { FAKE_EXTRA?: string };
}
