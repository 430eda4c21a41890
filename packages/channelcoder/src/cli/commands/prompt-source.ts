/** Where a turn's prompt comes from: `-p TEXT`, a PROMPT argument, a FILE.md template or `--file PATH`. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { PromptTemplate } from '../../templates/frontmatter.js';
import { type ParsedValues, stringOption } from '../args.js';
import { UsageError } from '../usage-error.js';

export interface PromptSource {
  template: PromptTemplate;
  /** True for an inline prompt without --data: sent exactly as typed, braces and all. */
  verbatim: boolean;
}

/**
 * The prompt as a template. A positional argument is a prompt file only when it ends in `.md` (or the file
 * is given as `--file PATH`); `-` reads the prompt from standard input; any other text is the prompt itself
 * (used verbatim unless `--data` is given, then `{variables}` are filled in too). So `run /etc/hostname`
 * or `run .env` sends those words, never the file's contents. `undefined` when no prompt was given.
 */
/** The template modules, loaded only for a template (they bring the YAML parser). */
export interface PromptModules {
  render: () => Promise<typeof import('../../templates/render.js')>;
  frontmatter: () => Promise<typeof import('../../templates/frontmatter.js')>;
}

export async function promptSource(
  values: ParsedValues,
  positionals: string[],
  cwd: string,
  command: string,
  stdin: () => NodeJS.ReadableStream,
  modules: PromptModules,
): Promise<PromptSource | undefined> {
  const inline = stringOption(values, 'prompt');
  const file = stringOption(values, 'file');
  const argument = positionals[0];
  const given = [inline, file, argument].filter((x) => x !== undefined).length;
  if (given > 1) {
    throw new UsageError(
      'Give the prompt once: as an argument, with -p, or with --file, not several.',
      command,
    );
  }
  const path = file ?? (argument !== undefined && isPromptFileName(argument) ? argument : undefined);
  if (path !== undefined) {
    const resolved = resolve(cwd, path);
    if (!existsSync(resolved)) throw new UsageError(`Prompt file not found: ${path}`, command);
    // Errors name the file as the user typed it. The template parser (and its YAML library) is loaded only
    // for a template: an inline prompt's turn does not pay for it.
    const { loadPromptTemplate } = await modules.render();
    return { template: await loadPromptTemplate(resolved, { name: path }), verbatim: false };
  }
  // Standard input is set up only when read (`-`): setting it up loads Node's stream modules.
  const text = argument === '-' ? await readStdin(stdin()) : (inline ?? argument);
  if (text === undefined) return undefined;
  if (text.trim() === '') throw new UsageError('The prompt is empty.', command);
  const hasData = Array.isArray(values.data) && values.data.length > 0;
  if (!hasData) return { template: { frontmatter: {}, body: text }, verbatim: true };
  const { parsePromptTemplate } = await modules.frontmatter();
  return { template: parsePromptTemplate(text), verbatim: false };
}

/** `something.md`, one word: a prompt file. Everything else is prompt text. */
function isPromptFileName(argument: string): boolean {
  return /\.md$/i.test(argument) && !/\s/.test(argument);
}

async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}
