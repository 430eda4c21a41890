export {
  matchesFilters,
  type SearchProgress,
  searchByScan,
  searchSessions,
  sessionSnippets,
} from './scan.js';
export { normalizeQuery, snippetFor } from './snippet.js';
