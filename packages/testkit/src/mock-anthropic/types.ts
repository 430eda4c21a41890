/** A request the mock received, kept in arrival order. */
export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. `/v1/messages`. */
  path: string;
  /** The query string without `?` (`beta=true` from the CLI), `''` when none. */
  query: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, `undefined` for bodies that are empty or not JSON. */
  body: unknown;
  /** The `x-claude-code-session-id` header, when present. */
  claudeSessionId?: string;
  /** For `POST /v1/messages`: the number of real user prompts in `messages` (see `countUserTurns`). */
  userTurns?: number;
  /** For `POST /v1/messages`: the status the mock answered with. */
  status?: number;
  receivedAt: number;
}

/** An error the mock answers with instead of a reply. */
export interface InjectedError {
  /** HTTP status: 500, 529 (overloaded), 429 (rate limit), 401 (authentication) or any other. */
  status: number;
  /** Message put in the Anthropic error body; a default per status otherwise. */
  message?: string;
}

/** What the reply function is given for each `POST /v1/messages`. */
export interface ReplyContext {
  /** Real user prompts in the request (tool results and system entries are not counted). */
  userTurns: number;
  /** Text of the last real user prompt, with `<system-reminder>` blocks removed. */
  lastUserText: string;
  body: Record<string, unknown>;
  claudeSessionId?: string;
}

/** A tool call the assistant makes; the CLI runs the tool and sends its result in the next request. */
export interface ToolUseReplyBlock {
  type: 'tool_use';
  name: string;
  input: Record<string, unknown>;
  /** Default: a fresh `toolu_mock_…` id. */
  id?: string;
}

/** Extended thinking shown before the answer (streamed as thinking and signature deltas). */
export interface ThinkingReplyBlock {
  type: 'thinking';
  thinking: string;
}

/** One content block of a reply: text, a tool call or thinking. */
export type ReplyBlock = string | ToolUseReplyBlock | ThinkingReplyBlock;

/**
 * The assistant's reply. A string is one text content block; an array gives one content block per
 * element (the CLI prints one `assistant` line per block, which makes several stream chunks). A reply
 * with a `tool_use` block ends with `stop_reason: "tool_use"`, so the CLI runs the tool and asks again
 * (the next request's last user entry holds the `tool_result`, see `lastToolResult`).
 */
export type ReplyText = string | ReplyBlock[];

export interface MockAnthropicOptions {
  /** Port to listen on; 0 (default) picks a free port. Always on 127.0.0.1. */
  port?: number;
  /** Builds the reply; default `turn N: <last user text>`. */
  reply?: (context: ReplyContext) => ReplyText;
  /** Delay before each `/v1/messages` answer starts, in milliseconds (default 0). */
  delayMs?: number;
  /** Delay between Server-Sent Events, in milliseconds (default 0). */
  eventDelayMs?: number;
  /** Tokens reported per reply (defaults: 10 input, 5 output, 0 cache read, 0 cache creation). */
  usage?: Partial<MockUsage>;
  /** Model id echoed in replies and listed by `GET /v1/models` (default `claude-mock-1`). */
  model?: string;
}

export interface MockUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
}
