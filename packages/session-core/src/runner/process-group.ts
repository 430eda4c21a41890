/**
 * Runs that own a process group (spawned detached, so the CLI and everything it starts share one group
 * we can stop with one signal). Groups still running when this process exits normally are stopped, so
 * an ended program leaves no CLI behind. Detached-mode runs are not tracked: they outlive us on purpose.
 */
const live = new Set<number>();
let exitHookInstalled = false;

/** Remembers a running group until `untrackGroup`. */
export function trackGroup(pid: number): void {
  live.add(pid);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const group of live) signalGroup(group, 'SIGTERM');
    });
  }
}

export function untrackGroup(pid: number): void {
  live.delete(pid);
}

/** Sends a signal to the whole group; false when the group is already gone. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch (err) {
    // ESRCH: the group has exited already, which is what we wanted.
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/** SIGTERM to the group, then SIGKILL if it is still there after `graceMs`. */
export function stopGroup(pid: number, graceMs = 3000): void {
  if (!signalGroup(pid, 'SIGTERM')) return;
  const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
  timer.unref();
}
