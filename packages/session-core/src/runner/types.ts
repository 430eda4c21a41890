/** Types shared by the runner's modes. */
import type { DockerOptions } from './docker.js';
import type { StreamEvent } from './stream-json.js';

/** Permission modes the CLI accepts for `--permission-mode`. */
export type PermissionMode =
  | 'default'
  | 'acceptEdits'
  | 'auto'
  | 'bypassPermissions'
  | 'dontAsk'
  | 'manual'
  | 'plan'
  | (string & {});

/** Options of one `claude` invocation; each maps to a CLI flag or to how the process is run. */
export interface RunOptions {
  /** `--resume <id>`: continue that Claude conversation. */
  resume?: string;
  /** `--fork-session` (needs `resume`): continue a copy under a new id, leaving the original untouched. */
  forkSession?: boolean;
  /** `--session-id <uuid>`: the id of a new conversation, or of the fork when `forkSession` is set. */
  sessionId?: string;
  /** `--model`. */
  model?: string;
  /** `--allowedTools`, one entry per tool rule (e.g. `Read`, `Bash(git log:*)`). */
  allowedTools?: readonly string[];
  /** `--disallowedTools`. */
  disallowedTools?: readonly string[];
  /** `--system-prompt`: replaces the default system prompt. */
  systemPrompt?: string;
  /** `--append-system-prompt`. */
  appendSystemPrompt?: string;
  /** `--max-turns`: a positive integer. */
  maxTurns?: number;
  /** `--permission-mode`. */
  permissionMode?: PermissionMode;
  /** `--include-partial-messages`: the CLI also prints token-level text deltas (finer stream chunks). */
  includePartialMessages?: boolean;
  /** More CLI arguments, passed as they are after the mapped flags. */
  extraArgs?: readonly string[];
  /** Working directory of the CLI (the CLI files transcripts by it). Default: this process's cwd. */
  cwd?: string;
  /**
   * Run in the git worktree of this branch: `<main checkout>-<branch slug>` beside the main checkout of the
   * repository `cwd` is in, created (with the branch, when new) if missing. See `ensureWorktree`.
   */
  worktree?: string;
  /**
   * Run the CLI inside a Docker container: `true` for the default image, or {@link DockerOptions}. `cwd` is
   * mounted at `/workspace`, the transcript folder of `cwd` likewise; `false` runs on this machine.
   */
  docker?: boolean | DockerOptions;
  /** Variables added to this process's environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** Kill the run (and its process group) after this many milliseconds; it then fails with ClaudeRunError. */
  timeout?: number;
  /** Aborting kills the run (and its process group); it then fails with ClaudeRunError. */
  signal?: AbortSignal;
  /** The `claude` executable. Default: `CLAUDE_BIN` (from `env`, then this process), else `claude` on PATH. */
  claudeBin?: string;
  /**
   * Print the CLI's own output as it arrives: in print modes (`run`, `claude`, `stream`) every stream-json
   * line and the CLI's stderr go to this process's stderr; `interactive` passes `--verbose` to the terminal
   * UI. `detached` refuses it (its log file is the stream). To handle the lines in code, use `onEvent`.
   */
  verbose?: boolean;
  /** Called for every parsed stream-json line, in order, as it arrives. */
  onEvent?: (event: StreamEvent) => void;
}

/** Token counts of a turn as the CLI's result line reports them. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheCreationTokens: number;
}

/** What one `claude -p` invocation ended with: its `result` line, typed. */
export interface ClaudeResult {
  /** The assistant's final text (`result`); structured results are JSON-stringified. */
  text: string;
  /** The Claude session id of the conversation. */
  sessionId: string;
  /** The CLI's `total_cost_usd`: cumulative over the whole conversation across resumes, in US dollars. */
  totalCostUsd?: number;
  usage: TokenUsage;
  /** Wall time the CLI reported (`duration_ms`). */
  durationMs?: number;
  /** Model round trips of this invocation only (`num_turns`). */
  numTurns?: number;
  /** The CLI's `is_error`; the only field that tells success (a failed API call has subtype `success`). */
  isError: boolean;
  /** The CLI's `subtype` (`success`, `error_during_execution`, `error_max_turns`, …). */
  subtype?: string;
  /** The result line as the CLI printed it (parsed). */
  raw: Record<string, unknown>;
  /** The text, so a result can be put straight into the next prompt (`${result}`). */
  toString(): string;
}

/** A piece of assistant text, yielded by `stream()` as soon as the CLI prints it. */
export interface StreamChunk {
  type: 'text';
  content: string;
  /** The Claude session id the text belongs to. */
  sessionId?: string;
}
