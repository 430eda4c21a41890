import { StorageUnavailableError } from '../../../src/errors.js';
import type { WriteOptions } from '../../../src/lease.js';
import { MemorySessionStorage } from '../../../src/memory-storage.js';
import type { SessionState } from '../../../src/state.js';
import type { ListOptions, SessionInfo, SessionStorage } from '../../../src/storage.js';

/**
 * A storage written exactly like the session guide's DatabaseStorage: only save/load/list, JSON in a
 * table, no revision handling, partial date revival, a plain Error when missing.
 */
export class SeedStyleStorage implements SessionStorage {
  readonly rows = new Map<string, { id: string; data: string; updated: Date }>();
  saves = 0;

  async save(state: SessionState, name?: string): Promise<string> {
    const id = name || `session-${Date.now()}`;
    this.rows.set(id, { id, data: JSON.stringify(state), updated: new Date() });
    this.saves++;
    return id;
  }

  async load(nameOrPath: string): Promise<SessionState> {
    const record = this.rows.get(nameOrPath);
    if (!record) throw new Error(`Session ${nameOrPath} not found`);
    const state = JSON.parse(record.data) as SessionState;
    state.metadata.created = new Date(state.metadata.created);
    state.metadata.lastActive = new Date(state.metadata.lastActive);
    for (const msg of state.messages) msg.timestamp = new Date(msg.timestamp);
    return state;
  }

  async list(): Promise<SessionInfo[]> {
    return [...this.rows.values()].map((record) => {
      const state = JSON.parse(record.data) as SessionState;
      return {
        name: state.metadata.name || record.id,
        path: record.id,
        created: new Date(state.metadata.created),
        lastActive: new Date(state.metadata.lastActive),
        messageCount: state.messages.length,
      };
    });
  }
}

/**
 * A MemorySessionStorage that counts saves and can be told to fail them: every save (`failSaves`), or only
 * the saves that record a turn, after the pending-turn save before the CLI started went through
 * (`failRecordingSaves`). `landThenFail` stores the save and then reports a timeout (an ambiguous save).
 */
export class CountingStorage extends MemorySessionStorage {
  saveCalls = 0;
  failSaves = false;
  failRecordingSaves = false;
  landThenFail = false;

  override async save(state: SessionState, name?: string, options?: WriteOptions): Promise<string> {
    this.saveCalls++;
    const recording = state.pendingTurn === undefined;
    if (this.failSaves || (this.failRecordingSaves && recording))
      throw new StorageUnavailableError('test', 'save', new Error('disk on fire'));
    if (this.landThenFail && recording) {
      await super.save(structuredClone(state), name, options);
      throw new StorageUnavailableError('test', 'save', new Error('timed out after 5000 ms'));
    }
    return super.save(state, name, options);
  }

  override async list(options?: ListOptions): Promise<SessionInfo[]> {
    return super.list(options);
  }
}
