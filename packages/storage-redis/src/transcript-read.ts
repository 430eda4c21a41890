/**
 * loadTranscript(): reads a transcript without a server-side script, like {@link readSession} reads a
 * session. A script around `LRANGE 0 -1` copies the whole list inside the server and blocks every other
 * client until it is done; here the list is read with plain commands in chunks of {@link CHUNK} elements,
 * pipelined, so other clients' commands run between the chunks.
 *
 * Consistency: a transcript only grows (appends push at its end) until it goes away with its session
 * (remove, expiry, or a save over the name, each of which rewrites or deletes the head) or is deleted by
 * `deleteTranscript` (a transcript written again gets a new `#gen` in its index). So the first round trip
 * reads the head, the transcript's membership in the session's SET, the list's length, its first chunk and
 * the index's `#gen`; the rest reads up to that length and the head, membership and `#gen` again. An
 * unchanged head, membership and `#gen`, and every chunk full, prove the lines are the transcript as it stood at the first read (lines
 * appended meanwhile are left for the next load). Otherwise the read starts again; after
 * {@link OPTIMISTIC_ATTEMPTS} races it reads in one MULTI, which is atomic but holds the server for the
 * whole read.
 */

import type { RedisClient } from './scripts.js';
import { CHUNK, exec, type Pipeline, sameBytes } from './session-read.js';

const OPTIMISTIC_ATTEMPTS = 3;

export interface TranscriptReadKeys {
  head: string;
  /** SET of the transcript ids the session holds. */
  transcripts: string;
  /** HASH: the transcript's index; its `#gen` changes when the transcript is deleted and written again. */
  index: string;
  /** LIST of the transcript's elements: compressed chunks (one per append), or older plain JSON lines. */
  lines: string;
}

/**
 * The transcript's stored list elements, or undefined when the session holds no transcript of that id.
 * Round trips: one for up to {@link CHUNK} lines, two beyond.
 */
export async function readTranscript(
  client: RedisClient,
  keys: TranscriptReadKeys,
  id: string,
): Promise<Buffer[] | undefined> {
  for (let attempt = 1; attempt <= OPTIMISTIC_ATTEMPTS; attempt++) {
    const first = await exec(
      client
        .pipeline()
        .getBuffer(keys.head)
        .sismember(keys.transcripts, id)
        .llen(keys.lines)
        .lrangeBuffer(keys.lines, 0, CHUNK - 1)
        .hget(keys.index, '#gen'),
    );
    const head = first[0] as Buffer | null;
    const member = first[1] as number;
    const length = first[2] as number;
    const lines = first[3] as Buffer[];
    const generation = first[4] as string | null;
    if (member === 0) return undefined;
    // Lines appended between LLEN and LRANGE are left for the next load.
    if (length <= CHUNK && lines.length >= length) return lines.slice(0, length);
    if (lines.length !== CHUNK) continue;

    const rest = client.pipeline();
    const expected: number[] = [];
    for (let from = CHUNK; from < length; from += CHUNK) {
      const to = Math.min(from + CHUNK, length);
      rest.lrangeBuffer(keys.lines, from, to - 1);
      expected.push(to - from);
    }
    rest.getBuffer(keys.head).sismember(keys.transcripts, id).hget(keys.index, '#gen');
    const replies = await exec(rest);
    const headAfter = replies.at(-3) as Buffer | null;
    const memberAfter = replies.at(-2) as number;
    const generationAfter = replies.at(-1) as string | null;
    if (memberAfter === 0 || !sameBytes(head, headAfter) || generationAfter !== generation) continue;
    const chunks = replies.slice(0, -3) as Buffer[][];
    if (chunks.some((chunk, i) => chunk.length !== expected[i])) continue;
    for (const chunk of chunks) for (const line of chunk) lines.push(line);
    return lines;
  }
  const [member, lines] = await exec(
    client.multi().sismember(keys.transcripts, id).lrangeBuffer(keys.lines, 0, -1) as unknown as Pipeline,
  );
  return member === 0 ? undefined : (lines as Buffer[]);
}
