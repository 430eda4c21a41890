/**
 * A small durable storage for tests and benchmarks: one JSON document per session, written to a temp
 * file, fsync'd and renamed into place (a crash leaves the previous revision). It follows the contract's
 * revision rule. `core` is the session-core module (source in tests, the built dist in child processes),
 * so the same code runs in both.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

export function createJsonFileStorage(core, dir) {
  mkdirSync(dir, { recursive: true });
  const file = (name) => join(dir, `${core.normalizeSessionName(name)}.json`);
  const read = (name) =>
    core.deserializeState(readFileSync(file(name), 'utf8'), { name, location: file(name) });
  return {
    async save(state, name) {
      const key = core.resolveSaveName(state, name);
      const stored = existsSync(file(key)) ? read(key).revision : undefined;
      core.assertRevision(key, stored, state);
      const text = core.serializeState({ ...state, revision: state.revision + 1 });
      const tmp = `${file(key)}.${process.pid}.tmp`;
      const fd = openSync(tmp, 'w');
      try {
        writeSync(fd, text);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, file(key));
      state.revision += 1;
      return key;
    },
    async load(name) {
      if (!existsSync(file(name))) throw new core.SessionNotFoundError(core.normalizeSessionName(name));
      return read(name);
    },
    async list() {
      const names = readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => f.slice(0, -5));
      return names.map((name) => {
        const state = read(name);
        return {
          name,
          path: file(name),
          created: state.metadata.created,
          lastActive: state.metadata.lastActive,
          messageCount: state.messages.length,
          cursor: name,
        };
      });
    },
    async remove(name) {
      const existed = existsSync(file(name));
      rmSync(file(name), { force: true });
      return existed;
    },
  };
}
