/**
 * The Session Management Guide (shared/seeds/001_…), run as a user copies it, twice in a row: every code
 * block, read from the guide at test time, runs in a project outside the workspace that installed the
 * packed packages (ESM, TypeScript strict), with the real `claude` CLI against the in-repo mock API.
 * TypeScript blocks are compiled with the project's `tsc --strict` and run with Node, split into separate
 * programs only where a block declares the same `const` twice; a snippet that only creates a session is
 * then used for one turn. Shell blocks run line by line (a confirmation prompt is answered, and
 * `channelcoder interactive` is talked to, in a real terminal through tmux). Docker cannot run here: a recording `docker` on PATH runs the container's command on the host.
 *
 * After each program: it exited 0 and compiled cleanly, every request Claude received carried exactly the
 * history stored for its session, and no autosaved `session-<date>-<hex>` entry was left beside the
 * session it became. After both runs: the first run's sessions that the second replaced are in the trash
 * and restore with their messages.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { MockAnthropicServer, type RecordedRequest } from '@channelcoder/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningS3rver, startS3rver } from '../../storage-s3/test/support/s3rver-launcher.mjs';
import {
  continuedConversations,
  GENERATED_NAME,
  historyProblems,
  straySessions,
} from './support/guide/history.js';
import {
  createdSession,
  type GuideProgram,
  missingImports,
  programsOf,
  runsNoTurn,
} from './support/guide/programs.js';
import { GuideProject, type ProcessResult, type StoredSession } from './support/guide/project.js';
import { findGuide, type GuideBlock, guideBlocks } from './support/guide/seed.js';
import type { Terminal } from './support/tmux.js';

const WORKSPACE = join(import.meta.dirname, '..', '..', '..');
const blocks = guideBlocks(findGuide(WORKSPACE));
const block = (id: string): GuideBlock => {
  const found = blocks.find((b) => b.id === id);
  if (found === undefined) throw new Error(`The guide has no code block under "${id}" any more`);
  return found;
};

/** Blocks that are not programs, with the reason (shown in the skipped test's name). */
const NOT_RUN: Record<string, string> = {
  'Session Types': 'declarations describing the API (streamBase and the like are not exported names)',
  'Storage Format': 'the JSON shape of a stored session, not a program',
  'Custom Storage Adapters':
    'the interface itself; "Custom Storage Implementation" compiles a class against it',
  'Storage Adapter Guidelines': 'a skeleton whose methods have empty bodies (it does not compile, by design)',
  'Common Issues #3': 'comments only',
};

/** What a program needs that the guide leaves to the reader, put above its code. */
const PRELUDES: Record<string, string> = {
  'Session Methods': [
    "const prompt = 'Which session methods are there?';",
    'const options = {};',
    "const name = 'session-methods-demo';",
    "const newId = '00000000-0000-4000-8000-000000000000';",
  ].join('\n'),
  'Custom Storage Implementation': "import { Database, myDatabase } from '../fixtures/database.js';",
  'Creating Sessions — part 5 (With custom storage adapter)':
    "import { DatabaseStorage } from '../fixtures/database-storage.js';\nimport { myDb } from '../fixtures/database.js';",
  'Cloud Storage Example': [
    "import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';",
    `const s3Client = new S3Client(${S3_CLIENT_OPTIONS('process.env.GUIDE_S3_ENDPOINT')});`,
  ].join('\n'),
  'Redis Storage Example': [
    "import { Redis as RedisClient } from 'ioredis';",
    'const redisClient = new RedisClient(process.env.GUIDE_REDIS_URL as string, { keyPrefix: process.env.GUIDE_REDIS_PREFIX });',
  ].join('\n'),
  '1. Meaningful Names': 'const s = session();',
  'Common Issues #2': 'const s = session();',
};

/** What a program needs after its code: closing the clients a prelude opened, so the process can end. */
const EPILOGUES: Record<string, string> = {
  'Cloud Storage Example': 's3Client.destroy();',
  'Redis Storage Example': 'await redisClient.quit();',
};

/** The S3 client options for s3rver (its fixed key pair; path-style; checksums only when required). */
function S3_CLIENT_OPTIONS(endpoint: string): string {
  return `{ endpoint: ${endpoint}, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }`;
}

