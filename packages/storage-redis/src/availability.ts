/**
 * Bounded waiting. A Redis client that lost its server queues commands and reconnects forever by default;
 * the adapter never lets a call wait on that. It sends a command only on a ready connection (waiting for
 * readiness at most `timeoutMs`), and gives every call the same deadline, so a stopped server surfaces as
 * StorageUnavailableError instead of a hang. Once the client reconnects, the same storage works again.
 */
import { ChannelCoderError, StorageUnavailableError } from '@channelcoder/session-core';
import type { RedisClient } from './scripts.js';

const BACKEND = 'Redis';

/** Resolves when the client can take commands now; rejects with StorageUnavailableError otherwise. */
export async function whenReady(client: RedisClient, timeoutMs: number, operation: string): Promise<void> {
  if (client.status === 'ready') return;
  if (client.status === 'end') {
    throw new StorageUnavailableError(
      BACKEND,
      operation,
      new Error('the ioredis client was closed (quit() or disconnect() was called)'),
    );
  }
  if (client.status === 'wait') {
    // lazyConnect: connect now; failures surface through the 'ready' wait below.
    client.connect().catch(() => {});
  }
  await new Promise<void>((resolve, reject) => {
    const done = (err?: Error) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('end', onEnd);
      if (err === undefined) resolve();
      else reject(new StorageUnavailableError(BACKEND, operation, err));
    };
    const onReady = () => done();
    const onEnd = () => done(new Error('the connection ended and the client will not reconnect'));
    const timer = setTimeout(
      () =>
        done(
          new Error(`no connection to the server within ${timeoutMs} ms (client status: ${client.status})`),
        ),
      timeoutMs,
    );
    client.on('ready', onReady);
    client.on('end', onEnd);
  });
}

/** Lets work that outlives its caller's deadline stop instead of sending more commands or changing state. */
export interface Deadline {
  passed(): boolean;
  /**
   * The server just answered: give the call another `timeoutMs` from now. For walks over many round trips
   * (listing past a mass expiry): the deadline detects a server that stopped answering, not a long walk.
   */
  answered(): void;
}

/**
 * Runs `work` on a ready connection within `timeoutMs` in total (or of the last `deadline.answered()`).
 * ChannelCoder errors pass through; any other failure (connection lost, timeout, a server error such as
 * OOM or NOPERM) becomes StorageUnavailableError. `ambiguous` names what may have been applied when a reply
 * never came (a write in flight), or is asked what the call changed so far.
 */
export async function withAvailability<T>(
  client: RedisClient,
  timeoutMs: number,
  operation: string,
  work: (deadline: Deadline) => Promise<T>,
  ambiguous?: string | (() => string | undefined),
): Promise<T> {
  const started = Date.now();
  // A ready client (the usual case) goes straight on, without a turn of the event loop's microtasks.
  if (client.status !== 'ready') await whenReady(client, timeoutMs, operation);
  const state = { passed: false };
  let timer: NodeJS.Timeout | undefined;
  let expire: () => void = () => {};
  const arm = (ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(() => expire(), ms);
  };
  const deadline = new Promise<never>((_, reject) => {
    expire = () => {
      state.passed = true;
      pending.catch(() => {}); // settles later or never; nobody is waiting for it any more
      const changed = typeof ambiguous === 'function' ? ambiguous() : ambiguous;
      const why = `no reply within ${timeoutMs} ms${changed ? `; ${changed}` : ''}`;
      reject(new StorageUnavailableError(BACKEND, operation, new Error(why)));
    };
  });
  arm(Math.max(1, timeoutMs - (Date.now() - started)));
  const pending = work({
    passed: () => state.passed,
    answered: () => {
      if (!state.passed) arm(timeoutMs);
    },
  });
  try {
    return await Promise.race([pending, deadline]);
  } catch (err) {
    if (ChannelCoderError.is(err)) throw err;
    throw new StorageUnavailableError(BACKEND, operation, err);
  } finally {
    clearTimeout(timer);
  }
}

/** A read waiting for its reply, with the instant (ms) it fails at. */
interface WaitingRead {
  at: number;
  expire: () => void;
}

/** The reads {@link withReadDeadline} waits for, and the one timer that fails those past their instant. */
const waiting = new Set<WaitingRead>();
let watchdog: NodeJS.Timeout | undefined;
/** When the watchdog wakes (ms). */
let watchdogAt = 0;

function watch(delayMs: number): void {
  watchdogAt = Date.now() + delayMs;
  watchdog = setTimeout(expireWaiting, Math.max(1, delayMs));
  // The pending command keeps the process alive; the watchdog alone should not.
  watchdog.unref?.();
}

function expireWaiting(): void {
  watchdog = undefined;
  const now = Date.now();
  let next = Number.POSITIVE_INFINITY;
  for (const read of waiting) {
    if (read.at <= now) {
      waiting.delete(read);
      read.expire();
    } else next = Math.min(next, read.at);
  }
  if (next !== Number.POSITIVE_INFINITY) watch(next - now);
}

/**
 * {@link withAvailability} for reads that change nothing (a listing's one command or script call): the
 * same deadline and errors, for the hot path of frequent small reads. Instead of a timer per call, one
 * timer for all of them wakes at the earliest instant a waiting read fails at (a read that ends sooner
 * only leaves the set), so a call costs a set entry and one promise. Waits for readiness first, as
 * withAvailability does, when the client is not ready.
 */
export function withReadDeadline<T>(
  client: RedisClient,
  timeoutMs: number,
  operation: string,
  work: () => Promise<T>,
): Promise<T> {
  if (client.status !== 'ready') return withAvailability(client, timeoutMs, operation, work);
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const read: WaitingRead = {
      at: Date.now() + timeoutMs,
      expire: () => {
        settled = true;
        reject(new StorageUnavailableError(BACKEND, operation, new Error(`no reply within ${timeoutMs} ms`)));
      },
    };
    waiting.add(read);
    // A watchdog set for a later instant (another storage's longer timeout) is brought forward.
    if (watchdog === undefined) watch(timeoutMs);
    else if (read.at < watchdogAt) {
      clearTimeout(watchdog);
      watch(timeoutMs);
    }
    let pending: Promise<T>;
    try {
      pending = work();
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(
      (value) => {
        waiting.delete(read);
        if (!settled) resolve(value);
      },
      (err) => {
        waiting.delete(read);
        if (settled) return;
        reject(ChannelCoderError.is(err) ? err : new StorageUnavailableError(BACKEND, operation, err));
      },
    );
  });
}

/** True for the server's answer to a command on a key that holds another Redis type. */
export function isWrongType(err: unknown): boolean {
  return err instanceof Error && /WRONGTYPE/.test(err.message);
}
