/** `session()` and its statics, bound to a default storage (the facade package binds file storage). */

import { listSessionInfos } from '../list-order.js';
import { MemorySessionStorage } from '../memory-storage.js';
import { isValidSessionName, normalizeSessionName } from '../names.js';
import { checkOptions } from '../runner/options-check.js';
import { cliRunner } from '../runner/runner.js';
import { ownCopy } from '../safety/own-properties.js';
import { withRedaction } from '../safety/redact.js';
import { createSessionState } from '../state.js';
import {
  type ListOptions,
  requireCapability,
  type SessionStorage,
  storageCapabilities,
  type TrashListOptions,
} from '../storage.js';
import { loadSession, sessionExists } from './persistence.js';
import { ClaudeSession, type SessionConfig } from './session.js';
import { planTurn } from './turn-plan.js';
import type {
  LoadOptions,
  Session,
  SessionFactory,
  SessionOptions,
  SessionRemoveOptions,
  SessionRestoreOptions,
  StorageOption,
} from './types.js';

export interface SessionFactoryDefaults {
  /** The storage used when a call passes none (called once per call; return a shared instance). */
  storage: () => SessionStorage;
}

/** Builds a `session` function whose calls and statics default to `defaults.storage()`. */
export function createSessionFactory(defaults: SessionFactoryDefaults): SessionFactory {
  const configFor = (given: LoadOptions = {}): SessionConfig => {
    // Own properties only: an inherited `runner` or `storage` must never be picked up.
    const options = ownCopy(given);
    checkOptions(options.defaults, 'sessionTurn', 'the defaults of session()');
    const config: SessionConfig = {
      // Opt-in redaction wraps the storage, so saves and transcript mirrors both go through it.
      storage: withRedaction(options.storage ?? defaults.storage(), options.redact),
      runner: options.runner ?? cliRunner,
      autoSave: options.autoSave ?? true,
      assignSessionIds: options.assignSessionIds ?? true,
    };
    if (options.defaults !== undefined) config.defaults = options.defaults;
    if (options.onBusy !== undefined) config.onBusy = options.onBusy;
    if (options.busyTimeoutMs !== undefined) config.busyTimeoutMs = options.busyTimeoutMs;
    if (options.leaseTtlMs !== undefined) config.leaseTtlMs = options.leaseTtlMs;
    return config;
  };

  const create = (options: SessionOptions = {}): Session => {
    checkOptions(options, 'session', 'session()');
    const state = createSessionState({
      ...(options.name !== undefined ? { name: normalizeSessionName(options.name) } : {}),
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
      ...(options.tags !== undefined ? { tags: options.tags } : {}),
    });
    return new ClaudeSession(state, configFor(options));
  };

  const load = async (name: string, options: LoadOptions = {}): Promise<Session> => {
    checkOptions(options, 'load', 'session.load()');
    const config = configFor(options);
    const loaded = await loadSession(config.storage, name);
    if (options.cwd !== undefined) loaded.state.metadata.cwd = options.cwd;
    const s = new ClaudeSession(loaded.state, config, { storedName: loaded.name, generatedName: false });
    // Turns the local transcript has and the store lacks (a process died after Claude answered) are
    // adopted now; the next save or turn writes them.
    const location = planTurn(loaded.state, config.defaults, undefined, false).options;
    await s.recoverFromTranscript(location);
    return s;
  };

  const storageOf = (options?: StorageOption) => options?.storage ?? defaults.storage();

  const list = async (options: ListOptions & TrashListOptions & StorageOption & { trash?: boolean } = {}) => {
    const { storage, trash, ...rest } = options;
    const target = storageOf({ storage });
    if (trash === true) {
      const { name, limit } = rest;
      return requireCapability(
        target,
        'listTrash',
      )({
        ...(name === undefined ? {} : { name }),
        ...(limit === undefined ? {} : { limit }),
      });
    }
    const { name: _name, ...listOptions } = rest;
    return listSessionInfos(target, listOptions);
  };

  return Object.assign(create, {
    load,
    list: list as SessionFactory['list'],
    restore: async (nameOrId: string, options: SessionRestoreOptions = {}) => {
      const storage = storageOf(options);
      const listTrash = requireCapability(storage, 'listTrash');
      const restoreFromTrash = requireCapability(storage, 'restoreFromTrash');
      const target = options.as === undefined ? {} : { name: normalizeSessionName(options.as) };
      const byName = isValidSessionName(nameOrId) ? await listTrash({ name: nameOrId, limit: 1 }) : [];
      const id = byName[0]?.id ?? nameOrId;
      return restoreFromTrash(id, target);
    },
    remove: async (name: string, options: SessionRemoveOptions = {}) => {
      const storage = storageOf(options);
      const key = normalizeSessionName(name);
      if (options.purge !== true && storageCapabilities(storage).trash) {
        return (await requireCapability(storage, 'moveToTrash')(key, { reason: 'removed' })) !== undefined;
      }
      return requireCapability(storage, 'remove')(key);
    },
    exists: (name: string, options?: StorageOption) => sessionExists(storageOf(options), name),
  });
}

let processMemoryStorage: MemorySessionStorage | undefined;

/** The in-process storage `session` uses when given none (shared by every call in this process). */
export function defaultMemoryStorage(): MemorySessionStorage {
  processMemoryStorage ??= new MemorySessionStorage();
  return processMemoryStorage;
}

/**
 * Create a session: `session({ name, storage, autoSave, cwd, runner, defaults })`; statics `session.load`,
 * `session.list` (`{ trash: true }`: the trash), `session.restore`, `session.remove` (to the trash when the
 * storage has one), `session.exists`. Without a storage, sessions live in one in-process
 * MemorySessionStorage (the `channelcoder` package defaults to file storage instead).
 */
export const session: SessionFactory = createSessionFactory({ storage: defaultMemoryStorage });
