/**
 * Docker mode: the `claude` CLI runs inside a container. The working directory is mounted at
 * `/workspace`; the CLI's transcript folder for that directory on this machine is mounted where the
 * container's CLI files the transcripts of `/workspace`, so a resume, the session's transcript mirror and
 * a restore on another machine all see the same files as without Docker. The container gets only the
 * variables it is given, by name (values never appear on docker's command line).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ClaudeRunError, InvalidArgumentError } from '../errors.js';
import { DockerBuildError, DockerNotAvailableError } from '../run-mode-errors.js';
import { ownCopy } from '../safety/own-properties.js';
import { projectFolderName } from '../transcripts/folder-name.js';

/** `docker: { … }`: how the container is made. */
export interface DockerOptions {
  /**
   * The image to run. Default: the image built from `dockerfile`, else {@link DEFAULT_DOCKER_IMAGE} (built
   * from a small built-in Dockerfile, node + `@anthropic-ai/claude-code`, the first time it is missing).
   * Any other image must have `claude` on its PATH; docker pulls it when missing.
   */
  image?: string;
  /** Build the image from this Dockerfile (its folder is the build context) before each turn; docker's cache keeps a rebuild quick. */
  dockerfile?: string;
  /** More volumes, in docker's `HOST:CONTAINER[:OPTIONS]` form; a relative HOST is taken from the working directory. */
  mounts?: readonly string[];
  /**
   * Variables set in the container. Passed by name (`--env NAME`, the value in docker's own environment).
   * A session remembers the names, not the values: later turns take them from the call's `env` or this
   * process's environment, so secrets are never stored.
   */
  env?: Readonly<Record<string, string>>;
}

/** The image `docker: true` runs (built locally from {@link DEFAULT_DOCKERFILE} when missing). */
export const DEFAULT_DOCKER_IMAGE = 'channelcoder-claude-code:latest';

/** Where the working directory is mounted in the container. */
export const CONTAINER_WORKSPACE = '/workspace';
/** HOME of the CLI in the container (a private tmpfs owned by the calling user). */
export const CONTAINER_HOME = '/home/claude';
/** CLAUDE_CONFIG_DIR of the CLI in the container. */
export const CONTAINER_CONFIG_DIR = `${CONTAINER_HOME}/.claude`;

/** The built-in Dockerfile of {@link DEFAULT_DOCKER_IMAGE}. */
export const DEFAULT_DOCKERFILE = [
  'FROM node:20-slim',
  'RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates ripgrep \\',
  ' && rm -rf /var/lib/apt/lists/*',
  'RUN npm install -g @anthropic-ai/claude-code && npm cache clean --force',
  `WORKDIR ${CONTAINER_WORKSPACE}`,
  '',
].join('\n');

/** Variables of this process (or the call's `env`) that reach the container by default: what the CLI reads. */
export const DOCKER_PASSED_ENV: readonly RegExp[] = [
  /^ANTHROPIC_/,
  /^CLAUDE_CODE_/,
  /^DISABLE_/,
  /^MAX_THINKING_TOKENS$/,
  /^(HTTP|HTTPS|NO)_PROXY$/i,
];

/** Variables that describe this machine, never passed on (the container has its own). */
const HOST_ONLY = new Set([
  'HOME',
  'PATH',
  'PWD',
  'CLAUDE_CONFIG_DIR',
  'CLAUDE_BIN',
  'TMPDIR',
  'SHELL',
  'USER',
]);

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Checks and completes the `docker` option: `true` → the default image, relative paths made absolute
 * (against `cwd`). `undefined` for `false`/`undefined`.
 *
 * @throws InvalidArgumentError naming the bad field.
 */
