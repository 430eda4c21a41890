/** `session remove`, `session fork`, `session export`, `session import`. */
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { normalizeSessionName } from '@channelcoder/session-core';
import { requireCapability } from '@channelcoder/session-core/storage-kit';
import { exportSession, importSession, readPortableSession } from '../../portable/document.js';
import { session as sessionFactory } from '../../session.js';
import { parseCommand, STORAGE_OPTIONS, stringOption } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { HELP } from '../help.js';
import type { CliIo } from '../io.js';
import { storageSpecOf, withStorage } from '../storage.js';
import { UsageError } from '../usage-error.js';
import { exportFormatOf, exportReadableCommand } from './session-export-format.js';
import { hasTrash, moveToTrash } from './session-trash.js';

export async function removeCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(
    'session remove',
    args,
    { ...STORAGE_OPTIONS, yes: { type: 'boolean', short: 'y' }, purge: { type: 'boolean' } },
    [1, 1],
  );
  if (values.help === true) {
    io.stdout.write(`${HELP['session remove']}\n`);
    return EXIT.ok;
  }
  const name = normalizeSessionName(positionals[0]);
  const interactive = io.stdin.isTTY === true && io.stderr.isTTY === true;
  if (values.yes !== true && !interactive) {
    throw new UsageError(`Not removing "${name}" without confirmation: pass --yes.`, 'session remove');
  }
  const spec = storageSpecOf(values, io);
  return withStorage(spec, async ({ storage }) => {
    // Into the trash when the storage keeps one; --purge (or a storage without trash) deletes for good.
    const toTrash = values.purge !== true && hasTrash(storage) ? storage : undefined;
    const remove = toTrash === undefined ? requireCapability(storage, 'remove') : undefined;
    if (values.yes !== true) {
      // Read only the listing entry: a corrupt session must stay removable.
      const info = (await storage.list({ prefix: name })).find((entry) => entry.name === name);
      if (info === undefined) return notFound(io, name);
      const what = info.error === undefined ? `${info.messageCount} messages` : 'corrupt';
      const question =
        toTrash === undefined
          ? `Remove session "${name}" (${what}) for good? [y/N] `
          : `Move session "${name}" (${what}) to the trash? [y/N] `;
      if (!(await confirm(io, question))) {
        io.stderr.write('Not removed.\n');
        return EXIT.ok;
      }
    }
    if (toTrash !== undefined) {
      const entry = await moveToTrash(toTrash, name, 'removed');
      if (entry === undefined) return notFound(io, name);
      io.stdout.write(
        `Moved session "${name}" to the trash (kept until ${entry.expiresAt.toISOString().slice(0, 10)}); ` +
          `restore it with \`channelcoder session restore ${name}\`, or delete it for good with \`channelcoder session remove ${name} --purge\` next time.\n`,
      );
      return EXIT.ok;
    }
    if (!(await (remove as (n: string) => Promise<boolean>)(name))) return notFound(io, name);
    io.stdout.write(`Removed session "${name}".\n`);
    return EXIT.ok;
  });
}

function notFound(io: CliIo, name: string): number {
  io.stderr.write(`channelcoder: no session named "${name}".\n`);
  return EXIT.usage;
}

async function confirm(io: CliIo, question: string): Promise<boolean> {
  const rl = createInterface({ input: io.stdin, output: io.stderr as NodeJS.WritableStream, terminal: true });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export async function forkCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand('session fork', args, STORAGE_OPTIONS, [2, 2]);
  if (values.help === true) {
    io.stdout.write(`${HELP['session fork']}\n`);
    return EXIT.ok;
  }
  const [from, to] = positionals.map((name) => normalizeSessionName(name)) as [string, string];
  if (from === to) throw new UsageError('The fork needs a name of its own.', 'session fork');
  const spec = storageSpecOf(values, io);
  return withStorage(spec, async ({ storage }) => {
    if (await sessionFactory.exists(to, { storage })) {
      throw new UsageError(
        `Session "${to}" already exists; choose another name for the fork.`,
        'session fork',
      );
    }
    const source = await sessionFactory.load(from, { storage });
    const forked = source.fork(to);
    await forked.save();
    io.stdout.write(
      `Forked "${from}" into "${to}" (${forked.messages().length} messages); its next turn branches off ${source.id()}.\n`,
    );
    return EXIT.ok;
  });
}

export async function exportCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(
    'session export',
    args,
    { ...STORAGE_OPTIONS, format: { type: 'string', short: 'f' }, 'no-truncate': { type: 'boolean' } },
    [1, 2],
  );
  if (values.help === true) {
    io.stdout.write(`${HELP['session export']}\n`);
    return EXIT.ok;
  }
  const format = exportFormatOf(values);
  const [name, file] = positionals as [string, string | undefined];
  if (format !== 'json') return exportReadableCommand(name, file, format, values, io);
  const spec = storageSpecOf(values, io);
  return withStorage(spec, async ({ storage }) => {
    const doc = await exportSession(storage, name);
    const text = `${JSON.stringify(doc, null, 2)}\n`;
    if (file === undefined || file === '-') io.stdout.write(text);
    else {
      await writeFile(resolve(io.cwd, file), text, { mode: 0o600 });
      io.stderr.write(`Exported "${doc.name}" (${doc.state.messages.length} messages) to ${file}.\n`);
    }
    return EXIT.ok;
  });
}

export async function importCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(
    'session import',
    args,
    { ...STORAGE_OPTIONS, name: { type: 'string' }, force: { type: 'boolean' } },
    [1, 1],
  );
  if (values.help === true) {
    io.stdout.write(`${HELP['session import']}\n`);
    return EXIT.ok;
  }
  const file = positionals[0] as string;
  let text: string;
  try {
    text = file === '-' ? await readAll(io.stdin) : await readFile(resolve(io.cwd, file), 'utf8');
  } catch (err) {
    throw new UsageError(`Cannot read ${file}: ${(err as Error).message}`, 'session import');
  }
  const portable = readPortableSession(text, file === '-' ? 'stdin' : file);
  const name = stringOption(values, 'name');
  const spec = storageSpecOf(values, io);
  return withStorage(spec, async ({ storage }) => {
    const result = await importSession(storage, portable, {
      ...(name === undefined ? {} : { name }),
      force: values.force === true,
    });
    io.stdout.write(`Imported "${result.name}" (${portable.state.messages.length} messages).\n`);
    if (result.transcriptsSkipped > 0) {
      io.stderr.write(
        `Note: ${result.transcriptsSkipped} transcript(s) were not stored: this storage does not keep transcripts.\n`,
      );
    }
    return EXIT.ok;
  });
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}
