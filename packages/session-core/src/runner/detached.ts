/** `detached`: a background run that outlives this process, writing stream-json to a log file. */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  lstatSync,
  mkdirSync,
  openSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { ClaudeNotFoundError, InvalidArgumentError } from '../errors.js';
import { ownCopy } from '../safety/own-properties.js';
import { EXIT_MARKER_TYPE, type WaitForDetachedOptions, waitForDetached } from './detached-log.js';
import { spawnOptions } from './flags.js';
import { prepareLaunch } from './launch.js';
import { checkOptions } from './options-check.js';
import { stopGroup } from './process-group.js';
import type { ClaudeResult, RunOptions } from './types.js';

export interface DetachedOptions extends Omit<RunOptions, 'onEvent' | 'timeout' | 'signal'> {
  /**
   * Where the stream-json goes; default `<tmpdir>/channelcoder-<uid>/detached/<time>-<random>.jsonl`, in
   * a folder only this user can enter (0700, checked on every run) as files only this user can read
   * (0600). The log holds the prompt's answer and every tool output: `session().detached()` removes a
   * default log once its turn is recorded.
   */
  logFile?: string;
}

/** A started background run. */
export interface DetachedRun {
  pid: number;
  /** The CLI's stream-json, then the exit marker line (see `readDetachedLog`). */
  logFile: string;
  /** The CLI's stderr. */
  stderrFile: string;
  /** Known up front when `sessionId` was given (or on a resume without fork: the CLI keeps the id). */
  sessionId?: string;
  /** Waits until the run ends; resolves or rejects like `run()` would have. */
  wait(options?: Omit<WaitForDetachedOptions, 'pid' | 'resume' | 'binary'>): Promise<ClaudeResult>;
  /** Stops the run (its whole process group). */
  stop(): void;
  /** Removes the log and stderr files (once what they hold was recorded); missing files are fine. */
  removeLogs(): void;
}

// The shell runs the CLI, then appends the exit marker, so a reader learns the run ended even when the
// process that started it is long gone.
const WRAPPER = `"$@"; code=$?; printf '{"type":"${EXIT_MARKER_TYPE}","exit_code":%d}\\n' "$code"`;

/**
 * Starts one turn in the background (POSIX: it runs under /bin/sh in its own process group) and resolves
 * once it is running. The prompt is handed over through a file, so the run does not depend on this
 * process staying alive.
 *
 * @throws ClaudeNotFoundError when the binary is not there; InvalidArgumentError for bad options.
 */
export async function detached(prompt: string, given: DetachedOptions = {}): Promise<DetachedRun> {
  checkOptions(given, 'detached', 'detached()');
  const options = ownCopy(given);
  const launch = await prepareLaunch(options, 'print');
  const { binary, args, env } = launch;
  if (!isExecutable(binary, env.PATH)) throw new ClaudeNotFoundError(binary);

  const logFile =
    options.logFile ?? join(privateLogFolder(), `${Date.now()}-${randomUUID().slice(0, 8)}.jsonl`);
  const stderrFile = `${logFile}.stderr`;
  const promptFile = `${logFile}.prompt`;
  if (options.logFile !== undefined) mkdirSync(dirname(logFile), { recursive: true, mode: 0o700 });
  // Owner-only files, never opened through a link; the default ones are created exclusively.
  const create = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW;
  const append =
    options.logFile === undefined
      ? create
      : constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | NOFOLLOW;
  const promptFd = openSync(promptFile, create, 0o600);
  try {
    writeFileSync(promptFd, prompt);
  } finally {
    closeSync(promptFd);
  }
  const fds = [
    openSync(promptFile, constants.O_RDONLY | NOFOLLOW),
    openSync(logFile, append, 0o600),
    openSync(stderrFile, append, 0o600),
  ] as const;
  let pid: number | undefined;
  try {
    const child = spawn(
      '/bin/sh',
      ['-c', WRAPPER, 'sh', binary, ...args],
      spawnOptions({ cwd: launch.cwd, env, stdio: [fds[0], fds[1], fds[2]], detached: true }),
    );
    pid = child.pid;
    child.on('error', () => {}); // /bin/sh missing is reported below through the missing pid
    child.unref();
  } finally {
    for (const fd of fds) closeSync(fd);
    // The child holds its own descriptor; the file itself is no longer needed.
    unlinkSync(promptFile);
  }
  if (pid === undefined) throw new ClaudeNotFoundError('/bin/sh');

  const runPid = pid;
  const handle: DetachedRun = {
    pid: runPid,
    logFile,
    stderrFile,
    wait: (waitOptions = {}) => {
      const full: WaitForDetachedOptions = { ...waitOptions, pid: runPid, binary };
      if (options.resume !== undefined) full.resume = options.resume;
      return waitForDetached(logFile, full);
    },
    stop: () => stopGroup(runPid),
    removeLogs: () => {
      for (const file of [logFile, stderrFile]) rmSync(file, { force: true });
    },
  };
  const sessionId = options.sessionId ?? (options.forkSession ? undefined : options.resume);
  if (sessionId !== undefined) handle.sessionId = sessionId;
  return handle;
}

const NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/**
 * `<tmpdir>/channelcoder-<uid>/detached`, created 0700. A folder there that is a link, belongs to another
 * user or is open to others is refused (another user could read or plant logs): it is never used.
 *
 * @throws InvalidArgumentError naming the folder and what is wrong with it.
 */
export function privateLogFolder(): string {
  const uid = process.getuid?.() ?? 0;
  const base = join(tmpdir(), `channelcoder-${uid}`);
  const folder = join(base, 'detached');
  for (const dir of [base, folder]) {
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const stats = lstatSync(dir);
    const problem = stats.isSymbolicLink()
      ? 'is a symbolic link'
      : !stats.isDirectory()
        ? 'is not a folder'
        : process.getuid !== undefined && stats.uid !== uid
          ? `belongs to user ${stats.uid}`
          : undefined;
    if (problem !== undefined) {
      throw new InvalidArgumentError(
        `The detached log folder ${dir} ${problem}; remove it, or pass logFile to choose another place.`,
      );
    }
    if ((stats.mode & 0o077) !== 0) chmodSync(dir, 0o700);
  }
  return folder;
}

/** Whether `binary` (a path, or a name looked up on PATH) is an executable file. */
export function isExecutable(binary: string, path: string | undefined): boolean {
  const candidates = binary.includes('/')
    ? [binary]
    : (path ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((d) => join(d, binary));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return true;
    } catch {
      // not this one
    }
  }
  return false;
}
