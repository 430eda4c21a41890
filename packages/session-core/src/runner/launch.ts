/**
 * What to start for one run: the `claude` binary with its flags in the working directory, or the same
 * inside a container (`docker`), in the branch's worktree (`worktree`). Every mode (run, stream,
 * interactive, detached) starts what this returns.
 */
import { DockerNotAvailableError } from '../run-mode-errors.js';
import { isExecutable } from './detached.js';
import { dockerRunArgs, normalizeDockerOptions, prepareDockerImage } from './docker.js';
import { buildClaudeArgs, childEnv, resolveClaudeBinary } from './flags.js';
import { claudeConfigDir } from './transcript.js';
import type { RunOptions } from './types.js';
import { ensureWorktree } from './worktree.js';

export interface Launch {
  binary: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string | undefined;
  /** The run goes through `docker run`. */
  docker: boolean;
}

/**
 * Resolves the worktree (creating it when missing), maps the options to flags and, in Docker mode, to the
 * `docker run` command (building the image when needed). Nothing of Claude's runs here.
 *
 * @throws InvalidArgumentError for bad options; NotAGitRepositoryError, WorktreeBranchInUseError,
 *   WorktreeError for the worktree; DockerNotAvailableError, DockerBuildError for Docker.
 */
export async function prepareLaunch(options: RunOptions, mode: 'print' | 'interactive'): Promise<Launch> {
  let cwd = options.cwd;
  const args = buildClaudeArgs(options, mode);
  const env = childEnv(options.env);
  if (options.worktree !== undefined) {
    cwd = (await ensureWorktree(options.worktree, { ...(cwd === undefined ? {} : { from: cwd }), env })).path;
  }
  const docker = normalizeDockerOptions(options.docker, cwd ?? process.cwd());
  if (docker === undefined) {
    return { binary: resolveClaudeBinary(options), args, env, cwd, docker: false };
  }
  if (!isExecutable('docker', env.PATH)) throw new DockerNotAvailableError({ path: env.PATH ?? '' });
  const workdir = cwd ?? process.cwd();
  const user =
    typeof process.getuid === 'function' && typeof process.getgid === 'function'
      ? { uid: process.getuid(), gid: process.getgid() }
      : undefined;
  const run = dockerRunArgs({
    docker,
    cwd: workdir,
    configDir: claudeConfigDir(options.env),
    claudeArgs: args,
    env,
    explicitEnv: Object.keys(options.env ?? {}).filter((name) => options.env?.[name] !== undefined),
    tty: mode === 'interactive' && process.stdin.isTTY === true,
    ...(user === undefined ? {} : { user }),
  });
  await prepareDockerImage(docker, run, 'docker');
  return { binary: 'docker', args: run.args, env: run.env, cwd: workdir, docker: true };
}
