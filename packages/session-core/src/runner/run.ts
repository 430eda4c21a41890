/** `run` and `claude`: one turn, awaited. */
import { InvalidArgumentError } from '../errors.js';
import type { ClaudeFunctionOf } from '../session/claude-function.js';
import { executeClaude } from './execute.js';
import { checkOptions } from './options-check.js';
import type { ClaudeResult, RunOptions } from './types.js';

/**
 * Runs one turn and resolves with its result.
 *
 * @throws ClaudeNotFoundError when the binary cannot be started; ResumeNotFoundError when `resume` names a
 *   conversation the CLI does not have; ClaudeRunError for every other failure (`is_error`, non-zero exit,
 *   timeout, abort); InvalidArgumentError for options the CLI would reject.
 */
export function run(prompt: string, options: RunOptions = {}): Promise<ClaudeResult> {
  if (typeof prompt !== 'string') {
    return Promise.reject(new InvalidArgumentError('run(): the prompt must be a string.'));
  }
  try {
    checkOptions(options, 'run', 'run()');
  } catch (err) {
    return Promise.reject(err);
  }
  return executeClaude(prompt, options);
}

/** `claude(prompt, options)` or, as a tagged template, claude`Explain ${topic}`. */
export type ClaudeFunction = ClaudeFunctionOf<RunOptions>;

/** The prompt of a call that may be a tagged template. */
export function promptFromCall(first: string | TemplateStringsArray, rest: readonly unknown[]): string {
  if (typeof first === 'string') return first;
  if (Array.isArray(first) && 'raw' in first) {
    let prompt = first[0] ?? '';
    for (let i = 1; i < first.length; i++) prompt += String(rest[i - 1]) + first[i];
    return prompt;
  }
  throw new InvalidArgumentError('claude(): pass a prompt string or use it as a tagged template.');
}

/** Is this call a tagged template (so its extra arguments are values, not options)? */
export function isTemplateCall(first: unknown): first is TemplateStringsArray {
  return Array.isArray(first) && 'raw' in first;
}

/** Runs one turn like {@link run}; also usable as a tagged template (then with default options). */
export const claude: ClaudeFunction = (
  first: string | TemplateStringsArray,
  ...rest: unknown[]
): Promise<ClaudeResult> => {
  try {
    const prompt = promptFromCall(first, rest);
    const options = isTemplateCall(first) ? {} : ((rest[0] as RunOptions | undefined) ?? {});
    return run(prompt, options);
  } catch (err) {
    return Promise.reject(err);
  }
};
