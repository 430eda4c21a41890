/**
 * Search by scanning (DESIGN 13): loads every listed session (and its stored transcripts) and looks for the
 * phrase. Works on any storage; the reference the native implementations must agree with.
 */
import type { SessionState } from '../state.js';
import type { SearchOptions, SearchResult, SearchSnippet, SessionInfo, SessionStorage } from '../storage.js';
import { conversationItemText, readConversation } from '../transcripts/conversation.js';
import { normalizeQuery, snippetFor } from './snippet.js';

/** Called after each session looked at (for a progress bar). */
export type SearchProgress = (done: number, total: number) => void;

/**
 * The snippets of one session for a normalized query: matching stored messages first, then matching
 * transcript entries whose text is not already a stored message (thinking, tool calls, tool results).
 */
export function sessionSnippets(
  state: SessionState,
  transcripts: readonly unknown[][],
  needle: string,
): SearchSnippet[] {
  const snippets: SearchSnippet[] = [];
  const contents = new Set<string>();
  for (const message of state.messages) {
    contents.add(message.content);
    const found = snippetFor(message.role === 'user' ? 'prompt' : 'answer', message.content, needle);
    if (found !== undefined) snippets.push(found);
  }
  for (const entries of transcripts) {
    for (const item of readConversation(entries)) {
      const text = conversationItemText(item);
      if ((item.kind === 'prompt' || item.kind === 'answer') && contents.has(text)) continue;
      const found = snippetFor(item.kind, text, needle);
      if (found !== undefined) snippets.push(found);
    }
  }
  return snippets;
}

/** True when `info` passes the prefix and tag filters. */
export function matchesFilters(info: Pick<SessionInfo, 'name' | 'tags'>, options: SearchOptions): boolean {
  if (options.prefix !== undefined && !info.name.startsWith(options.prefix)) return false;
  for (const tag of options.tags ?? []) if (!(info.tags ?? []).includes(tag)) return false;
  return true;
}

/**
 * Scans every session. Corrupt entries are skipped (they show in `list`).
 * @throws the storage's errors.
 */
export async function searchByScan(
  storage: SessionStorage,
  query: string,
  options: SearchOptions = {},
  onProgress?: SearchProgress,
): Promise<SearchResult[]> {
  const needle = normalizeQuery(query);
  if (needle === '') return [];
  const infos = (await storage.list(options.prefix === undefined ? {} : { prefix: options.prefix })).filter(
    (info) => info.error === undefined && matchesFilters(info, options),
  );
  const results: SearchResult[] = [];
  for (const [index, info] of infos.entries()) {
    const state = await storage.load(info.name);
    const transcripts: unknown[][] = [];
    if (typeof storage.loadTranscript === 'function') {
      for (const id of new Set(state.sessionChain)) {
        const lines = await storage.loadTranscript(info.name, id);
        if (lines !== null) transcripts.push(lines);
      }
    }
    const snippets = sessionSnippets(state, transcripts, needle);
    if (snippets.length > 0) results.push({ ...info, snippets });
    onProgress?.(index + 1, infos.length);
    if (options.limit !== undefined && results.length >= options.limit) break;
  }
  return results;
}

/** The storage's own `search` when it has one, else the scan. */
export function searchSessions(
  storage: SessionStorage,
  query: string,
  options: SearchOptions = {},
  onProgress?: SearchProgress,
): Promise<SearchResult[]> {
  if (typeof storage.search === 'function') return storage.search(query, options);
  return searchByScan(storage, query, options, onProgress);
}
