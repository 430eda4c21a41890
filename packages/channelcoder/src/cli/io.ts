import { fstatSync, writeSync } from 'node:fs';

/** What the CLI talks to; `main()` takes it so tests and embedders can run the CLI in-process. */
export interface CliOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface CliIo {
  stdout: CliOutput;
  /**
   * Stdout for a command that prints its output and ends (`session list`): the real process's gives a
   * pipe or file written synchronously, without setting up `process.stdout` (for a pipe that loads Node's
   * stream and socket modules, a tenth of a short command's start); a terminal, or a stdout already in
   * use, is `process.stdout` itself. Optional: an embedder's `io` without it has `stdout` used instead.
   */
  readonly printOut?: CliOutput;
  stderr: CliOutput;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

let stdoutStarted = false;
const startStdout = (): NodeJS.WriteStream => {
  stdoutStarted = true;
  return process.stdout;
};

/** Whether this process set up `process.stdout` through {@link processIo} (so it may hold unflushed output). */
export function processStdoutStarted(): boolean {
  return stdoutStarted;
}

/**
 * The real process streams, each created when first used (Node builds `process.stdin` and friends on
 * first access, which loads the stream and socket modules: a command that never reads stdin skips that).
 */
export function processIo(): CliIo {
  return {
    get stdout() {
      return startStdout();
    },
    get printOut() {
      return stdoutStarted || !pipeOrFile(1) ? startStdout() : directStdout;
    },
    get stderr() {
      return process.stderr;
    },
    get stdin() {
      return process.stdin;
    },
    env: process.env,
    cwd: process.cwd(),
  };
}

/**
 * Whether `fd` is a pipe, socket or regular file (so not a terminal), from one `fstat`: asking Node's `tty`
 * module would load the socket modules this avoids. A character device (a terminal, or /dev/null) is
 * left to `process.stdout`.
 */
function pipeOrFile(fd: number): boolean {
  try {
    const stat = fstatSync(fd);
    return stat.isFIFO() || stat.isSocket() || stat.isFile();
  } catch {
    return false;
  }
}

/**
 * File descriptor 1 written with `writeSync`, as Node itself writes a pipe or file stdout on Linux. If a
 * write fails (a non-blocking pipe that is full, a closed reader), the rest goes to `process.stdout`, which
 * handles it as it would have handled the whole output.
 */
const directStdout: CliOutput = {
  isTTY: false,
  write(text: string) {
    if (stdoutStarted) return startStdout().write(text);
    const bytes = Buffer.from(text);
    let written = 0;
    try {
      while (written < bytes.length) written += writeSync(1, bytes, written);
    } catch {
      return startStdout().write(bytes.subarray(written));
    }
    return true;
  },
};
