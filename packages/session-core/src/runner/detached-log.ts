/**
 * Reading a detached run's log: the CLI's stream-json followed by one line the wrapper shell appends when
 * the CLI exits, `{"type":"channelcoder_exit","exit_code":N}`. The log is read incrementally through the
 * one stream-json parser, so waiting on a long run costs O(new bytes) per poll.
 */
import { open, readFile } from 'node:fs/promises';
import { ClaudeNotFoundError } from '../errors.js';
import { type RunEnd, settleRun } from './outcome.js';
import { type InvalidLineEvent, type StreamEvent, StreamJsonParser } from './stream-json.js';
import type { ClaudeResult } from './types.js';

/** The line type of the exit marker. */
export const EXIT_MARKER_TYPE = 'channelcoder_exit';

/** What a detached run's log shows so far. */
export interface DetachedLogState {
  /** The Claude session id from the first line that carries one (the `system/init` line). */
  sessionId?: string;
  /** The result line, once printed. */
  result?: ClaudeResult;
  /** The CLI's exit code, once it exited (128 + n when killed by signal n). */
  exitCode?: number;
  /** True once the CLI exited. */
  finished: boolean;
  /** Lines that were not stream-json. */
  invalidLines: InvalidLineEvent[];
}

/** Incremental reader: each `read()` consumes only what was appended since the previous one. */
export class DetachedLogReader {
  readonly state: DetachedLogState = { finished: false, invalidLines: [] };
  private readonly parser = new StreamJsonParser();
  private offset = 0;

  constructor(readonly logFile: string) {}

  /** Reads what is new in the log (a log that does not exist yet reads as empty). */
  async read(): Promise<DetachedLogState> {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(this.logFile, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return this.state;
      throw err;
    }
    try {
      const buffer = Buffer.alloc(256 * 1024);
      while (true) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        this.apply(this.parser.push(buffer.subarray(0, bytesRead)));
      }
    } finally {
      await handle.close();
    }
    return this.state;
  }

  private apply(events: StreamEvent[]): void {
    for (const event of events) {
      if (event.type === 'invalid') {
        if (this.state.invalidLines.length < 20) this.state.invalidLines.push(event);
        continue;
      }
      if (this.state.sessionId === undefined && event.sessionId !== undefined && event.sessionId !== '') {
        this.state.sessionId = event.sessionId;
      }
      if (event.type === 'result') this.state.result = event.result;
      if (event.type === 'unknown' && event.lineType === EXIT_MARKER_TYPE) {
        const code = event.raw.exit_code;
        this.state.exitCode = typeof code === 'number' ? code : -1;
        this.state.finished = true;
      }
    }
  }
}

/** Reads a detached run's log once. */
export async function readDetachedLog(logFile: string): Promise<DetachedLogState> {
  return new DetachedLogReader(logFile).read();
}

export interface WaitForDetachedOptions {
  /** How often to look at the log, in milliseconds (default 100). */
  pollMs?: number;
  /** The run's process id: lets the wait end if the run died without writing its exit marker. */
  pid?: number;
  /** The id the run resumed, to recognise "No conversation found". */
  resume?: string;
  /** The binary the run started, for error messages. */
  binary?: string;
  /** Stop waiting (the run goes on); the wait rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called with each new state while waiting. */
  onProgress?: (state: DetachedLogState) => void;
}

/**
 * Waits until the log shows the run ended, then resolves with its result or rejects with the typed
 * error, exactly like `run()` would have (`<log>.stderr` is read for the error details).
 */
export async function waitForDetached(
  logFile: string,
  options: WaitForDetachedOptions = {},
): Promise<ClaudeResult> {
  const reader = new DetachedLogReader(logFile);
  const pollMs = options.pollMs ?? 100;
  let state = await reader.read();
  let goneChecks = 0;
  while (!state.finished) {
    if (options.signal?.aborted) throw options.signal.reason;
    if (options.pid !== undefined && !isAlive(options.pid)) {
      // The marker is written right after the CLI exits; give the shell one more poll to write it.
      if (++goneChecks > 2) break;
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    state = await reader.read();
    options.onProgress?.(state);
  }
  const binary = options.binary ?? 'claude';
  const stderr = await readFile(`${logFile}.stderr`, 'utf8').catch(() => '');
  // The wrapper shell exits 127 when it cannot find the binary.
  if (state.exitCode === 127 && state.result === undefined) throw new ClaudeNotFoundError(binary);
  const end: RunEnd = {
    binary,
    exitCode: state.exitCode ?? null,
    signal: null,
    stderr,
    invalidLines: state.invalidLines,
  };
  if (state.result !== undefined) end.result = state.result;
  if (options.resume !== undefined) end.resume = options.resume;
  return settleRun(end);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
