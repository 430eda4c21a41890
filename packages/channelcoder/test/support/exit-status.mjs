/**
 * `node exit-status.mjs STATUS_FILE COMMAND ARGS…`: runs the command in this process group with the
 * terminal inherited and writes how it ended to STATUS_FILE as JSON `{ pid, code, signal }` (the pid is
 * written when it starts). It outlives a hang-up (it only notes SIGHUP), so a test can read the status of
 * a command whose terminal was closed, which the shell in that terminal can no longer print.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';

const [file, command, ...args] = process.argv.slice(2);
process.on('SIGHUP', () => undefined);
const child = spawn(command, args, { stdio: 'inherit' });
writeFileSync(`${file}.pid`, String(child.pid));
child.on('exit', (code, signal) => {
  writeFileSync(file, JSON.stringify({ pid: child.pid, code, signal }));
  process.exit(0);
});
