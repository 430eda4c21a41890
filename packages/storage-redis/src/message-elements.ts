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

const OPEN = 0x5b; // [
const COMMA = 0x2c;
const CLOSE = 0x5d; // ]

/**
 * The stored messages as parsed JSON values: the elements joined into one JSON array text and parsed once.
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
  const text = Buffer.allocUnsafe(total);
  let at = 0;
  text[at++] = OPEN;
  for (const element of elements) {
    at += element.copy(text, at);
    text[at++] = COMMA;
  }
  text[total - 1] = CLOSE;
  try {
    // Text that is all ASCII (what JSON.stringify makes of ASCII content) decodes as such, several times
    // faster than the UTF-8 decoder and exactly the same.
    return JSON.parse(text.toString(isAscii(text) ? 'ascii' : 'utf8')) as unknown[];
  } catch (err) {
    // Find the element to name (the error path only: parse each alone).
    for (let i = 0; i < elements.length; i++) parseElement(elements[i]!, i, ctx);
    throw corrupt(ctx, `do not join into one JSON array (${(err as Error).message})`, err);
  }
}

function parseElement(element: Buffer, index: number, ctx: { name: string; location: string }): unknown[] {
  try {
    return JSON.parse(`[${element.toString('utf8')}]`) as unknown[];
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
