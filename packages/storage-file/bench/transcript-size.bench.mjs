// Stored size of compressed transcripts (run `pnpm bench`; the package is built first): a session of
// Claude Code transcript lines appended turn by turn, as the Agent SDK bridge does (one appendTranscript
// per turn: the prompt, the assistant's text and tool call, the tool's result, the final answer). The tool
// results are real files (this package's sources, read as a `Read` tool would return them) and the texts
// are paragraphs of its README, so the lines have the entropy of real work, not of repeated filler.
// Prints stored bytes (the transcript's `.ccz` file, and with its head) / raw bytes (the same lines as
// plain JSON lines), target <= 0.25, and checks that loadTranscript returns exactly the appended lines.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { createSessionState } from '@channelcoder/session-core';
import { FileSessionStorage } from '@channelcoder/storage-file';

const TARGET = 0.25;
const TURNS = Number(process.env.BENCH_TURNS ?? 60);
const SESSION_ID = '2b1c9a54-6a57-4a43-9d0e-4e3f6c1f0d11';
const here = new URL('..', import.meta.url).pathname;
const sources = readdirSync(join(here, 'src'))
  .filter((f) => f.endsWith('.ts'))
  .sort()
  .map((f) => ({ path: `/work/project/src/${f}`, text: readFileSync(join(here, 'src', f), 'utf8') }));
const paragraphs = readFileSync(join(here, 'README.md'), 'utf8')
  .split('\n\n')
  .filter((p) => p.length > 80 && !p.startsWith('```'));

let n = 0;
let parent = null;
function line(type, message, extra = {}) {
  n += 1;
  const uuid = `9f${String(n).padStart(6, '0')}-1c2d-4e5f-8a9b-${(n * 2654435761).toString(16).padStart(12, '0').slice(-12)}`;
  const entry = {
    parentUuid: parent,
    isSidechain: false,
    userType: 'external',
    cwd: '/work/project',
    sessionId: SESSION_ID,
    version: '2.1.330',
    gitBranch: 'main',
    type,
    message,
    uuid,
    timestamp: new Date(Date.UTC(2026, 11, 3, 8, 0, n)).toISOString(),
    ...extra,
  };
  parent = uuid;
  return entry;
}

function usage(i) {
  return {
    input_tokens: 12 + i,
    cache_creation_input_tokens: 400 + i * 13,
    cache_read_input_tokens: 9000 + i * 71,
    output_tokens: 80 + (i % 17) * 9,
    service_tier: 'standard',
  };
}

function turn(i) {
  const file = sources[i % sources.length];
  const said = paragraphs[i % paragraphs.length];
  const answer = paragraphs[(i * 7 + 3) % paragraphs.length];
  const tool = `toolu_01${(i * 7919).toString(36).padStart(10, 'x')}`;
  const assistant = (content, stop) => ({
    id: `msg_01${(i * 104729).toString(36)}`,
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5-20250929',
    content,
    stop_reason: stop,
    stop_sequence: null,
    usage: usage(i),
  });
  return [
    line('user', {
      role: 'user',
      content: `Turn ${i}: look at ${file.path} and explain: ${said.slice(0, 120)}`,
    }),
    line('assistant', assistant([{ type: 'text', text: said }], null), { requestId: `req_011C${i}` }),
    line(
      'assistant',
      assistant([{ type: 'tool_use', id: tool, name: 'Read', input: { file_path: file.path } }], 'tool_use'),
      { requestId: `req_011C${i}` },
    ),
    line(
      'user',
      { role: 'user', content: [{ tool_use_id: tool, type: 'tool_result', content: file.text }] },
      { toolUseResult: { type: 'text', file: { filePath: file.path, content: file.text } } },
    ),
    line('assistant', assistant([{ type: 'text', text: answer }], 'end_turn'), { requestId: `req_011D${i}` }),
  ];
}

const root = mkdtempSync(join(process.env.CHANNELCODER_BENCH_DIR ?? tmpdir(), 'cc-bench-size-'));
try {
  const storage = new FileSessionStorage({ dir: root, fsync: false });
  await storage.save(createSessionState({ name: 'sized' }));
  const all = [];
  let raw = 0;
  for (let i = 0; i < TURNS; i++) {
    const batch = turn(i);
    await storage.appendTranscript('sized', SESSION_ID, batch, 0, { dedupe: 'uuid' });
    for (const e of batch) raw += Buffer.byteLength(JSON.stringify(e)) + 1;
    all.push(...batch);
  }
  const dir = join(root, 'sized', 'transcripts');
  const size = (suffix) =>
    readdirSync(dir)
      .filter((f) => f.endsWith(suffix))
      .reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
  const ccz = size('.ccz');
  const withHead = ccz + size('.head.json');
  const loaded = await storage.loadTranscript('sized', SESSION_ID);
  if (!isDeepStrictEqual(loaded, all)) throw new Error('loadTranscript did not return the appended lines');
  const load = loadavg()[0].toFixed(2);
  console.log(
    `compressed transcripts: ${TURNS} turns (${all.length} lines), one append per turn, load ${load}`,
  );
  console.log(`  raw JSON lines            ${raw} bytes`);
  console.log(
    `  stored (.ccz)             ${ccz} bytes  ratio ${(ccz / raw).toFixed(3)}  (target <= ${TARGET})`,
  );
  console.log(`  stored (.ccz + head)      ${withHead} bytes  ratio ${(withHead / raw).toFixed(3)}`);
  console.log(`  uuid index (.uuids)       ${size('.uuids')} bytes (dedupe: 'uuid', not compressed)`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
