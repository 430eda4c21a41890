import type { ClaudeResult } from '../runner/types.js';

/**
 * A `claude` function with its own options type: `fn(prompt, options)` or fn`template ${value}`.
 *
 * One signature, not two overloads: the arguments after the first depend on it (options after a prompt
 * string, values after a template), so a wrong option is reported as what it is (e.g. `'modle' does not
 * exist in type …`) instead of "No overload matches this call … not assignable to TemplateStringsArray".
 */
export type ClaudeFunctionOf<O> = <P extends string | TemplateStringsArray>(
  prompt: P,
  ...rest: P extends TemplateStringsArray ? unknown[] : [options?: O]
) => Promise<ClaudeResult>;