export function normalizeDockerOptions(
  value: boolean | DockerOptions | undefined,
  cwd: string,
): DockerOptions | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return { image: DEFAULT_DOCKER_IMAGE };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(
      `docker must be true, false or { image?, dockerfile?, mounts?, env? }, got ${JSON.stringify(value)}.`,
    );
  }
  const given = ownCopy(value);
  const known = new Set(['image', 'dockerfile', 'mounts', 'env']);
  for (const key of Object.keys(given)) {
    if (!known.has(key)) {
      throw new InvalidArgumentError(
        `docker.${key} is not a docker option; use image, dockerfile, mounts or env.`,
      );
    }
  }
  const out: DockerOptions = {};
  if (given.image !== undefined) {
    if (typeof given.image !== 'string' || !/^[A-Za-z0-9][\w.\-/:@]*$/.test(given.image))
      throw new InvalidArgumentError(
        `docker.image must be an image reference, got ${JSON.stringify(given.image)}.`,
      );
    out.image = given.image;
  }
  if (given.dockerfile !== undefined) {
    if (typeof given.dockerfile !== 'string' || given.dockerfile === '')
      throw new InvalidArgumentError('docker.dockerfile must be the path of a Dockerfile.');
    out.dockerfile = resolve(cwd, given.dockerfile);
  }
  if (given.mounts !== undefined) {
    if (!Array.isArray(given.mounts))
      throw new InvalidArgumentError('docker.mounts must be an array of "HOST:CONTAINER[:OPTIONS]" strings.');
    out.mounts = given.mounts.map((mount, i) => normalizeMount(mount, i, cwd));
  }
  if (given.env !== undefined) {
    if (typeof given.env !== 'object' || given.env === null || Array.isArray(given.env))
      throw new InvalidArgumentError('docker.env must be an object of variable names to string values.');
    const env: Record<string, string> = {};
    for (const [name, v] of Object.entries(ownCopy(given.env))) {
      if (!ENV_NAME.test(name))
        throw new InvalidArgumentError(`docker.env: "${name}" is not a variable name.`);
      if (typeof v !== 'string') throw new InvalidArgumentError(`docker.env.${name} must be a string.`);
      env[name] = v;
    }
    out.env = env;
  }
  if (out.image === undefined && out.dockerfile === undefined) out.image = DEFAULT_DOCKER_IMAGE;
  return out;
}

function normalizeMount(mount: unknown, i: number, cwd: string): string {
  if (typeof mount !== 'string') throw new InvalidArgumentError(`docker.mounts[${i}] must be a string.`);
  const [host, container, ...rest] = mount.split(':');
  if (
    host === undefined ||
    host === '' ||
    container === undefined ||
    !isAbsolute(container) ||
    rest.length > 1
  ) {
    throw new InvalidArgumentError(
      `docker.mounts[${i}] must look like HOST:CONTAINER[:OPTIONS] with an absolute CONTAINER path, got ${JSON.stringify(mount)}.`,
    );
  }
  return [resolve(cwd, host), container, ...rest].join(':');
}

/** The image a turn runs: the given one, else one named after the Dockerfile's path. */
export function dockerImageOf(docker: DockerOptions): string {
  if (docker.image !== undefined) return docker.image;
  const hash = createHash('sha256')
    .update(docker.dockerfile ?? '')
    .digest('hex')
    .slice(0, 12);
  return `channelcoder-${hash}:latest`;
}

export interface DockerRunInput {
  docker: DockerOptions;
  /** The working directory on this machine (mounted at /workspace). */
  cwd: string;
  /** This machine's CLAUDE_CONFIG_DIR (its `projects/<folder of cwd>` is mounted). */
  configDir: string;
  /** The `claude` arguments (flags, without the binary). */
  claudeArgs: readonly string[];
  /** The environment the run would have had on this machine (this process's, with the call's `env`). */
  env: NodeJS.ProcessEnv;
  /** Names the caller set explicitly in the call's `env` (passed even when they match no default rule). */
  explicitEnv: readonly string[];
  /** A terminal is attached (interactive mode): `-t` as well as `-i`. */
  tty: boolean;
  /** The calling user, so files in /workspace keep their owner (`--user UID:GID`). */
  user?: { uid: number; gid: number };
}

export interface DockerRun {
  /** `docker run …` arguments. */
  args: string[];
  /** docker's own environment: where the `--env NAME` values come from. */
  env: NodeJS.ProcessEnv;
  /** The transcript folder on this machine that is mounted into the container. */
  transcriptFolder: string;
}

