/**
 * The sessions the guide's programs stored, read back with the project's own installed `channelcoder`
 * (loaded into the test process): its default file storage, the folders the guide names, the database
 * fixture's file and any extra sources; the trash through `session.list({ trash: true })` and
 * `session.restore`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** A stored session as the project's own `channelcoder` reads it back. */
export interface StoredSession {
  /** `default` (~/.channelcoder/sessions), a FileSessionStorage folder, `database` (the fixture), … */
  where: string;
  name: string;
  chain: string[];
  messages: Array<{ role: string; content: string; sessionId: string }>;
  error?: string;
}

interface InstalledState {
  revision?: number;
  sessionChain: string[];
  messages: Array<{ role: string; content: string; sessionId?: string }>;
  metadata?: { name?: string; created?: Date; lastActive?: Date };
}

interface InstalledStorage {
  readonly root: string;
  list(): Promise<Array<{ name: string; error?: string }>>;
  load(name: string): Promise<InstalledState>;
  save(state: InstalledState, name: string): Promise<string>;
}

/** What the test calls on the project's installed `channelcoder` (the shapes it relies on, loosely). */
export interface InstalledSdk {
  FileSessionStorage: new (dir: string) => InstalledStorage;
  session: {
    list(options: Record<string, unknown>): Promise<unknown[]>;
    restore(name: string, options: Record<string, unknown>): Promise<unknown>;
    remove(name: string, options: Record<string, unknown>): Promise<boolean>;
  };
}

const messagesOf = (messages: InstalledState['messages']): StoredSession['messages'] =>
  messages.map((m) => ({ role: m.role, content: m.content, sessionId: m.sessionId ?? '' }));

/** Reads what the guide's programs stored, with the project's installed `channelcoder`. */
export class StoredSessions {
  /** More places the guide's programs store sessions in (the Redis and S3 examples' backends). */
  readonly extraSources: Array<() => Promise<StoredSession[]>> = [];

  private constructor(
    private readonly sdk: InstalledSdk,
    private readonly home: string,
    private readonly dir: string,
  ) {}

  /** Loads the `channelcoder` installed in `dir`; `home` is the HOME its programs run with. */
  static async open(dir: string, home: string): Promise<StoredSessions> {
    const sdk = (await import(
      pathToFileURL(join(dir, 'node_modules', 'channelcoder', 'dist', 'index.js')).href
    )) as InstalledSdk;
    return new StoredSessions(sdk, home, dir);
  }

  /** The storages the guide's programs write to, opened with the project's installed `channelcoder`. */
  private storages(): Record<string, InstalledStorage> {
    const at = (dir: string) => new this.sdk.FileSessionStorage(dir);
    return {
      default: at(join(this.home, '.channelcoder', 'sessions')),
      'my-sessions': at(join(this.dir, 'my-sessions')),
      'project-sessions': at(join(this.dir, 'project-sessions')),
    };
  }

  /** Every session stored by the guide's programs (default storage, its folders, the database fixture). */
  async stored(): Promise<StoredSession[]> {
    const out: StoredSession[] = [];
    for (const [where, storage] of Object.entries(this.storages())) {
      if (where !== 'default' && !existsSync(storage.root)) continue;
      for (const info of await storage.list()) {
        if (info.error !== undefined) {
          out.push({ where, name: info.name, chain: [], messages: [], error: info.error });
          continue;
        }
        const state = await storage.load(info.name);
        out.push({ where, name: info.name, chain: state.sessionChain, messages: messagesOf(state.messages) });
      }
    }
    for (const source of this.extraSources) out.push(...(await source()));
    const db = join(this.dir, 'guide-db.json');
    if (existsSync(db)) {
      const rows = JSON.parse(readFileSync(db, 'utf8')) as Record<string, { id: string; data: string }>;
      for (const row of Object.values(rows)) {
        const state = JSON.parse(row.data) as InstalledState;
        out.push({
          where: 'database',
          name: state.metadata?.name ?? row.id,
          chain: state.sessionChain ?? [],
          messages: messagesOf(state.messages ?? []),
        });
      }
    }
    return out;
  }

  /**
   * Stores a copy of a session of the default storage under `name`, last active `days` ago (for the
   * guide's clean-up loop to find).
   */
  async plantOldSession(name: string, days: number): Promise<void> {
    const storage = this.storages().default as InstalledStorage;
    const source = (await storage.list()).find((info) => info.error === undefined && info.name !== name);
    if (source === undefined) throw new Error('no session to copy for an old one');
    const state = await storage.load(source.name);
    const then = new Date(Date.now() - days * 24 * 60 * 60 * 1000);
    state.revision = 0;
    state.metadata = { ...state.metadata, name, created: then, lastActive: then };
    await storage.save(state, name);
  }

  /**
   * The trash entries for `name` in a storage (`session.list({ trash: true })`); when there are any, the
   * newest is restored under `as` (`session.restore`), read back, and purged again.
   * @throws what the installed `channelcoder` throws (no trash capability: its own error).
   */
  async restoreFromTrash(
    where: string,
    name: string,
    as: string,
  ): Promise<{ entries: number; messages?: StoredSession['messages'] }> {
    const storage = this.storages()[where];
    if (storage === undefined) throw new Error(`no storage ${where}`);
    const entries = (await this.sdk.session.list({ storage, trash: true })) as Array<{
      id?: unknown;
      name: string;
      session?: unknown;
    }>;
    const mine = entries.filter(
      (e) => e.name === name && typeof e.id === 'string' && e.session !== undefined,
    );
    if (mine.length === 0) return { entries: 0 };
    await this.sdk.session.restore(name, { storage, as });
    const restored = await storage.load(as);
    await this.sdk.session.remove(as, { storage, purge: true });
    return { entries: mine.length, messages: messagesOf(restored.messages) };
  }
}
