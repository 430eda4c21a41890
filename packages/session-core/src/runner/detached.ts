/** `detached`: a background run that outlives this process, writing stream-json to a log file. */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  accessSync,
  closeSync,
  constants,
  mkdirSync,
  openSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { ClaudeNotFoundError } from '../errors.js';
import { ownCopy } from '../safety/own-properties.js';
import { EXIT_MARKER_TYPE, type WaitForDetachedOptions, waitForDetached } from './detached-log.js';
import { buildClaudeArgs, childEnv, resolveClaudeBinary, spawnOptions } from './flags.js';
import { stopGroup } from './process-group.js';
import type { ClaudeResult, RunOptions } from './types.js';

export interface DetachedOptions extends Omit<RunOptions, 'onEvent' | 'timeout' | 'signal'> {
  /** Where the stream-json goes; default `<tmpdir>/channelcoder/detached/<time>-<random>.jsonl`. */
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
  const options = ownCopy(given);
  const binary = resolveClaudeBinary(options);
  const args = buildClaudeArgs(options, 'print');
  const env = childEnv(options.env);
  if (!isExecutable(binary, env.PATH)) throw new ClaudeNotFoundError(binary);

  const logFile =
    options.logFile ??
    join(tmpdir(), 'channelcoder', 'detached', `${Date.now()}-${randomUUID().slice(0, 8)}.jsonl`);
  const stderrFile = `${logFile}.stderr`;
  const promptFile = `${logFile}.prompt`;
  mkdirSync(dirname(logFile), { recursive: true });
  writeFileSync(promptFile, prompt, { mode: 0o600 });
  const fds = [openSync(promptFile, 'r'), openSync(logFile, 'a'), openSync(stderrFile, 'a')] as const;
  let pid: number | undefined;
  try {
    const child = spawn(
      '/bin/sh',
      ['-c', WRAPPER, 'sh', binary, ...args],
      spawnOptions({ cwd: options.cwd, env, stdio: [fds[0], fds[1], fds[2]], detached: true }),
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
  };
  const sessionId = options.sessionId ?? (options.forkSession ? undefined : options.resume);
  if (sessionId !== undefined) handle.sessionId = sessionId;
  return handle;
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
