/** Drives a command in a real terminal: a detached tmux session on a private tmux server socket. */
import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export function assertTmuxInstalled(): void {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
  } catch {
    throw new Error('tmux is not installed: `apt-get install -y tmux` (the terminal tests need it).');
  }
}

export interface Terminal {
  /** The visible screen as text (`escapes`: with colour escape codes). */
  screen(escapes?: boolean): Promise<string>;
  /** Polls the screen until `pattern` appears; returns that screen. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  keys(...keys: string[]): Promise<void>;
  /** Ends the session and its private tmux server. */
  close(): Promise<void>;
}

/** Runs `command` (a shell line) in a 120x30 terminal with exactly `env`. */
export async function openTerminal(dir: string, command: string, env: NodeJS.ProcessEnv): Promise<Terminal> {
  assertTmuxInstalled();
  const socket = `cc-cli-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const script = join(dir, `${socket}.sh`);
  const exports = Object.entries(env)
    .filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(entry[0]),
    )
    .map(([k, v]) => `export ${k}='${v.replace(/'/g, `'\\''`)}'`)
    .join('\n');
  writeFileSync(
    script,
    `${exports}\nexport TERM=xterm-256color\ncd '${dir}'\n${command}\necho "[exit $?]"\nsleep 120\n`,
  );
  const tmux = (...args: string[]) => exec('tmux', ['-L', socket, ...args]);
  await tmux(
    '-f',
    '/dev/null',
    'new-session',
    '-d',
    '-s',
    'cli',
    '-x',
    '120',
    '-y',
    '30',
    `bash --noprofile --norc ${script}`,
  );
  const screen = async (escapes = false) =>
    (await tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', 'cli')).stdout;
  return {
    screen,
    waitFor: async (pattern, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      let last = '';
      while (Date.now() < deadline) {
        last = await screen();
        if (pattern.test(last)) return last;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`Timed out waiting for ${pattern} on the terminal. Screen:\n${last}`);
    },
    keys: async (...keys) => {
      await tmux('send-keys', '-t', 'cli', ...keys);
    },
    close: async () => {
      await tmux('kill-server').catch(() => undefined);
    },
  };
}
