export {
  matchesFilters,
  type SearchProgress,
  searchByScan,
  searchSessions,
  sessionSnippets,
} from './scan.js';
export { normalizeQuery, searchWords, snippetFor } from './snippet.js';
