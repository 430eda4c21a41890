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
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MockAnthropicServer, type RecordedRequest } from '@channelcoder/testkit';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ExampleBackends, startExampleBackends } from './support/guide/example-backends.js';
import {
  continuedConversations,
  GENERATED_NAME,
  historyProblems,
  straySessions,
} from './support/guide/history.js';
import { GuideProject } from './support/guide/project.js';
import {
  CHECKS,
  SETUP,
  SHELL_AFTER,
  SHELL_SETUP,
  tail,
  talkToClaudeCode,
} from './support/guide/section-checks.js';
import { databaseStorageModule, NOT_RUN, type Program, programs } from './support/guide/sections.js';
import { findGuide, type GuideBlock, guideBlocks } from './support/guide/seed.js';
import type { StoredSession } from './support/guide/stored-sessions.js';

const WORKSPACE = join(import.meta.dirname, '..', '..', '..');
const blocks = guideBlocks(findGuide(WORKSPACE));

const tsBlocks = blocks.filter((b) => b.lang === 'typescript' && NOT_RUN[b.id] === undefined);
const allPrograms = tsBlocks.flatMap(programs);

let mock: MockAnthropicServer;
let project: GuideProject;
let compileErrors: Map<string, string[]>;
/** The stored sessions at the end of each run. */
const finalStored: StoredSession[][] = [];

let backends: ExampleBackends | undefined;

beforeAll(async () => {
  mock = await MockAnthropicServer.start();
  backends = await startExampleBackends(inject('redisUrl'));
  project = await GuideProject.create(WORKSPACE, mock.url, backends.env);
  project.sessions.extraSources.push(...backends.sources);
  mkdirSync(join(project.dir, 'src'));
  writeFileSync(join(project.dir, 'fixtures', 'database-storage.ts'), databaseStorageModule(blocks));
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
  await backends?.stop();
});

/** Runs `fn` and returns the requests Claude received meanwhile. */
async function recording<T>(fn: () => Promise<T>): Promise<{ value: T; requests: RecordedRequest[] }> {
  const before = mock.messageRequests().length;
  const value = await fn();
  return { value, requests: mock.messageRequests().slice(before) };
}

/** History and stray checks after a step whose requests are given. */
async function storedProblems(requests: RecordedRequest[], allowUnstored = false): Promise<string[]> {
  const stored = await project.sessions.stored();
  const ids = new Set(requests.map((r) => r.claudeSessionId));
  return [
    ...historyProblems(requests, stored, { allowUnstored }),
    ...straySessions(stored.filter((s) => s.chain.some((id) => ids.has(id)))).map(
      (s) => `stray autosaved session left beside its named save: ${s}`,
    ),
  ];
}

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

/** `channelcoder run … --session NAME` on a name that exists must refuse before anything runs. */
function sessionFlag(line: string): string | undefined {
  return /--session\s+(\S+)/.exec(line)?.[1];
}

async function runShellBlock(b: GuideBlock, run: number): Promise<string[]> {
  const problems: string[] = [];
  const lines = b.code.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  const section: RecordedRequest[] = [];
  const known = new Set(
    (await project.sessions.stored()).filter((s) => s.where === 'default').map((s) => s.name),
  );
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
      await SETUP[b.id]?.(project);
      for (const p of programs(b)) problems.push(...(await runProgram(p)));
      problems.push(...((await CHECKS[b.id]?.(project, run)) ?? []));
    } else if (b.lang === 'bash') {
      problems = [...((await SHELL_SETUP[b.id]?.(project, blocks)) ?? [])];
      problems.push(...(await runShellBlock(b, run)));
      problems.push(...((await SHELL_AFTER[b.id]?.(project)) ?? []));
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
      const stored = await project.sessions.stored();
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
        const found = await project.sessions.restoreFromTrash(s.where, s.name, `${s.name}-restored`);
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
