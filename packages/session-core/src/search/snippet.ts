/** Finding a phrase in text and cutting the excerpt shown around it. Pure. */
import type { SearchSnippet } from '../storage.js';

const CONTEXT = 60;

const WORD_CHAR = /[\p{L}\p{N}]/u;
const WORDS = /[\p{L}\p{N}]+/gu;

/** The query as search uses it: trimmed, whitespace runs collapsed, lower case. `''` matches nothing. */
export function normalizeQuery(query: string): string {
  return query.trim().replace(/\s+/g, ' ').toLowerCase();
}

/**
 * The words of `text` as indexes see them: runs of letters and digits, lower case. A phrase can only occur
 * where each of its words begins a word of the text, so an index of words (looked up by prefix) finds every
 * session the scan finds.
 */
export function searchWords(text: string): string[] {
  return text.toLowerCase().match(WORDS) ?? [];
}

/**
 * Where `needle` (a normalized query) first occurs in `flatLower` starting a word: the character before it is
 * not a letter or digit (or the needle itself does not begin with one). -1 when it does not.
 */
function findAtWordStart(flatLower: string, needle: string): number {
  const first = needle[0] ?? '';
  const needsBoundary = WORD_CHAR.test(first);
  let at = flatLower.indexOf(needle);
  while (at >= 0) {
    if (!needsBoundary || at === 0 || !WORD_CHAR.test(flatLower[at - 1] ?? '')) return at;
    at = flatLower.indexOf(needle, at + 1);
  }
  return -1;
}

/**
 * The snippet for the first occurrence of `needle` (a normalized query) in `text` that starts a word
 * ("lot" finds "lotus" and "a lot", not "axolotl"), or undefined. The excerpt keeps about 60 characters on
 * each side, with `…` where it was cut.
 */
export function snippetFor(
  source: SearchSnippet['source'],
  text: string,
  needle: string,
): SearchSnippet | undefined {
  if (needle === '') return undefined;
  const flat = text.replace(/\s+/g, ' ');
  const at = findAtWordStart(flat.toLowerCase(), needle);
  if (at < 0) return undefined;
  const start = Math.max(0, at - CONTEXT);
  const end = Math.min(flat.length, at + needle.length + CONTEXT);
  const head = start > 0 ? '…' : '';
  const excerpt = `${head}${flat.slice(start, end)}${end < flat.length ? '…' : ''}`;
  const matchStart = head.length + (at - start);
  return { source, text: excerpt, matchStart, matchEnd: matchStart + needle.length };
}
