/** `session export NAME --format md|html`: the conversation as Markdown or a self-contained HTML page. */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ParsedValues } from '../args.js';
import { conversationHtml } from '../conversation/html.js';
import { loadConversation, TOOL_RESULT_LIMIT } from '../conversation/load.js';
import { conversationMarkdown } from '../conversation/markdown.js';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { storageSpecOf, withStorage } from '../storage.js';
import { UsageError } from '../usage-error.js';

export const EXPORT_FORMATS = ['json', 'md', 'html'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The `--format` value (default json, the portable document). */
export function exportFormatOf(values: ParsedValues): ExportFormat {
  const format = values.format ?? 'json';
  const normalized = format === 'markdown' ? 'md' : format;
  if (!EXPORT_FORMATS.includes(normalized as ExportFormat)) {
    throw new UsageError(
      `--format must be one of ${EXPORT_FORMATS.join(', ')}, got ${JSON.stringify(format)}.`,
      'session export',
    );
  }
  return normalized as ExportFormat;
}

export async function exportReadableCommand(
  name: string,
  file: string | undefined,
  format: 'md' | 'html',
  values: ParsedValues,
  io: CliIo,
): Promise<number> {
  const limit = values['no-truncate'] === true ? undefined : TOOL_RESULT_LIMIT;
  const spec = storageSpecOf(values, io);
  return withStorage(spec, async ({ storage }) => {
    const loaded = await loadConversation(storage, name, io);
    const text = format === 'md' ? conversationMarkdown(loaded, limit) : conversationHtml(loaded, limit);
    if (file === undefined || file === '-') io.stdout.write(text);
    else {
      await writeFile(resolve(io.cwd, file), text, { mode: 0o600 });
      io.stderr.write(
        `Exported "${loaded.name}" (${loaded.items.length} entries) as ${format} to ${file}.\n`,
      );
    }
    return EXIT.ok;
  });
}
