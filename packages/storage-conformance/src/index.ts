/**
 * `@channelcoder/storage-conformance`: the conformance suite for `SessionStorage` adapters, on any test
 * runner (`sessionStorageConformance`), with fixtures for an adapter's own tests. The vitest convenience
 * entry is `@channelcoder/storage-conformance/vitest`.
 */
export { sessionStorageConformance } from './describe-storage.js';
export {
  addMessages,
  futureDocument,
  makeMessage,
  makeState,
  seedEraDocument,
  tick,
} from './fixtures.js';
export type {
  Concern,
  ConformanceOptions,
  SpecContext,
  StorageBackdoor,
} from './options.js';
export { CONCERNS } from './options.js';
export type {
  ConformanceRunner,
  RunnerTest,
} from './runner.js';
export { INVALID_NAMES } from './specs/names.js';
