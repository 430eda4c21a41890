/**
 * Sticky run options: what a session keeps from its first turn (model, tools, permission mode, worktree,
 * Docker, cwd) and how later turns reuse it. A call's own options win for that call.
 */
import { statSync } from 'node:fs';
import { DockerNotAvailableError } from '../run-mode-errors.js';
import { isExecutable } from '../runner/detached.js';
import { type DockerOptions, normalizeDockerOptions } from '../runner/docker.js';
import { childEnv } from '../runner/flags.js';
import type { RunOptions } from '../runner/types.js';
import { ensureWorktree } from '../runner/worktree.js';
import { ownCopy, ownValue } from '../safety/own-properties.js';
import type { SessionRunSettings, SessionState } from '../state.js';
import type { SessionRunOptions } from './types.js';

/** The plain options a session keeps (worktree and docker are kept in their own shape). */
const KEPT = ['model', 'allowedTools', 'disallowedTools', 'permissionMode'] as const;

/**
 * The runner options of a turn with the session's kept options filled in where the call (and the
 * session's defaults) left them out, the worktree resolved to a directory (created when missing) and
 * Docker checked; and the state with what it keeps updated. On the conversation's first turn the
 * effective options become the kept ones; later turns only update where the worktree is.
 *
 * @throws NotAGitRepositoryError, WorktreeBranchInUseError, WorktreeError, DockerNotAvailableError,
 *   InvalidArgumentError: before anything runs.
 */
export async function applyRunSettings(
  state: SessionState,
  planned: RunOptions,
  defaults: SessionRunOptions | undefined,
  call: SessionRunOptions | undefined,
): Promise<{ options: RunOptions; state: SessionState }> {
  const options: RunOptions = Object.assign(ownCopy<RunOptions>(undefined), planned);
  const kept = ownValue(state.metadata, 'runOptions');
  const givenCwd = ownValue(ownCopy(call), 'cwd') ?? ownValue(ownCopy(defaults), 'cwd');

  if (kept !== undefined) {
    for (const key of KEPT) {
      const value = kept[key];
      if (options[key] === undefined && value !== undefined)
        (options as Record<string, unknown>)[key] = structuredClone(value);
    }
    if (options.docker === undefined && kept.docker !== undefined)
      options.docker = dockerFromKept(kept.docker, options.env);
  }

  let next = state;
  const branch = options.worktree ?? kept?.worktree?.branch;
  let worktree: SessionRunSettings['worktree'];
  if (branch !== undefined) {
    const known = kept?.worktree?.branch === branch ? kept.worktree : undefined;
    // A cwd given now decides the repository; otherwise the worktree where it was (this machine), the
    // stored cwd, the repository, and last this process's directory (another machine, another clone).
    const from =
      givenCwd ??
      [known?.path, state.metadata.cwd, known?.repository].find(
        (dir): dir is string => dir !== undefined && isDirectory(dir),
      ) ??
      process.cwd();
    const location = await ensureWorktree(branch, {
      from,
      ...(known === undefined ? {} : { known: known.path }),
      env: childEnv(options.env),
    });
    options.cwd = location.path;
    delete options.worktree;
    worktree = { branch, path: location.path, repository: location.repository };
  }

  const cwd = options.cwd ?? process.cwd();
  const docker = normalizeDockerOptions(options.docker, cwd);
  if (docker !== undefined) {
    options.docker = docker;
    const PATH = childEnv(options.env).PATH;
    if (!isExecutable('docker', PATH)) throw new DockerNotAvailableError({ path: PATH ?? '' });
  } else delete options.docker;

  const firstTurn = state.messages.length === 0;
  // A later turn in the kept worktree updates where it is (another machine); another branch given for
  // one call is that call's only.
  const moved =
    !firstTurn &&
    worktree !== undefined &&
    kept?.worktree?.branch === worktree.branch &&
    (kept.worktree.path !== worktree.path ||
      kept.worktree.repository !== worktree.repository ||
      state.metadata.cwd !== worktree.path);
  if (firstTurn || moved) {
    next = { ...state, metadata: { ...state.metadata } };
    const settings: SessionRunSettings = firstTurn ? captureSettings(options, docker) : { ...kept };
    if (worktree !== undefined) settings.worktree = worktree;
    if (Object.keys(settings).length > 0) next.metadata.runOptions = settings;
    else delete next.metadata.runOptions;
    if (worktree !== undefined) next.metadata.cwd = worktree.path;
    else if (firstTurn && givenCwd !== undefined) next.metadata.cwd = givenCwd;
  }
  return { options, state: next };
}

/** What the first turn's options leave to keep. */
function captureSettings(options: RunOptions, docker: DockerOptions | undefined): SessionRunSettings {
  const settings: SessionRunSettings = {};
  if (options.model !== undefined) settings.model = options.model;
  if (options.permissionMode !== undefined) settings.permissionMode = options.permissionMode;
  if (options.allowedTools !== undefined) settings.allowedTools = [...options.allowedTools];
  if (options.disallowedTools !== undefined) settings.disallowedTools = [...options.disallowedTools];
  if (docker !== undefined) {
    const kept: NonNullable<SessionRunSettings['docker']> = {};
    if (docker.image !== undefined) kept.image = docker.image;
    if (docker.dockerfile !== undefined) kept.dockerfile = docker.dockerfile;
    if (docker.mounts !== undefined) kept.mounts = [...docker.mounts];
    if (docker.env !== undefined) kept.envNames = Object.keys(docker.env).sort();
    settings.docker = kept;
  }
  return settings;
}

/** The Docker options of a later turn: the kept ones, with `env` values from this turn's environment. */
function dockerFromKept(
  kept: NonNullable<SessionRunSettings['docker']>,
  env: RunOptions['env'],
): DockerOptions {
  const docker: DockerOptions = {};
  if (kept.image !== undefined) docker.image = kept.image;
  if (kept.dockerfile !== undefined) docker.dockerfile = kept.dockerfile;
  if (kept.mounts !== undefined) docker.mounts = [...kept.mounts];
  if (kept.envNames !== undefined) {
    const here = childEnv(env);
    const values: Record<string, string> = {};
    for (const name of kept.envNames) {
      const value = here[name];
      if (value !== undefined) values[name] = value;
    }
    docker.env = values;
  }
  return docker;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
