/** A spinner with elapsed time while Claude works: on a terminal only, on stderr, never in a pipe. */
import type { CliOutput } from '../io.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface Spinner {
  /** Removes the spinner line (idempotent); output written after it starts on a clean line. */
  stop(): void;
  /** Total time since the spinner started, in milliseconds. */
  elapsedMs(): number;
}

/**
 * Starts a spinner on `out` when it is a terminal. Elsewhere it writes nothing at all and only measures
 * time, so piped output stays free of escape codes.
 */
export function startSpinner(out: CliOutput, label: string, intervalMs = 100): Spinner {
  const started = Date.now();
  const elapsedMs = () => Date.now() - started;
  if (out.isTTY !== true) return { stop: () => {}, elapsedMs };
  let frame = 0;
  const draw = () => {
    const seconds = Math.floor(elapsedMs() / 1000);
    out.write(`\r\u001b[2K${FRAMES[frame % FRAMES.length]} ${label} ${seconds}s`);
    frame++;
  };
  draw();
  const timer = setInterval(draw, intervalMs);
  let stopped = false;
  return {
    elapsedMs,
    stop: () => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      out.write('\r\u001b[2K');
    },
  };
}
