/**
 * One task at a time per session. With a storage that has leases (DESIGN 10), `session()` takes the
 * session's lease for each turn, so tasks are serialized across every replica on that storage. Without the
 * capability, this serializes tasks within this process only (documented: run one replica there).
 */
import {
  SessionBusyError,
  type SessionStorage,
  storageCapabilities,
  type WriteOptions,
} from '@channelcoder/session-core';

/** What a task holds while it runs; `release()` is idempotent. */
export interface Exclusive {
  readonly holder: string;
  /** Aborted when the hold is lost (never, for a hold in this process). */
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

export interface ExclusiveOptions {
  holder: string;
  /** 0: fail at once when busy; otherwise wait up to this long. */
  waitMs: number;
  ttlMs: number;
  signal?: AbortSignal;
}

interface LocalHold {
  holder: string;
  since: number;
  done: Promise<void>;
}

export class SessionExclusivity {
  private readonly local = new Map<string, LocalHold>();

  constructor(private readonly storage: SessionStorage) {}

  /** Whether holds reach other replicas (the storage has leases). */
  get distributed(): boolean {
    return storageCapabilities(this.storage).lease;
  }

  /**
   * Runs `write` while holding the session (its lease across replicas, else this process's hold), for a
   * head write outside a turn (plan progress): a write under the lease can never land between a turn's own
   * saves. `write` gets the options to pass to `save`.
   */
  async write<T>(
    name: string,
    options: ExclusiveOptions,
    write: (saveOptions: WriteOptions) => Promise<T>,
  ): Promise<T> {
    if (this.distributed) {
      const lease = await (this.storage as Required<Pick<SessionStorage, 'lease'>>).lease(name, {
        holder: options.holder,
        waitMs: options.waitMs,
        ttlMs: options.ttlMs,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
      try {
        return await write({ lease });
      } finally {
        await lease.release();
      }
    }
    const hold = await this.localHold(name, options);
    try {
      return await write({});
    } finally {
      await hold.release();
    }
  }

  /** @throws SessionBusyError when the session stays held past `waitMs` (in this process). */
  acquire(name: string, options: ExclusiveOptions): Promise<Exclusive> {
    return this.localHold(name, options);
  }

  private async localHold(name: string, options: ExclusiveOptions): Promise<Exclusive> {
    const deadline = Date.now() + options.waitMs;
    for (;;) {
      const held = this.local.get(name);
      if (held === undefined) break;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new SessionBusyError(name, held.holder, new Date(Date.now() + options.ttlMs), {
          waitedMs: options.waitMs,
        });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([held.done, new Promise<void>((r) => (timer = setTimeout(r, left)))]);
      clearTimeout(timer);
      options.signal?.throwIfAborted();
    }
    let release!: () => void;
    const done = new Promise<void>((r) => (release = r));
    this.local.set(name, { holder: options.holder, since: Date.now(), done });
    let released = false;
    return {
      holder: options.holder,
      lost: new AbortController().signal,
      release: async () => {
        if (released) return;
        released = true;
        this.local.delete(name);
        release();
      },
    };
  }
}
