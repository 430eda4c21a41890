/** Finding the `claude` processes a test started, by their working directory (other tests run claude too). */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** PIDs of live `claude -p … stream-json` processes whose cwd is `cwd`. */
export function claudePidsIn(cwd: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmdline.includes('stream-json') || cmdline.includes('channelcoder')) continue;
      if (readlinkSync(`/proc/${entry}/cwd`) !== cwd) continue;
      pids.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
}

/** True while the process exists and has not exited (a zombie counts as gone). */
export function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(stat);
  } catch {
    return false;
  }
}
