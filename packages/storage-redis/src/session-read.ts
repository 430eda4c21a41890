/**
 * load(): reads a session without a server-side script. A script that runs `LRANGE 0 -1` copies the whole
 * message list inside the server and blocks every other client until it is done (about a second for a
 * 20,000-message session). Here the list is read with plain commands in chunks of {@link CHUNK} elements,
 * pipelined, so other clients' commands run between the chunks; the head is read before and after, and
 * since every save rewrites the head (its revision grows), an unchanged head proves that the chunks belong
 * to that revision. A save that lands in between makes the read start again; after {@link OPTIMISTIC_ATTEMPTS}
 * such races (a stream of saves to one session, which leases prevent in normal use) it reads in one MULTI,
 * which is atomic but holds the server for the whole read.
 */
import type { RedisClient } from './scripts.js';

/** List elements per LRANGE: bounds the time one command holds the server. */
export const CHUNK = 256;
const OPTIMISTIC_ATTEMPTS = 3;

export interface SessionReadKeys {
  head: string;
  messages: string;
}

export interface StoredSession {
  /** The head as stored (bytes: its sha1 is the save basis). */
  head: Buffer;
  messages: string[];
}

/**
 * The session's head and every message of the same revision, or undefined when no head is stored.
 * Round trips: one for up to {@link CHUNK} messages, two beyond.
 */
export async function readSession(
  client: RedisClient,
  keys: SessionReadKeys,
): Promise<StoredSession | undefined> {
  for (let attempt = 1; attempt <= OPTIMISTIC_ATTEMPTS; attempt++) {
    const first = await exec(
      client
        .pipeline()
        .getBuffer(keys.head)
        .llen(keys.messages)
        .lrange(keys.messages, 0, CHUNK - 1)
        .getBuffer(keys.head),
    );
    const before = first[0] as Buffer | null;
    const length = first[1] as number;
    const messages = first[2] as string[];
    if (!sameBytes(before, first[3] as Buffer | null)) continue;
    if (before === null) return undefined;
    if (length <= CHUNK) return { head: before, messages };

    const rest = client.pipeline();
    for (let from = CHUNK; from < length; from += CHUNK) {
      rest.lrange(keys.messages, from, Math.min(from + CHUNK, length) - 1);
    }
    rest.getBuffer(keys.head);
    const replies = await exec(rest);
    if (!sameBytes(before, replies.at(-1) as Buffer | null)) continue;
    for (let i = 0; i < replies.length - 1; i++) {
      for (const message of replies[i] as string[]) messages.push(message);
    }
    return { head: before, messages };
  }
  const [head, messages] = await exec(
    client.multi().getBuffer(keys.head).lrange(keys.messages, 0, -1) as unknown as Pipeline,
  );
  return head === null ? undefined : { head: head as Buffer, messages: messages as string[] };
}

export type Pipeline = ReturnType<RedisClient['pipeline']>;

/** Runs a pipeline; the first command error is thrown (WRONGTYPE included, for the caller to map). */
export async function exec(pipeline: Pipeline): Promise<unknown[]> {
  const replies = (await pipeline.exec()) ?? [];
  return replies.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

/** Whether two reads of a key returned the same bytes (both absent counts as the same). */
export function sameBytes(a: Buffer | null, b: Buffer | null): boolean {
  if (a === null || b === null) return a === b;
  return a.equals(b);
}
