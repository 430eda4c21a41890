/**
 * `session list` (alias `--list-sessions`). It starts often and should start fast: on the file storage it
 * loads the session model and the file storage's listing (`listFileSessions`: no writer, lease, transcript
 * or search code), another storage's adapter only when the URL names one, and the trash listing or help
 * text only when asked for them (cli-startup.test.ts checks what it loads).
 *
 * The executable builds this module on its own, as one file holding everything it imports (tsup.config.ts):
 * one module to load instead of a dozen shared chunks that also hold other commands' code. It therefore
 * imports nothing on demand itself; the dispatcher passes in the loaders of the rest ({@link ListModules}).
 */
import { resolve } from 'node:path';
import type { ListOptions, SessionInfo } from '@channelcoder/session-core/model';
import { listFileSessions } from '@channelcoder/storage-file/list';
import { type ParsedValues, parseCommand, positiveInteger, STORAGE_OPTIONS, stringOption } from '../args.js';
import { EXIT } from '../exit-status.js';
import type { CliIo } from '../io.js';
import { formatCost, relativeTime, styledTable } from '../output/format.js';
import { styleFor } from '../output/style.js';
import { storageSpecOf } from '../storage-spec.js';

const LIST_OPTIONS = {
  ...STORAGE_OPTIONS,
  json: { type: 'boolean' },
  limit: { type: 'string' },
  prefix: { type: 'string' },
  trash: { type: 'boolean' },
} as const;

/** The modules `session list` loads only when asked for them, each from the executable's shared chunks. */
export interface ListModules {
  help: () => Promise<typeof import('../help.js')>;
  trash: () => Promise<typeof import('./session-trash.js')>;
  storage: () => Promise<typeof import('../storage.js')>;
}

export async function listCommand(args: string[], io: CliIo, modules: ListModules): Promise<number> {
  const { values } = parseCommand('session list', args, LIST_OPTIONS, [0, 0]);
  if (values.help === true) {
    const { HELP } = await modules.help();
    io.stdout.write(`${HELP['session list']}\n`);
    return EXIT.ok;
  }
  const limit = positiveInteger(values, 'limit', 'session list');
  const prefix = stringOption(values, 'prefix');
  if (values.trash === true) return (await modules.trash()).listTrashCommand(values, limit, prefix, io);
  const spec = storageSpecOf(values, io);
  const options: ListOptions = {
    ...(limit === undefined ? {} : { limit }),
    ...(prefix === undefined ? {} : { prefix }),
  };
  if (spec.kind === 'file' && spec.dir !== undefined) {
    // What `new FileSessionStorage(dir).list(options)` lists, without loading the rest of the storage.
    return printList(await listFileSessions(spec.dir, options), resolve(spec.dir), values, limit, io);
  }
  const { withStorage } = await modules.storage();
  return withStorage(spec, async ({ storage, label }) =>
    printList(await storage.list(options), label, values, limit, io),
  );
}

/** Prints a listing (`label`: where the sessions are, for the empty case) and resolves with the exit code. */
function printList(
  infos: SessionInfo[],
  label: string,
  values: ParsedValues,
  limit: number | undefined,
  io: CliIo,
): number {
  const out = io.printOut ?? io.stdout;
  if (values.json === true) {
    out.write(`${JSON.stringify(infos.map(infoJson), null, 2)}\n`);
    return EXIT.ok;
  }
  if (infos.length === 0) {
    out.write(`No sessions in ${label}.\n`);
    return EXIT.ok;
  }
  const now = new Date();
  const rows = infos.map((info) => [
    info.name,
    info.error === undefined ? String(info.messageCount) : '?',
    relativeTime(info.lastActive, now),
    formatCost(info.totalCostUsd),
    info.error !== undefined
      ? `corrupt: ${info.error}`
      : `${info.currentSessionId ?? '-'}${info.transcriptError === undefined ? '' : ' (transcript not mirrored)'}`,
  ]);
  const style = styleFor(out, io.env);
  let text = styledTable(style, ['NAME', 'MESSAGES', 'LAST ACTIVE', 'COST', 'CLAUDE SESSION'], rows, [
    'left',
    'right',
    'left',
    'right',
    'left',
  ]);
  text += `${style.bold(totalLine(infos, limit))}\n`;
  // A session whose transcript did not reach the storage cannot be resumed on another machine yet.
  for (const info of infos.filter((i) => i.transcriptError !== undefined)) {
    text += `${style.yellow(`${info.name}: the last transcript mirror failed (${info.transcriptError}); the next turn retries it.`)}\n`;
  }
  out.write(text);
  return EXIT.ok;
}

/** `N sessions · M messages · $cost total` (of the listed page when `--limit` cut it). */
function totalLine(infos: readonly SessionInfo[], limit: number | undefined): string {
  let cost = 0;
  let messages = 0;
  for (const info of infos) {
    cost += info.totalCostUsd ?? 0;
    messages += info.error === undefined ? info.messageCount : 0;
  }
  const what = `${infos.length} session${infos.length === 1 ? '' : 's'}`;
  const shown = limit !== undefined && infos.length === limit ? ' (this page)' : '';
  return `Total${shown}: ${what} · ${messages} messages · ${formatCost(cost)}`;
}

function infoJson(info: SessionInfo): Record<string, unknown> {
  return { ...info, created: info.created.toISOString(), lastActive: info.lastActive.toISOString() };
}
