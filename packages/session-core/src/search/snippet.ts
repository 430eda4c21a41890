/** Finding a phrase in text and cutting the excerpt shown around it. Pure. */
import type { SearchSnippet } from '../storage.js';

const CONTEXT = 60;

/** The query as search uses it: trimmed, whitespace runs collapsed, lower case. `''` matches nothing. */
export function normalizeQuery(query: string): string {
  return query.trim().replace(/\s+/g, ' ').toLowerCase();
}

/**
 * The snippet for the first occurrence of `needle` (a normalized query) in `text`, or undefined. The excerpt
 * keeps about 60 characters on each side, with `…` where it was cut.
 */
export function snippetFor(
  source: SearchSnippet['source'],
  text: string,
  needle: string,
): SearchSnippet | undefined {
  if (needle === '') return undefined;
  const flat = text.replace(/\s+/g, ' ');
  const at = flat.toLowerCase().indexOf(needle);
  if (at < 0) return undefined;
  const start = Math.max(0, at - CONTEXT);
  const end = Math.min(flat.length, at + needle.length + CONTEXT);
  const head = start > 0 ? '…' : '';
  const excerpt = `${head}${flat.slice(start, end)}${end < flat.length ? '…' : ''}`;
  const matchStart = head.length + (at - start);
  return { source, text: excerpt, matchStart, matchEnd: matchStart + needle.length };
}
