/** Which Claude conversation a session's next turn runs in, as runner options. Pure. */
import { needsFork, resumeTarget } from '../chain.js';
import type { RunOptions } from '../runner/types.js';
import { ownCopy, ownValue } from '../safety/own-properties.js';
import type { SessionState } from '../state.js';
import type { SessionRunOptions } from './types.js';

export interface TurnPlan {
  options: RunOptions;
  /** True when the turn starts a fork (`--resume <parent> --fork-session`). */
  forking: boolean;
}

/**
 * New conversation: `--session-id <new uuid>` (when `assignIds`). Existing one: `--resume <current id>`.
 * Fork not yet run: `--resume <parent id> --fork-session` (+ `--session-id <new uuid>`).
 * Call options win over defaults; `env` is merged; `cwd` falls back to the session's stored cwd.
 */
export function planTurn(
  state: SessionState,
  defaults: SessionRunOptions | undefined,
  call: SessionRunOptions | undefined,
  assignIds: boolean,
): TurnPlan {
  // Own properties only, into a null-prototype object: nothing inherited reaches the runner.
  const d = ownCopy(defaults);
  const c = ownCopy(call);
  const options: RunOptions = Object.assign(ownCopy<RunOptions>(undefined), d, c);
  if (d.env !== undefined || c.env !== undefined) options.env = { ...d.env, ...c.env };
  const cwd = c.cwd ?? d.cwd ?? ownValue(state.metadata, 'cwd');
  if (cwd !== undefined) options.cwd = cwd;
  // Whatever a caller smuggled in, the session decides which conversation runs.
  delete options.resume;
  delete options.forkSession;
  delete options.sessionId;
  // Lease choices are the session's, not the CLI's.
  delete (options as SessionRunOptions).onBusy;
  delete (options as SessionRunOptions).busyTimeoutMs;

  const target = resumeTarget(state);
  const forking = needsFork(state);
  if (target !== undefined) options.resume = target;
  if (forking) options.forkSession = true;
  if (assignIds && (target === undefined || forking)) options.sessionId = globalThis.crypto.randomUUID();
  return { options, forking };
}
