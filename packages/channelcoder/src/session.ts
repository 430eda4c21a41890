/** `session()` of the facade: the core orchestration bound to the file storage. */
import { createSessionFactory, type SessionFactory } from '@channelcoder/session-core';
import { defaultFileStorage } from './default-storage.js';

/**
 * Creates a session: `session({ name, storage, autoSave, cwd, runner, defaults })`.
 *
 * Without `storage`, sessions are saved by a shared `FileSessionStorage` in `~/.channelcoder/sessions`
 * (`$CHANNELCODER_HOME/sessions` when set). `autoSave` defaults to true: every recorded turn is saved
 * before the call settles, and a failed save rejects the call.
 *
 * Statics: `session.load(name, options)` (SessionNotFoundError when absent), `session.list(options)`
 * (newest first, metadata only; `{ trash: true }`: the trash), `session.remove(name)` (to the trash, kept
 * 30 days; `{ purge: true }` deletes for good; true when something was removed), `session.restore(name)`
 * (back from the trash) and `session.exists(name)`; each takes `{ storage }` to use another storage.
 *
 * Saving under a name another session holds moves that one to the trash (`session.restore(name, { as })`
 * brings it back).
 */
export const session: SessionFactory = createSessionFactory({ storage: defaultFileStorage });
