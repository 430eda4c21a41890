/** `session search TEXT`: full-text search over stored messages and transcripts, newest sessions first. */
import { type SearchResult, searchSessions } from '@channelcoder/session-core';
import { listOption, parseCommand, positiveInteger, STORAGE_OPTIONS } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { HELP } from '../help.js';
import type { CliIo } from '../io.js';
import { relativeTime } from '../output/format.js';
import { styleFor } from '../output/style.js';
import { storageSpecOf, withStorage } from '../storage.js';
import { UsageError } from '../usage-error.js';

const SEARCH_OPTIONS = {
  ...STORAGE_OPTIONS,
  tag: { type: 'string', multiple: true },
  limit: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export async function searchCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand('session search', args, SEARCH_OPTIONS, [1, 64]);
  if (values.help === true) {
    io.stdout.write(`${HELP['session search']}\n`);
    return EXIT.ok;
  }
  const query = positionals.join(' ');
  if (query.trim() === '') throw new UsageError('Give the text to search for.', 'session search');
  const limit = positiveInteger(values, 'limit', 'session search');
  const tags = listOption(values, 'tag');
  const spec = storageSpecOf(values, io);
  return withStorage(spec, async ({ storage, label }) => {
    const tty = io.stderr.isTTY === true && values.json !== true;
    const results = await searchSessions(
      storage,
      query,
      { ...(limit === undefined ? {} : { limit }), ...(tags === undefined ? {} : { tags }) },
      tty ? (done, total) => io.stderr.write(`\r${progressBar(done, total)}`) : undefined,
    );
    if (tty) io.stderr.write('\r\u001b[2K');
    if (values.json === true) {
      io.stdout.write(`${JSON.stringify(results.map(resultJson), null, 2)}\n`);
      return EXIT.ok;
    }
    if (results.length === 0) {
      io.stdout.write(`No session in ${label} mentions ${JSON.stringify(query)}.\n`);
      return EXIT.ok;
    }
    const style = styleFor(io.stdout, io.env);
    const now = new Date();
    const lines: string[] = [];
    for (const result of results) {
      lines.push(`${style.bold(result.name)}  ${style.dim(relativeTime(result.lastActive, now))}`);
      for (const s of result.snippets.slice(0, 3)) {
        const marked = `${s.text.slice(0, s.matchStart)}${style.enabled ? style.yellow(s.text.slice(s.matchStart, s.matchEnd)) : `[${s.text.slice(s.matchStart, s.matchEnd)}]`}${s.text.slice(s.matchEnd)}`;
        lines.push(`  ${style.dim(s.source.padEnd(11))} ${marked}`);
      }
      if (result.snippets.length > 3) lines.push(style.dim(`  … ${result.snippets.length - 3} more matches`));
    }
    io.stdout.write(`${lines.join('\n')}\n`);
    return EXIT.ok;
  });
}

function progressBar(done: number, total: number): string {
  const width = 30;
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `Searching [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}

function resultJson(result: SearchResult): Record<string, unknown> {
  return { ...result, created: result.created.toISOString(), lastActive: result.lastActive.toISOString() };
}
