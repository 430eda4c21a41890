/**
 * Worktree mode: a turn runs in the git worktree of a branch, created beside the main checkout when
 * missing (`/code/app` + `feature/payments` → `/code/app-feature-payments`), never inside it.
 */
import { execFile } from 'node:child_process';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { NotAGitRepositoryError, WorktreeBranchInUseError, WorktreeError } from '../run-mode-errors.js';

/** Where a branch's worktree is. */
export interface WorktreeLocation {
  branch: string;
  /** The worktree's directory (where the turn runs). */
  path: string;
  /** The main checkout of the repository (the worktree is its sibling). */
  repository: string;
  /** True when this call created it. */
  created: boolean;
}

/** Where `ensureWorktree` looks and what it may reuse. */
export interface EnsureWorktreeOptions {
  /** A directory inside the repository (the main checkout or any of its worktrees). Default: process cwd. */
  from?: string;
  /**
   * A path where the branch's worktree was before (a session remembers it): an existing worktree of the
   * branch there is used even when it is not at the default sibling path.
   */
  known?: string;
  /** Environment for git (default this process's); GIT_DIR and GIT_WORK_TREE are never passed on. */
  env?: NodeJS.ProcessEnv;
}

/** `feature/payments` → `feature-payments`: the branch as one path segment. */
export function branchSlug(branch: string): string {
  const slug = branch
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
  return slug === '' ? 'worktree' : slug;
}

/** The default place of a branch's worktree: `<parent of main>/<main folder name>-<branch slug>`. */
export function worktreePathFor(repository: string, branch: string): string {
  return join(dirname(repository), `${basename(repository)}-${branchSlug(branch)}`);
}

/**
 * The branch's worktree, created when missing: an existing worktree of the branch at its default path
 * (or at `known`, or the one `from` is in) is used as it is; otherwise `git worktree add` makes it
 * beside the main checkout, from the local branch, else the one remote branch of that name, else a new
 * branch from the HEAD of `from`.
 *
 * @throws NotAGitRepositoryError when `from` is not in a git repository; WorktreeBranchInUseError when
 *   the branch is checked out somewhere else (the main checkout included); WorktreeError for an invalid
 *   branch name, a default path taken by something else, or git failing.
 */
export async function ensureWorktree(
  branch: string,
  options: EnsureWorktreeOptions = {},
): Promise<WorktreeLocation> {
  if (typeof branch !== 'string' || branch.trim() === '' || branch.startsWith('-')) {
    throw new WorktreeError(
      String(branch),
      'the branch name must be a non-empty string not starting with "-".',
    );
  }
  const from = resolve(options.from ?? process.cwd());
  const env = gitEnv(options.env);
  if (!isDirectory(from)) {
    throw new NotAGitRepositoryError(from, branch, {
      hint: `${from} does not exist here. Run it from inside your clone of the repository, or pass cwd (--cwd DIR) pointing into it.`,
    });
  }
  const check = await git(['check-ref-format', '--branch', branch], from, env);
  if (check.code !== 0) {
    throw new WorktreeError(branch, `"${branch}" is not a valid branch name (git check-ref-format).`, {
      stderr: check.stderr,
    });
  }
  const inside = await git(['rev-parse', '--show-toplevel'], from, env);
  if (inside.code !== 0) throw new NotAGitRepositoryError(from, branch);
  const here = real(inside.stdout.trim());

  let worktrees = await listWorktrees(from, env, branch);
  const main = worktrees[0];
  if (main === undefined) throw new WorktreeError(branch, `git worktree list printed nothing in ${from}.`);
  const repository = main.path;
  const path = worktreePathFor(repository, branch);
  const location = (at: string, created: boolean): WorktreeLocation => ({
    branch,
    path: at,
    repository,
    created,
  });

  const findBranch = () => worktrees.find((w) => w.branch === `refs/heads/${branch}`);
  let holder = findBranch();
  if (holder !== undefined && !existsSync(holder.path)) {
    // Its folder was deleted by hand: git still counts the branch as checked out until pruned.
    await git(['worktree', 'prune'], from, env);
    worktrees = await listWorktrees(from, env, branch);
    holder = findBranch();
  }
  if (holder !== undefined) {
    const usable = [path, options.known, here].filter((p): p is string => p !== undefined).map(real);
    if (holder !== main && usable.includes(real(holder.path))) return location(holder.path, false);
    throw new WorktreeBranchInUseError(branch, holder.path, path, holder === main);
  }
  if (existsSync(path)) {
    throw new WorktreeError(
      branch,
      `${path} already exists and is not a worktree of ${repository} for this branch. Move it away, or ` +
        'check the branch out there yourself (git worktree add) and run again.',
    );
  }
  const local = await git(['show-ref', '--verify', '--quiet', `refs/heads/${branch}`], from, env);
  // An existing local branch is checked out as it is; otherwise git takes the one remote branch of that
  // name when there is one (its default DWIM), else `-b` makes the branch from HEAD.
  const remote =
    local.code === 0
      ? undefined
      : await git(['for-each-ref', '--format=%(refname)', `refs/remotes/*/${branch}`], from, env);
  const args =
    local.code === 0 ||
    (remote !== undefined && remote.stdout.trim().split('\n').filter(Boolean).length === 1)
      ? ['worktree', 'add', path, branch]
      : ['worktree', 'add', '-b', branch, path];
  const added = await git(args, from, env);
  if (added.code !== 0) {
    // Another process may have created it meanwhile: then it is there to use.
    worktrees = await listWorktrees(from, env, branch);
    const now = findBranch();
    if (now !== undefined && real(now.path) === real(path)) return location(now.path, false);
    throw new WorktreeError(branch, `git ${args.join(' ')} failed: ${lastLine(added.stderr)}`, {
      stderr: added.stderr,
    });
  }
  return location(path, true);
}

interface WorktreeEntry {
  path: string;
  branch?: string;
}

/** `git worktree list --porcelain`: the main checkout first. */
async function listWorktrees(from: string, env: NodeJS.ProcessEnv, branch: string): Promise<WorktreeEntry[]> {
  const listed = await git(['worktree', 'list', '--porcelain'], from, env);
  if (listed.code !== 0) {
    throw new WorktreeError(branch, `git worktree list failed in ${from}: ${lastLine(listed.stderr)}`, {
      stderr: listed.stderr,
    });
  }
  const entries: WorktreeEntry[] = [];
  for (const block of listed.stdout.split('\n\n')) {
    const entry: Partial<WorktreeEntry> = {};
    for (const line of block.split('\n')) {
      if (line.startsWith('worktree ')) entry.path = line.slice('worktree '.length);
      else if (line.startsWith('branch ')) entry.branch = line.slice('branch '.length);
    }
    if (entry.path !== undefined) entries.push(entry as WorktreeEntry);
  }
  return entries;
}

interface GitResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function git(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<GitResult> {
  return new Promise((done, fail) => {
    execFile('git', args, { cwd, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = (error as NodeJS.ErrnoException | null)?.code;
      if (code === 'ENOENT') {
        fail(
          new WorktreeError(
            args.at(-1) ?? '',
            'git is not installed (or not on PATH); worktree mode needs it.',
            {
              cause: error,
            },
          ),
        );
        return;
      }
      done({ code: error === null ? 0 : typeof code === 'number' ? code : 1, stdout, stderr });
    });
  });
}

/** This process's environment (or `env`) without the variables that would point git at another repository. */
function gitEnv(env: NodeJS.ProcessEnv | undefined): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...(env ?? process.env) };
  for (const name of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR', 'GIT_PREFIX'])
    delete out[name];
  return out;
}

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}
