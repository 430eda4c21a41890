import type { ClaudeResult } from '../runner/types.js';

/** A `claude` function with its own options type: `fn(prompt, options)` or fn`template ${value}`. */
export interface ClaudeFunctionOf<O> {
  (prompt: string, options?: O): Promise<ClaudeResult>;
  (strings: TemplateStringsArray, ...values: unknown[]): Promise<ClaudeResult>;
}
