/**
 * The write half of `save`, run while holding the session's lock: check the revision, write the new
 * messages, then publish a new head. The order is what makes a crash harmless:
 *
 * 1. new messages are written after the committed bytes of the messages file (cutting off any torn tail
 *    first), or, for a rewrite, into a fresh `messages-<revision>.jsonl` that no head references yet;
 * 2. the new head goes to a temp file; both are fsync'd;
 * 3. the temp head is renamed over `head.json` and the directory is fsync'd: this rename is the commit.
 *
 * A crash before 3 leaves the old head, which references only bytes that were complete before; a crash
 * after 3 leaves the new one, whose data was durable before it was published.
 */

import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Message, SessionState } from '@channelcoder/session-core/model';
import { assertRevision, planMessageWrite, toWireMessage } from '@channelcoder/session-core/storage-kit';
import { ensureDirectory, finishWrites, publish, startWrites, writeAt, writeFresh } from './durable-fs.js';
import { encodeHead, type MessagesRef } from './head-file.js';
import { isMessagesFileName, messagesFileName, type StorageLayout } from './layout.js';
import { markSession, unmarkProject } from './list-groups.js';
import { announceChange, listedFields, recordInIndex } from './list-index.js';
import { realDirectory } from './no-follow.js';
import { projectKeyOfMetadata } from './project-key.js';
import { readHead, readLegacyFile } from './session-reader.js';

/**
 * Writes `state` as the next revision of `name`; the caller holds the lock and bumps `state.revision`.
 * `beforeWrite` runs once the revision is checked and before anything is written, with the messages this
 * save writes: the new ones when it appends, all of them when it creates the session or rewrites it.
 */
export async function commitSave(
  layout: StorageLayout,
  name: string,
  state: SessionState,
  sync: boolean,
  beforeWrite?: (written: readonly Message[]) => Promise<void>,
): Promise<void> {
  const dir = layout.sessionDir(name);
  // A linked session folder is never written through (RefusedLinkError: a corrupt entry).
  await realDirectory(dir);
  const current = await readHead(dir, name);
  const legacy = current === undefined ? await readLegacyFile(layout.legacyPath(name), name) : undefined;
  assertRevision(name, current?.head.info.revision ?? legacy?.revision, state);
  const revision = state.revision + 1;
  if (current === undefined) await ensureDirectory(dir, layout.root, sync);

  const plan =
    current === undefined ? { mode: 'rewrite' as const } : planMessageWrite(current.head.info, state);
  const appending = current !== undefined && plan.mode === 'append';
  const written = appending ? state.messages.slice(plan.from) : state.messages;
  await beforeWrite?.(written);
  let ref: MessagesRef;
  let writeMessages: (() => ReturnType<typeof writeAt>) | undefined;
  if (current !== undefined && plan.mode === 'append') {
    const data = encodeMessages(written);
    const committed = current.head.file;
    ref = { messages: committed.messages, bytes: committed.bytes + data.length };
    const path = layout.messagesPath(name, ref.messages);
    if (data.length > 0) writeMessages = () => writeAt(path, committed.bytes, data);
  } else {
    const data = encodeMessages(written);
    ref = { messages: messagesFileName(revision), bytes: data.length };
    const path = layout.messagesPath(name, ref.messages);
    writeMessages = () => writeFresh(path, data);
  }
  const head = Buffer.from(encodeHead(state, revision, ref), 'utf8');
  // The per-prefix and per-project markers before anything is published (list-groups.ts); a save that
  // changes the working directory moves the session to its new project (the old marker goes after).
  const key = projectKeyOfMetadata(state.metadata);
  const oldKey =
    current !== undefined
      ? projectKeyOfMetadata(current.head.info.metadata)
      : projectKeyOfMetadata(legacy?.metadata);
  // An existing session staying in its project has its markers already (made when it was created or
  // moved, or by a listing from the index's record of it).
  if (current === undefined || oldKey !== key) markSession(layout, name, key);
  await announceChange(layout, name);
  const writes = await startWrites([
    () => writeFresh(layout.headTempPath(name), head),
    ...(writeMessages === undefined ? [] : [writeMessages]),
  ]);
  await finishWrites(writes, sync);

  await publish(layout.headTempPath(name), layout.headPath(name), dir, sync, () =>
    // Committed once the rename is done. What runs alongside only tidies up: a file it fails to remove is
    // unreferenced (an old generation: removed again by the next rewrite) or shadowed (a 3.x file: the
    // directory wins on load and list), and the list index is a cache (list() reads the head instead).
    // A failure here must not turn a committed save into a rejected one.
    Promise.allSettled([
      plan.mode === 'rewrite' ? removeOtherGenerations(dir, ref.messages) : undefined,
      legacy === undefined ? undefined : rm(layout.legacyPath(name), { force: true }),
      recordInIndex(
        layout,
        name,
        listedFields({ ...state, messageCount: state.messages.length }),
        key ?? null,
      ),
      oldKey !== key ? Promise.resolve().then(() => unmarkProject(layout, name, oldKey)) : undefined,
    ]),
  );
}

function encodeMessages(messages: readonly Message[]): Buffer {
  let text = '';
  for (const m of messages) text += `${JSON.stringify(toWireMessage(m))}\n`;
  return Buffer.from(text, 'utf8');
}

/** After a rewrite, older generations are unreferenced. */
async function removeOtherGenerations(dir: string, keep: string): Promise<void> {
  const names = await readdir(dir);
  await Promise.all(
    names.filter((n) => n !== keep && isMessagesFileName(n)).map((n) => rm(join(dir, n), { force: true })),
  );
}
