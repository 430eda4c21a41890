/**
 * Records the transcript lines a real session appends per turn, for the codec benchmark (codec-ratio.mjs):
 * the real `claude` CLI against the in-repo mock API, driven by `session()` on MemorySessionStorage for
 * 16 turns that read files, run shell commands, search, think and answer. Each `appendTranscript` batch
 * the session mirrors is kept as it was appended. Writes bench/fixtures/transcript-turns.json
 * (`{ cli, batches: string[][] }`); run it again to refresh the fixture after a CLI upgrade:
 *
 *     node bench/record-transcript.mjs
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { core, testkit } from './support.mjs';

const out = fileURLToPath(new URL('./fixtures/transcript-turns.json', import.meta.url));

/** A small project for the tools to work on. */
function writeProject(cwd) {
  mkdirSync(join(cwd, 'src'), { recursive: true });
  const module = (name, i) =>
    [
      `/** ${name}: part ${i} of the example service. */`,
      `export interface ${name}Options {`,
      '  retries: number;',
      '  timeoutMs: number;',
      '}',
      '',
      `export async function ${name.toLowerCase()}(input: string, options: ${name}Options): Promise<string> {`,
      '  for (let attempt = 0; attempt <= options.retries; attempt++) {',
      '    try {',
      `      return await fetchWithTimeout(\`/api/${name.toLowerCase()}/\${input}\`, options.timeoutMs);`,
      '    } catch (err) {',
      '      if (attempt === options.retries) throw err;',
      '    }',
      '  }',
      "  throw new Error('unreachable');",
      '}',
      '',
    ].join('\n');
  const names = ['Billing', 'Invoices', 'Customers', 'Reports', 'Search', 'Accounts'];
  names.forEach((name, i) => {
    writeFileSync(join(cwd, 'src', `${name.toLowerCase()}.ts`), module(name, i));
  });
  writeFileSync(
    join(cwd, 'README.md'),
    '# Example service\n\nA small HTTP client for the billing API, with retries and timeouts.\n',
  );
  writeFileSync(
    join(cwd, 'package.json'),
    `${JSON.stringify({ name: 'example-service', version: '1.0.0', type: 'module' }, null, 2)}\n`,
  );
  spawnSync('git', ['init', '-q'], { cwd });
  spawnSync('git', ['add', '.'], { cwd });
  spawnSync(
    'git',
    ['-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', 'commit', '-qm', 'init'],
    {
      cwd,
    },
  );
  return names;
}

/** What the mock answers: by prompt, a tool call or thinking then text; after a tool result, a summary. */
function replyFor(cwd, names) {
  return (ctx) => {
    const result = testkit.lastToolResult(ctx.body.messages);
    if (result !== undefined)
      return `I looked at the output. ${result.slice(0, 160).replace(/\s+/g, ' ')} That answers it: the code retries each request up to the configured number of times and throws the last error.`;
    const text = ctx.lastUserText;
    const n = ctx.userTurns;
    const name = names[n % names.length];
    if (text.startsWith('read'))
      return [
        `Let me read src/${name.toLowerCase()}.ts.`,
        {
          type: 'tool_use',
          name: 'Read',
          input: { file_path: join(cwd, 'src', `${name.toLowerCase()}.ts`) },
        },
      ];
    if (text.startsWith('list'))
      return [
        {
          type: 'tool_use',
          name: 'Bash',
          input: { command: 'ls -la src && git status --short', description: 'List the sources' },
        },
      ];
    if (text.startsWith('search'))
      return [
        { type: 'tool_use', name: 'Grep', input: { pattern: 'retries', path: cwd, output_mode: 'content' } },
      ];
    if (text.startsWith('think'))
      return [
        {
          type: 'thinking',
          thinking: `The user asks about ${name}. The function loops over attempts, catches errors and rethrows the last one; timeouts come from fetchWithTimeout. I should explain the retry policy and suggest exponential backoff.`,
        },
        `In ${name.toLowerCase()}.ts each request is tried ${n} time(s) more after a failure. I suggest adding exponential backoff between attempts, for example 100 ms doubled each time, capped at 5 s.`,
      ];
    return `turn ${n}: Here is a short answer about ${text}. The service is a thin client over the billing API; each module exports one async function that retries on failure.`;
  };
}

const prompts = [
  'list the files in the project',
  'read the first module',
  'think about the retry policy',
  'search for retries',
  'explain what the project does',
  'read the next module',
  'think about timeouts',
  'list the files again',
  'read another module',
  'search for retries once more',
  'what would you change first?',
  'think about error handling',
  'read one more module',
  'summarise what we found',
  'list the files one last time',
  'thanks, that is all',
];

const sandbox = testkit.makeClaudeSandbox('cc-record-transcript');
const mock = await testkit.MockAnthropicServer.start({
  reply: replyFor(sandbox.cwd, writeProject(sandbox.cwd)),
});
try {
  const batches = [];
  class RecordingStorage extends core.MemorySessionStorage {
    async appendTranscript(name, id, entries, fromLine, options) {
      batches.push(entries.map((e) => JSON.stringify(e)));
      return super.appendTranscript(name, id, entries, fromLine, options);
    }
  }
  const env = {
    ...testkit.offlineClaudeEnvOverlay({
      baseUrl: mock.url,
      configDir: sandbox.configDir,
      home: sandbox.home,
    }),
    CLAUDE_BIN: testkit.claudeBinary(),
  };
  const s = core.session({
    name: 'recorded',
    storage: new RecordingStorage(),
    defaults: { env, cwd: sandbox.cwd, allowedTools: ['Read', 'Bash(ls:*)', 'Bash(git status:*)', 'Grep'] },
  });
  for (const prompt of prompts) await s.claude(prompt);
  const version = spawnSync(testkit.claudeBinary(), ['--version'], { encoding: 'utf8' }).stdout.trim();
  // Paths of this machine's temporary sandbox are replaced by a stable one.
  const stable = (line) => line.split(sandbox.root).join('/home/dev/example-service-sandbox');
  const recorded = { cli: version, turns: prompts.length, batches: batches.map((b) => b.map(stable)) };
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, `${JSON.stringify(recorded, null, 1)}\n`);
  const lines = batches.reduce((n, b) => n + b.length, 0);
  console.log(`recorded ${batches.length} batches, ${lines} lines from claude ${version} into ${out}`);
} finally {
  await mock.close();
  sandbox.remove();
}
