/** The trash from the command line: `session list --trash`, `session restore NAME [--as NEW]`, and the
 * helpers `session remove` and `run --session NAME --force` use to move a session into it. */
import {
  ChannelCoderError,
  isValidSessionName,
  normalizeSessionName,
  SessionConflictError,
  type SessionStorage,
  storageCapabilities,
  type TrashEntry,
  type TrashReason,
} from '@channelcoder/session-core';
import { parseCommand, STORAGE_OPTIONS, stringOption } from '../args.js';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { relativeTime, styledTable } from '../output/format.js';
import { styleFor } from '../output/style.js';
import { storageSpecOf, withStorage } from '../storage.js';

type TrashStorage = SessionStorage &
  Required<Pick<SessionStorage, 'moveToTrash' | 'listTrash' | 'restoreFromTrash' | 'purgeTrash'>>;

/** A storage without the trash capability, in the words of the command line (exit 3). */
export class NoTrashError extends ChannelCoderError {
  constructor(label: string, doing: string) {
    super(
      'CAPABILITY_MISSING',
      `The storage ${label} has no trash, so it cannot ${doing}: \`channelcoder session remove\` deletes ` +
        'its sessions for good. The file storage keeps a trash (the default, or --storage file:///DIR).',
    );
  }
}

export function hasTrash(storage: SessionStorage): storage is TrashStorage {
  return storageCapabilities(storage).trash;
}

function trashOf(storage: SessionStorage, label: string, doing: string): TrashStorage {
  if (!hasTrash(storage)) throw new NoTrashError(label, doing);
  return storage;
}

/**
 * Moves `name` to the trash and deletes expired entries on the way (best effort); resolves with the entry,
 * or undefined when nothing is stored under the name.
 */
export async function moveToTrash(
  storage: TrashStorage,
  name: string,
  reason: TrashReason,
): Promise<TrashEntry | undefined> {
  const entry = await storage.moveToTrash(name, { reason });
  await storage.purgeTrash().catch(() => undefined);
  return entry;
}

/** `session list --trash`. */
export async function listTrashCommand(
  values: Record<string, string | boolean | string[] | undefined>,
  limit: number | undefined,
  prefix: string | undefined,
  io: CliIo,
): Promise<number> {
  const spec = storageSpecOf(values, io);
  return withStorage(spec, async ({ storage, label }) => {
    const trash = trashOf(storage, label, 'list a trash');
    let entries = await trash.listTrash(prefix === undefined && limit !== undefined ? { limit } : {});
    if (prefix !== undefined) entries = entries.filter((e) => e.name.startsWith(prefix));
    if (limit !== undefined) entries = entries.slice(0, limit);
    if (values.json === true) {
      io.stdout.write(`${JSON.stringify(entries.map(entryJson), null, 2)}\n`);
      return EXIT.ok;
    }
    if (entries.length === 0) {
      io.stdout.write(`The trash of ${label} is empty.\n`);
      return EXIT.ok;
    }
    const now = new Date();
    const rows = entries.map((e) => [
      e.name,
      e.reason,
      relativeTime(e.trashedAt, now),
      relativeTime(e.expiresAt, now),
      e.session.error === undefined ? String(e.session.messageCount) : '?',
      e.id,
    ]);
    io.stdout.write(
      styledTable(
        styleFor(io.stdout, io.env),
        ['NAME', 'REASON', 'TRASHED', 'DELETED', 'MESSAGES', 'ID'],
        rows,
        ['left', 'left', 'left', 'left', 'right', 'left'],
      ),
    );
    io.stdout.write(
      `${entries.length} in the trash. Restore one with \`channelcoder session restore NAME\` (the newest of that name) or \`channelcoder session restore ID\`.\n`,
    );
    return EXIT.ok;
  });
}

function entryJson(entry: TrashEntry): Record<string, unknown> {
  return {
    ...entry,
    trashedAt: entry.trashedAt.toISOString(),
    expiresAt: entry.expiresAt.toISOString(),
    session: {
      ...entry.session,
      created: entry.session.created.toISOString(),
      lastActive: entry.session.lastActive.toISOString(),
    },
  };
}

/** `session restore NAME|ID [--as NEW]`. */
export async function restoreCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(
    'session restore',
    args,
    { ...STORAGE_OPTIONS, as: { type: 'string' } },
    [1, 1],
  );
  if (values.help === true) {
    // Loaded only here: `run --session NAME --force` uses this module's trash helpers and no help text.
    const { HELP } = await import('../help.js');
    io.stdout.write(`${HELP['session restore']}\n`);
    return EXIT.ok;
  }
  const wanted = positionals[0] as string;
  const as = stringOption(values, 'as');
  const target = as === undefined ? undefined : normalizeSessionName(as);
  const spec = storageSpecOf(values, io);
  return withStorage(spec, async ({ storage, label }) => {
    const trash = trashOf(storage, label, 'restore from a trash');
    const entries = await trash.listTrash();
    const entry =
      (isValidSessionName(wanted)
        ? entries.find((e) => e.name === normalizeSessionName(wanted))
        : undefined) ?? entries.find((e) => e.id === wanted);
    if (entry === undefined) {
      io.stderr.write(
        `channelcoder: the trash of ${label} has nothing named "${wanted}" (an entry is kept 30 days, then deleted). See what it holds with \`channelcoder session list --trash\`.\n`,
      );
      return EXIT.usage;
    }
    const name = target ?? entry.name;
    let restored: string;
    try {
      restored = await trash.restoreFromTrash(entry.id, { name });
    } catch (err) {
      if (!SessionConflictError.is(err) || err.reason !== 'name-taken') throw err;
      io.stderr.write(
        `channelcoder: a session named "${name}" exists, so the trashed one was not restored (nothing changed). Restore it under another name with \`channelcoder session restore ${wanted} --as NEW\`, or move the existing one to the trash first with \`channelcoder session remove ${name}\`.\n`,
      );
      return EXIT.usage;
    }
    const what =
      entry.session.error === undefined ? `${entry.session.messageCount} messages` : 'a corrupt entry';
    io.stdout.write(
      `Restored "${restored}" from the trash (${what}, ${entry.reason} ${relativeTime(entry.trashedAt)}). Continue it with \`channelcoder run --load-session ${restored}\`.\n`,
    );
    return EXIT.ok;
  });
}
