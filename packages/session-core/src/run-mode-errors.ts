/**
 * Typed errors of the run modes: a turn in a git worktree (`worktree`) or in a Docker container
 * (`docker`). Each is raised before the `claude` CLI starts, so nothing was run or paid for.
 */
import { ChannelCoderError, type ChannelCoderErrorCode } from './errors.js';

function hasCode(err: unknown, code: ChannelCoderErrorCode): boolean {
  return ChannelCoderError.is(err) && err.code === code;
}

/** `worktree` was asked for, but the working directory is not inside a git repository. */
export class NotAGitRepositoryError extends ChannelCoderError {
  /** The directory that was looked at. */
  readonly directory: string;
  /** The branch the worktree was for. */
  readonly branch: string;
  constructor(directory: string, branch: string, options?: { cause?: unknown; hint?: string }) {
    super(
      'NOT_A_GIT_REPOSITORY',
      `worktree "${branch}" needs a git repository, but ${directory} is not inside one. ` +
        (options?.hint ??
          'Run it from inside your clone of the repository, or pass cwd (--cwd DIR) pointing into it; ' +
            'the worktree is then created beside the main checkout.'),
      options,
    );
    this.directory = directory;
    this.branch = branch;
  }
  static override is(err: unknown): err is NotAGitRepositoryError {
    return hasCode(err, 'NOT_A_GIT_REPOSITORY');
  }
}

/** The branch is checked out in another place (the main checkout or another worktree), so git refuses a second one. */
export class WorktreeBranchInUseError extends ChannelCoderError {
  /** The branch the worktree was for. */
  readonly branch: string;
  /** Where the branch is checked out now. */
  readonly checkedOutAt: string;
  /** Where the session's worktree would be. */
  readonly worktreePath: string;
  constructor(branch: string, checkedOutAt: string, worktreePath: string, isMainCheckout: boolean) {
    super(
      'WORKTREE_BRANCH_IN_USE',
      `Branch "${branch}" is already checked out in ${isMainCheckout ? 'the main checkout ' : ''}${checkedOutAt}, ` +
        `so its worktree cannot be created at ${worktreePath}. ` +
        (isMainCheckout
          ? `Switch the main checkout to another branch (git -C ${checkedOutAt} switch <other-branch>), or run without worktree to work there.`
          : `Remove that worktree (git worktree remove ${checkedOutAt}) or work there with cwd (--cwd ${checkedOutAt}).`),
    );
    this.branch = branch;
    this.checkedOutAt = checkedOutAt;
    this.worktreePath = worktreePath;
  }
  static override is(err: unknown): err is WorktreeBranchInUseError {
    return hasCode(err, 'WORKTREE_BRANCH_IN_USE');
  }
}

/** git could not create or inspect the worktree (git missing, the path taken, an invalid branch name, …). */
export class WorktreeError extends ChannelCoderError {
  /** The branch the worktree was for. */
  readonly branch: string;
  /** What git printed on stderr, when it ran. */
  readonly stderr: string;
  constructor(branch: string, message: string, options?: { cause?: unknown; stderr?: string }) {
    super('WORKTREE_FAILED', `worktree "${branch}": ${message}`, options);
    this.branch = branch;
    this.stderr = options?.stderr ?? '';
  }
  static override is(err: unknown): err is WorktreeError {
    return hasCode(err, 'WORKTREE_FAILED');
  }
}

/** `docker` was asked for, but there is no `docker` executable on PATH (or its daemon is not reachable). */
export class DockerNotAvailableError extends ChannelCoderError {
  /** The docker CLI's own message, when it ran and could not reach its daemon. */
  readonly stderr: string;
  constructor(options?: { stderr?: string; path?: string }) {
    super(
      'DOCKER_NOT_AVAILABLE',
      options?.stderr !== undefined
        ? `Docker is installed but could not run a container: ${options.stderr.trim().split('\n').at(-1) ?? ''} ` +
            'Start the Docker daemon (or fix DOCKER_HOST), or run without docker (drop the docker option / --docker).'
        : 'docker mode needs the `docker` command, but it is not on PATH' +
            `${options?.path === undefined ? '' : ` (${options.path})`}. Install Docker and make sure \`docker\` ` +
            'runs in this shell, or run without docker (drop the docker option / --docker). Nothing was run.',
    );
    this.stderr = options?.stderr ?? '';
  }
  static override is(err: unknown): err is DockerNotAvailableError {
    return hasCode(err, 'DOCKER_NOT_AVAILABLE');
  }
}

/** `docker build` of the run's image failed. */
export class DockerBuildError extends ChannelCoderError {
  /** The image that was being built. */
  readonly image: string;
  /** docker build's exit code (null when it could not start). */
  readonly exitCode: number | null;
  /** The end of the build's output. */
  readonly output: string;
  constructor(image: string, exitCode: number | null, output: string) {
    super(
      'DOCKER_BUILD_FAILED',
      `Building the Docker image ${image} failed (exit code ${exitCode ?? 'none'}): ` +
        `${output.trim().split('\n').slice(-3).join(' | ') || 'no output'}. ` +
        'Fix the Dockerfile (or build the image yourself and pass docker: { image }). Nothing was run.',
    );
    this.image = image;
    this.exitCode = exitCode;
    this.output = output;
  }
  static override is(err: unknown): err is DockerBuildError {
    return hasCode(err, 'DOCKER_BUILD_FAILED');
  }
}
