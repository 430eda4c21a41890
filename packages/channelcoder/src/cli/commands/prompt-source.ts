/** Where a turn's prompt comes from: `-p TEXT`, a PROMPT argument, or a FILE.md template. */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { type PromptTemplate, parsePromptTemplate } from '../../templates/frontmatter.js';
import { loadPromptTemplate } from '../../templates/render.js';
import { type ParsedValues, stringOption } from '../args.js';
import { UsageError } from '../usage-error.js';

export interface PromptSource {
  template: PromptTemplate;
  /** True for an inline prompt without --data: sent exactly as typed, braces and all. */
  verbatim: boolean;
}

/**
 * The prompt as a template. A positional argument ending in `.md`, or naming an existing file, is a prompt
 * file; `-` reads the prompt from standard input; other text is the prompt itself (used verbatim unless `--data` is given, then `{variables}` are
 * filled in too). `undefined` when no prompt was given.
 */
export async function promptSource(
  values: ParsedValues,
  positionals: string[],
  cwd: string,
  command: string,
  stdin: NodeJS.ReadableStream,
): Promise<PromptSource | undefined> {
  const inline = stringOption(values, 'prompt');
  const argument = positionals[0];
  if (inline !== undefined && argument !== undefined) {
    throw new UsageError('Give the prompt either as an argument or with -p, not both.', command);
  }
  if (argument !== undefined && looksLikeFile(argument, cwd)) {
    const path = resolve(cwd, argument);
    if (!existsSync(path)) throw new UsageError(`Prompt file not found: ${argument}`, command);
    // Errors name the file as the user typed it.
    return { template: await loadPromptTemplate(path, { name: argument }), verbatim: false };
  }
  const text = argument === '-' ? await readStdin(stdin) : (inline ?? argument);
  if (text === undefined) return undefined;
  if (text.trim() === '') throw new UsageError('The prompt is empty.', command);
  const hasData = Array.isArray(values.data) && values.data.length > 0;
  return hasData
    ? { template: parsePromptTemplate(text), verbatim: false }
    : { template: { frontmatter: {}, body: text }, verbatim: true };
}

function looksLikeFile(argument: string, cwd: string): boolean {
  if (/\.(md|markdown|prompt)$/i.test(argument) && !/\s/.test(argument)) return true;
  if (argument.includes('\n') || argument.length > 4096) return false;
  try {
    return statSync(resolve(cwd, argument)).isFile();
  } catch {
    return false;
  }
}

async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}
