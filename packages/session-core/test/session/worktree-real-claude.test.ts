/**
 * Worktree mode against real git repositories in temp folders and the REAL claude binary (against the
 * in-repo mock API): the worktree is created beside the main checkout, the turn runs there (the CLI files
 * its transcript by the worktree's path), and the session continues there from another working directory
 * and from another "machine" (another clone path, another CLAUDE_CONFIG_DIR and HOME, the storage kept).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, makeClaudeSandbox, offlineClaudeEnvOverlay } from '../../../testkit/src/index.js';
import { MemorySessionStorage } from '../../src/memory-storage.js';
import {
  NotAGitRepositoryError,
  WorktreeBranchInUseError,
  WorktreeError,
} from '../../src/run-mode-errors.js';
import { run } from '../../src/runner/run.js';
import { createSessionFactory } from '../../src/session/factory.js';
import { projectFolderName } from '../../src/transcripts/folder-name.js';
import { type RealClaude, startRealClaude } from './support/real-claude.js';

let cli: RealClaude;
let root: string;
beforeAll(async () => {
  cli = await startRealClaude();
  root = join(cli.sandbox.root, 'code');
  mkdirSync(root);
});
afterAll(async () => {
  await cli.close();
});

/** A repository with one commit on `main`. */
function makeRepo(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'commit', '-q', '--allow-empty', '-m', 'start');
  return dir;
}

/** The working directory the CLI reported to the model in the last request (its system prompt says it). */
const lastRequestMentions = (path: string) =>
  JSON.stringify(cli.mock.lastMessageRequest()?.body).includes(path);

