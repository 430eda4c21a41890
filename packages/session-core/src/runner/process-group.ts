/**
 * Runs that own a process group (spawned detached, so the CLI and everything it starts share one group
 * we can stop with one signal). A terminal's Ctrl-C reaches only the foreground group, so a `claude` in its
 * own group would keep running (and make its API call) after the user pressed Ctrl-C: while a run is live,
 * SIGINT, SIGTERM and SIGHUP to this process stop every live group (SIGTERM, then SIGKILL after a short
 * grace, so the group is gone within 2 s) and the runs end as interrupted. The program keeps running to
 * record the interrupted turn; a second SIGINT exits at once (code 130). Groups still running when this
 * process exits normally are stopped too. Detached-mode runs are not tracked: they outlive us on purpose.
 */

/** How long a stopped group gets between SIGTERM and SIGKILL. */
export const STOP_GRACE_MS = 1000;

/** Signals that stop the live runs. */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

type StopListener = (signal: NodeJS.Signals) => void;

const live = new Map<number, StopListener | undefined>();
let exitHookInstalled = false;
let signalsInstalled = false;
let interrupted: NodeJS.Signals | undefined;
let signalsStopRuns = true;

/** The exit code of a process ended by `signal` (128 + its number: SIGINT 130, SIGTERM 143, SIGHUP 129). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGHUP' ? 1 : 15);
}

const onSignal = (signal: NodeJS.Signals) => {
  if (interrupted !== undefined) {
    // A second signal (another Ctrl-C): the user does not want to wait for the turn to be recorded.
    for (const group of live.keys()) signalGroup(group, 'SIGKILL');
    process.exit(signalExitCode(signal));
  }
  interrupted = signal;
  for (const [group, listener] of [...live]) {
    listener?.(signal);
    stopGroup(group);
  }
};

/**
 * Whether SIGINT, SIGTERM and SIGHUP to this process stop the live runs (default true). A long-running host
 * that shuts down on its own terms (a server letting running turns finish within a deadline) turns it off
 * and stops the runs it gives up on through their AbortSignal instead; they then end as interrupted too.
 */
export function stopRunsOnSignals(enabled: boolean): void {
  signalsStopRuns = enabled;
  if (!enabled) removeSignals();
  else if (live.size > 0) installSignals();
}

function installSignals(): void {
  if (signalsInstalled || !signalsStopRuns) return;
  signalsInstalled = true;
  interrupted = undefined;
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
}

function removeSignals(): void {
  if (!signalsInstalled) return;
  signalsInstalled = false;
  for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
}

/**
 * Remembers a running group until `untrackGroup`; `onStop` hears which signal stopped it (before the
 * group is signalled), so the run can report itself as interrupted.
 */
export function trackGroup(pid: number, onStop?: StopListener): void {
  if (live.size === 0) settleInterruption();
  live.set(pid, onStop);
  installSignals();
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const group of live.keys()) signalGroup(group, 'SIGKILL');
    });
  }
}

export function untrackGroup(pid: number): void {
  live.delete(pid);
  // Outside a run, the signals have their usual meaning again (a second Ctrl-C still exits while the
  // interrupted turn is being recorded: the handler stays until the next run starts or ends).
  if (live.size === 0 && interrupted === undefined) removeSignals();
}

/**
 * Puts the signals back to their default behaviour once the interrupted turn was dealt with. The session
 * layer calls it after recording the turn; programs using the runner alone need not.
 */
export function settleInterruption(): void {
  interrupted = undefined;
  if (live.size === 0) removeSignals();
}

/** The stop signal that interrupted the runs since the last `settleInterruption()`, if any. */
export function interruptedBy(): NodeJS.Signals | undefined {
  return interrupted;
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
export function stopGroup(pid: number, graceMs = STOP_GRACE_MS): void {
  if (!signalGroup(pid, 'SIGTERM')) return;
  const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
  timer.unref();
}
