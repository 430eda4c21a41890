/**
 * What single sections of the guide need around their code, and what they must leave behind: fixtures
 * (an old session for the clean-up loop, a session to remove, a prompt file), checks of the worktree and
 * Docker sections, and how a person talks to `channelcoder interactive` at the terminal.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Terminal } from '../tmux.js';
import type { GuideProject, ProcessResult } from './project.js';
import { guideBlock } from './sections.js';
import type { GuideBlock } from './seed.js';

/** The end of a process's output, with the first error line (the message above a stack) kept. */
export const tail = (r: ProcessResult): string => {
  const lines = `${r.stdout}${r.stderr}`.trim().split('\n');
  const error =
    lines.find((l) => /^\w*Error: /.test(l)) ?? lines.find((l) => /Error\b/.test(l) && !/^\s+at /.test(l));
  const end = lines.filter((l) => !/^\s+at /.test(l)).slice(-8);
  return [...(error === undefined || end.includes(error) ? [] : [error, '…']), ...end].join('\n');
};

/** What a section's programs need stored before they run. */
export const SETUP: Record<string, (project: GuideProject) => Promise<void>> = {
  // The clean-up loop removes sessions inactive for 30 days: give it one.
  '2. Session Hygiene': (project) => project.sessions.plantOldSession('hygiene-old-project', 40),
};

/** Section-specific checks after its programs ran. */
export const CHECKS: Record<string, (project: GuideProject, run: number) => Promise<string[]>> = {
  '2. Session Hygiene': async (project) =>
    (await project.sessions.stored()).some((s) => s.where === 'default' && s.name === 'hygiene-old-project')
      ? ['the session inactive for 40 days is still listed after the clean-up loop']
      : [],
  'Sessions + Worktrees': async (project) => {
    const list = await project.exec('git', ['worktree', 'list', '--porcelain']);
    const entries = list.stdout.split('\n\n').filter((e) => e.includes('branch refs/heads/feature/payments'));
    const path = /^worktree (.+)$/m.exec(entries[0] ?? '')?.[1];
    if (path === undefined) return ['no git worktree for feature/payments was created'];
    const problems: string[] = [];
    if (path.startsWith(`${project.dir}/`)) problems.push(`the worktree ${path} is nested in the checkout`);
    const stored = (await project.sessions.stored()).find((s) => s.name === 'payment-implementation');
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
  'Sessions + Docker': async (project, run) => {
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
export async function talkToClaudeCode(t: Terminal): Promise<void> {
  // A resumed conversation may already show an earlier answer to the same question: the reply to this one
  // is the one with a higher turn number (the mock numbers its replies by the request's user turns).
  const answered = (screen: string) =>
    Math.max(
      0,
      ...[...screen.matchAll(/turn (\d+): Any open questions from the terminal\?/g)].map((m) => Number(m[1])),
    );
  const before = answered(await t.waitFor(/shift\+tab to cycle|\? for shortcuts/, 60_000));
  await t.keys('Any open questions from the terminal?');
  await t.keys('Enter');
  const deadline = Date.now() + 60_000;
  for (;;) {
    const screen = await t.screen();
    if (answered(screen) > before) break;
    if (Date.now() > deadline)
      throw new Error(`Timed out waiting for the answer to the question. Screen:\n${screen}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await t.keys('/exit');
  await t.waitFor(/\/exit/);
  await t.keys('Enter');
}

/** Shell blocks: what they need that the guide leaves to the reader, and what they must leave behind. */
export const SHELL_SETUP: Record<string, (project: GuideProject, blocks: GuideBlock[]) => Promise<string[]>> =
  {
    'CLI Session Usage': async (project) => {
      // `session remove old-project` needs an old project to remove.
      if ((await project.sessions.stored()).some((s) => s.where === 'default' && s.name === 'old-project'))
        return [];
      const made = await project.shell('channelcoder run "Notes for the old project" --session old-project');
      return made.code === 0 ? [] : [`creating the fixture session old-project failed:\n${tail(made)}`];
    },
    'CLI Examples': async (project, blocks) => {
      // `run continue-task.md` needs a prompt file: the guide's session-required template.
      writeFileSync(
        join(project.dir, 'continue-task.md'),
        guideBlock(blocks, 'Session-Required Prompts').code,
      );
      return [];
    },
  };

export const SHELL_AFTER: Record<string, (project: GuideProject) => Promise<string[]>> = {
  'CLI Session Usage': async (project) => {
    const names = (await project.sessions.stored()).filter((s) => s.where === 'default').map((s) => s.name);
    return [
      ...(names.includes('my-project') ? [] : ['my-project is not stored']),
      ...(names.includes('old-project') ? ['old-project is still listed after session remove'] : []),
    ];
  },
};
