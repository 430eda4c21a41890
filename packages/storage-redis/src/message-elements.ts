/**
 * How a session's messages are laid out in its `P{<name>}:messages` LIST: each element holds one or more
 * consecutive messages as JSON texts joined by commas, so the elements joined by commas and wrapped in
 * `[` `]` are the JSON array of every message, oldest first. Sessions stored by earlier versions (one
 * message per element) are the special case of one message per element and read the same way.
 *
 * Why: a load's cost was mostly per element (the client's reply decoder, one string and one `JSON.parse`
 * per element, and the server's reply per element). Elements of up to {@link ELEMENT_BYTES} bytes make a
 * 20,000-message session a few hundred elements, read in bounded chunks and parsed with one `JSON.parse`.
 * A save packs what it appends into such elements, and the save script merges its first element into the
 * list's last one while both together stay within the bound (a bounded copy inside the script), so a
 * session that grows by two messages a turn is packed as densely as one saved at once.
 */
import { constants as bufferLimits, isAscii } from 'node:buffer';
import { SessionCorruptError } from '@channelcoder/session-core';

/** Largest element built from several messages (bytes); one message longer than this is an element alone. */
export const ELEMENT_BYTES = 16 * 1024;

/** Packs message JSON texts into elements of at most {@link ELEMENT_BYTES} bytes (oversized ones alone). */
export function packMessages(jsons: readonly string[]): string[] {
  const elements: string[] = [];
  let parts: string[] = [];
  let bytes = 0;
  for (const json of jsons) {
    const size = Buffer.byteLength(json);
    if (parts.length > 0 && bytes + 1 + size > ELEMENT_BYTES) {
      elements.push(parts.join(','));
      parts = [];
      bytes = 0;
    }
    bytes += parts.length > 0 ? 1 + size : size;
    parts.push(json);
  }
  if (parts.length > 0) elements.push(parts.join(','));
  return elements;
}

/**
 * The stored messages as parsed JSON values: the elements joined into one JSON array text and parsed once.
 *
 * Each element is decoded to a string of its own (all-ASCII ones, what `JSON.stringify` makes of ASCII
 * content, as Latin-1: several times faster than the UTF-8 decoder and exactly the same) and the strings are
 * joined. Decoding one big buffer instead would make a string held outside the JavaScript heap, and such
 * memory (tens of megabytes per load of a long session) makes the engine run full garbage collections
 * several times as often; small strings die young and cost almost nothing to collect.
 *
 * @throws SessionCorruptError naming the first element that is not a comma-separated list of JSON values.
 */
export function parseMessageElements(
  elements: readonly Buffer[],
  ctx: { name: string; location: string },
): unknown[] {
  if (elements.length === 0) return [];
  let total = 1;
  for (const element of elements) total += element.length + 1;
  if (total > bufferLimits.MAX_STRING_LENGTH) {
    // More than one string can hold: parse element by element (each is a fragment of the array).
    const values: unknown[] = [];
    for (let i = 0; i < elements.length; i++) {
      for (const value of parseElement(elements[i]!, i, ctx)) values.push(value);
    }
    return values;
  }
  try {
    return JSON.parse(joinElements(elements)) as unknown[];
  } catch (err) {
    // Find the element to name (the error path only: parse each alone).
    for (let i = 0; i < elements.length; i++) parseElement(elements[i]!, i, ctx);
    throw corrupt(ctx, `do not join into one JSON array (${(err as Error).message})`, err);
  }
}

/**
 * The elements' texts joined into one JSON array text. A function of its own so that the element strings
 * are unreachable once it returns: were they still held while `JSON.parse` runs, each garbage collection
 * during the parse would copy them with the messages it made.
 */
function joinElements(elements: readonly Buffer[]): string {
  const parts: string[] = ['['];
  for (let i = 0; i < elements.length; i++) {
    if (i > 0) parts.push(',');
    parts.push(decode(elements[i]!));
  }
  parts.push(']');
  return parts.join('');
}

/** An element's text: UTF-8 (each element holds whole messages, so it decodes alone). */
function decode(element: Buffer): string {
  return element.toString(isAscii(element) ? 'latin1' : 'utf8');
}

function parseElement(element: Buffer, index: number, ctx: { name: string; location: string }): unknown[] {
  try {
    return JSON.parse(`[${decode(element)}]`) as unknown[];
  } catch (err) {
    throw corrupt(
      ctx,
      `element ${index} is not a comma-separated list of JSON messages (${(err as Error).message})`,
      err,
    );
  }
}

function corrupt(ctx: { name: string; location: string }, problem: string, cause: unknown) {
  return new SessionCorruptError(ctx.name, 'messages', problem, { location: ctx.location, cause });
}
