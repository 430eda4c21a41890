/**
 * Runs `claude -p --output-format stream-json --verbose` once: prompt on stdin, stdout through the one
 * stream-json parser as it arrives, stderr kept (its last 64 KB), then the typed outcome. Every print
 * mode (run, claude, stream) goes through here.
 */
import { spawn } from 'node:child_process';
import { ownCopy } from '../safety/own-properties.js';
import { dockerFailure } from './docker.js';
import { spawnOptions } from './flags.js';
import { type Launch, prepareLaunch } from './launch.js';
import { type RunEnd, settleRun } from './outcome.js';
import { stopGroup, trackGroup, untrackGroup } from './process-group.js';
import { type StreamEvent, StreamJsonParser } from './stream-json.js';
import type { ClaudeResult, RunOptions } from './types.js';

const STDERR_LIMIT = 64 * 1024;
const INVALID_LINES_KEPT = 20;

/**
 * Runs one turn. `onEvent` (and `options.onEvent`) see every parsed line in order; if one of them throws,
 * the run is stopped and the promise rejects with that error.
 */
export function executeClaude(
  prompt: string,
  given: RunOptions = {},
  onEvent?: (event: StreamEvent) => void,
): Promise<ClaudeResult> {
  const options = ownCopy(given);
  return prepareLaunch(options, 'print').then((launch) =>
    spawnRun(prompt, options, launch, onEvent).catch((err: unknown) => {
      throw launch.docker ? dockerFailure(err) : err;
    }),
  );
}

function spawnRun(
  prompt: string,
  options: RunOptions,
  launch: Launch,
  onEvent?: (event: StreamEvent) => void,
): Promise<ClaudeResult> {
  return new Promise<ClaudeResult>((resolve, reject) => {
    const { binary, args } = launch;
    const end: RunEnd = { binary, exitCode: null, signal: null, stderr: '', invalidLines: [] };
    if (options.resume !== undefined) end.resume = options.resume;
    let settled = false;
    let callbackError: { error: unknown } | undefined;
    const cleanups: Array<() => void> = [];
    const finish = () => {
      if (settled) return;
      settled = true;
      for (const cleanup of cleanups) cleanup();
      if (callbackError) return reject(callbackError.error);
      try {
        resolve(settleRun(end));
      } catch (err) {
        reject(err);
      }
    };

    if (options.signal?.aborted) {
      end.stoppedBecause = 'abort';
      end.abortReason = options.signal.reason;
      return finish();
    }

    const child = spawn(
      binary,
      args,
      spawnOptions({
        cwd: launch.cwd,
        env: launch.env,
        stdio: ['pipe', 'pipe', 'pipe'] as ['pipe', 'pipe', 'pipe'],
        detached: true,
      }),
    );
    const stop = (because: 'timeout' | 'abort') => {
      if (end.stoppedBecause === undefined) end.stoppedBecause = because;
      if (child.pid !== undefined) stopGroup(child.pid);
    };
    if (child.pid !== undefined) {
      const pid = child.pid;
      trackGroup(pid, (signal) => {
        end.stoppedBecause ??= 'signal';
        end.stopSignal = signal;
      });
      cleanups.push(() => untrackGroup(pid));
    }

    const parser = new StreamJsonParser();
    const deliver = (events: StreamEvent[]) => {
      for (const event of events) {
        if (event.type === 'result') end.result = event.result;
        else if (event.type === 'invalid' && end.invalidLines.length < INVALID_LINES_KEPT)
          end.invalidLines.push(event);
        if (callbackError) continue;
        try {
          options.onEvent?.(event);
          onEvent?.(event);
        } catch (error) {
          callbackError = { error };
          stop('abort');
        }
      }
    };
    child.stdout.on('data', (chunk: Buffer) => {
      // `verbose`: the CLI's stream as it prints it, on this process's stderr (stdout stays the caller's).
      if (options.verbose === true) process.stderr.write(chunk);
      deliver(parser.push(chunk));
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      if (options.verbose === true) process.stderr.write(text);
      end.stderr += text;
      if (end.stderr.length > STDERR_LIMIT * 2) end.stderr = end.stderr.slice(-STDERR_LIMIT);
    });
    // EPIPE here means the CLI exited before reading the prompt; its exit status says why.
    child.stdin.on('error', () => {});
    child.stdin.end(prompt);

    child.on('error', (err: NodeJS.ErrnoException) => {
      if (child.pid === undefined) {
        end.spawnError = err;
        finish();
      }
    });
    child.on('close', (code, signal) => {
      deliver(parser.end());
      end.exitCode = code;
      end.signal = signal;
      if (end.stderr.length > STDERR_LIMIT) end.stderr = end.stderr.slice(-STDERR_LIMIT);
      finish();
    });

    if (options.timeout !== undefined && options.timeout > 0) {
      end.timeoutMs = options.timeout;
      const timer = setTimeout(() => stop('timeout'), options.timeout);
      cleanups.push(() => clearTimeout(timer));
    }
    if (options.signal) {
      const signal = options.signal;
      const onAbort = () => {
        end.abortReason = signal.reason;
        stop('abort');
      };
      signal.addEventListener('abort', onAbort, { once: true });
      cleanups.push(() => signal.removeEventListener('abort', onAbort));
    }
  });
}
