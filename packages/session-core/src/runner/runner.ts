/** The runner as one replaceable object: what `session()` calls to run a turn. */
import { type DetachedOptions, type DetachedRun, detached } from './detached.js';
import { type InteractiveResult, interactive } from './interactive.js';
import { run } from './run.js';
import { type ClaudeStream, stream } from './stream.js';
import type { ClaudeResult, RunOptions } from './types.js';

/**
 * How turns are run. The default, {@link cliRunner}, starts the `claude` CLI; pass your own to
 * `session({ runner })` to run turns elsewhere (a container, a remote worker) or in tests.
 * Each method has the contract of the runner function of the same name.
 */
export interface ClaudeRunner {
  run(prompt: string, options: RunOptions): Promise<ClaudeResult>;
  stream(prompt: string, options: RunOptions): ClaudeStream;
  interactive(prompt: string, options: RunOptions): Promise<InteractiveResult>;
  detached(prompt: string, options: DetachedOptions): Promise<DetachedRun>;
}

/** The runner that starts the local `claude` CLI. */
export const cliRunner: ClaudeRunner = { run, stream, interactive, detached };