/** The `docker run` command line for one turn. Pure: no process is started, nothing is read. */
export function dockerRunArgs(input: DockerRunInput): DockerRun {
  const { docker } = input;
  const transcriptFolder = join(input.configDir, 'projects', projectFolderName(input.cwd));
  const args = ['run', '--rm', '-i'];
  if (input.tty) args.push('-t');
  args.push('--init');
  if (input.user !== undefined) {
    args.push('--user', `${input.user.uid}:${input.user.gid}`);
    args.push('--tmpfs', `${CONTAINER_HOME}:uid=${input.user.uid},gid=${input.user.gid},mode=0700`);
  } else args.push('--tmpfs', `${CONTAINER_HOME}:mode=0700`);
  args.push('--workdir', CONTAINER_WORKSPACE);
  args.push('--volume', `${input.cwd}:${CONTAINER_WORKSPACE}`);
  args.push(
    '--volume',
    `${transcriptFolder}:${CONTAINER_CONFIG_DIR}/projects/${projectFolderName(CONTAINER_WORKSPACE)}`,
  );
  for (const mount of docker.mounts ?? []) args.push('--volume', mount);
  args.push('--env', `HOME=${CONTAINER_HOME}`, '--env', `CLAUDE_CONFIG_DIR=${CONTAINER_CONFIG_DIR}`);

  const dockerEnv: NodeJS.ProcessEnv = { ...input.env };
  const names = new Set<string>();
  for (const name of Object.keys(input.env)) {
    if (HOST_ONLY.has(name) || input.env[name] === undefined) continue;
    if (input.explicitEnv.includes(name) || DOCKER_PASSED_ENV.some((rule) => rule.test(name)))
      names.add(name);
  }
  for (const [name, value] of Object.entries(docker.env ?? {})) {
    dockerEnv[name] = value;
    names.add(name);
  }
  for (const name of [...names].sort()) args.push('--env', name);
  args.push(dockerImageOf(docker), 'claude', ...input.claudeArgs);
  return { args, env: dockerEnv, transcriptFolder };
}

/**
 * Before a container turn: the transcript folder exists (else docker would create it as root), and the
 * image is there: a `dockerfile` is built (cached by docker), the default image is built once when missing.
 *
 * @throws DockerBuildError when the build fails.
 */
export async function prepareDockerImage(
  docker: DockerOptions,
  run: DockerRun,
  dockerBinary: string,
): Promise<void> {
  mkdirSync(run.transcriptFolder, { recursive: true, mode: 0o700 });
  const image = dockerImageOf(docker);
  if (docker.dockerfile !== undefined) {
    const built = await runDocker(
      dockerBinary,
      ['build', '--tag', image, '--file', docker.dockerfile, dirname(docker.dockerfile)],
      run.env,
    );
    if (built.code !== 0) throw new DockerBuildError(image, built.code, built.output);
    return;
  }
  if (image !== DEFAULT_DOCKER_IMAGE) return;
  const found = await runDocker(dockerBinary, ['image', 'inspect', '--format', '{{.Id}}', image], run.env);
  if (found.code === 0) return;
  if (isDaemonDown(found.output)) throw new DockerNotAvailableError({ stderr: found.output });
  const built = await runDocker(dockerBinary, ['build', '--tag', image, '-'], run.env, DEFAULT_DOCKERFILE);
  if (built.code !== 0) throw new DockerBuildError(image, built.code, built.output);
}

function runDocker(
  binary: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  input = '',
): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(binary, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-16 * 1024);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.stdin.on('error', () => {});
    child.stdin.end(input);
    child.on('error', (err) => done({ code: null, output: err.message }));
    child.on('close', (code) => done({ code, output }));
  });
}

function isDaemonDown(text: string): boolean {
  return /Cannot connect to the Docker daemon|Is the docker daemon running|error during connect/i.test(text);
}

/**
 * A failed container turn, in Docker's words: docker could not reach its daemon → DockerNotAvailableError;
 * docker itself failed (exit 125: bad image, bad mount), or the image has no runnable `claude` (126, 127),
 * without a result line → a ClaudeRunError saying so. Anything else stays as it is.
 */
export function dockerFailure(err: unknown): unknown {
  if (!ClaudeRunError.is(err) || err.resultLine !== undefined) return err;
  if (isDaemonDown(err.stderr)) return new DockerNotAvailableError({ stderr: err.stderr });
  if (err.exitCode !== 125 && err.exitCode !== 126 && err.exitCode !== 127) return err;
  const said = err.stderr.trim().split('\n').at(-1) ?? '';
  return new ClaudeRunError(
    `docker run failed (exit code ${err.exitCode})${said === '' ? '' : `: ${said}`}. ` +
      (err.exitCode === 125
        ? 'Check the image name (docker.image / --docker-image) and the mounts.'
        : 'The image must have the Claude Code CLI as `claude` on its PATH.') +
      ' Nothing reached Claude.',
    { exitCode: err.exitCode, signal: err.signal, stderr: err.stderr, cause: err },
  );
}
