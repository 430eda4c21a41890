/** Long output on a terminal goes through the user's pager (`$PAGER`, else `less -R`); pipes get it directly. */
import { spawn } from 'node:child_process';
import type { CliIo } from '../io.js';

/**
 * Writes `text` to stdout, through a pager when stdout is a terminal the process owns. A pager that cannot
 * start (not installed) is not an error: the text is written directly.
 */
export async function writePaged(io: CliIo, text: string): Promise<void> {
  const pager = io.env.PAGER ?? 'less';
  if (io.stdout !== process.stdout || io.stdout.isTTY !== true || pager === '' || pager === 'cat') {
    io.stdout.write(text);
    return;
  }
  const started = await new Promise<boolean>((resolve) => {
    const child = spawn(pager, [], {
      shell: true,
      stdio: ['pipe', 'inherit', 'inherit'],
      env: { LESS: 'FRX', ...io.env },
    });
    child.once('error', () => resolve(false));
    child.stdin.on('error', () => {}); // the user quit the pager before the end: nothing left to show
    child.once('spawn', () => {
      child.stdin.end(text);
    });
    child.once('close', (code) => resolve(code !== 127));
  });
  if (!started) io.stdout.write(text);
}
