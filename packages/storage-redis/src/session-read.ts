/**
 * load(): reads a session without a server-side script. A script that runs `LRANGE 0 -1` copies the whole
 * message list inside the server and blocks every other client until it is done (about a second for a
 * 20,000-message session). Here the list is read with plain commands in chunks of {@link MESSAGE_CHUNK}
 * elements (each at most `ELEMENT_BYTES` unless it is one longer message: see message-elements.ts), pipelined, so other clients' commands run between the chunks; the head is read before and after, and
 * since every save rewrites the head (its revision grows), an unchanged head proves that the chunks belong
 * to that revision. A save that lands in between makes the read start again; after {@link OPTIMISTIC_ATTEMPTS}
 * such races (a stream of saves to one session, which leases prevent in normal use) it reads in one MULTI,
 * which is atomic but holds the server for the whole read.
 */
import type { RedisClient } from './scripts.js';

/** Transcript list elements per LRANGE: bounds the time one command holds the server. */
export const CHUNK = 256;
/**
 * Message list elements per LRANGE: with elements of at most `ELEMENT_BYTES` (16 KiB), one command sends
 * at most 512 KiB (plus any single message longer than that).
 */
export const MESSAGE_CHUNK = 32;
const OPTIMISTIC_ATTEMPTS = 3;

export interface SessionReadKeys {
  head: string;
  messages: string;
}

export interface StoredSession {
  /** The head as stored (bytes: its sha1 is the save basis). */
  head: Buffer;
  /** The list's elements as stored (see message-elements.ts). */
  elements: Buffer[];
}

/**
 * The session's head and every message of the same revision, or undefined when no head is stored.
 * Round trips: one for up to {@link MESSAGE_CHUNK} elements, two beyond.
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
        .lrangeBuffer(keys.messages, 0, MESSAGE_CHUNK - 1)
        .getBuffer(keys.head),
    );
    const before = first[0] as Buffer | null;
    const length = first[1] as number;
    const elements = first[2] as Buffer[];
    if (!sameBytes(before, first[3] as Buffer | null)) continue;
    if (before === null) return undefined;
    if (length <= MESSAGE_CHUNK) return { head: before, elements };

    const rest = client.pipeline();
    for (let from = MESSAGE_CHUNK; from < length; from += MESSAGE_CHUNK) {
      rest.lrangeBuffer(keys.messages, from, Math.min(from + MESSAGE_CHUNK, length) - 1);
    }
    rest.getBuffer(keys.head);
    const replies = await exec(rest);
    if (!sameBytes(before, replies.at(-1) as Buffer | null)) continue;
    for (let i = 0; i < replies.length - 1; i++) {
      for (const element of replies[i] as Buffer[]) elements.push(element);
    }
    return { head: before, elements };
  }
  const [head, elements] = await exec(
    client.multi().getBuffer(keys.head).lrangeBuffer(keys.messages, 0, -1) as unknown as Pipeline,
  );
  return head === null ? undefined : { head: head as Buffer, elements: elements as Buffer[] };
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