describe('worktree mode', { timeout: 90_000 }, () => {
  it('runs in a sibling worktree and continues there from another cwd and on another machine', async () => {
    const storage = new MemorySessionStorage();
    const session = createSessionFactory({ storage: () => storage });
    const repo = makeRepo('app');
    const worktree = join(root, 'app-feature-payments');

    const s = session({ cwd: repo, defaults: { env: cli.env } });
    const first = await s.claude('Start payment feature', { worktree: 'feature/payments' });
    expect(first.text).toBe('turn 1: Start payment feature');
    // Beside the main checkout, on the branch, never inside the checkout.
    expect(git(worktree, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('feature/payments');
    expect(git(repo, 'status', '--porcelain')).toBe('');
    expect(lastRequestMentions(worktree)).toBe(true);
    const id = s.id() as string;
    expect(
      existsSync(join(cli.sandbox.configDir, 'projects', projectFolderName(worktree), `${id}.jsonl`)),
    ).toBe(true);
    await s.save('payment-implementation');
    expect(s.state().metadata.cwd).toBe(worktree);
    expect(s.state().metadata.runOptions?.worktree).toEqual({
      branch: 'feature/payments',
      path: worktree,
      repository: repo,
    });

    // Another working directory (this test process's cwd is not in the repository): same worktree.
    const saved = await session.load('payment-implementation', { defaults: { env: cli.env } });
    expect((await saved.claude('Add Stripe integration')).text).toBe('turn 2: Add Stripe integration');
    expect(saved.id()).toBe(id);
    expect(lastRequestMentions(worktree)).toBe(true);
    expect(git(repo, 'worktree', 'list').split('\n')).toHaveLength(2);
    // Another branch for one call runs there, and the session keeps its own worktree.
    expect((await saved.claude('Peek at the docs', { worktree: 'docs' })).text).toBe(
      'turn 3: Peek at the docs',
    );
    expect(lastRequestMentions(join(root, 'app-docs'))).toBe(true);
    expect(saved.state().metadata.runOptions?.worktree?.path).toBe(worktree);
    expect(saved.state().metadata.cwd).toBe(worktree);

    // Another machine: a clone at another path, its own config dir and HOME, and none of the first
    // machine's folders. The stored transcript is restored into the new worktree's folder.
    const clone = join(root, 'elsewhere', 'app-clone');
    mkdirSync(join(root, 'elsewhere'));
    git(root, 'clone', '-q', repo, clone);
    for (const dir of [worktree, join(root, 'app-docs'), repo]) rmSync(dir, { recursive: true, force: true });
    const machine = makeClaudeSandbox('cc-worktree-b');
    try {
      const env = {
        ...offlineClaudeEnvOverlay({
          baseUrl: cli.mock.url,
          configDir: machine.configDir,
          home: machine.home,
        }),
        CLAUDE_BIN: cli.env.CLAUDE_BIN,
      };
      const there = await session.load('payment-implementation', { cwd: clone, defaults: { env } });
      const third = await there.claude('Add webhooks');
      const cloneWorktree = join(root, 'elsewhere', 'app-clone-feature-payments');
      expect(third.text).toBe('turn 4: Add webhooks');
      expect(cli.mock.lastMessageRequest()?.userTurns).toBe(4);
      expect(there.id()).toBe(id);
      expect(git(cloneWorktree, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('feature/payments');
      expect(lastRequestMentions(cloneWorktree)).toBe(true);
      expect(
        existsSync(join(machine.configDir, 'projects', projectFolderName(cloneWorktree), `${id}.jsonl`)),
      ).toBe(true);
      expect((await storage.load('payment-implementation')).metadata.runOptions?.worktree).toEqual({
        branch: 'feature/payments',
        path: cloneWorktree,
        repository: clone,
      });
    } finally {
      machine.remove();
    }
  });

  it('refuses with typed errors outside a repository and for a branch checked out elsewhere, before running', async () => {
    const storage = new MemorySessionStorage();
    const session = createSessionFactory({ storage: () => storage });
    const requests = cli.mock.messageRequests().length;
    const outside = join(cli.sandbox.root, 'not-a-repo');
    mkdirSync(outside);

    const err = await session({ name: 'nowhere', cwd: outside, defaults: { env: cli.env } })
      .claude('hi', { worktree: 'feature/x' })
      .catch((e: unknown) => e);
    expect(NotAGitRepositoryError.is(err)).toBe(true);
    expect((err as Error).message).toContain(outside);
    expect((err as Error).message).toMatch(/--cwd|cwd/);

    const repo = makeRepo('busy');
    const other = join(root, 'my-own-place');
    git(repo, 'worktree', 'add', '-q', '-b', 'feature/busy', other);
    const busy = await session({ name: 'busy', cwd: repo, defaults: { env: cli.env } })
      .claude('hi', { worktree: 'feature/busy' })
      .catch((e: unknown) => e);
    expect(WorktreeBranchInUseError.is(busy)).toBe(true);
    expect((busy as WorktreeBranchInUseError).checkedOutAt).toBe(other);
    expect((busy as Error).message).toContain(`git worktree remove ${other}`);

    const main = await session({ cwd: repo, defaults: { env: cli.env } })
      .claude('hi', { worktree: 'main' })
      .catch((e: unknown) => e);
    expect(WorktreeBranchInUseError.is(main)).toBe(true);
    expect((main as Error).message).toContain('main checkout');

    const invalid = await run('hi', { cwd: repo, worktree: 'bad..name', env: cli.env }).catch(
      (e: unknown) => e,
    );
    expect(WorktreeError.is(invalid)).toBe(true);

    // Nothing ran, nothing was stored.
    expect(cli.mock.messageRequests()).toHaveLength(requests);
    expect(await storage.list()).toEqual([]);

    // The runner on its own: `run(prompt, { worktree })` creates and uses the worktree too.
    const result = await run('plain run', { cwd: repo, worktree: 'docs', env: cli.env });
    expect(result.text).toBe('turn 1: plain run');
    expect(git(join(root, 'busy-docs'), 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('docs');
  });
  it('makes the worktree again when its folder was deleted by hand, and continues the conversation there', async () => {
    const storage = new MemorySessionStorage();
    const session = createSessionFactory({ storage: () => storage });
    const repo = makeRepo('tidy');
    const worktree = join(root, 'tidy-fix-login');
    const s = session({ name: 'login', cwd: repo, defaults: { env: cli.env } });
    await s.claude('Find the login bug', { worktree: 'fix/login' });
    writeFileSync(join(worktree, 'notes.txt'), 'work in progress');
    git(worktree, 'add', 'notes.txt');
    git(worktree, 'commit', '-q', '-m', 'notes');
    rmSync(worktree, { recursive: true, force: true });

    const again = await s.claude('Fix it');
    expect(again.text).toBe('turn 2: Fix it');
    // The branch kept its commit; the worktree is back at the same place.
    expect(readFileSync(join(worktree, 'notes.txt'), 'utf8')).toBe('work in progress');
    expect(git(worktree, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('fix/login');
    expect(lastRequestMentions(worktree)).toBe(true);
  });
});
