/** Which Claude conversation a session's next turn runs in, as runner options. Pure. */
import { needsFork, resumeTarget } from '../chain.js';
import type { RunOptions } from '../runner/types.js';
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
  const options: RunOptions = { ...defaults, ...call };
  if (defaults?.env !== undefined || call?.env !== undefined)
    options.env = { ...defaults?.env, ...call?.env };
  const cwd = call?.cwd ?? defaults?.cwd ?? state.metadata.cwd;
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
