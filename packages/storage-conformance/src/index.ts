export { describeSessionStorage } from './describe-storage.js';
export { addMessages, futureDocument, makeMessage, makeState, seedEraDocument, tick } from './fixtures.js';
export type { Concern, ConformanceOptions, SpecContext, StorageBackdoor } from './options.js';
export { CONCERNS } from './options.js';
export { INVALID_NAMES } from './specs/names.js';
