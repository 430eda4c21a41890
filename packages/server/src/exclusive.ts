/**
 * One task at a time per session. With a storage that has leases (DESIGN 10) the session's lease is taken
 * for the whole task, so tasks are serialized across every replica on that storage and a busy session
 * answers with the lease's holder. Without the capability, tasks are serialized within this process only
 * (documented: run one replica on such a storage).
 */
import {
  SessionBusyError,
  type SessionLease,
  type SessionStorage,
  storageCapabilities,
} from '@channelcoder/session-core';

/** What a task holds while it runs; `release()` is idempotent. */
export interface Exclusive {
  readonly holder: string;
  /** Aborted when the lease could not be renewed (another holder took the session). */
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

  /** @throws SessionBusyError when the session stays held past `waitMs`. */
  async acquire(name: string, options: ExclusiveOptions): Promise<Exclusive> {
    if (this.storage.lease !== undefined) return this.leaseOf(name, options);
    return this.localHold(name, options);
  }

  private async leaseOf(name: string, options: ExclusiveOptions): Promise<Exclusive> {
    const lease: SessionLease = await (this.storage.lease as NonNullable<SessionStorage['lease']>).call(
      this.storage,
      name,
      {
        holder: options.holder,
        ttlMs: options.ttlMs,
        waitMs: options.waitMs,
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
    const lost = new AbortController();
    const timer = setInterval(
      () => {
        lease.renew().catch((err: unknown) => {
          clearInterval(timer);
          lost.abort(err);
        });
      },
      Math.max(50, Math.floor(options.ttlMs / 3)),
    );
    timer.unref();
    return {
      holder: lease.holder,
      lost: lost.signal,
      release: async () => {
        clearInterval(timer);
        await lease.release();
      },
    };
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