/** The guide's DatabaseStorage class as a module, for the snippets that use it outside its own section. */
function databaseStorageModule(): string {
  const code = block('Custom Storage Implementation').code;
  const start = code.indexOf('class DatabaseStorage');
  const end = code.indexOf('\n}\n', start);
  const imports = code.split('\n').filter((l) => l.startsWith('import '));
  return [
    ...imports,
    "import { Database } from './database.js';",
    `export ${code.slice(start, end + 2)}`,
  ].join('\n');
}

interface Program extends GuideProgram {
  /** Path of the TypeScript file in the project. */
  source: string;
  text: string;
  allowUnstored: boolean;
}

function programs(b: GuideBlock): Program[] {
  return programsOf(b).map((p) => {
    const prelude = PRELUDES[p.label] ?? PRELUDES[b.id];
    const used = createdSession(`${prelude ?? ''}\n${p.code}`);
    const probe =
      runsNoTurn(p.code) && used !== undefined
        ? `\n// (the test) then use it for one turn:\nawait ${used}.claude('${p.label.replace(/'/g, '')}: first turn');\n`
        : '';
    const epilogue = EPILOGUES[p.label] ?? EPILOGUES[b.id];
    const closing =
      epilogue === undefined ? '' : `// (the test) close what the prelude opened:\n${epilogue}\n`;
    const text = `${missingImports(`${prelude ?? ''}\n${p.code}`)}${prelude === undefined ? '' : `${prelude}\n`}${p.code}\n${probe}${closing}`;
    // Turns of a session the program chose not to store, or removed itself, cannot be found stored.
    const allowUnstored = /autoSave:\s*false/.test(p.code) || /session\.remove\(/.test(p.code);
    return { ...p, source: `src/${p.file}.ts`, text, allowUnstored };
  });
}

const tsBlocks = blocks.filter((b) => b.lang === 'typescript' && NOT_RUN[b.id] === undefined);
const allPrograms = tsBlocks.flatMap(programs);

let mock: MockAnthropicServer;
let project: GuideProject;
let compileErrors: Map<string, string[]>;
/** The stored sessions at the end of each run. */
const finalStored: StoredSession[][] = [];

/** The Redis example's keys go under a prefix of this file's own; its S3 bucket is the guide's. */
const REDIS_PREFIX = `guide-${process.pid}-${Date.now()}:`;
const S3_BUCKET = 'my-sessions-bucket';
let s3: RunningS3rver | undefined;
let redis: Redis | undefined;
let s3Client: S3Client | undefined;

/** Sessions the guide's RedisStorage wrote (its `sessions:all` set and one key per session). */
async function redisStored(): Promise<StoredSession[]> {
  const client = redis as Redis;
  const out: StoredSession[] = [];
  for (const key of await client.smembers('sessions:all')) {
    const data = await client.get(key);
    if (data !== null) out.push(fromStateJson('redis', key, data));
  }
  return out;
}

/** Sessions the guide's S3Storage wrote (`sessions/<name>` objects). */
async function s3Stored(): Promise<StoredSession[]> {
  const client = s3Client as S3Client;
  const listed = await client.send(new ListObjectsV2Command({ Bucket: S3_BUCKET, Prefix: 'sessions/' }));
  const out: StoredSession[] = [];
  for (const object of listed.Contents ?? []) {
    const got = await client.send(new GetObjectCommand({ Bucket: S3_BUCKET, Key: object.Key }));
    out.push(
      fromStateJson(
        's3',
        (object.Key ?? '').slice('sessions/'.length),
        (await got.Body?.transformToString()) ?? '',
      ),
    );
  }
  return out;
}

function fromStateJson(where: string, key: string, json: string): StoredSession {
  const state = JSON.parse(json) as {
    sessionChain?: string[];
    messages?: Array<{ role: string; content: string; sessionId?: string }>;
    metadata?: { name?: string };
  };
  return {
    where,
    name: state.metadata?.name ?? key,
    chain: state.sessionChain ?? [],
    messages: (state.messages ?? []).map((m) => ({
      role: m.role,
      content: m.content,
      sessionId: m.sessionId ?? '',
    })),
  };
}

beforeAll(async () => {
  mock = await MockAnthropicServer.start();
  s3 = await startS3rver({ bucket: S3_BUCKET });
  s3Client = new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const redisUrl = inject('redisUrl');
  redis = new Redis(redisUrl, { keyPrefix: REDIS_PREFIX });
  project = await GuideProject.create(WORKSPACE, mock.url, {
    GUIDE_REDIS_URL: redisUrl,
    GUIDE_REDIS_PREFIX: REDIS_PREFIX,
    GUIDE_S3_ENDPOINT: s3.endpoint,
  });
  project.extraSources.push(redisStored, s3Stored);
  mkdirSync(join(project.dir, 'src'));
  writeFileSync(join(project.dir, 'fixtures', 'database-storage.ts'), databaseStorageModule());
  for (const p of allPrograms) writeFileSync(join(project.dir, p.source), p.text);
  compileErrors = await project.compile([
    ...allPrograms.map((p) => p.source),
    'fixtures/database.ts',
    'fixtures/database-storage.ts',
  ]);
}, 300_000);

afterAll(async () => {
  await mock?.close();
  project?.remove();
  if (redis !== undefined) {
    // keyPrefix does not apply to KEYS' answer: strip it before deleting through the prefixed client.
    const keys = (await redis.keys('*')).map((k) => k.slice(REDIS_PREFIX.length));
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  }
  s3Client?.destroy();
  await s3?.stop();
});

/** Runs `fn` and returns the requests Claude received meanwhile. */
async function recording<T>(fn: () => Promise<T>): Promise<{ value: T; requests: RecordedRequest[] }> {
  const before = mock.messageRequests().length;
  const value = await fn();
  return { value, requests: mock.messageRequests().slice(before) };
}

/** History and stray checks after a step whose requests are given. */
async function storedProblems(requests: RecordedRequest[], allowUnstored = false): Promise<string[]> {
  const stored = await project.stored();
  const ids = new Set(requests.map((r) => r.claudeSessionId));
  return [
    ...historyProblems(requests, stored, { allowUnstored }),
    ...straySessions(stored.filter((s) => s.chain.some((id) => ids.has(id)))).map(
      (s) => `stray autosaved session left beside its named save: ${s}`,
    ),
  ];
}

/** The end of a process's output, with the first error line (the message above a stack) kept. */
const tail = (r: ProcessResult) => {
  const lines = `${r.stdout}${r.stderr}`.trim().split('\n');
  const error =
    lines.find((l) => /^\w*Error: /.test(l)) ?? lines.find((l) => /Error\b/.test(l) && !/^\s+at /.test(l));
  const end = lines.filter((l) => !/^\s+at /.test(l)).slice(-8);
  return [...(error === undefined || end.includes(error) ? [] : [error, '…']), ...end].join('\n');
};

async function runProgram(p: Program): Promise<string[]> {
  const problems = (compileErrors.get(p.source) ?? []).map((e) => `tsc --strict: ${e}`);
  const { value: result, requests } = await recording(() =>
    project.exec('node', [join('out', p.source.replace(/\.ts$/, '.js'))]),
  );
  if (result.code !== 0) problems.push(`exited with ${result.code}:\n${tail(result)}`);
  if (!/session\.load\(/.test(p.code)) problems.push(...continuedConversations(requests));
  problems.push(...(await storedProblems(requests, p.allowUnstored)));
  return problems.map((m) => `[${p.label}] ${m}`);
}

/** What a section's programs need stored before they run. */
const SETUP: Record<string, () => Promise<void>> = {
  // The clean-up loop removes sessions inactive for 30 days: give it one.
  '2. Session Hygiene': () => project.plantOldSession('hygiene-old-project', 40),
};

/** Section-specific checks after its programs ran. */
const CHECKS: Record<string, (run: number) => Promise<string[]>> = {
  '2. Session Hygiene': async () =>
    (await project.stored()).some((s) => s.where === 'default' && s.name === 'hygiene-old-project')
      ? ['the session inactive for 40 days is still listed after the clean-up loop']
      : [],
  'Sessions + Worktrees': async () => {
    const list = await project.exec('git', ['worktree', 'list', '--porcelain']);
    const entries = list.stdout.split('\n\n').filter((e) => e.includes('branch refs/heads/feature/payments'));
    const path = /^worktree (.+)$/m.exec(entries[0] ?? '')?.[1];
    if (path === undefined) return ['no git worktree for feature/payments was created'];
    const problems: string[] = [];
    if (path.startsWith(`${project.dir}/`)) problems.push(`the worktree ${path} is nested in the checkout`);
    const stored = (await project.stored()).find((s) => s.name === 'payment-implementation');
    const folder = join(project.configDir, 'projects', path.replace(/[^A-Za-z0-9]/g, '-'));
    for (const id of stored?.chain ?? []) {
      try {
        readFileSync(join(folder, `${id}.jsonl`));
      } catch {
        problems.push(`the turns of ${id} did not run in the worktree ${path} (no transcript in ${folder})`);
      }
    }
    return problems;
  },
  'Sessions + Docker': async (run) => {
    const runs = project.dockerCalls().filter((c) => c.argv[0] === 'run');
    const expected = 2 * run;
    const problems: string[] = [];
    if (runs.length !== expected) {
      problems.push(
        `docker run was called ${runs.length} times after ${run} run(s) of the section, expected ${expected}`,
      );
    }
    for (const call of runs) {
      if (!call.argv.includes('security-scanner'))
        problems.push(`docker ${call.argv.join(' ')} does not use the image`);
    }
    return problems;
  },
};

/** At Claude Code's own prompt (interactive mode): one question, its answer, then `/exit`. */
async function talkToClaudeCode(t: Terminal): Promise<void> {
  await t.waitFor(/shift\+tab to cycle|\? for shortcuts/, 60_000);
  await t.keys('Any open questions from the terminal?');
  await t.keys('Enter');
  await t.waitFor(/turn \d+: Any open questions from the terminal\?/, 60_000);
  await t.keys('/exit');
  await t.waitFor(/\/exit/);
  await t.keys('Enter');
}

/** `channelcoder run … --session NAME` on a name that exists must refuse before anything runs. */
function sessionFlag(line: string): string | undefined {
  return /--session\s+(\S+)/.exec(line)?.[1];
}

async function runShellBlock(b: GuideBlock, run: number): Promise<string[]> {
  const problems: string[] = [];
  const lines = b.code.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  const section: RecordedRequest[] = [];
  const known = new Set((await project.stored()).filter((s) => s.where === 'default').map((s) => s.name));
  for (const line of lines) {
    const named = sessionFlag(line);
    const existed = named !== undefined && known.has(named);
    if (named !== undefined) known.add(named);
    const { value: result, requests } = await recording(() =>
      /^channelcoder interactive\b/.test(line)
        ? project.terminal(line, talkToClaudeCode)
        : project.shell(line, /session remove/.test(line) ? { terminal: true, input: 'y\n' } : {}),
    );
    section.push(...requests);
    if (existed) {
      const said = `${result.stdout}${result.stderr}`;
      if (result.code === 0 || requests.length > 0 || !/--load-session/.test(said) || !/--force/.test(said)) {
        problems.push(
          `[${line}] on a name that exists should refuse before running, pointing at --load-session and --force (exit ${result.code}, ${requests.length} requests):\n${tail(result)}`,
        );
      }
    } else if (result.code !== 0) {
      problems.push(`[${line}] exited with ${result.code} (run ${run}):\n${tail(result)}`);
    }
  }
  problems.push(...(await storedProblems(section)));
  return problems;
}

/** Shell blocks: what they need that the guide leaves to the reader, and what they must leave behind. */
const SHELL_SETUP: Record<string, () => Promise<string[]>> = {
  'CLI Session Usage': async () => {
    // `session remove old-project` needs an old project to remove.
    if ((await project.stored()).some((s) => s.where === 'default' && s.name === 'old-project')) return [];
    const made = await project.shell('channelcoder run "Notes for the old project" --session old-project');
    return made.code === 0 ? [] : [`creating the fixture session old-project failed:\n${tail(made)}`];
  },
  'CLI Examples': async () => {
    // `run continue-task.md` needs a prompt file: the guide's session-required template.
    writeFileSync(join(project.dir, 'continue-task.md'), block('Session-Required Prompts').code);
    return [];
  },
};

const SHELL_AFTER: Record<string, () => Promise<string[]>> = {
  'CLI Session Usage': async () => {
    const names = (await project.stored()).filter((s) => s.where === 'default').map((s) => s.name);
    return [
      ...(names.includes('my-project') ? [] : ['my-project is not stored']),
      ...(names.includes('old-project') ? ['old-project is still listed after session remove'] : []),
    ];
  },
};

async function runTemplateBlock(b: GuideBlock, run: number): Promise<string[]> {
  const problems: string[] = [];
  writeFileSync(join(project.dir, 'session-prompt.md'), b.code);
  const name = `prompt-demo-${run}`;
  const started = await project.shell(`channelcoder run "Start the feature" --session ${name}`);
  if (started.code !== 0) return [`creating the session ${name} failed:\n${tail(started)}`];
  const alone = await recording(() => project.shell('channelcoder run session-prompt.md'));
  if (alone.value.code === 0 || alone.requests.length > 0 || !/session/i.test(alone.value.stderr)) {
    problems.push(`without a session the template should be refused before running:\n${tail(alone.value)}`);
  }
  const resumed = await recording(() =>
    project.shell(`channelcoder run session-prompt.md --load-session ${name}`),
  );
  if (resumed.value.code !== 0) problems.push(`with --load-session it failed:\n${tail(resumed.value)}`);
  if (!/systemPrompt/.test(resumed.value.stderr)) {
    problems.push(
      "on a resumed session the CLI ignores the template's systemPrompt, and nothing warned about it on stderr",
    );
  }
  problems.push(...(await storedProblems(resumed.requests)));
  return problems;
}

function sectionTest(b: GuideBlock, run: number): void {
  if (NOT_RUN[b.id] !== undefined) {
    it.skip(`${b.id} (guide line ${b.line}): not a program: ${NOT_RUN[b.id]}`, () => {});
    return;
  }
  it(`${b.id} (guide line ${b.line})`, async () => {
    let problems: string[];
    if (b.lang === 'typescript') {
      problems = [];
      await SETUP[b.id]?.();
      for (const p of programs(b)) problems.push(...(await runProgram(p)));
      problems.push(...((await CHECKS[b.id]?.(run)) ?? []));
    } else if (b.lang === 'bash') {
      problems = [...((await SHELL_SETUP[b.id]?.()) ?? [])];
      problems.push(...(await runShellBlock(b, run)));
      problems.push(...((await SHELL_AFTER[b.id]?.()) ?? []));
    } else if (b.lang === 'yaml') {
      problems = await runTemplateBlock(b, run);
    } else {
      throw new Error(`No way to run a ${b.lang} block (${b.id}): add it to NOT_RUN with a reason`);
    }
    expect(problems, problems.join('\n\n')).toEqual([]);
  }, 240_000);
}

for (const run of [1, 2]) {
  describe(`run ${run} of the guide`, () => {
    for (const b of blocks) sectionTest(b, run);
    it(`run ${run}: stored sessions are readable`, async () => {
      const stored = await project.stored();
      finalStored.push(stored);
      expect(stored.filter((s) => s.error !== undefined)).toEqual([]);
    });
  });
}

describe('after both runs', () => {
  it("the first run's sessions that the second replaced are in the trash and restore with their messages", async () => {
    const [first, second] = finalStored;
    expect(first, 'both runs must have finished').toBeDefined();
    const replaced = (first ?? []).filter(
      (s) =>
        !GENERATED_NAME.test(s.name) &&
        s.chain.length > 0 &&
        (second ?? []).some(
          (t) =>
            t.where === s.where && t.name === s.name && JSON.stringify(t.chain) !== JSON.stringify(s.chain),
        ),
    );
    expect(replaced.length, 'the second run replaces sessions the first one saved').toBeGreaterThan(0);
    const problems: string[] = [];
    for (const s of replaced) {
      try {
        const found = await project.restoreFromTrash(s.where, s.name, `${s.name}-restored`);
        if (found.entries === 0) problems.push(`${s.where}/${s.name}: not in the trash`);
        else if (JSON.stringify(found.messages) !== JSON.stringify(s.messages)) {
          problems.push(`${s.where}/${s.name}: restored with other messages than the first run stored`);
        }
      } catch (err) {
        problems.push(`${s.where}/${s.name}: ${(err as Error).message}`);
      }
    }
    expect(problems, problems.join('\n\n')).toEqual([]);
  });
});
